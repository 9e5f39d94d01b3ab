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
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
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
  /** The evidence bucket: batches write per-case evidence there, aggregation reads it. */
  evidenceBucket?: IBucket;
  /** Environment every task function gets (e.g. EVAL_ALLOWED_HOSTS of the http executor). */
  taskEnvironment?: Record<string, string>;
}

export class EvalStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly tasks = new Map<string, GovernedFunction>();
  readonly failedAlarm: Alarm;
  /** Closes the run of an execution that timed out, was aborted or failed outside its Catch. */
  readonly closer: GovernedFunction;
  readonly closerDeadLetters: Queue;

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
        environment: { EVAL_TASK: spec.task, ...props.taskEnvironment },
        memorySize: spec.task === 'executeBatch' ? 1024 : 512,
        timeout: Duration.seconds(spec.task === 'prepare' ? 30 : 60),
      });
      fn.bindTable(props.table, 'readwrite');
      if (props.evidenceBucket) fn.bindEvidence(props.evidenceBucket, 'readwrite');
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

    // A run-level timeout (TimeoutSeconds) or an abort ends the execution without its Catch: the status change
    // event closes the run as error (functions/workflows/execution-closed.ts), so no run stays running forever.
    this.closerDeadLetters = new Queue(this, 'CloserDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.closerDeadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the run-closing function.' },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; there is nowhere further to redrive to.',
      },
    ]);
    this.closer = new GovernedFunction(this, 'CloseRun', {
      entry: 'functions/workflows/execution-closed.ts',
      description: 'Records an eval run as error when its execution timed out, was aborted or failed uncaught',
      serviceName: 'eval-close-run',
      functionName: `${props.prefix}-eval-close-run`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      memorySize: 256,
      timeout: Duration.seconds(30),
      deadLetterQueue: this.closerDeadLetters,
    });
    this.closer.bindTable(props.table, 'readwrite');
    new Rule(this, 'ExecutionEnded', {
      description: 'Eval-run executions that ended FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: [
        new LambdaFunction(this.closer.lambda, {
          deadLetterQueue: this.closerDeadLetters,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });
    const deadLetters = new Alarm(this, 'CloserDeadLettersVisible', {
      alarmName: `${props.prefix}-eval-close-run-dead-letters`,
      alarmDescription:
        'A finished eval-run execution could not be recorded on its run: the run may show running; see the queue.',
      metric: this.closerDeadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) deadLetters.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}
