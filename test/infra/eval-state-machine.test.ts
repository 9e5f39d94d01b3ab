// The eval-run state machine construct: the definition of statemachines/eval-run.asl.json with its placeholders
// resolved to the task functions, Standard, logged and traced, a role that invokes only those functions, an alarm.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, it } from 'vitest';
import { EVAL_TASK_FUNCTIONS, EvalStateMachine } from '../../lib/constructs/eval-state-machine.js';
import { applyNagPacks, nagPacks } from '../../lib/nag.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: App;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'EvalTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const topic = new Topic(stack, 'Alerts', { enforceSSL: true });
  // A control: an unlogged bucket is flagged, so the check below is live.
  new Bucket(stack, 'Unlogged', { enforceSSL: true });
  new EvalStateMachine(stack, 'EvalRun', {
    prefix: 'governance-test',
    table,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    maxConcurrency: 6,
    retryIntervalSeconds: 3,
    alarmTopic: topic,
    evidenceBucket: new Bucket(stack, 'Evidence', {
      enforceSSL: true,
      serverAccessLogsBucket: new Bucket(stack, 'EvidenceLogs', { enforceSSL: true }),
    }),
  });
  template = Template.fromStack(stack);
  // Resolves the pattern acknowledgements (the evidence grant's runs/* resource) as the app does; after the
  // template, so that the control bucket below does not fail its synthesis.
  applyNagPacks(app);
});

function taskFunctions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const env = (fn.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    if (env?.EVAL_TASK) found.set(env.EVAL_TASK, id);
  }
  return found;
}

describe('the eval-run state machine construct', () => {
  it('creates one task function per Task, each with read-write access to the table', () => {
    const tasks = taskFunctions();
    expect([...tasks.keys()].sort()).toEqual(['aggregate', 'executeBatch', 'prepare', 'recordFailure']);
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources);
    const readWrite = policies.filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('ReadWriteGovernanceTable'),
    );
    // The four tasks and the function that closes runs whose execution ended uncaught.
    expect(readWrite).toHaveLength(5);
  });

  it('closes runs of executions that failed, timed out or were aborted, through a rule with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
    });
    const rules = Object.values(template.findResources('AWS::Events::Rule') as Resources);
    const targets = rules[0]?.Properties.Targets as { Arn: unknown; DeadLetterConfig?: unknown }[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.DeadLetterConfig).toBeDefined();
    expect(JSON.stringify(targets[0]?.Arn)).toContain('CloseRun');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      DeadLetterConfig: {},
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'eval-close-run' } },
    });
  });

  it('lets the tasks read and write evidence under runs/ only, never delete, and tells them the bucket', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources);
    const evidence = policies.filter((p) => JSON.stringify(p.Properties.PolicyDocument).includes('ReadWriteEvidence'));
    expect(evidence).toHaveLength(4);
    for (const policy of evidence) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      expect(text).toContain('/runs/*');
      expect(text).not.toMatch(/s3:Delete|s3:\*/);
    }
    const withBucket = Object.values(template.findResources('AWS::Lambda::Function') as Resources).filter(
      (fn) => (fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.EVIDENCE_BUCKET,
    );
    expect(withBucket).toHaveLength(4);
  });

  it('is a Standard state machine whose definition substitutions resolve to the task functions', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Resources);
    expect(machines).toHaveLength(1);
    const props = machines[0]?.Properties as Record<string, unknown>;
    expect(props.StateMachineType).toBe('STANDARD');
    const tasks = taskFunctions();
    expect(props.DefinitionSubstitutions).toEqual(
      Object.fromEntries(
        EVAL_TASK_FUNCTIONS.map((spec) => [spec.placeholder, { 'Fn::GetAtt': [tasks.get(spec.task), 'Arn'] }]),
      ),
    );
    const definition = JSON.parse(props.DefinitionString as string) as {
      TimeoutSeconds: number;
      States: Record<
        string,
        { MaxConcurrencyPath?: string; Resource?: string; Parameters?: { limits?: Record<string, number> } }
      >;
    };
    expect(definition.TimeoutSeconds).toBe(3600);
    // The stage's settings are ceilings handed to Prepare, which sizes each run within them.
    expect(definition.States.Prepare?.Parameters?.limits).toEqual({ maxConcurrency: 6, runTimeoutSeconds: 3600 });
    expect(definition.States.ExecuteBatches?.MaxConcurrencyPath).toBe('$.maxConcurrency');
    expect(definition.States.Prepare?.Resource).toBe(`\${PrepareFunctionArn}`);
    expect(props.DefinitionString).toContain('"IntervalSeconds": 3');
  });

  it('logs every state, without execution data unless asked, and traces with X-Ray', () => {
    const props = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Resources)[0]
      ?.Properties as Record<string, unknown>;
    // Execution data (task tokens, comments) stays out of the log unless the stage asks for it (dev does).
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
  });

  it('lets the state machine role invoke only the four task functions', () => {
    const roleId = Object.entries(template.findResources('AWS::IAM::Role') as Resources).find(([, role]) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com'),
    )?.[0];
    expect(roleId).toBeDefined();
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    const invoking = statements.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('lambda:')));
    expect(invoking).toHaveLength(1);
    expect(invoking[0]?.Action).toBe('lambda:InvokeFunction');
    const tasks = taskFunctions();
    expect(invoking[0]?.Resource).toEqual(
      EVAL_TASK_FUNCTIONS.map((spec) => ({ 'Fn::GetAtt': [tasks.get(spec.task), 'Arn'] })),
    );
    for (const s of statements) {
      const actions = [s.Action].flat().map(String);
      expect(actions.every((a) => a.startsWith('lambda:') || a.startsWith('logs:') || a.startsWith('xray:'))).toBe(
        true,
      );
    }
  });

  it('alarms on failed executions, notifying the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Threshold: 1,
      AlarmActions: [{ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] }],
    });
  });

  it('leaves no unacknowledged cdk-nag finding on the state machine or its functions', () => {
    const findings = nagPacks(app).flatMap((pack) =>
      pack
        .validateScope(app)
        .violations.flatMap((violation) =>
          violation.violatingResources.map((resource) => `${violation.ruleName} ${resource.constructPath}`),
        ),
    );
    expect(findings.some((f) => f.startsWith('AwsSolutions-S1 '))).toBe(true);
    expect(findings.filter((f) => f.includes('/EvalRun/'))).toEqual([]);
  });
});
