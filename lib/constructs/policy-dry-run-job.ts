// The policy dry run job (ADR 0027): a function that an EventBridge rule on the account's default bus starts on each
// PolicyDryRunRequested event, put by POST /api/policy-dry-runs or by the job itself to continue where an
// invocation stopped (functions/workflows/policy-dry-run-task.ts). It reads the table and writes only its own
// PDR# items; events that failed every retry, and invocations that did, land in one dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { functionErrorsAlarm, messagesVisibleAlarm } from './alarms.js';
import { GovernedFunction } from './governed-function.js';

/** The request event (functions/workflows/policy-dry-run.ts; lib does not import handlers). */
const POLICY_DRY_RUN_REQUEST = { source: 'governance.policy', detailType: 'PolicyDryRunRequested' };

/** The bus the requests travel on; its name is what the API and the job put to (POLICY_DRY_RUN_BUS). */
const BUS_NAME = 'default';

export interface PolicyDryRunJobProps {
  prefix: string;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  alarmTopic?: ITopic;
}

export class PolicyDryRunJob extends Construct {
  readonly fn: GovernedFunction;
  readonly deadLetters: Queue;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: PolicyDryRunJobProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the policy dry run job.' },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; a dry run is started again, not redriven.',
      },
    ]);
    this.fn = new GovernedFunction(this, 'Function', {
      entry: 'functions/workflows/policy-dry-run-task.ts',
      description: 'Judges every open candidate and active release under a draft policy (a policy dry run)',
      serviceName: 'policy-dry-run',
      functionName: `${props.prefix}-policy-dry-run`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      // A step is a page of systems; the job stops stepping a minute before this and continues in a new invocation.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      deadLetterQueue: this.deadLetters,
      environment: { POLICY_DRY_RUN_BUS: BUS_NAME },
    });
    this.fn.bindTable(props.table, 'readwrite');
    this.grantStart(this.fn, 'ContinuePolicyDryRun');

    this.rule = new Rule(this, 'Requested', {
      description: 'A policy dry run asked for by POST /api/policy-dry-runs, or continued by the job itself',
      eventPattern: { source: [POLICY_DRY_RUN_REQUEST.source], detailType: [POLICY_DRY_RUN_REQUEST.detailType] },
      targets: [new LambdaFunction(this.fn.lambda, { retryAttempts: 2, deadLetterQueue: this.deadLetters })],
    });

    const alarms = [
      functionErrorsAlarm(
        this,
        'Errors',
        this.fn.lambda,
        `${props.prefix}-policy-dry-run-errors`,
        'A policy dry run invocation failed outside the job: the dry run may stay running until it expires; read the logs.',
      ),
      messagesVisibleAlarm(
        this,
        'DeadLettersVisible',
        this.deadLetters,
        `${props.prefix}-policy-dry-run-dead-letters`,
        'A policy dry run request could not be delivered or failed every retry; see the dead-letter queue.',
      ),
    ];
    if (props.alarmTopic) for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /** Lets `fn` put request events on the bus (POLICY_DRY_RUN_BUS): the API's start, the job's continuation. */
  grantStart(fn: GovernedFunction, sid = 'StartPolicyDryRun'): void {
    const bus = EventBus.fromEventBusName(this, `Bus${fn.node.id}${sid}`, BUS_NAME);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid,
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': POLICY_DRY_RUN_REQUEST.source } },
      }),
    );
    fn.lambda.addEnvironment('POLICY_DRY_RUN_BUS', BUS_NAME);
  }
}
