// What outlives `cdk destroy`: the audit archive's and the evidence bucket's policies are retained with their
// buckets (X3: "DeletionPolicy attribute", docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
// aws-attribute-deletionpolicy.html: Retain keeps the resource when its stack is deleted), and a stage re-created
// beside retained resources names its table and buckets with its retainedNameSuffix (docs/deploy.md).
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { auditBucketName, evidenceBucketName, stageConfig } from '../../lib/config.js';
import { StatefulStack } from '../../lib/stateful-stack.js';
import { devGovernanceApp } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>;

/** The logical id of a bucket named by `name` (a Fn::Join whose parts start with the name's stage prefix). */
const bucketNamed = (resources: Resources, kind: 'audit' | 'evidence') =>
  Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::S3::Bucket' && JSON.stringify(r.Properties.BucketName ?? '').includes(`-${kind}-`),
  )?.[0];

let resources: Resources;

beforeAll(() => {
  resources = Template.fromStack(devGovernanceApp().stateful).toJSON().Resources as Resources;
});

describe('retained with their buckets', () => {
  it('keeps the audit archive and evidence bucket policies when the stateful stack is deleted', () => {
    for (const kind of ['audit', 'evidence'] as const) {
      const bucket = bucketNamed(resources, kind);
      expect(bucket, kind).toBeDefined();
      expect(resources[bucket as string]?.DeletionPolicy, kind).toBe('Retain');
      const policies = Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: bucket }),
      );
      expect(policies, kind).toHaveLength(1);
      expect(policies[0]?.DeletionPolicy, kind).toBe('Retain');
    }
  });
});

describe('a stage re-created beside retained resources', () => {
  it('names its table and buckets with the suffix, and every other name as before', () => {
    const config = stageConfig((key) => ({ stages: { dev: { retainedNameSuffix: '-2' } } })[key]);
    const app = new App({
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
      builtinCloudFormationValidation: false,
    });
    const stack = new StatefulStack(app, 'governance-dev-stateful', { env: { region: config.region }, config });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'governance-dev-2' });
    const names = JSON.stringify(
      Object.values(template.findResources('AWS::S3::Bucket') as Resources).map((b) => b.Properties.BucketName),
    );
    expect(names).toContain('"governance-dev-audit-"');
    expect(names).toContain('"-eu-central-1-2"');
    expect(auditBucketName(config, '123456789012')).toBe('governance-dev-audit-123456789012-eu-central-1-2');
    expect(evidenceBucketName(config, '123456789012')).toBe('governance-dev-evidence-123456789012-eu-central-1-2');
    expect(config.prefix).toBe('governance-dev');
  });
});
