// Webhook delivery against receivers on 127.0.0.1, with subscriptions and the delivery log in DynamoDB Local.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createReceiver, verifyDelivery } from '../../../docs/examples/webhook-receiver.js';
import { type GovernanceEvent, toGovernanceEvent } from '../../../functions/domain/events.js';
import { newId } from '../../../functions/domain/ids.js';
import { createWebhookDispatcher, type RetryPolicy } from '../../../functions/events/dispatcher.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createAesGcmSecretCipher } from '../../../functions/store/webhook-secrets.js';
import { createTestStore } from '../../support/store.js';

let SYSTEM = '';
const FAST: RetryPolicy = { attempts: 3, baseMs: 20, maxMs: 100 };
const admin = { userId: 'ada.admin', name: 'Ada', roles: ['admin' as const] };
const secrets = createAesGcmSecretCipher(randomBytes(32));

let seq = 0;
function event(type = 'release.promoted'): GovernanceEvent {
  seq++;
  return toGovernanceEvent({
    systemId: SYSTEM,
    seq,
    prevHash: '0'.repeat(64),
    hash: 'b'.repeat(64),
    action: type,
    entityType: 'candidate',
    entityId: 'rc_01JABCDEFGHJKMNPQRSTVWXYZ0',
    actor: admin,
    at: new Date(Date.now() + 1000).toISOString(),
    before: { status: 'approved' },
    after: { status: 'active', environment: 'production' },
    reason: null,
  });
}

interface Receiver {
  url: string;
  connections: number;
  requests: { headers: Record<string, string | string[] | undefined>; body: string }[];
  server: Server;
}

/** A receiver on 127.0.0.1 that answers the statuses given in turn (the last one from then on). */
async function receiver(statuses: number[]): Promise<Receiver> {
  const r = { connections: 0, requests: [] } as unknown as Receiver;
  r.server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    r.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(statuses[Math.min(r.requests.length - 1, statuses.length - 1)] ?? 200).end();
  });
  r.server.on('connection', () => r.connections++);
  await new Promise<void>((done) => r.server.listen(0, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hooks`;
  return r;
}

describe('webhook delivery', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  const servers: Server[] = [];

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  // Each test has its own system, so the subscriptions of one never see the events of another.
  beforeEach(() => {
    SYSTEM = newId('sys');
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((done) => s.close(done));
  });
  afterAll(async () => drop?.());

  // The dispatcher's view of the store, with the test's cipher of signing secrets.
  const webhookLog = () => ({ ...store.webhooks, webhookTargets: () => store.webhooks.webhookTargets(secrets) });
  const dispatcherFor = (allowedHosts: string[]) =>
    createWebhookDispatcher({ store: webhookLog(), allowedHosts, retry: FAST, timeoutMs: 2_000 });

  async function subscribe(url: string, events = ['release.*'], systemId?: string) {
    return store.webhooks.createWebhook(
      admin,
      { url, events, systemId: systemId ?? SYSTEM, ownerTeam: null, description: null },
      secrets,
    );
  }

  it('reaches the example receiver, which accepts the real delivery once and refuses a tampered copy', async () => {
    // The subscription needs the URL and the receiver the secret: reserve a free port first.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((done) => probe.close(done));
    const { secret } = await subscribe(`http://127.0.0.1:${port}/hooks`);
    const accepted: string[] = [];
    const server = createReceiver(secret, (e) => accepted.push(e.id));
    servers.push(server);
    await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
    const sent = event();

    const [outcome] = await dispatcherFor(['127.0.0.1:*']).dispatch(sent);
    const tampered = await fetch(`http://127.0.0.1:${port}/hooks`, {
      method: 'POST',
      headers: {
        'webhook-id': sent.id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': 'v1,AAAA',
      },
      body: JSON.stringify({ ...sent, type: 'release.rolled_back' }),
    });

    expect(outcome?.outcome).toBe('delivered');
    expect(accepted).toEqual([sent.id]);
    expect(tampered.status).toBe(401);
  });

  it('delivers a signed body that verifies with the secret and names the event in webhook-id', async () => {
    const r = await receiver([200]);
    servers.push(r.server);
    const { subscription, secret } = await subscribe(r.url);
    const sent = event();

    const [outcome] = await dispatcherFor(['127.0.0.1:*']).dispatch(sent);

    expect(outcome).toMatchObject({ webhookId: subscription.id, outcome: 'delivered', attempts: 1 });
    const request = r.requests[0];
    if (!request) throw new Error('no request');
    expect(request.headers['webhook-id']).toBe(sent.id);
    expect(request.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(request.body)).toEqual(sent);
    const verification = verifyDelivery(secret, request);
    expect(verification.ok).toBe(true);
    expect(verifyDelivery(secret, { ...request, body: request.body.replace('active', 'rolled_back') })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    const log = await store.webhooks.listDeliveries(subscription.id);
    expect(log.items).toMatchObject([{ eventId: sent.id, attempt: 1, outcome: 'delivered', statusCode: 200 }]);
    expect(log.items[0]?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('retries after a failing receiver: two attempts in the log, the first failed with its next retry time', async () => {
    const r = await receiver([503, 200]);
    servers.push(r.server);
    const { subscription } = await subscribe(r.url);
    const sent = event();

    const [outcome] = await dispatcherFor(['127.0.0.1:*']).dispatch(sent);

    expect(outcome).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(r.requests.map((q) => q.headers['webhook-id'])).toEqual([sent.id, sent.id]);
    const log = (await store.webhooks.listDeliveries(subscription.id)).items;
    expect(log.map((a) => [a.attempt, a.outcome, a.statusCode])).toEqual([
      [2, 'delivered', 200],
      [1, 'failed', 503],
    ]);
    expect(log[1]?.nextRetryAt).not.toBeNull();
    expect(log[0]?.nextRetryAt).toBeNull();
  });

  it('gives up after the bounded attempts and logs each one', async () => {
    const r = await receiver([500]);
    servers.push(r.server);
    const { subscription } = await subscribe(r.url);

    const [outcome] = await dispatcherFor(['127.0.0.1:*']).dispatch(event());

    expect(outcome).toMatchObject({ outcome: 'failed', attempts: 3 });
    expect(r.requests).toHaveLength(3);
    const log = (await store.webhooks.listDeliveries(subscription.id)).items;
    expect(log.map((a) => a.attempt)).toEqual([3, 2, 1]);
    expect(log[0]?.nextRetryAt).toBeNull();
  });

  it('starts no further attempt once stopped: the wait before a retry ends with the outcome failed', async () => {
    const r = await receiver([500]);
    servers.push(r.server);
    await subscribe(r.url);
    const stop = new AbortController();
    const dispatcher = createWebhookDispatcher({
      store: webhookLog(),
      allowedHosts: ['127.0.0.1:*'],
      retry: { attempts: 5, baseMs: 60_000, maxMs: 60_000 },
      signal: stop.signal,
      sleep: async () => stop.abort(),
    });

    const [outcome] = await dispatcher.dispatch(event());

    expect(outcome).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(r.requests).toHaveLength(1);
  });

  it('refuses a host outside the allowed list without connecting, and does not retry', async () => {
    const r = await receiver([200]);
    servers.push(r.server);
    const { subscription } = await subscribe(r.url);

    const [outcome] = await dispatcherFor(['localhost:*']).dispatch(event());

    expect(outcome).toMatchObject({ outcome: 'refused', attempts: 1 });
    expect(r.connections).toBe(0);
    const log = (await store.webhooks.listDeliveries(subscription.id)).items;
    expect(log).toMatchObject([
      { outcome: 'refused', statusCode: null, error: expect.stringMatching(/not an allowed host/) },
    ]);
  });

  it('does not send an event twice to a subscription that already received it (redelivered stream record)', async () => {
    const r = await receiver([200]);
    servers.push(r.server);
    await subscribe(r.url);
    const sent = event();
    const dispatcher = dispatcherFor(['127.0.0.1:*']);

    await dispatcher.dispatch(sent);
    const again = await dispatcher.dispatch(sent);

    expect(again.map((o) => o.outcome)).toEqual(['already_delivered']);
    expect(r.requests).toHaveLength(1);
  });

  it("sends nothing for events outside a subscription's filter or system, or older than the subscription", async () => {
    const r = await receiver([200]);
    servers.push(r.server);
    await subscribe(r.url, ['incident.*']);
    await subscribe(r.url, ['*'], 'sys_01JZZZZZZZZZZZZZZZZZZZZZZZ');
    const old = { ...event('incident.opened'), time: '2020-01-01T00:00:00.000Z' };

    const outcomes = [
      ...(await dispatcherFor(['127.0.0.1:*']).dispatch(event())),
      ...(await dispatcherFor(['127.0.0.1:*']).dispatch(old)),
    ];

    expect(outcomes).toEqual([]);
    expect(r.connections).toBe(0);
  });
});
