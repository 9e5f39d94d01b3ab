// Webhook signing secrets at rest in DynamoDB Local: sealed under their subscription's encryption context, never in
// plain in the item; a ciphertext moved onto another subscription does not decrypt there; and the migration seals
// the plaintext secrets an older version wrote, the dispatcher signing with the same secret after, idempotently.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGovernanceEvent } from '../../../functions/domain/events.js';
import { newId } from '../../../functions/domain/ids.js';
import { createWebhookDispatcher } from '../../../functions/events/dispatcher.js';
import { hasValidSignature } from '../../../functions/events/signature.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { MIGRATIONS } from '../../../functions/store/migrations/all.js';
import { runMigrations } from '../../../functions/store/migrations/index.js';
import { createAesGcmSecretCipher, SecretDecryptionError } from '../../../functions/store/webhook-secrets.js';
import { putLegacyWebhook } from '../../support/legacy-webhook.js';
import { createTestStore } from '../../support/store.js';

const admin = { userId: 'ada.admin', name: 'Ada', roles: ['admin' as const] };
const secrets = createAesGcmSecretCipher(randomBytes(32));

function incident(systemId: string) {
  return toGovernanceEvent({
    systemId,
    seq: 1,
    prevHash: '0'.repeat(64),
    hash: 'e'.repeat(64),
    action: 'incident.opened',
    entityType: 'incident',
    entityId: 'inc_1',
    actor: admin,
    at: new Date(Date.now() + 1000).toISOString(),
    before: null,
    after: { status: 'open', severity: 'high', title: 't' },
    reason: null,
  });
}

describe('webhook signing secrets at rest', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let server: Server;
  let url = '';
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    await new Promise((done) => server?.close(done));
    await drop?.();
  });

  const item = async (id: string) =>
    (
      await store.ctx.doc.send(
        new GetCommand({ TableName: store.ctx.tableName, Key: keys.webhook(id), ConsistentRead: true }),
      )
    ).Item ?? {};
  const subscribe = (systemId: string) =>
    store.webhooks.createWebhook(
      admin,
      { url, events: ['incident.*'], systemId, ownerTeam: null, description: null },
      secrets,
    );
  const dispatcher = () =>
    createWebhookDispatcher({
      store: { ...store.webhooks, webhookTargets: () => store.webhooks.webhookTargets(secrets) },
      allowedHosts: ['127.0.0.1:*'],
      retry: { attempts: 1, baseMs: 1, maxMs: 1 },
    });
  const targetOf = async (id: string) => (await store.webhooks.webhookTargets(secrets)).find((t) => t.id === id);

  it('stores no plaintext secret in the item, only a ciphertext that decrypts for that subscription', async () => {
    const { subscription, secret } = await subscribe(newId('sys'));

    const stored = await item(subscription.id);

    expect(stored.secret).toBeUndefined();
    expect(typeof stored.secretCiphertext).toBe('string');
    expect(JSON.stringify(stored)).not.toContain(secret.slice('whsec_'.length));
    expect(await (await targetOf(subscription.id))?.signingSecret()).toBe(secret);
  });

  it('refuses a ciphertext copied onto another subscription: it does not decrypt, and nothing is sent there', async () => {
    const systemId = newId('sys');
    const source = await subscribe(newId('sys'));
    const target = await subscribe(systemId);
    const copied = (await item(source.subscription.id)).secretCiphertext;
    await store.ctx.doc.send(
      new UpdateCommand({
        TableName: store.ctx.tableName,
        Key: keys.webhook(target.subscription.id),
        UpdateExpression: 'SET secretCiphertext = :c',
        ExpressionAttributeValues: { ':c': copied },
      }),
    );
    const before = received.length;

    const decrypted = await (await targetOf(target.subscription.id))?.signingSecret().catch((error: unknown) => error);
    const [outcome] = await dispatcher().dispatch(incident(systemId));

    expect(decrypted).toBeInstanceOf(SecretDecryptionError);
    expect(outcome).toMatchObject({ webhookId: target.subscription.id, outcome: 'refused' });
    expect(received.length).toBe(before);
    const log = await store.webhooks.listDeliveries(target.subscription.id);
    expect(log.items).toMatchObject([{ outcome: 'refused', error: expect.stringMatching(/does not decrypt/) }]);
  });

  it('migrates a plaintext secret in place: the dispatcher signs with the same secret, and a second run changes nothing', async () => {
    const systemId = newId('sys');
    const legacy = await putLegacyWebhook(store, { url, events: ['incident.*'], systemId });
    const lines: string[] = [];
    const context = { doc: store.ctx.doc, tableName: store.ctx.tableName, log: (l: string) => lines.push(l) };

    const ran = await runMigrations({ ...context, webhookSecrets: secrets }, MIGRATIONS);
    const migrated = await item(legacy.id);
    const sent = incident(systemId);
    const [outcome] = await dispatcher().dispatch(sent);
    const again = await runMigrations({ ...context, webhookSecrets: secrets }, MIGRATIONS);
    const resealed = await store.webhooks.encryptPlaintextSecrets(secrets);

    expect(ran).toContain('0002-encrypt-webhook-secrets');
    expect(lines.join('\n')).toMatch(/0002-encrypt-webhook-secrets.*\(1 items/);
    expect(migrated.secret).toBeUndefined();
    expect(JSON.stringify(migrated)).not.toContain(legacy.secret.slice('whsec_'.length));
    expect(outcome).toMatchObject({ webhookId: legacy.id, outcome: 'delivered' });
    const delivery = received.find((r) => r.headers['webhook-id'] === sent.id);
    if (!delivery) throw new Error('no delivery');
    const header = (name: string) => delivery.headers[name] as string;
    expect(
      hasValidSignature(
        legacy.secret,
        sent.id,
        Number(header('webhook-timestamp')),
        delivery.body,
        header('webhook-signature'),
      ),
    ).toBe(true);
    expect(again).toEqual([]);
    expect(resealed).toBe(0);
    expect(await item(legacy.id)).toEqual(migrated);
  });
});
