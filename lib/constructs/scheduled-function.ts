// A function that EventBridge Scheduler runs on a schedule (monitoring passes, audit reconciliation): the
// schedule invokes it asynchronously with a retry policy, events it could not deliver and invocations that failed
// every retry land in one dead-letter queue, and alarms tell the operators about errors and dead letters.
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { functionErrorsAlarm, messagesVisibleAlarm } from './alarms.js';
import { GovernedFunction } from './governed-function.js';

export interface ScheduledFunctionProps {
  prefix: string;
  /** Name suffix of the function and schedule: `monitor`, `audit-reconcile`. */
  name: string;
  entry: string;
  description: string;
  /** An EventBridge Scheduler expression: `rate(1 day)`, `cron(0 5 * * ? *)`. */
  expression: string;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  alarmTopic?: ITopic;
  /** What an error of this function means, for the alarm's description. */
  errorMeaning: string;
}

export class ScheduledFunction extends Construct {
  readonly fn: GovernedFunction;
  readonly schedule: Schedule;
  readonly deadLetters: Queue;
  readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: `This queue is itself the dead-letter queue of the ${props.name} schedule.` },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; there is nowhere further to redrive to.',
      },
    ]);
    this.fn = new GovernedFunction(this, 'Function', {
      entry: props.entry,
      description: props.description,
      serviceName: props.name,
      functionName: `${props.prefix}-${props.name}`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 512,
      deadLetterQueue: this.deadLetters,
      ...(props.environment ? { environment: props.environment } : {}),
    });
    // Our own role (not the stack-wide one the target would create), so the acknowledgement below covers only it.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `EventBridge Scheduler invokes ${props.prefix}-${props.name}`,
    });
    acknowledge(schedulerRole, [
      {
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.fn.lambda.node.defaultChild as CfnElement)}.Arn>:*]`,
        reason:
          "The scheduler target's grantInvoke also names the function's versions and aliases (<arn>:*); it may " +
          'invoke this one function and send to its dead-letter queue, nothing else.',
      },
    ]);
    this.schedule = new Schedule(this, 'Schedule', {
      scheduleName: `${props.prefix}-${props.name}`,
      description: props.description,
      schedule: ScheduleExpression.expression(props.expression),
      target: new LambdaInvoke(this.fn.lambda, {
        role: schedulerRole,
        deadLetterQueue: this.deadLetters,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });

    this.errorsAlarm = functionErrorsAlarm(
      this,
      'Errors',
      this.fn.lambda,
      `${props.prefix}-${props.name}-errors`,
      props.errorMeaning,
    );
    const deadLettersAlarm = messagesVisibleAlarm(
      this,
      'DeadLettersVisible',
      this.deadLetters,
      `${props.prefix}-${props.name}-dead-letters`,
      `A ${props.name} run could not be delivered or failed every retry; see the dead-letter queue.`,
    );
    if (props.alarmTopic) {
      this.errorsAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
      deadLettersAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
    }
  }
}
