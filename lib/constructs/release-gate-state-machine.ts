// The release-gate state machine from statemachines/release-gate.asl.json: per approval round, open the round, wait
// for each required decision with a task token (lambda:invoke.waitForTaskToken; the approvals function answers with
// SendTaskSuccess or SendTaskFailure), settle, or expire the round when the wait times out. The task functions are
// functions/workflows/gate-tasks.ts, one per task, told their task by GATE_TASK.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeMatching } from '../nag.js';
import type { GovernedFunction } from './governed-function.js';
import { ScheduledFunction } from './scheduled-function.js';
import { WorkflowStateMachine } from './workflow-state-machine.js';

/** The tasks of the definition: the GATE_TASK each function runs, and the ARN placeholder its Task names. */
export const GATE_TASK_FUNCTIONS = [
  { task: 'openRound', id: 'OpenRound', placeholder: 'OpenRoundFunctionArn', suffix: 'open-round' },
  { task: 'awaitDecision', id: 'AwaitDecision', placeholder: 'AwaitDecisionFunctionArn', suffix: 'await-decision' },
  { task: 'settle', id: 'Settle', placeholder: 'SettleFunctionArn', suffix: 'settle' },
  { task: 'expire', id: 'Expire', placeholder: 'ExpireFunctionArn', suffix: 'expire' },
  { task: 'recordFailure', id: 'RecordFailure', placeholder: 'RecordFailureFunctionArn', suffix: 'record-failure' },
] as const;

export interface ReleaseGateStateMachineProps {
  prefix: string;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** How long each wait for a decision lasts before the round expires (the definition's TimeoutSecondsPath). */
  approvalTimeout: Duration;
  /** First retry interval of a failed task (doubles per attempt). */
  retryIntervalSeconds?: number;
  /** Log each state's input and output (task tokens, comments): never in prod. */
  logExecutionData?: boolean;
  alarmTopic?: ITopic;
  /** How often open rounds without a live gate are given one (default hourly). */
  resumeSchedule?: string;
}

export class ReleaseGateStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly tasks: Map<string, GovernedFunction>;
  readonly failedAlarm: Alarm;
  readonly resume: ScheduledFunction;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: ReleaseGateStateMachineProps) {
    super(scope, id);
    this.prefix = props.prefix;
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      prefix: props.prefix,
      workflow: 'release-gate',
      short: 'gate',
      entry: 'functions/workflows/gate-tasks.ts',
      taskVariable: 'GATE_TASK',
      tasks: GATE_TASK_FUNCTIONS.map((spec) => ({ ...spec, timeout: Duration.seconds(30) })),
      numbers: { RetryIntervalSeconds: props.retryIntervalSeconds ?? 2 },
      table: props.table,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      logExecutionData: props.logExecutionData ?? false,
      taskEnvironment: { APPROVAL_TIMEOUT_SECONDS: String(props.approvalTimeout.toSeconds()) },
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      failedMeaning:
        'A release-gate execution failed: the reason is in the candidate audit trail; approvals already given stand ' +
        '(DynamoDB holds them) and the gate can be opened again by requesting approval.',
    });
    this.stateMachine = workflow.stateMachine;
    this.tasks = workflow.tasks;
    this.failedAlarm = workflow.failedAlarm;

    // A wait that finds its approval already decided (a retry, a lost callback) completes itself with its own
    // token. The ARN is built from the name: naming the state machine resource would make the function depend on
    // the machine that depends on the function.
    const machineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: `${props.prefix}-release-gate`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    (this.tasks.get('awaitDecision') as GovernedFunction).role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'AnswerOwnWait',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [machineArn],
      }),
    );

    // Repairs in AWS what a restart repairs locally: an open round whose gate failed to start gets one.
    this.resume = new ScheduledFunction(this, 'Resume', {
      prefix: props.prefix,
      name: 'gate-resume',
      entry: 'functions/workflows/gate-resume-task.ts',
      description: 'Starts the release gate of every open approval round that has none (idempotent by name)',
      expression: props.resumeSchedule ?? 'rate(1 hour)',
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      environment: { RELEASE_GATE_STATE_MACHINE_ARN: machineArn },
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      errorMeaning: 'An open approval round could not get a release gate: it will not expire on time; read the logs.',
    });
    this.resume.fn.bindTable(props.table, 'read');
    this.resume.fn.role.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'StartGates', actions: ['states:StartExecution'], resources: [machineArn] }),
    );
    this.grantReadAttempts(this.resume.fn.role);
  }

  /**
   * Lets a starter of gates read its attempts: a closed attempt keeps its name for 90 days, so the start reads its
   * status to restart a failed gate under the next attempt's name (functions/workflows/gate-attempts.ts).
   */
  grantReadAttempts(role: Role): void {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ReadGateAttempts',
        actions: ['states:DescribeExecution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${this.prefix}-release-gate:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    acknowledgeMatching(
      role,
      /^AwsSolutions-IAM5\[Resource::.+:execution:.+-release-gate:\*\]$/,
      'Gate executions are named per candidate, round and attempt as rounds open, so the read names the executions ' +
        'of this one state machine: DescribeExecution only.',
    );
  }
}
