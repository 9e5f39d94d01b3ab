// Governance events in AWS (docs/events.md): a publisher Lambda on the table stream (audit items only, bisect,
// bounded retries, per-record failures, a dead-letter queue) puts each committed audit event on a custom EventBridge
// bus. Webhooks: a rule sends every governance event to an SQS queue, drained by the dispatcher Lambda (retries by
// the queue's redrive, a dead-letter queue, alarms). Notifications: a rule sends approval requests, rollback requests
// and incident events to a KMS-encrypted SNS topic (TLS only) with the configured e-mail subscriptions. Webhook
// signing secrets are sealed with a dedicated KMS key (ADR 0018): the webhooks API function may encrypt, the
// dispatcher encrypt and decrypt, and the key policy denies decryption to every other principal.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { functionErrorsAlarm, iteratorAgeAlarm, messagesVisibleAlarm } from './alarms.js';
import { subscribeToAuditStream } from './audit-stream.js';
import { GovernedFunction } from './governed-function.js';
import { SourceBoundKey } from './source-bound-key.js';

/** The `source` of governance events (functions/domain/events.ts EVENT_SOURCE; lib/ must not import it). */
export const GOVERNANCE_EVENT_SOURCE = 'governance.control-plane';

/** Event types mailed to the notification topic (functions/domain/events.ts NOTIFY_EVENT_TYPES; a test compares). */
export const NOTIFICATION_EVENT_TYPES = [
  'candidate.approval_requested',
  'release.rollback_requested',
  'incident.opened',
  'incident.updated',
  'incident.mitigating',
  'incident.resolved',
  'relaxation.requested',
] as const;

/** Event types the metric rollups count (functions/domain/rollups.ts ROLLUP_ACTIONS; a test compares). */
export const ROLLUP_EVENT_TYPES = [
  'release.promoted',
  'release.rolled_back',
  'eval_run.passed',
  'eval_run.failed',
  'release.promotion_refused',
  'incident.opened',
] as const;

export interface GovernanceEventsProps {
  prefix: string;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Hosts (`name` or `name:port`) webhooks may be delivered to; empty refuses every delivery. */
  webhookAllowedHosts: string[];
  /** E-mail addresses subscribed to approval-pending and incident notifications. */
  notificationEmails: string[];
  alarmTopic?: ITopic;
}

const DISPATCH_TIMEOUT = Duration.seconds(60);
/** Webhook secrets are sealed and opened only under a subscription's encryption context (ADR 0018). */
const UNDER_SUBSCRIPTION_CONTEXT = {
  StringEquals: { 'kms:EncryptionContext:purpose': 'webhook-signing-secret' },
  Null: { 'kms:EncryptionContext:webhookId': 'false' },
};
const MAX_RECEIVES = 5;
/** The rollup consumer's timeout: a batch of 10 events is seconds; a back-fill invocation runs until 60 s before it. */
const ROLLUP_TIMEOUT = Duration.minutes(15);

export class GovernanceEvents extends Construct {
  readonly bus: EventBus;
  readonly publisher: GovernedFunction;
  readonly publisherDeadLetters: Queue;
  readonly webhookQueue: Queue;
  readonly webhookDeadLetters: Queue;
  readonly dispatcher: GovernedFunction;
  readonly rollupQueue: Queue;
  readonly rollupDeadLetters: Queue;
  /** The metric rollup consumer (ADR 0043); invoked with {"backfill": true}, it back-fills from the audit chains. */
  readonly rollupConsumer: GovernedFunction;
  readonly notifications: Topic;
  readonly notificationKey: Key;
  readonly webhookSecretsKey: Key;
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: GovernanceEventsProps) {
    super(scope, id);
    this.prefix = props.prefix;
    this.bus = new EventBus(this, 'Bus', { eventBusName: `${props.prefix}-governance-events` });

    // The publisher: a second consumer of the table stream, beside the audit archiver.
    this.publisherDeadLetters = this.deadLetterQueue('PublisherPoisonRecords', 'the event publisher (stream records)');
    this.publisher = new GovernedFunction(this, 'Publisher', {
      entry: 'functions/events/publisher-handler.ts',
      description: 'Publishes each committed audit event as a governance event on the EventBridge bus',
      serviceName: 'event-publisher',
      functionName: `${props.prefix}-event-publisher`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: { EVENT_BUS_NAME: this.bus.eventBusName },
    });
    this.publisher.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PutGovernanceEvents',
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
      }),
    );
    subscribeToAuditStream(this.publisher, props.table, this.publisherDeadLetters, StartingPosition.LATEST);

    // Webhooks: every governance event -> queue -> dispatcher; a message still failing after MAX_RECEIVES goes to
    // the dead-letter queue. The visibility timeout covers six dispatcher timeouts, as Lambda advises for SQS.
    this.webhookDeadLetters = this.deadLetterQueue('WebhookDeadLetters', 'webhook deliveries');
    this.webhookQueue = new Queue(this, 'WebhookQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(DISPATCH_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.webhookDeadLetters, maxReceiveCount: MAX_RECEIVES },
    });
    const ruleDeadLetters = this.deadLetterQueue('RuleDeadLetters', 'bus rules (targets EventBridge could not reach)');
    new Rule(this, 'WebhookRule', {
      eventBus: this.bus,
      description: 'Every governance event, for webhook delivery',
      eventPattern: { source: [GOVERNANCE_EVENT_SOURCE] },
      targets: [new SqsQueue(this.webhookQueue, { deadLetterQueue: ruleDeadLetters, retryAttempts: 10 })],
    });
    this.dispatcher = new GovernedFunction(this, 'Dispatcher', {
      entry: 'functions/events/dispatcher-handler.ts',
      description: 'Delivers governance events to webhook subscriptions (signed, retried, logged)',
      serviceName: 'webhook-dispatcher',
      functionName: `${props.prefix}-webhook-dispatcher`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: DISPATCH_TIMEOUT,
      memorySize: 256,
      environment: { WEBHOOK_ALLOWED_HOSTS: props.webhookAllowedHosts.join(',') },
    });
    // Reads subscriptions, puts delivery attempts and delivered markers: no update, no delete.
    this.dispatcher.bindTable(props.table, 'read');
    this.dispatcher.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'LogWebhookDeliveries',
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    if (props.table.encryptionKey) {
      this.dispatcher.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'EncryptWebhookDeliveries',
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [props.table.encryptionKey.keyArn],
        }),
      );
    }
    this.dispatcher.lambda.addEventSource(
      new SqsEventSource(this.webhookQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    acknowledge(this.dispatcher.lambda, [
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'An SQS event source takes no failure destination: messages that fail every receive move to the ' +
          "queue's dead-letter queue by its redrive policy (maxReceiveCount), which is alarmed.",
      },
    ]);
    acknowledge(this.dispatcher.role, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray tracing supports no resource-level permissions.' },
    ]);

    // Metric rollups (ADR 0043): the counted event types -> queue -> consumer, which applies each event once to its
    // day's rollups (a mark per chain position); the same function back-fills from the audit chains when invoked
    // with {"backfill": true}, resumably, never counting an event the queue already brought.
    this.rollupDeadLetters = this.deadLetterQueue('RollupDeadLetters', 'metric rollups');
    this.rollupQueue = new Queue(this, 'RollupQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(ROLLUP_TIMEOUT.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.rollupDeadLetters, maxReceiveCount: MAX_RECEIVES },
    });
    new Rule(this, 'RollupRule', {
      eventBus: this.bus,
      description:
        'Promotions, rollbacks, finished eval runs, refused promotions and incidents, for the daily metric rollups',
      eventPattern: { source: [GOVERNANCE_EVENT_SOURCE], detailType: [...ROLLUP_EVENT_TYPES] },
      targets: [new SqsQueue(this.rollupQueue, { deadLetterQueue: ruleDeadLetters, retryAttempts: 10 })],
    });
    this.rollupConsumer = new GovernedFunction(this, 'RollupConsumer', {
      entry: 'functions/events/rollup-consumer-handler.ts',
      description: 'Applies governance events to the daily metric rollups once each; back-fills them on request',
      serviceName: 'rollup-consumer',
      functionName: `${props.prefix}-rollup-consumer`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: ROLLUP_TIMEOUT,
      memorySize: 256,
    });
    // Reads system META items and audit chains; puts marks and adds to rollup items.
    this.rollupConsumer.bindTable(props.table, 'readwrite');
    this.rollupConsumer.lambda.addEventSource(
      new SqsEventSource(this.rollupQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 5 }),
    );
    acknowledge(this.rollupConsumer.lambda, [
      {
        id: 'Serverless-LambdaEventSourceMappingDestination',
        reason:
          'An SQS event source takes no failure destination: messages that fail every receive move to the ' +
          "queue's dead-letter queue by its redrive policy (maxReceiveCount), which is alarmed.",
      },
    ]);
    acknowledge(this.rollupConsumer.role, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray tracing supports no resource-level permissions.' },
    ]);

    this.webhookSecretsKey = this.webhookSecrets();

    // Notifications by e-mail: a customer-managed key that EventBridge may use to publish to the topic, for the
    // rules of this bus only. The SNS target's grantPublish adds the key statement for events.amazonaws.com;
    // SourceBoundKey gives it aws:SourceAccount and aws:SourceArn.
    this.notificationKey = new SourceBoundKey(this, 'NotificationKey', {
      description: 'Encrypts the governance notification topic (approval requests, incidents)',
      enableKeyRotation: true,
      sources: {
        'events.amazonaws.com': Stack.of(this).formatArn({
          service: 'events',
          resource: 'rule',
          resourceName: `${this.bus.eventBusName}/*`,
        }),
      },
    });
    this.notifications = new Topic(this, 'Notifications', {
      topicName: `${props.prefix}-governance-notifications`,
      displayName: 'Governance notifications',
      masterKey: this.notificationKey,
      enforceSSL: true,
    });
    if (props.notificationEmails.length > 0) {
      const undelivered = this.deadLetterQueue('NotificationDeadLetters', 'e-mail notifications');
      for (const email of props.notificationEmails)
        this.notifications.addSubscription(new EmailSubscription(email, { deadLetterQueue: undelivered }));
    }
    new Rule(this, 'NotificationRule', {
      eventBus: this.bus,
      description: 'Approval requests, rollback requests and incidents, to the e-mail topic',
      eventPattern: { source: [GOVERNANCE_EVENT_SOURCE], detailType: [...NOTIFICATION_EVENT_TYPES] },
      targets: [
        new SnsTopic(this.notifications, {
          deadLetterQueue: ruleDeadLetters,
          retryAttempts: 10,
          message: RuleTargetInput.fromText(
            `${EventField.fromPath('$.detail-type')} on system ${EventField.fromPath('$.detail.systemId')}: ` +
              `${EventField.fromPath('$.detail.entity.type')} ${EventField.fromPath('$.detail.entity.id')} ` +
              `by ${EventField.fromPath('$.detail.actor.name')} at ${EventField.fromPath('$.time')} ` +
              `(event ${EventField.fromPath('$.detail.id')})`,
          ),
        }),
      ],
    });

    const alarms = [
      this.visibleAlarm(
        'PublisherDeadLettersVisible',
        this.publisherDeadLetters,
        'event-publisher-dead-letters',
        'Audit events were not published after every retry: subscribers missed them; replay from the audit log.',
      ),
      this.visibleAlarm(
        'WebhookDeadLettersVisible',
        this.webhookDeadLetters,
        'webhook-dead-letters',
        'Webhook deliveries failed every retry: read the delivery log (GET /api/webhooks/{id}/deliveries).',
      ),
      this.visibleAlarm(
        'RuleDeadLettersVisible',
        ruleDeadLetters,
        'event-rule-dead-letters',
        'EventBridge could not reach the webhook queue or the notification topic.',
      ),
      functionErrorsAlarm(
        this,
        'PublisherErrors',
        this.publisher.lambda,
        `${props.prefix}-event-publisher-errors`,
        'The event publisher fails: records are retried, bisected, then dead-lettered.',
      ),
      iteratorAgeAlarm(
        this,
        'PublisherIteratorAge',
        this.publisher.lambda,
        `${props.prefix}-event-publisher-iterator-age`,
        'Governance events lag the table by more than 5 minutes: subscribers hear late, and records age toward the 1-day limit.',
      ),
      this.visibleAlarm(
        'RollupDeadLettersVisible',
        this.rollupDeadLetters,
        'rollup-dead-letters',
        'Events were not applied to the metric rollups after every retry: run the back-fill (npm run backfill:metrics, or invoke the rollup consumer with {"backfill": true}), then purge.',
      ),
      functionErrorsAlarm(
        this,
        'RollupConsumerErrors',
        this.rollupConsumer.lambda,
        `${props.prefix}-rollup-consumer-errors`,
        'The rollup consumer fails: messages return to the queue, then go to its dead letters; the metrics page lags.',
      ),
      functionErrorsAlarm(
        this,
        'DispatcherErrors',
        this.dispatcher.lambda,
        `${props.prefix}-webhook-dispatcher-errors`,
        'The webhook dispatcher fails: messages return to the queue, then go to its dead letters.',
      ),
    ];
    if (props.alarmTopic) for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /**
   * The key of webhook signing secrets: retained with the data it seals (a new key would leave every stored secret
   * undecryptable). The dispatcher may encrypt (the migration of plaintext secrets) and decrypt, only under a
   * subscription's encryption context; the key policy denies decryption, and re-encryption to another key, to every
   * other principal of the account, whatever its IAM policies say. The webhooks API function, in the API stack, is
   * granted encryption alone by `grantSealWebhookSecrets` from that stack, so this stack never names its role.
   */
  private webhookSecrets(): Key {
    const key = new Key(this, 'WebhookSecretsKey', {
      description: 'Seals webhook signing secrets in the governance table (decrypted by the webhook dispatcher only)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyWebhookDispatcherDecrypts',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['kms:Decrypt', 'kms:ReEncrypt*'],
        resources: ['*'],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': [this.dispatcher.role.roleArn] } },
      }),
    );
    this.dispatcher.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'OpenWebhookSecrets',
        actions: ['kms:Decrypt', 'kms:Encrypt'],
        resources: [key.keyArn],
        conditions: UNDER_SUBSCRIPTION_CONTEXT,
      }),
    );
    this.dispatcher.lambda.addEnvironment('WEBHOOK_SECRETS_KEY_ID', key.keyArn);
    return key;
  }

  /** Lets the webhooks API function seal a new subscription's signing secret (encrypt only, under its context). */
  grantSealWebhookSecrets(webhooksApi: GovernedFunction): void {
    webhooksApi.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SealWebhookSecrets',
        actions: ['kms:Encrypt'],
        resources: [this.webhookSecretsKey.keyArn],
        conditions: UNDER_SUBSCRIPTION_CONTEXT,
      }),
    );
    webhooksApi.lambda.addEnvironment('WEBHOOK_SECRETS_KEY_ID', this.webhookSecretsKey.keyArn);
  }

  private deadLetterQueue(id: string, of: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(queue, [
      { id: 'AwsSolutions-SQS3', reason: `This queue is itself the dead-letter queue of ${of}.` },
      { id: 'Serverless-SQSRedrivePolicy', reason: `This queue is itself the dead-letter queue of ${of}.` },
    ]);
    return queue;
  }

  private visibleAlarm(id: string, queue: Queue, name: string, description: string): Alarm {
    return messagesVisibleAlarm(this, id, queue, `${this.prefix}-${name}`, description);
  }
}
