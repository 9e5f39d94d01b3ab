// Headroom under CloudFormation's quota of 500 resources per stack ("AWS CloudFormation quotas",
// docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html): every stack of the dev and
// prod apps stays at 450 or fewer, so the next issues have room without a split in a hurry (ADR 0019). The counts
// are printed on every run.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { createGovernanceApp, type GovernanceApp } from '../../lib/app.js';
import { devGovernanceApp } from '../support/dev-app.js';

const MAX_RESOURCES = 450;

/** The prod stage with every option that adds resources: alert mail, notifications. */
const PROD = {
  account: '123456789012',
  alarmEmail: 'governance-ops@example.com',
  notificationEmails: ['governance-team@example.com'],
  webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/governance/1',
};

let apps: { stage: string; built: GovernanceApp }[];

beforeAll(() => {
  const prod = createGovernanceApp({
    context: { ...cdkJson.context, stage: 'prod', stages: { prod: PROD }, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  apps = [
    { stage: 'dev', built: devGovernanceApp() },
    { stage: 'prod', built: prod },
  ];
}, 120_000);

const stacksOf = (built: GovernanceApp) => built.app.node.children.filter((child) => child instanceof Stack);
const resourcesOf = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources ?? {});

describe('stack headroom', () => {
  it(`keeps every stack of the dev and prod apps at ${MAX_RESOURCES} resources or fewer`, () => {
    const counts = apps.flatMap(({ built }) =>
      stacksOf(built).map((stack) => ({ stack: stack.stackName, resources: resourcesOf(stack).length })),
    );
    console.info(
      `resources per stack (limit ${MAX_RESOURCES}, CloudFormation's quota 500):\n${counts
        .map(({ stack, resources }) => `  ${stack.padEnd(32)} ${String(resources).padStart(4)}`)
        .join('\n')}`,
    );
    expect(counts.length).toBeGreaterThanOrEqual(6);
    for (const { stack, resources } of counts) expect(resources, stack).toBeLessThanOrEqual(MAX_RESOURCES);
  });

  it('deploys the workflows stack before the API stack, never the other way round', () => {
    for (const { stage, built } of apps) {
      expect(built.stateless.dependencies, stage).toContain(built.workflows);
      expect(built.stateless.dependencies, stage).toContain(built.stateful);
      expect(built.workflows.dependencies, stage).toContain(built.stateful);
      expect(built.workflows.dependencies, stage).not.toContain(built.stateless);
      expect(built.stateful.dependencies, stage).toEqual([]);
    }
  });

  it('gives no two stateless stacks the same logical id, so their resources can be read as one', () => {
    for (const { stage, built } of apps) {
      const workflows = new Set(resourcesOf(built.workflows));
      expect(
        resourcesOf(built.stateless).filter((id) => workflows.has(id)),
        stage,
      ).toEqual([]);
    }
  });
});
