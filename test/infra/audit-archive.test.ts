// The audit archive in the stacks (issue 5): a bucket policy that denies deleting evidence to everyone, the
// archiver on the table stream (audit items only, bounded retries, bisect, a dead-letter queue, per-record
// failures), digests signed with the KMS key, a reconciler, and roles that cannot delete, bypass or change retention.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { devGovernanceApp, statelessSide } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let stateful: Template;
let stateless: Template;
let retentionDays: number;

beforeAll(() => {
  const built = devGovernanceApp();
  stateful = Template.fromStack(built.stateful);
  // The workflows and API stacks as one (ADR 0019).
  stateless = statelessSide(built);
  retentionDays = built.config.auditRetentionDays;
});

const functionNamed = (name: string) =>
  Object.entries(stateless.findResources('AWS::Lambda::Function') as Resources).find(
    ([, fn]) => fn.Properties.FunctionName === `governance-dev-${name}`,
  ) as [string, Resources[string]];

function statementsOf(fn: Resources[string]): Record<string, unknown>[] {
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(stateless.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

const actionsOf = (fn: Resources[string]) => statementsOf(fn).flatMap((s) => [s.Action].flat() as string[]);

describe('the audit archive bucket', () => {
  it('denies deleting objects or versions, bypassing governance retention and changing retention, to everyone', () => {
    const policies = Object.values(stateful.findResources('AWS::S3::BucketPolicy') as Resources);
    const deny = policies
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .find((s) => s.Sid === 'DenyDeletingAuditEvidence');
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect([deny?.Action].flat().sort()).toEqual([
      's3:BypassGovernanceRetention',
      's3:DeleteObject',
      's3:DeleteObjectVersion',
      's3:PutObjectRetention',
    ]);
  });

  // ADR 0012: archive objects take the bucket's default retention, in COMPLIANCE mode ("Locking objects with Object
  // Lock", docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html: a default retention applies to every new
  // object version put without explicit retention; in compliance mode nobody, the root user included, can shorten it
  // or change its mode). Object Lock requires versioning.
  it("locks every new object version by the bucket's default COMPLIANCE retention of the stage's period", () => {
    const locked = Object.values(stateful.findResources('AWS::S3::Bucket') as Resources).filter(
      (b) => b.Properties.ObjectLockEnabled === true,
    );
    expect(locked).toHaveLength(1);
    expect(locked[0]?.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: retentionDays } },
      },
    });
    expect(retentionDays).toBeGreaterThanOrEqual(1);
  });

  // ADR 0012: nobody sets retention explicitly (it would override the default, possibly shorter or in GOVERNANCE
  // mode). PutObjectRetention, and a put with x-amz-object-lock-* headers, need s3:PutObjectRetention; the policy
  // denies it to everyone, and no statement allows it or bounds it with s3:object-lock-remaining-retention-days.
  it('allows no principal to set or change retention: no Allow of s3:PutObjectRetention anywhere', () => {
    const bucketStatements = Object.values(stateful.findResources('AWS::S3::BucketPolicy') as Resources).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const roleStatements = [stateful, stateless].flatMap((template) =>
      Object.values(template.findResources('AWS::IAM::Policy') as Resources).flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
      ),
    );
    // A statement reaches the archive when its resource names the audit bucket (its logical id in the stateful
    // stack, its physical name `<prefix>-audit-<account>-<region>` in the stateless one) or is '*'.
    const reachesArchive = (s: Record<string, unknown>) => {
      const resource = JSON.stringify(s.Resource ?? '');
      return /audit/i.test(resource) || resource === '"*"';
    };
    const allowsRetention = (s: Record<string, unknown>) =>
      s.Effect === 'Allow' &&
      reachesArchive(s) &&
      ([s.Action].flat() as string[]).some((a) => /^(s3:PutObjectRetention|s3:PutObject\*|s3:\*|\*)$/.test(a));
    // Not vacuous: the writers' grants on the archive are among the statements looked at.
    expect(roleStatements.filter((s) => reachesArchive(s) && s.Effect === 'Allow').length).toBeGreaterThan(0);
    expect(bucketStatements.filter(allowsRetention)).toEqual([]);
    expect(roleStatements.filter(allowsRetention)).toEqual([]);
    expect(JSON.stringify(bucketStatements)).not.toContain('object-lock-remaining-retention-days');
  });

  it('refuses plain HTTP', () => {
    const statements = Object.values(stateful.findResources('AWS::S3::BucketPolicy') as Resources).flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements.some((s) => JSON.stringify(s.Condition ?? {}).includes('"aws:SecureTransport":"false"'))).toBe(
      true,
    );
  });
});

describe('the archiver on the table stream', () => {
  it('reads audit items only, in bounded retries with bisect, reporting failures per record, dead-lettering poison', () => {
    const [archiverId] = functionNamed('audit-archiver');
    // The event publisher (test/infra/events.test.ts) reads the same stream; the archiver has exactly one mapping.
    const mappings = Object.values(stateless.findResources('AWS::Lambda::EventSourceMapping') as Resources).filter(
      (m) =>
        JSON.stringify((m.Properties as Record<string, unknown>).FunctionName) === JSON.stringify({ Ref: archiverId }),
    );
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]?.Properties as Record<string, unknown>;
    expect(mapping).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping.DestinationConfig).toMatchObject({ OnFailure: { Destination: {} } });
    const filters = (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { dynamodb: { NewImage: { itemType: { S: ['audit'] } } } },
    ]);
  });

  it('gives no archive writer a delete, a retention change, a legal hold or a governance bypass', () => {
    for (const name of ['audit-archiver', 'audit-digest', 'audit-reconcile']) {
      const [, fn] = functionNamed(name);
      const actions = actionsOf(fn);
      expect(actions, name).toContain('s3:PutObject');
      for (const action of actions) {
        expect(action, name).not.toMatch(/^s3:(Delete|PutObjectRetention|PutObjectLegalHold|Bypass|PutBucket|\*)/);
      }
    }
  });

  it('lets the archiver put batches only, without reading back, and each writer put only under its own prefix', () => {
    const putResources = (name: string) =>
      statementsOf(functionNamed(name)[1])
        .filter((s) => [s.Action].flat().includes('s3:PutObject'))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r));
    expect(actionsOf(functionNamed('audit-archiver')[1])).not.toContain('s3:GetObject');
    expect(putResources('audit-archiver').every((r) => r.includes('/audit/systems/*'))).toBe(true);
    expect(putResources('audit-reconcile').every((r) => r.includes('/audit/systems/*'))).toBe(true);
    const digestPuts = putResources('audit-digest');
    expect(digestPuts).toHaveLength(2);
    expect(digestPuts.some((r) => r.includes('/audit/digests/*'))).toBe(true);
    expect(digestPuts.some((r) => r.includes('/audit/keys/*'))).toBe(true);
    const audit = functionNamed('api-audit')[1];
    expect(actionsOf(audit)).toEqual(expect.arrayContaining(['s3:GetObject', 's3:ListBucket']));
    expect(actionsOf(audit)).not.toContain('s3:PutObject');
  });

  it('lets only the digest writer sign, with the digest key', () => {
    for (const name of ['audit-archiver', 'audit-reconcile']) {
      expect(actionsOf(functionNamed(name)[1]).filter((a) => a.startsWith('kms:Sign'))).toEqual([]);
    }
    const digest = functionNamed('audit-digest')[1];
    const signing = statementsOf(digest).find((s) => s.Sid === 'SignDigests');
    expect([signing?.Action].flat().sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);
    expect(JSON.stringify(signing?.Resource)).toContain('DigestSigningKey');
    const env = (digest.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.stringify(env.AUDIT_SIGNING_KEY_ID)).toContain('DigestSigningKey');
  });

  it('schedules digests and reconciliation, and alarms on dead letters, archiver errors and iterator age', () => {
    const schedules = Object.values(stateless.findResources('AWS::Scheduler::Schedule') as Resources).map(
      (s) => s.Properties.Name,
    );
    expect(schedules).toEqual(
      expect.arrayContaining(['governance-dev-audit-digest', 'governance-dev-audit-reconcile']),
    );
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm') as Resources).map(
      (a) => a.Properties.AlarmName,
    );
    expect(alarms).toEqual(
      expect.arrayContaining([
        'governance-dev-audit-archiver-dead-letters',
        'governance-dev-audit-archiver-errors',
        'governance-dev-audit-archiver-iterator-age',
      ]),
    );
  });

  it('alarms on a broken audit record: the sum of what the full verification and the reconciler report', () => {
    const alarm = Object.values(stateless.findResources('AWS::CloudWatch::Alarm') as Resources).find(
      (a) => a.Properties.AlarmName === 'governance-dev-audit-record-broken',
    );
    const metrics = (alarm?.Properties.Metrics ?? []) as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } };
    }[];
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(s0, 0) + FILL(s1, 0)');
    expect(
      metrics.flatMap((m) =>
        m.MetricStat ? [[m.MetricStat.Metric.MetricName, m.MetricStat.Metric.Dimensions[0]?.Value]] : [],
      ),
    ).toEqual([
      ['AuditRecordBroken', 'audit-full-verify'],
      ['AuditRecordBroken', 'audit-reconcile'],
    ]);
    expect(alarm?.Properties.Threshold).toBe(1);
    expect(alarm?.Properties.TreatMissingData).toBe('notBreaching');
  });

  it('runs the full verification daily and on a requested event, and only it may sign and write checkpoints', () => {
    const resources = stateless.toJSON().Resources as Resources;
    const fullVerify = Object.entries(resources).find(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' &&
        String(r.Properties.Description ?? '').startsWith('Verifies the whole audit archive'),
    );
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
    const policies = JSON.stringify(Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy'));

    expect(fullVerify).toBeDefined();
    expect(fullVerify?.[1].Properties.Environment).toMatchObject({
      Variables: expect.objectContaining({ AUDIT_SIGNING_KEY_ID: expect.anything(), TABLE_NAME: expect.anything() }),
    });
    expect(rules.map((r) => r.Properties.EventPattern)).toContainEqual({
      source: ['governance.audit'],
      'detail-type': ['AuditFullVerificationRequested'],
    });
    expect(policies).toContain('RequestFullVerification');
    expect(policies).toContain('SignVerificationStatements');
  });
});
