// Where the audit trail becomes immutable: a versioned bucket under Object Lock COMPLIANCE (nobody, root included,
// can delete or shorten the retention of a locked object version), and the asymmetric key that signs its digests.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface AuditArchiveProps {
  /** Default Object Lock retention of every object version, in days. */
  retentionDays: number;
  /** Receives the archive bucket's S3 server access logs. */
  accessLogsBucket: IBucket;
}

export class AuditArchive extends Construct {
  readonly bucket: Bucket;
  readonly digestSigningKey: Key;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);

    this.bucket = new Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(props.retentionDays)),
      // SSE-S3, not a customer-managed key: a scheduled key deletion would make locked evidence unreadable, which
      // would defeat COMPLIANCE mode (ADR 0005).
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-archive/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.digestSigningKey = new Key(this, 'DigestSigningKey', {
      description: 'Signs audit archive digests (ECDSA P-256); auditors verify with its public key',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Old digests must stay verifiable for the whole retention: never delete this key with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
