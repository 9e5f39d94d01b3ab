// The audit export job (ADR 0044): a function that an EventBridge rule on the account's default bus starts on each
// AuditExportRequested event put by POST /api/audit-exports (functions/workflows/audit-export-task.ts). It reads the
// table's audit timeline, writes its own AEX# item and the export's two objects under exports/ in the export bucket;
// events that failed every retry, and invocations that did, land in one dead-letter queue.
import { Duration } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeMatching } from '../nag.js';
import { functionErrorsAlarm, messagesVisibleAlarm } from './alarms.js';
import { GovernedFunction } from './governed-function.js';

/** The request event (functions/workflows/audit-export.ts; lib does not import handlers). */
const AUDIT_EXPORT_REQUEST = { source: 'governance.audit-export', detailType: 'AuditExportRequested' };

const BUS_NAME = 'default';

/** The prefix of every export object (functions/domain/audit-export.ts auditExportKey). */
const EXPORTS_PREFIX = 'exports/*';

export interface AuditExportJobProps {
  prefix: string;
  table: ITable;
  bucket: IBucket;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  alarmTopic?: ITopic;
}

export class AuditExportJob extends Construct {
  readonly fn: GovernedFunction;
  readonly deadLetters: Queue;
  readonly rule: Rule;
  private readonly bucket: IBucket;

  constructor(scope: Construct, id: string, props: AuditExportJobProps) {
    super(scope, id);
    this.bucket = props.bucket;
    this.deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deadLetters, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the audit export job.' },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This queue is itself a dead-letter queue; an export is started again, not redriven.',
      },
    ]);
    this.fn = new GovernedFunction(this, 'Function', {
      entry: 'functions/workflows/audit-export-task.ts',
      description: 'Writes a filtered range of the audit timeline to the export bucket as JSON Lines and CSV',
      serviceName: 'audit-export',
      functionName: `${props.prefix}-audit-export`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      // One invocation writes the whole range; it stops a minute before this and fails the job with a sentence.
      timeout: Duration.minutes(15),
      // Memory holds a page of events and one 8 MiB part per object, whatever the range (npm run bench).
      memorySize: 512,
      deadLetterQueue: this.deadLetters,
      environment: { AUDIT_EXPORT_BUCKET: props.bucket.bucketName },
    });
    this.fn.bindTable(props.table, 'readwrite');
    this.fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'WriteAuditExports',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [props.bucket.arnForObjects(EXPORTS_PREFIX)],
      }),
    );
    acknowledgeMatching(
      this.fn.role,
      /^AwsSolutions-IAM5\[Resource::.+\/exports\/\*\]$/,
      'Export objects are keyed exports/<exportId>/audit-events.<format> and created per export, so the grant ' +
        'names the exports/ prefix of the export bucket; no read, no delete, no other bucket.',
    );

    this.rule = new Rule(this, 'Requested', {
      description: 'An audit export asked for by POST /api/audit-exports',
      eventPattern: { source: [AUDIT_EXPORT_REQUEST.source], detailType: [AUDIT_EXPORT_REQUEST.detailType] },
      targets: [new LambdaFunction(this.fn.lambda, { retryAttempts: 2, deadLetterQueue: this.deadLetters })],
    });

    const alarms = [
      functionErrorsAlarm(
        this,
        'Errors',
        this.fn.lambda,
        `${props.prefix}-audit-export-errors`,
        'An audit export invocation failed outside the job: the export may stay running until it expires; read the logs.',
      ),
      messagesVisibleAlarm(
        this,
        'DeadLettersVisible',
        this.deadLetters,
        `${props.prefix}-audit-export-dead-letters`,
        'An audit export request could not be delivered or failed every retry; see the dead-letter queue.',
      ),
    ];
    if (props.alarmTopic) for (const alarm of alarms) alarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }

  /**
   * Lets the API function `fn` start exports (request events on the default bus) and sign their download links
   * (s3:GetObject on exports/: a presigned URL carries the signer's permissions), and tells it the bucket.
   */
  grantStartAndLinks(fn: GovernedFunction): void {
    const bus = EventBus.fromEventBusName(this, `Bus${fn.node.id}`, BUS_NAME);
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StartAuditExport',
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': AUDIT_EXPORT_REQUEST.source } },
      }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SignAuditExportLinks',
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(EXPORTS_PREFIX)],
      }),
    );
    acknowledgeMatching(
      fn.role,
      /^AwsSolutions-IAM5\[Resource::.+\/exports\/\*\]$/,
      'Download links are signed for exports/<exportId>/audit-events.<format>, one pair per export, so the grant ' +
        'names the exports/ prefix of the export bucket; read only.',
    );
    fn.lambda.addEnvironment('AUDIT_EXPORT_BUCKET', this.bucket.bucketName);
    fn.lambda.addEnvironment('AUDIT_EXPORT_BUS', BUS_NAME);
  }
}
