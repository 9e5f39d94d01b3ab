// Headroom under CloudFormation's quota of 500 resources per stack ("AWS CloudFormation quotas",
// docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html): every stack of the dev and
// prod apps stays at 450 or fewer, so the next issues have room without a split in a hurry (ADR 0019). The counts
// are printed on every run.
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceApp } from '../../lib/app.js';
import { devGovernanceApp, prodGovernanceApp } from '../support/dev-app.js';

const MAX_RESOURCES = 450;

let apps: { stage: string; built: GovernanceApp }[];
let counts: { stack: string; resources: number }[];

beforeAll(() => {
  apps = [
    { stage: 'dev', built: devGovernanceApp() },
    // With alert mail, notifications and its own web ACL: the options that add resources.
    { stage: 'prod', built: prodGovernanceApp() },
  ];
  counts = apps.flatMap(({ built }) =>
    stacksOf(built).map((stack) => ({ stack: stack.stackName, resources: resourcesOf(stack).length })),
  );
}, 240_000);

const stacksOf = (built: GovernanceApp) => built.app.node.children.filter((child) => child instanceof Stack);
const resourcesOf = (stack: Stack) => Object.keys(Template.fromStack(stack).toJSON().Resources ?? {});

describe('stack headroom', () => {
  it(`keeps every stack of the dev and prod apps at ${MAX_RESOURCES} resources or fewer`, () => {
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
