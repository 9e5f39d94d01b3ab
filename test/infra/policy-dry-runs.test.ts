// The policy dry run in the CDK app (ADR 0027): the API function of module policy-dry-runs may put only the request
// event on the default bus; a rule on that event starts the job function, which reads and writes the table, may put
// its own continuation, retries twice and dead-letters what still fails, with alarms on errors and dead letters.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { POLICY_DRY_RUN_DETAIL_TYPE, POLICY_DRY_RUN_SOURCE } from '../../functions/workflows/policy-dry-run.js';
import { devGovernanceApp } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let workflows: Resources;
let api: Resources;

beforeAll(() => {
  const built = devGovernanceApp();
  workflows = Template.fromStack(built.workflows).toJSON().Resources as Resources;
  api = Template.fromStack(built.stateless).toJSON().Resources as Resources;
}, 120_000);

const ofType = (resources: Resources, type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** The statements of the role policies whose role's logical id starts with `rolePrefix`. */
function statementsOfRole(resources: Resources, rolePrefix: string) {
  return ofType(resources, 'AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

describe('the policy dry run job in CDK', () => {
  it('starts the job function on the request event the API and the job put, with retries and a dead-letter queue', () => {
    // Prepare
    const [jobId, job] = ofType(workflows, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === 'governance-dev-policy-dry-run',
    ) ?? ['', { Properties: {} as Record<string, unknown> }];
    const rule = ofType(workflows, 'AWS::Events::Rule').find(([, r]) =>
      JSON.stringify(r.Properties.Targets).includes(jobId),
    )?.[1];

    // Assess
    expect(job.Properties.Timeout).toBe(900);
    expect(job.Properties.DeadLetterConfig).toBeDefined();
    expect(job.Properties.Environment).toMatchObject({
      Variables: expect.objectContaining({ POLICY_DRY_RUN_BUS: 'default', TABLE_NAME: expect.anything() }),
    });
    expect(rule?.Properties.EventPattern).toEqual({
      source: [POLICY_DRY_RUN_SOURCE],
      'detail-type': [POLICY_DRY_RUN_DETAIL_TYPE],
    });
    expect(rule?.Properties.Targets).toEqual([
      expect.objectContaining({ RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: expect.anything() }),
    ]);
  });

  it('lets the API function and the job put only the request event, on the default bus', () => {
    // Prepare
    const puts = [
      ...statementsOfRole(api, 'Apipolicydryruns'),
      ...statementsOfRole(workflows, 'PolicyDryRunsFunction'),
    ].filter((s) => s.Action === 'events:PutEvents');

    // Assess
    expect(puts.map((s) => s.Sid).sort()).toEqual(['ContinuePolicyDryRun', 'StartPolicyDryRun']);
    for (const statement of puts) {
      expect(statement.Condition).toEqual({ StringEquals: { 'events:source': POLICY_DRY_RUN_SOURCE } });
      expect(JSON.stringify(statement.Resource)).toContain(':event-bus/default');
    }
    const apiFunction = ofType(api, 'AWS::Lambda::Function').find(
      ([, r]) => r.Properties.FunctionName === 'governance-dev-api-policy-dry-runs',
    )?.[1];
    expect(apiFunction?.Properties.Environment).toMatchObject({
      Variables: expect.objectContaining({ POLICY_DRY_RUN_BUS: 'default' }),
    });
  });

  it('alarms on the job failing and on anything in its dead-letter queue', () => {
    // Prepare
    const names = ofType(workflows, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName);

    // Assess
    expect(names).toEqual(
      expect.arrayContaining(['governance-dev-policy-dry-run-errors', 'governance-dev-policy-dry-run-dead-letters']),
    );
  });
});
