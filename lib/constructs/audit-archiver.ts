// The audit archive's writers (issue 5): the archiver on the table's stream, filtered to audit items, writing each
// event's canonical bytes to the Object Lock bucket with If-None-Match puts (functions/audit/archiver-handler.ts);
// the digest writer on a schedule, signing with the KMS key (digest-handler.ts); and the reconciler on a schedule,
// back-filling what the stream missed (reconciler-handler.ts). No role here may delete, bypass governance
// retention or change retention: they put objects, read them back, list them and sign, nothing more.
import { Duration } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeMatching } from '../nag.js';
import { auditRecordBrokenAlarm, functionErrorsAlarm, iteratorAgeAlarm, messagesVisibleAlarm } from './alarms.js';
import { subscribeToAuditStream } from './audit-stream.js';
import { GovernedFunction, METRICS_NAMESPACE } from './governed-function.js';
import { ScheduledFunction } from './scheduled-function.js';

export interface AuditArchiverProps {
  prefix: string;
  table: ITable;
  bucket: IBucket;
  signingKey: IKey;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** EventBridge Scheduler expression of the digest interval (a digest is written even when nothing arrived). */
  digestSchedule: string;
  reconcileSchedule: string;
  /** EventBridge Scheduler expression of the full verification of the archive (default: daily). */
  fullVerifySchedule?: string;
  alarmTopic?: ITopic;
}

/** The event that asks for a full verification (functions/audit/verify/requests.ts; lib does not import handlers). */
const FULL_VERIFICATION_REQUEST = { source: 'governance.audit', detailType: 'AuditFullVerificationRequested' };

export class AuditArchiver extends Construct {
  readonly archiver: GovernedFunction;
  readonly deadLetters: Queue;
  readonly digest: ScheduledFunction;
  readonly reconciler: ScheduledFunction;
  /** Verifies the whole archive daily and on request, keeps its signed result and advances the checkpoints. */
  readonly fullVerify: ScheduledFunction;
  private readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: AuditArchiverProps) {
    super(scope, id);
    this.bucket = props.bucket;
    const env = { AUDIT_BUCKET: props.bucket.bucketName };

    this.deadLetters = new Queue(this, 'PoisonRecords', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: "This queue is itself the archiver's dead-letter queue (poison records)." },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; the reconciler back-fills what lands here.',
      },
    ]);

    this.archiver = new GovernedFunction(this, 'Archiver', {
      entry: 'functions/audit/archiver-handler.ts',
      description: 'Archives audit events from the table stream to the Object Lock bucket (If-None-Match puts)',
      serviceName: 'audit-archiver',
      functionName: `${props.prefix}-audit-archiver`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: Duration.seconds(60),
      environment: env,
    });
    this.grantArchive(this.archiver, { put: ['audit/systems/*'] });
    subscribeToAuditStream(this.archiver, props.table, this.deadLetters, StartingPosition.TRIM_HORIZON);

    this.digest = new ScheduledFunction(this, 'Digest', {
      prefix: props.prefix,
      name: 'audit-digest',
      entry: 'functions/audit/digest-handler.ts',
      description: 'Writes the signed audit digest of each interval (also when no events arrived)',
      expression: props.digestSchedule,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: Duration.minutes(5),
      environment: { ...env, AUDIT_SIGNING_KEY_ID: props.signingKey.keyArn },
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      errorMeaning: 'An audit digest could not be written: the next digest must cover the gap; read the logs.',
    });
    this.grantArchive(this.digest.fn, { read: true, put: ['audit/digests/*', 'audit/keys/*'] });
    this.digest.fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SignDigests',
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: [props.signingKey.keyArn],
      }),
    );

    this.reconciler = new ScheduledFunction(this, 'Reconciler', {
      prefix: props.prefix,
      name: 'audit-reconcile',
      entry: 'functions/audit/reconciler-handler.ts',
      description: "Compares the table's audit chains with the archive and back-fills missing events",
      expression: props.reconcileSchedule,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: env,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      errorMeaning: 'The audit reconciler failed: archive gaps may stay unfilled until the next pass; read the logs.',
    });
    this.reconciler.fn.bindTable(props.table, 'read');
    this.grantArchive(this.reconciler.fn, { read: true, put: ['audit/systems/*'] });

    // ADR 0013: the full verification in the background; it alone writes checkpoints in AWS (the API reads them).
    this.fullVerify = new ScheduledFunction(this, 'FullVerify', {
      prefix: props.prefix,
      name: 'audit-full-verify',
      entry: 'functions/audit/full-verify-handler.ts',
      description:
        'Verifies the whole audit archive, keeps the signed result and advances the verification checkpoints',
      expression: props.fullVerifySchedule ?? 'rate(1 day)',
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { ...env, AUDIT_SIGNING_KEY_ID: props.signingKey.keyArn },
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      errorMeaning:
        'The full verification of the audit archive failed to run: the verify route answers its last result; read the logs.',
    });
    this.fullVerify.fn.bindTable(props.table, 'readwrite');
    this.grantArchive(this.fullVerify.fn, { read: true });
    this.fullVerify.fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SignVerificationStatements',
        actions: ['kms:Sign', 'kms:GetPublicKey'],
        resources: [props.signingKey.keyArn],
      }),
    );
    new Rule(this, 'FullVerifyRequested', {
      description: 'A full verification of the audit archive asked for by GET /api/audit-events/verify?full=request',
      eventPattern: { source: [FULL_VERIFICATION_REQUEST.source], detailType: [FULL_VERIFICATION_REQUEST.detailType] },
      targets: [
        new LambdaFunction(this.fullVerify.fn.lambda, {
          retryAttempts: 2,
          deadLetterQueue: this.fullVerify.deadLetters,
        }),
      ],
    });

    const alarms = [
      messagesVisibleAlarm(
        this,
        'PoisonRecordsVisible',
        this.deadLetters,
        `${props.prefix}-audit-archiver-dead-letters`,
        'Audit stream records failed every retry: the reconciler back-fills them; investigate the queue.',
      ),
      functionErrorsAlarm(
        this,
        'ArchiverErrors',
        this.archiver.lambda,
        `${props.prefix}-audit-archiver-errors`,
        'The audit archiver fails: events are retried, then dead-lettered; read the logs.',
      ),
      iteratorAgeAlarm(
        this,
        'ArchiverIteratorAge',
        this.archiver.lambda,
        `${props.prefix}-audit-archiver-iterator-age`,
        'The archive lags the table by more than 5 minutes: records age toward the 1-day limit.',
      ),
      auditRecordBrokenAlarm(
        this,
        'AuditRecordBroken',
        METRICS_NAMESPACE,
        ['audit-full-verify', 'audit-reconcile'],
        `${props.prefix}-audit-record-broken`,
        'The full verification found the audit archive broken, or the reconciler found archived events that differ ' +
          'from the table or batches that fail their check: follow docs/runbooks/audit-record-broken.md.',
      ),
    ];
    if (props.alarmTopic) for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /** Lets an API function ask for a full verification: an event on the account's default bus (AUDIT_FULL_VERIFY_BUS). */
  grantFullVerificationRequest(fn: GovernedFunction): void {
    const bus = EventBus.fromEventBusName(this, `DefaultBus${fn.node.id}`, 'default');
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'RequestFullVerification',
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
      }),
    );
    fn.lambda.addEnvironment('AUDIT_FULL_VERIFY_BUS', 'default');
  }

  /**
   * Grants on the archive: `put` (If-None-Match) under the given prefixes, and with `read` get and list under
   * audit/. Nothing that deletes, changes retention or legal holds, or bypasses governance retention.
   */
  grantArchive(fn: GovernedFunction, access: { put?: string[]; read?: boolean }): void {
    if (access.put?.length) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'WriteAuditArchive',
          actions: ['s3:PutObject'],
          resources: access.put.map((prefix) => this.bucket.arnForObjects(prefix)),
        }),
      );
    }
    if (access.read) {
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'ReadAuditArchive',
          actions: ['s3:GetObject'],
          resources: [this.bucket.arnForObjects('audit/*')],
        }),
      );
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'ListAuditArchive',
          actions: ['s3:ListBucket'],
          resources: [this.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': ['audit/*', 'audit/'] } },
        }),
      );
    }
    fn.lambda.addEnvironment('AUDIT_BUCKET', this.bucket.bucketName);
    acknowledgeMatching(
      fn.role,
      /^AwsSolutions-IAM5\[Resource::.+-audit-.+\/audit\/.*\*\]$/,
      'Archive objects are keyed per system, batch, digest and key as they arrive, so grants name prefixes of the ' +
        'archive bucket (audit/systems/*, audit/digests/*, audit/keys/*, audit/* to read); put (If-None-Match) and ' +
        'get only: no delete, no retention change, no bypass.',
    );
  }
}
