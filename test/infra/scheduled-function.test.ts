// A scheduled function (monitoring, audit reconciliation): EventBridge Scheduler invokes it with retries and a
// dead-letter queue under a role of its own that may invoke only it; errors and dead letters alarm.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { ScheduledFunction } from '../../lib/constructs/scheduled-function.js';
import { nagPacks } from '../../lib/nag.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: App;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'ScheduleTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  new ScheduledFunction(stack, 'Monitoring', {
    prefix: 'governance-test',
    name: 'monitor',
    entry: 'functions/workflows/monitor-task.ts',
    description: 'Monitoring pass',
    expression: 'rate(1 day)',
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    alarmTopic: new Topic(stack, 'Alerts', { enforceSSL: true }),
    errorMeaning: 'monitoring failed',
  });
  template = Template.fromStack(stack);
});

describe('a scheduled function', () => {
  it('is invoked by a schedule with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'governance-test-monitor',
      ScheduleExpression: 'rate(1 day)',
      Target: { RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 }, DeadLetterConfig: {} },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: {} });
  });

  it("lets the scheduler's own role invoke only this function and send only to its dead-letter queue", () => {
    const roles = Object.entries(template.findResources('AWS::IAM::Role') as Resources).filter(([, role]) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    );
    expect(roles).toHaveLength(1);
    const [roleId] = roles[0] as [string, unknown];
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });

  it('alarms on function errors and on dead letters', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).map(
      (a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`,
    );
    expect(metrics.sort()).toEqual(['AWS/Lambda/Errors', 'AWS/SQS/ApproximateNumberOfMessagesVisible']);
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const findings = nagPacks(app).flatMap((pack) =>
      pack
        .validateScope(app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
    );
    expect(findings).toEqual([]);
  });
});
