// The dev (and prod) stage apps, synthesised once per worker and shared by the CDK assertion files that read them
// unchanged (the unit tier runs with `isolate: false`, so files of one worker share this module). A file that adds
// constructs, aspects or other context builds its own app.
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { createGovernanceApp, type GovernanceApp } from '../../lib/app.js';

let built: GovernanceApp | undefined;

/** The dev stage as `npm run synth` builds it, without bundling; callers must not change it. */
export function devGovernanceApp(): GovernanceApp {
  built ??= createGovernanceApp({
    context: { ...cdkJson.context, stage: 'dev', 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  return built;
}

let prod: GovernanceApp | undefined;

/**
 * The prod stage with the options that add resources (alert mail, notifications, its own web ACL with a per-IP
 * limit of 1,500), without bundling, shared like the dev app by the files that read it unchanged.
 */
export function prodGovernanceApp(): GovernanceApp {
  prod ??= createGovernanceApp({
    context: {
      ...cdkJson.context,
      stage: 'prod',
      stages: { prod: PROD_STAGE },
      'aws:cdk:bundling-stacks': [],
    },
    builtinCloudFormationValidation: false,
  });
  return prod;
}

const PROD_STAGE = {
  account: '123456789012',
  alarmEmail: 'governance-ops@example.com',
  notificationEmails: ['governance-team@example.com'],
  webAcl: { requestsPerIp: 1500 },
};

type Json = unknown;

/**
 * The two stateless stacks (workflows and API, ADR 0019) as one template, for assertions that span both: every
 * function, role and alarm of a stage. The API stack names the workflows stack's resources by weak cross-stack
 * references (`Fn::GetStackOutput` of an output `PublishOutputRef<logicalId><hash>`); each is read back as the
 * `{ Ref: <logicalId> }` it stands for, as if both were one stack. Logical ids of the two stacks never collide
 * (the test of stack headroom, test/infra/stack-headroom.test.ts, checks it).
 */
export function statelessSide(built: GovernanceApp): Template {
  const workflows = Template.fromStack(built.workflows).toJSON() as { Resources: Record<string, Json> };
  const api = Template.fromStack(built.stateless).toJSON() as { Resources: Record<string, Json> };
  const producer = built.workflows.stackName;
  const local = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(local);
    if (value === null || typeof value !== 'object') return value;
    const output = (value as Record<string, { StackName?: string; OutputName?: string }>)['Fn::GetStackOutput'];
    const ref =
      output?.StackName === producer ? /^PublishOutputRef(.+)[0-9A-F]{8}$/.exec(output.OutputName ?? '') : null;
    if (ref) return { Ref: ref[1] };
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, local(inner)]));
  };
  return Template.fromJSON({
    Resources: { ...workflows.Resources, ...(local(api.Resources) as Record<string, Json>) },
  });
}
