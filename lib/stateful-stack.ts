// What must outlive any deployment: the table, the audit archive and its signing key, the people's user pool.
// Every resource here is retained when the stack is deleted (docs/deploy.md, tear-down).
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, StorageClass } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { auditBucketName, evidenceBucketName, exportBucketName, type StageConfig } from './config.js';
import { AuditArchive } from './constructs/audit-archive.js';
import { GovernanceTable } from './constructs/governance-table.js';
import { Identity } from './constructs/identity.js';
import { acknowledge } from './nag.js';

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
}

export class StatefulStack extends Stack {
  readonly table: Table;
  readonly tableKey: Key;
  readonly auditBucket: Bucket;
  readonly auditDigestKey: Key;
  /** Per-case evidence of eval runs: JSONL batch objects written once each (functions/store/evidence-store.ts). */
  readonly evidenceBucket: Bucket;
  readonly identity: Identity;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    const data = new GovernanceTable(this, 'Governance', {
      tableName: config.tableName,
      deletionProtection: config.tableDeletionProtection,
    });
    this.table = data.table;
    this.tableKey = data.key;

    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ expiration: Duration.days(config.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(accessLogs, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This bucket is the destination of S3 server access logs; logging it to itself would loop.',
      },
    ]);

    const archive = new AuditArchive(this, 'AuditArchive', {
      bucketName: auditBucketName(config, Aws.ACCOUNT_ID),
      retentionDays: config.auditRetentionDays,
      accessLogsBucket: accessLogs,
    });
    this.auditBucket = archive.bucket;
    this.auditDigestKey = archive.digestSigningKey;

    // Eval evidence: up to 100,000 cases a run, a JSONL object per batch. It backs recorded verdicts, so it is kept
    // when the stack goes; batches are immutable (If-None-Match puts), so versioning would add nothing.
    this.evidenceBucket = new Bucket(this, 'EvalEvidence', {
      bucketName: evidenceBucketName(config, Aws.ACCOUNT_ID),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'eval-evidence/',
      lifecycleRules: [
        { transitions: [{ storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) }] },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Its policy (TLS only) stays with it when the stack goes, as the audit archive's does.
    this.evidenceBucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // Audit exports (ADR 0044): copies of a filtered range of the audit record for an auditor to download through a
    // presigned link. Not the Object Lock archive: each object is a convenience kept a day, then expired; the archive
    // stays the record. Incomplete multipart uploads (a job that died) are aborted after a day too.
    const exports = new Bucket(this, 'AuditExports', {
      bucketName: exportBucketName(config, Aws.ACCOUNT_ID),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-exports/',
      lifecycleRules: [{ expiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    exports.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.identity = new Identity(this, 'Identity', { prefix: config.prefix, domainPrefix: config.cognitoDomainPrefix });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AuditBucketName', { value: this.auditBucket.bucketName });
    new CfnOutput(this, 'AuditDigestKeyArn', { value: this.auditDigestKey.keyArn });
    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidenceBucket.bucketName });
    new CfnOutput(this, 'AuditExportBucketName', { value: exports.bucketName });
    new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
    new CfnOutput(this, 'HostedSignInUrl', { value: this.identity.domain.baseUrl() });
  }
}
