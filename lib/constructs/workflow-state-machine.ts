// A Standard state machine from an ASL file in statemachines/ whose Task states invoke one function per task, all
// bundled from one handler file that is told its task by an environment variable (EVAL_TASK, GATE_TASK): every
// state logged (with execution data outside prod), X-Ray tracing, a role that may invoke exactly those functions,
// and alarms on failed, timed-out and aborted executions. The eval-run and release-gate constructs are this with
// their own tasks and extras.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { GovernedFunction, PROJECT_ROOT } from './governed-function.js';

/** One task of a definition: the task name its function runs, and the ARN placeholder its Task names. */
interface WorkflowTask {
  task: string;
  /** Construct id of the task's function. */
  id: string;
  placeholder: string;
  /** Function name suffix, after `<prefix>-<workflow>-`. */
  suffix: string;
  memorySize?: number;
  timeout?: Duration;
}

/**
 * Resolves the numeric placeholders (`"${MaxConcurrency}"`, written quoted so the file stays JSON) to numbers at
 * synth time: CloudFormation's DefinitionSubstitutions substitute text inside strings only. The ARN placeholders
 * are left for DefinitionSubstitutions. local/step-functions.ts substitutes the same way.
 */
function resolveNumericPlaceholders(text: string, numbers: Record<string, number>): string {
  return text.replace(/"\$\{(\w+)\}"/g, (whole, name: string) => {
    const value = numbers[name];
    return value === undefined ? whole : String(value);
  });
}

export interface WorkflowStateMachineProps {
  prefix: string;
  /** The workflow's name: `eval-run`, `release-gate`; the ASL file is statemachines/<name>.asl.json. */
  workflow: string;
  /** Short form used in function names and descriptions: `eval`, `gate`. */
  short: string;
  /** The handler file of every task, relative to the repository root. */
  entry: string;
  /** The environment variable that tells a function its task. */
  taskVariable: string;
  tasks: readonly WorkflowTask[];
  numbers: Record<string, number>;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Environment every task function gets. */
  taskEnvironment?: Record<string, string>;
  /** Where the failed-executions alarm notifies. */
  alarmTopic?: ITopic;
  /** Says in words what a failed execution means for the governed object, for the alarm's description. */
  failedMeaning: string;
  /**
   * Whether the state machine's log carries each state's input and output. Off in prod: they hold task tokens and
   * reviewers' comments, which the log's readers must not see (issue 14, X5). Default off.
   */
  logExecutionData?: boolean;
}

export class WorkflowStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly tasks = new Map<string, GovernedFunction>();
  readonly failedAlarm: Alarm;
  /** Executions that ran past their TimeoutSeconds, and executions stopped by StopExecution or a redeploy. */
  readonly timedOutAlarm: Alarm;
  readonly abortedAlarm: Alarm;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    const definitionFile = join(PROJECT_ROOT, 'statemachines', `${props.workflow}.asl.json`);
    for (const spec of props.tasks) {
      const fn = new GovernedFunction(this, spec.id, {
        entry: props.entry,
        description: `${props.workflow} task ${spec.task} (statemachines/${props.workflow}.asl.json)`,
        serviceName: `${props.short}-${spec.suffix}`,
        functionName: `${props.prefix}-${props.short}-${spec.suffix}`,
        logRetention: props.logRetention,
        logLevel: props.logLevel,
        environment: { [props.taskVariable]: spec.task, ...props.taskEnvironment },
        memorySize: spec.memorySize ?? 512,
        timeout: spec.timeout ?? Duration.seconds(60),
      });
      fn.bindTable(props.table, 'readwrite');
      this.tasks.set(spec.task, fn);
    }

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.prefix}-${props.workflow}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const definition = resolveNumericPlaceholders(readFileSync(definitionFile, 'utf8'), props.numbers);
    const functionOf = (task: string) => this.tasks.get(task) as GovernedFunction;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.prefix}-${props.workflow}`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: Object.fromEntries(
        props.tasks.map((spec) => [spec.placeholder, functionOf(spec.task).lambda.functionArn]),
      ),
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: props.logExecutionData ?? false },
      tracingEnabled: true,
    });
    // The definition comes from a file, so CDK cannot derive the grants: invoke exactly the task functions.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        sid: `Invoke${props.short[0]?.toUpperCase()}${props.short.slice(1)}Tasks`,
        actions: ['lambda:InvokeFunction'],
        resources: props.tasks.map((spec) => functionOf(spec.task).lambda.functionArn),
      }),
    );
    acknowledge(this.stateMachine, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions log delivery (logs:CreateLogDelivery and related) and X-Ray (PutTraceSegments, ' +
          'GetSamplingRules) support no resource-level permissions; the only other statement names the task ' +
          'functions.',
      },
    ]);

    // An execution can end badly in three ways, each its own CloudWatch metric: failed, timed out, aborted.
    const closedAlarm = (alarmId: string, suffix: string, metric: Metric, meaning: string) => {
      const alarm = new Alarm(this, alarmId, {
        alarmName: `${props.prefix}-${props.workflow}-executions-${suffix}`,
        alarmDescription: meaning,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic) {
        alarm.addAlarmAction(new SnsAction(props.alarmTopic));
        alarm.addOkAction(new SnsAction(props.alarmTopic));
      }
      return alarm;
    };
    const every5Minutes = { period: Duration.minutes(5), statistic: 'Sum' } as const;
    this.failedAlarm = closedAlarm(
      'ExecutionsFailed',
      'failed',
      this.stateMachine.metricFailed(every5Minutes),
      props.failedMeaning,
    );
    this.timedOutAlarm = closedAlarm(
      'ExecutionsTimedOut',
      'timed-out',
      this.stateMachine.metricTimedOut(every5Minutes),
      `A ${props.workflow} execution ran past its timeout. ${props.failedMeaning}`,
    );
    this.abortedAlarm = closedAlarm(
      'ExecutionsAborted',
      'aborted',
      this.stateMachine.metricAborted(every5Minutes),
      `A ${props.workflow} execution was stopped (StopExecution or a redeploy). ${props.failedMeaning}`,
    );
  }
}
