// Where the audit trail becomes immutable: a versioned bucket under Object Lock COMPLIANCE (nobody, root included,
// can delete or shorten the retention of a locked object version), and the asymmetric key that signs its digests.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
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
  /** The bucket's physical name (lib/config.ts auditBucketName), so the stateless stack can grant on it by name. */
  bucketName?: string;
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
      ...(props.bucketName ? { bucketName: props.bucketName } : {}),
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

    // Nobody deletes archive objects or versions, not even an administrator: Object Lock already refuses it in
    // COMPLIANCE mode; the policy says so explicitly, for every principal. Objects take the bucket's default retention
    // and nobody sets retention explicitly (ADR 0012): s3:PutObjectRetention, which a put with x-amz-object-lock-*
    // headers needs too, is denied to everyone, writers included, so no object gets a shorter or GOVERNANCE
    // retention. The default stays changeable through the stack (a stage's auditRetentionDays), which never
    // shortens a locked object's retention. Every put must carry Content-MD5 or x-amz-checksum-* (S3Archive sends
    // SHA-256). (enforceSSL above denies every request over plain HTTP.)
    this.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: 'DenyDeletingAuditEvidence',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:BypassGovernanceRetention', 's3:PutObjectRetention'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );

    // The policy stays with the bucket when the stack goes (X3): deleting the stack must not strip the denials from
    // a bucket whose locked objects outlive it. Nothing in the stack guards the lock configuration itself; an SCP
    // of the organisation does (docs/deploy.md, what guards the archive).
    this.bucket.policy?.applyRemovalPolicy(RemovalPolicy.RETAIN);

    this.digestSigningKey = new Key(this, 'DigestSigningKey', {
      description: 'Signs audit archive digests (ECDSA P-256); auditors verify with its public key',
      keySpec: KeySpec.ECC_NIST_P256,
      keyUsage: KeyUsage.SIGN_VERIFY,
      // Old digests must stay verifiable for the whole retention: never delete this key with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
