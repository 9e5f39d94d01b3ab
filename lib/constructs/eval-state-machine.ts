// The eval-run state machine from statemachines/eval-run.asl.json: a Standard workflow whose four Task states
// invoke the eval task functions (functions/workflows/eval-tasks.ts, one function per task, told its task by
// EVAL_TASK; lib/constructs/workflow-state-machine.ts), with evidence in the evidence bucket, and a rule that closes
// the run of an execution that timed out or was aborted.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { GovernedFunction } from './governed-function.js';
import { WorkflowStateMachine } from './workflow-state-machine.js';

/**
 * The tasks of the definition: the EVAL_TASK each function runs, and the ARN placeholder its Task names. A batch of
 * the http executor (50 cases, timeouts and fallbacks per case) needs minutes, not the default minute.
 */
export const EVAL_TASK_FUNCTIONS = [
  {
    task: 'prepare',
    id: 'Prepare',
    placeholder: 'PrepareFunctionArn',
    suffix: 'prepare',
    timeout: Duration.seconds(30),
  },
  {
    task: 'executeBatch',
    id: 'ExecuteBatch',
    placeholder: 'ExecuteBatchFunctionArn',
    suffix: 'execute-batch',
    memorySize: 1024,
    timeout: Duration.minutes(5),
  },
  { task: 'aggregate', id: 'Aggregate', placeholder: 'AggregateFunctionArn', suffix: 'aggregate' },
  { task: 'recordFailure', id: 'RecordFailure', placeholder: 'RecordFailureFunctionArn', suffix: 'record-failure' },
] as const;

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
  /** Log each state's input and output (task tokens, comments): never in prod. */
  logExecutionData?: boolean;
  /** Where the failed-executions alarm notifies. */
  alarmTopic?: ITopic;
  /** The evidence bucket: batches write per-case evidence there, aggregation reads it. */
  evidenceBucket?: IBucket;
  /** Environment every task function gets (e.g. EVAL_ALLOWED_HOSTS of the http executor). */
  taskEnvironment?: Record<string, string>;
}

export class EvalStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly tasks: Map<string, GovernedFunction>;
  readonly failedAlarm: Alarm;
  /** Closes the run of an execution that timed out, was aborted or failed outside its Catch. */
  readonly closer: GovernedFunction;
  readonly closerDeadLetters: Queue;

  constructor(scope: Construct, id: string, props: EvalStateMachineProps) {
    super(scope, id);
    const workflow = new WorkflowStateMachine(this, 'Workflow', {
      prefix: props.prefix,
      workflow: 'eval-run',
      short: 'eval',
      entry: 'functions/workflows/eval-tasks.ts',
      taskVariable: 'EVAL_TASK',
      tasks: EVAL_TASK_FUNCTIONS,
      numbers: {
        MaxConcurrency: props.maxConcurrency ?? 4,
        RetryIntervalSeconds: props.retryIntervalSeconds ?? 2,
        RunTimeoutSeconds: (props.runTimeout ?? Duration.hours(1)).toSeconds(),
      },
      table: props.table,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      logExecutionData: props.logExecutionData ?? false,
      ...(props.taskEnvironment ? { taskEnvironment: props.taskEnvironment } : {}),
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      failedMeaning:
        'An eval-run execution failed, timed out or was aborted: the run is recorded as error; read the execution history.',
    });
    this.stateMachine = workflow.stateMachine;
    this.tasks = workflow.tasks;
    this.failedAlarm = workflow.failedAlarm;
    if (props.evidenceBucket) {
      for (const fn of this.tasks.values()) fn.bindEvidence(props.evidenceBucket, 'readwrite');
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
