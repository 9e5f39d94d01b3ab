// The eval-run state machine from statemachines/eval-run.asl.json: a Standard workflow whose four Task states
// invoke the eval task functions (functions/workflows/eval-tasks.ts, one function per task, told its task by
// EVAL_TASK), with every state logged, X-Ray tracing, a role that may invoke those four functions and nothing else,
// and an alarm on failed executions.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { GovernedFunction, PROJECT_ROOT } from './governed-function.js';

/** The tasks of the definition: the EVAL_TASK each function runs, and the ARN placeholder its Task names. */
export const EVAL_TASK_FUNCTIONS = [
  { task: 'prepare', id: 'Prepare', placeholder: 'PrepareFunctionArn', suffix: 'prepare' },
  { task: 'executeBatch', id: 'ExecuteBatch', placeholder: 'ExecuteBatchFunctionArn', suffix: 'execute-batch' },
  { task: 'aggregate', id: 'Aggregate', placeholder: 'AggregateFunctionArn', suffix: 'aggregate' },
  { task: 'recordFailure', id: 'RecordFailure', placeholder: 'RecordFailureFunctionArn', suffix: 'record-failure' },
] as const;

export const EVAL_RUN_DEFINITION = join(PROJECT_ROOT, 'statemachines', 'eval-run.asl.json');

/**
 * Resolves the numeric placeholders (`"${MaxConcurrency}"`, written quoted so the file stays JSON) to numbers at
 * synth time: CloudFormation's DefinitionSubstitutions substitute text inside strings only. The ARN placeholders
 * are left for DefinitionSubstitutions. local/step-functions.ts substitutes the same way.
 */
export function resolveNumericPlaceholders(text: string, numbers: Record<string, number>): string {
  return text.replace(/"\$\{(\w+)\}"/g, (whole, name: string) => {
    const value = numbers[name];
    return value === undefined ? whole : String(value);
  });
}

export interface EvalStateMachineProps {
  prefix: string;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Batches scored at once by the Map state. */
  maxConcurrency?: number;
  /** First retry interval of a failed task (doubles per attempt). */
  retryIntervalSeconds?: number;
  /** The run-level timeout. */
  runTimeout?: Duration;
  /** Where the failed-executions alarm notifies. */
  alarmTopic?: ITopic;
}

export class EvalStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly tasks = new Map<string, GovernedFunction>();
  readonly failedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: EvalStateMachineProps) {
    super(scope, id);
    for (const spec of EVAL_TASK_FUNCTIONS) {
      const fn = new GovernedFunction(this, spec.id, {
        entry: 'functions/workflows/eval-tasks.ts',
        description: `Eval run task ${spec.task} (statemachines/eval-run.asl.json)`,
        serviceName: `eval-${spec.suffix}`,
        functionName: `${props.prefix}-eval-${spec.suffix}`,
        logRetention: props.logRetention,
        logLevel: props.logLevel,
        environment: { EVAL_TASK: spec.task },
        memorySize: spec.task === 'executeBatch' ? 1024 : 512,
        timeout: Duration.seconds(spec.task === 'prepare' ? 30 : 60),
      });
      fn.bindTable(props.table, 'readwrite');
      this.tasks.set(spec.task, fn);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.prefix}-eval-run`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const definition = resolveNumericPlaceholders(readFileSync(EVAL_RUN_DEFINITION, 'utf8'), {
      MaxConcurrency: props.maxConcurrency ?? 4,
      RetryIntervalSeconds: props.retryIntervalSeconds ?? 2,
      RunTimeoutSeconds: (props.runTimeout ?? Duration.hours(1)).toSeconds(),
    });
    const functionOf = (task: string) => this.tasks.get(task) as GovernedFunction;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.prefix}-eval-run`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(
        EVAL_TASK_FUNCTIONS.map((spec) => [spec.placeholder, functionOf(spec.task).lambda.functionArn]),
      ),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // The definition comes from a file, so CDK cannot derive the grants: invoke exactly the four task functions.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: 'InvokeEvalTasks',
        actions: ['lambda:InvokeFunction'],
        resources: EVAL_TASK_FUNCTIONS.map((spec) => functionOf(spec.task).lambda.functionArn),
      }),
    );
    acknowledge(this.stateMachine, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray (PutTraceSegments, ' +
          'GetSamplingRules) support no resource-level permissions; the only other statement names the four task ' +
          'functions.',
      },
    ]);

    this.failedAlarm = new Alarm(this, 'ExecutionsFailed', {
      alarmName: `${props.prefix}-eval-run-executions-failed`,
      alarmDescription:
        'An eval-run execution failed, timed out or was aborted: the run is recorded as error; read the execution history.',
      metric: this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) {
      this.failedAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
      this.failedAlarm.addOkAction(new SnsAction(props.alarmTopic));
    }
  }
}
