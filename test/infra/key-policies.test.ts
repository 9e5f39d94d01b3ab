// Every KMS key policy statement that lets an AWS service principal use a key names whose behalf it acts on:
// aws:SourceAccount and aws:SourceArn (the confused-deputy guard, IAM User Guide "The confused deputy problem"),
// including the statements CDK adds by itself (an encrypted topic's grantPublish to EventBridge).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { SourceBoundKey } from '../../lib/constructs/source-bound-key.js';
import { devGovernanceApp } from '../support/dev-app.js';

interface Statement {
  Effect: string;
  Principal?: { Service?: string | string[] };
  Condition?: Record<string, Record<string, unknown>>;
}

/** Each service-principal statement of every key in every stack of the app, with the key that holds it. */
function serviceStatements(app: App): { key: string; services: string[]; statement: Statement }[] {
  const stacks = app.node.findAll().filter((c): c is Stack => Stack.isStack(c));
  return stacks.flatMap((stack) =>
    Object.entries(Template.fromStack(stack).findResources('AWS::KMS::Key')).flatMap(([id, key]) =>
      ((key.Properties.KeyPolicy as { Statement: Statement[] }).Statement ?? [])
        .filter((s) => s.Principal?.Service !== undefined)
        .map((statement) => ({
          key: `${stack.stackName}/${id}`,
          services: [statement.Principal?.Service].flat() as string[],
          statement,
        })),
    ),
  );
}

const conditionKeys = (s: Statement) => Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c));

describe('KMS key policies for service principals', () => {
  it('bind every service-principal statement of every key to this account and named sources', () => {
    const statements = serviceStatements(devGovernanceApp().app);

    const unbound = statements
      .filter(({ statement }) => {
        const keys = conditionKeys(statement);
        return !keys.includes('aws:SourceAccount') || !keys.includes('aws:SourceArn');
      })
      .map(({ key, services }) => `${key}: ${services.join(', ')}`);

    expect(statements.flatMap((s) => s.services)).toEqual(
      expect.arrayContaining(['events.amazonaws.com', 'cloudwatch.amazonaws.com']),
    );
    expect(unbound).toEqual([]);
  });

  it('binds EventBridge to the rules of the governance bus and CloudWatch to alarms of this account', () => {
    const statements = serviceStatements(devGovernanceApp().app);
    const sourceArnOf = (service: string) =>
      JSON.stringify(
        statements.find((s) => s.services.includes(service))?.statement.Condition?.ArnLike?.['aws:SourceArn'],
      );

    expect(sourceArnOf('events.amazonaws.com')).toMatch(/:events:.*:rule\/.*EventsBus.*\/\*/);
    expect(sourceArnOf('cloudwatch.amazonaws.com')).toMatch(/:cloudwatch:.*:alarm:\*/);
  });

  it('refuses, at synthesis, a grant to a service whose sources the key does not declare', () => {
    const stack = new Stack(new App(), 'Probe', { env: { account: '111122223333', region: 'eu-central-1' } });
    const key = new SourceBoundKey(stack, 'Key', {
      sources: { 'events.amazonaws.com': 'arn:aws:events:eu-central-1:111122223333:rule/bus/*' },
    });

    expect(() => key.grant(new ServicePrincipal('sns.amazonaws.com'), 'kms:Decrypt')).toThrow(
      /no source ARN is declared for sns\.amazonaws\.com/,
    );
  });
});
