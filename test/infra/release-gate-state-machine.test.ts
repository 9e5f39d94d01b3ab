// The release-gate state machine construct: statemachines/release-gate.asl.json with its placeholders resolved to
// the five gate task functions, the approval timeout handed to the tasks, logged and traced, invoking only its own
// functions, and nothing left unacknowledged by cdk-nag.
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GATE_TASK_FUNCTIONS, ReleaseGateStateMachine } from '../../lib/constructs/release-gate-state-machine.js';
import { applyNagPacks, nagPacks } from '../../lib/nag.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let app: App;
let template: Template;

beforeAll(() => {
  app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'GateTest', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new TableV2(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  new ReleaseGateStateMachine(stack, 'ReleaseGate', {
    prefix: 'governance-test',
    table,
    logRetention: RetentionDays.ONE_MONTH,
    logLevel: 'INFO',
    approvalTimeout: Duration.days(7),
  });
  template = Template.fromStack(stack);
  applyNagPacks(app);
});

function gateFunctions(): Map<string, string> {
  const found = new Map<string, string>();
  for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const env = (fn.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
    if (env?.GATE_TASK) found.set(env.GATE_TASK, id);
  }
  return found;
}

describe('the release-gate state machine construct', () => {
  it('creates one function per gate task, each told the approval timeout in seconds', () => {
    const tasks = gateFunctions();
    expect([...tasks.keys()].sort()).toEqual(['awaitDecision', 'expire', 'openRound', 'recordFailure', 'settle']);
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function') as Resources)) {
      const env = (fn.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables;
      if (env?.GATE_TASK) expect(env.APPROVAL_TIMEOUT_SECONDS).toBe(String(7 * 24 * 3600));
    }
  });

  it('is a Standard, logged, traced state machine whose substitutions name the task functions', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine') as Resources);
    expect(machines).toHaveLength(1);
    const props = machines[0]?.Properties as Record<string, unknown>;
    expect(props.StateMachineType).toBe('STANDARD');
    expect(props.StateMachineName).toBe('governance-test-release-gate');
    // Execution data (task tokens, comments) stays out of the log unless the stage asks for it (dev does).
    expect(props.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    expect(props.TracingConfiguration).toEqual({ Enabled: true });
    const tasks = gateFunctions();
    expect(props.DefinitionSubstitutions).toEqual(
      Object.fromEntries(
        GATE_TASK_FUNCTIONS.map((spec) => [spec.placeholder, { 'Fn::GetAtt': [tasks.get(spec.task), 'Arn'] }]),
      ),
    );
    const definition = JSON.parse(props.DefinitionString as string) as {
      States: Record<string, { ItemProcessor?: { States: Record<string, Record<string, unknown>> } }>;
    };
    const wait = definition.States.AwaitDecisions?.ItemProcessor?.States.AwaitDecision;
    expect(wait?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait?.TimeoutSecondsPath).toBe('$.Payload.timeoutSeconds');
    expect(props.DefinitionString).not.toContain('RetryIntervalSeconds');
  });

  it('lets the state machine invoke its five task functions and no other', () => {
    const machineRole = Object.entries(template.findResources('AWS::IAM::Role') as Resources).find(([, role]) =>
      JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com'),
    )?.[0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy') as Resources)
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: machineRole }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(statements).toHaveLength(1);
    const tasks = gateFunctions();
    expect(statements[0]?.Resource).toEqual(
      GATE_TASK_FUNCTIONS.map((spec) => ({ 'Fn::GetAtt': [tasks.get(spec.task), 'Arn'] })),
    );
  });

  it('leaves no unacknowledged cdk-nag finding', () => {
    const findings = nagPacks(app).flatMap((pack) =>
      pack
        .validateScope(app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
    );
    expect(findings.filter((f) => f.includes('/ReleaseGate/'))).toEqual([]);
  });

  it('lets the waiting task answer its own wait, and an hourly schedule start the gates of open rounds', () => {
    const byRole = (fnId: string) => {
      const fn = (template.findResources('AWS::Lambda::Function') as Resources)[fnId];
      const role = (fn?.Properties.Role as { 'Fn::GetAtt': string[] } | undefined)?.['Fn::GetAtt'][0];
      expect(role, fnId).toBeDefined();
      return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
        .filter((s) => [s.Action].flat().some((a) => String(a).startsWith('states:')));
    };
    const awaiting = byRole(gateFunctions().get('awaitDecision') as string);
    expect(awaiting.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
    expect(JSON.stringify(awaiting[0]?.Resource)).toContain(':stateMachine:governance-test-release-gate');
    for (const task of ['openRound', 'settle', 'expire', 'recordFailure']) {
      expect(byRole(gateFunctions().get(task) as string), task).toEqual([]);
    }
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'governance-test-gate-resume',
      ScheduleExpression: 'rate(1 hour)',
    });
    const resumeFn = Object.entries(template.findResources('AWS::Lambda::Function') as Resources).find(
      ([, fn]) => fn.Properties.FunctionName === 'governance-test-gate-resume',
    )?.[0] as string;
    const resume = byRole(resumeFn);
    expect(resume.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    // A failed gate's name stays taken: the resume reads the attempts' statuses, on this machine's executions only.
    const describe = resume.find((s) => [s.Action].flat().includes('states:DescribeExecution'));
    expect(JSON.stringify(describe?.Resource)).toContain(':execution:governance-test-release-gate:*');
  });
});
