// Governance events in the stacks: the publisher on the table stream (audit items, bisect, retries, DLQ), the bus,
// the webhook queue and dispatcher (redrive to a DLQ, alarm), the KMS-encrypted notification topic (TLS only) with
// e-mail subscriptions from config and a rule for approval requests and incidents, least-privilege grants, cdk-nag.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { EVENT_SOURCE, NOTIFY_EVENT_TYPES } from '../../functions/domain/events.js';
import { ROLLUP_ACTIONS } from '../../functions/domain/rollups.js';
import { createGovernanceApp, type GovernanceApp } from '../../lib/app.js';
import {
  GOVERNANCE_EVENT_SOURCE,
  NOTIFICATION_EVENT_TYPES,
  ROLLUP_EVENT_TYPES,
} from '../../lib/constructs/governance-events.js';
import { nagPacks } from '../../lib/nag.js';
import { devGovernanceApp } from '../support/dev-app.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let built: GovernanceApp;
let workflows: Template;

function build(overrides: Record<string, unknown> = {}) {
  return createGovernanceApp({
    context: {
      ...cdkJson.context,
      stage: 'dev',
      'aws:cdk:bundling-stacks': [],
      ...(Object.keys(overrides).length ? { stages: { dev: overrides } } : {}),
    },
    builtinCloudFormationValidation: false,
  });
}

beforeAll(() => {
  built = build({ notificationEmails: ['governance-team@example.org'], webhookAllowedHosts: ['hooks.example.org'] });
  workflows = Template.fromStack(built.workflows);
});

const functionNamed = (name: string) =>
  Object.entries(workflows.findResources('AWS::Lambda::Function') as Resources).find(
    ([, fn]) => fn.Properties.FunctionName === `governance-dev-${name}`,
  ) as [string, Resources[string]];

function statementsOf(fn: Resources[string]): Record<string, unknown>[] {
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(workflows.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
}

const actionsOf = (fn: Resources[string]) => statementsOf(fn).flatMap((s) => [s.Action].flat() as string[]);

describe('the event publisher', () => {
  it('reads the table stream, audit items only, with bisect, bounded retries, per-record failures and a DLQ', () => {
    const [id] = functionNamed('event-publisher');
    workflows.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id },
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ dynamodb: { NewImage: { itemType: { S: ['audit'] } } } }) }],
      },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('may put events on its bus and nothing else of EventBridge, and may not write the table', () => {
    const [, fn] = functionNamed('event-publisher');
    const actions = actionsOf(fn);
    expect(actions.filter((a) => a.startsWith('events:'))).toEqual(['events:PutEvents']);
    expect(actions.some((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toBe(false);
    const put = statementsOf(fn).find((s) => s.Action === 'events:PutEvents');
    expect(JSON.stringify(put?.Resource)).toContain('Bus');
    expect(fn.Properties.Environment).toMatchObject({ Variables: { EVENT_BUS_NAME: expect.anything() } });
  });
});

describe('webhook delivery', () => {
  it('sends every governance event from the bus to an encrypted queue with a redrive to a dead-letter queue', () => {
    workflows.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [GOVERNANCE_EVENT_SOURCE] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebhookQueue'), 'Arn'] },
          DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
        }),
      ],
    });
    workflows.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
      VisibilityTimeout: 360,
    });
  });

  it('drains the queue with the dispatcher, reporting per-message failures, with the allowed hosts from config', () => {
    const [id, fn] = functionNamed('webhook-dispatcher');
    workflows.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: id },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(fn.Properties.Environment).toMatchObject({
      Variables: { WEBHOOK_ALLOWED_HOSTS: 'hooks.example.org', TABLE_NAME: expect.anything() },
    });
    const table = actionsOf(fn).filter((a) => a.startsWith('dynamodb:'));
    expect(table).not.toContain('dynamodb:DeleteItem');
    expect(table).not.toContain('dynamodb:UpdateItem');
    expect(table).toContain('dynamodb:PutItem');
  });

  it('allows no webhook host by default', () => {
    // The dev stage without overrides is the shared dev app: no second synthesis.
    const fresh = Template.fromStack(devGovernanceApp().workflows);
    const fn = Object.values(fresh.findResources('AWS::Lambda::Function') as Resources).find(
      (f) => f.Properties.FunctionName === 'governance-dev-webhook-dispatcher',
    );
    expect(fn?.Properties.Environment).toMatchObject({ Variables: { WEBHOOK_ALLOWED_HOSTS: '' } });
    fresh.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('alarms on dead letters of the publisher, the webhook queue and the rules', () => {
    for (const name of ['event-publisher-dead-letters', 'webhook-dead-letters', 'event-rule-dead-letters']) {
      workflows.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `governance-dev-${name}`,
        AlarmActions: [Match.objectLike({ Ref: Match.anyValue() })],
      });
    }
  });

  it('alarms when the publisher lags the table stream by more than 5 minutes for 15 minutes', () => {
    workflows.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'governance-dev-event-publisher-iterator-age',
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
      EvaluationPeriods: 3,
      Dimensions: [{ Name: 'FunctionName', Value: Match.anyValue() }],
      AlarmActions: [Match.objectLike({ Ref: Match.anyValue() })],
    });
  });
});

describe('the webhook secrets key', () => {
  const keyId = () => Object.keys(workflows.findResources('AWS::KMS::Key')).find((id) => id.includes('WebhookSecrets'));
  const onKey = (s: Record<string, unknown>) => JSON.stringify(s.Resource).includes(keyId() as string);
  const grants = (s: Record<string, unknown>) => [s.Action].flat() as string[];
  const underContext = {
    StringEquals: { 'kms:EncryptionContext:purpose': 'webhook-signing-secret' },
    Null: { 'kms:EncryptionContext:webhookId': 'false' },
  };

  it('rotates, is retained with the secrets it seals, and denies decryption to all but the dispatcher', () => {
    const [, dispatcher] = functionNamed('webhook-dispatcher');
    const role = (dispatcher.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const key = workflows.findResources('AWS::KMS::Key')[keyId() as string] as Resources[string] & {
      DeletionPolicy?: string;
    };

    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    const deny = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement.find(
      (s) => s.Effect === 'Deny',
    );
    expect(deny).toMatchObject({ Principal: { AWS: '*' }, Action: ['kms:Decrypt', 'kms:ReEncrypt*'] });
    expect(deny?.Condition).toEqual({ ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [role, 'Arn'] }] } });
  });

  it('may be decrypted by the dispatcher alone, under a subscription context', () => {
    const [, dispatcher] = functionNamed('webhook-dispatcher');
    const decryptors = Object.values(workflows.findResources('AWS::Lambda::Function') as Resources).filter((fn) =>
      statementsOf(fn).some(
        (s) => (onKey(s) || s.Resource === '*') && grants(s).some((a) => /^kms:(Decrypt|\*)$/.test(a)),
      ),
    );

    expect(decryptors.map((fn) => fn.Properties.FunctionName)).toEqual(['governance-dev-webhook-dispatcher']);
    expect(statementsOf(dispatcher).filter(onKey).flatMap(grants).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt']);
    for (const s of statementsOf(dispatcher).filter(onKey)) expect(s.Condition).toEqual(underContext);
    expect(dispatcher.Properties.Environment).toMatchObject({
      Variables: { WEBHOOK_SECRETS_KEY_ID: { 'Fn::GetAtt': [keyId(), 'Arn'] } },
    });
  });

  it("lets the API stack's webhooks function encrypt only, under a subscription context, and no other API function", () => {
    const api = Template.fromStack(built.stateless);
    const fns = api.findResources('AWS::Lambda::Function') as Resources;
    const policies = Object.values(api.findResources('AWS::IAM::Policy') as Resources);
    const statementsIn = (fn: Resources[string]) => {
      const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
      return policies
        .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${role}"`))
        .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement);
    };
    const onImportedKey = (s: Record<string, unknown>) => JSON.stringify(s.Resource).includes('WebhookSecretsKey');
    const webhooksApi = Object.values(fns).find((fn) => fn.Properties.FunctionName === 'governance-dev-api-webhooks');

    expect(webhooksApi).toBeDefined();
    const sealing = statementsIn(webhooksApi as Resources[string]).filter(onImportedKey);
    expect(sealing.flatMap(grants)).toEqual(['kms:Encrypt']);
    for (const s of sealing) expect(s.Condition).toEqual(underContext);
    expect(JSON.stringify(webhooksApi?.Properties.Environment)).toContain('WEBHOOK_SECRETS_KEY_ID');
    const others = Object.values(fns).filter((fn) => fn !== webhooksApi);
    expect(others.flatMap((fn) => statementsIn(fn).filter(onImportedKey))).toEqual([]);
  });
});

describe('notifications', () => {
  it('mails approval requests and incidents through a KMS-encrypted topic that refuses plain HTTP', () => {
    workflows.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'governance-dev-governance-notifications',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NotificationKey'), 'Arn'] },
    });
    workflows.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'governance-team@example.org',
    });
    const policies = Object.values(workflows.findResources('AWS::SNS::TopicPolicy') as Resources);
    expect(JSON.stringify(policies)).toContain('"aws:SecureTransport":"false"');
    workflows.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [GOVERNANCE_EVENT_SOURCE], 'detail-type': [...NOTIFICATION_EVENT_TYPES] },
    });
  });

  it('uses the same types and source as the event catalogue', () => {
    expect([...NOTIFICATION_EVENT_TYPES].sort()).toEqual([...NOTIFY_EVENT_TYPES].sort());
    expect(GOVERNANCE_EVENT_SOURCE).toBe(EVENT_SOURCE);
  });

  it('sends the event types the metric rollups count to the rollup queue, drained by the consumer with a dead-letter queue', () => {
    // Assess
    expect([...ROLLUP_EVENT_TYPES].sort()).toEqual([...ROLLUP_ACTIONS].sort());
    workflows.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [GOVERNANCE_EVENT_SOURCE], 'detail-type': [...ROLLUP_EVENT_TYPES] },
    });
    workflows.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: Match.objectLike({}),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    workflows.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('rollup-dead-letters$'),
    });
    workflows.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: Match.stringLikeRegexp('rollup-consumer-errors$'),
    });
  });

  it('lets EventBridge use the topic key for this account only, with a rotating key', () => {
    workflows.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'events.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': Match.anyValue() } }),
          }),
        ]),
      },
    });
  });
});

describe('cdk-nag on the events construct', () => {
  it('reports no unacknowledged finding under it', () => {
    const path = built.workflows.events.node.path;
    const findings = nagPacks(built.app).flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
    );
    expect(findings.filter((f) => f.includes(path))).toEqual([]);
  });
});
