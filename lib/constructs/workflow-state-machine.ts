// A Standard state machine from an ASL file in statemachines/ whose Task states invoke one function per task, all
// bundled from one handler file that is told its task by an environment variable (EVAL_TASK, GATE_TASK): every
// state logged with execution data, X-Ray tracing, a role that may invoke exactly those functions, and an alarm on
// failed executions. The eval-run and release-gate constructs are this with their own tasks and extras.
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
}

export class WorkflowStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly tasks = new Map<string, GovernedFunction>();
  readonly failedAlarm: Alarm;

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
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
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

    this.failedAlarm = new Alarm(this, 'ExecutionsFailed', {
      alarmName: `${props.prefix}-${props.workflow}-executions-failed`,
      alarmDescription: props.failedMeaning,
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
