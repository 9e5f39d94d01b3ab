// The webhook dispatcher's Lambda entry on the SQS queue: it reads the governance event from the EventBridge
// envelope, numbers attempts across receives, and reports a message whose delivery failed, so SQS retries it. Its
// first invocation seals the signing secrets a table still holds in plain (the AWS half of the migration).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGovernanceEvent } from '../../../functions/domain/events.js';
import { newId } from '../../../functions/domain/ids.js';
import { hasValidSignature } from '../../../functions/events/signature.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { aesGcmSecretCipherFromKeyText, type SecretCipher } from '../../../functions/store/webhook-secrets.js';
import { putLegacyWebhook } from '../../support/legacy-webhook.js';
import { createTestStore } from '../../support/store.js';

const admin = { userId: 'ada.admin', name: 'Ada', roles: ['admin' as const] };

function sqsMessage(systemId: string, seq: number, receiveCount: number): SQSEvent['Records'][number] {
  const event = toGovernanceEvent({
    systemId,
    seq,
    prevHash: '0'.repeat(64),
    hash: 'd'.repeat(64),
    action: 'incident.opened',
    entityType: 'incident',
    entityId: 'inc_1',
    actor: admin,
    at: new Date(Date.now() + 1000).toISOString(),
    before: null,
    after: { status: 'open', severity: 'high', title: 't' },
    reason: null,
  });
  const body = { version: '0', id: 'x', 'detail-type': event.type, source: event.source, detail: event };
  return {
    messageId: `m-${seq}`,
    receiptHandle: 'r',
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as unknown as SQSEvent['Records'][number];
}

describe('the dispatcher handler', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let server: Server;
  let answer = 500;
  let keyDir: string;
  let secrets: SecretCipher;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  // Written before the handler's first invocation, whichever test makes it: the cold start must seal it.
  const legacySystem = newId('sys');
  let legacy: { id: string; secret: string };

  beforeAll(async () => {
    let tableName: string;
    ({ store, drop, tableName } = await createTestStore());
    keyDir = await mkdtemp(join(tmpdir(), 'webhook-key-'));
    const keyText = randomBytes(32).toString('base64');
    await writeFile(join(keyDir, 'webhook-secrets.key'), keyText, { mode: 0o600 });
    secrets = aesGcmSecretCipherFromKeyText(keyText);
    process.env.TABLE_NAME = tableName;
    process.env.WEBHOOK_ALLOWED_HOSTS = '127.0.0.1:*';
    process.env.WEBHOOK_SECRETS_KEY_FILE = join(keyDir, 'webhook-secrets.key');
    server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/legacy`;
    legacy = await putLegacyWebhook(store, { url, events: ['incident.*'], systemId: legacySystem });
  });
  afterAll(async () => {
    delete process.env.WEBHOOK_SECRETS_KEY_FILE;
    await new Promise((done) => server.close(done));
    await rm(keyDir, { recursive: true, force: true });
    await drop?.();
  });

  it('seals a plaintext secret on its first invocation and still signs with that same secret', async () => {
    const { handler } = await import('../../../functions/events/dispatcher-handler.js');

    await handler({ Records: [] });
    answer = 200;
    const outcome = await handler({ Records: [sqsMessage(legacySystem, 1, 1)] });

    expect(outcome.batchItemFailures).toEqual([]);
    const item = await store.ctx.doc.send(
      new GetCommand({ TableName: store.ctx.tableName, Key: keys.webhook(legacy.id), ConsistentRead: true }),
    );
    expect(item.Item?.secret).toBeUndefined();
    expect(JSON.stringify(item.Item)).not.toContain(legacy.secret.slice('whsec_'.length));
    const delivery = received.find((r) => r.headers['webhook-id'] !== undefined && r.body.includes(legacySystem));
    if (!delivery) throw new Error('no delivery to the migrated subscription');
    const [id, timestamp, signature] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map(
      (h) => delivery.headers[h] as string,
    );
    expect(hasValidSignature(legacy.secret, id as string, Number(timestamp), delivery.body, signature as string)).toBe(
      true,
    );
  }, 30_000);

  it('reports a failed delivery for SQS to retry, and numbers the next receive after the first one', async () => {
    const { handler } = await import('../../../functions/events/dispatcher-handler.js');
    const systemId = newId('sys');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { subscription } = await store.webhooks.createWebhook(
      admin,
      { url, events: ['incident.*'], systemId, ownerTeam: null, description: null },
      secrets,
    );

    answer = 500;
    const failed = await handler({ Records: [sqsMessage(systemId, 1, 1)] });
    answer = 200;
    const retried = await handler({ Records: [sqsMessage(systemId, 1, 2)] });

    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(retried.batchItemFailures).toEqual([]);
    const log = (await store.webhooks.listDeliveries(subscription.id)).items;
    expect(log.map((a) => [a.attempt, a.outcome])).toEqual([
      [4, 'delivered'],
      [3, 'failed'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
  }, 30_000);
});
