// Events of the organisation chain (policy transitions, ADR 0024): published from the committed audit item with no
// system, and delivered only to subscriptions without a system filter.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import type { GovernanceEvent } from '../../../functions/domain/events.js';
import { createWebhookDispatcher } from '../../../functions/events/dispatcher.js';
import { type BusEntry, createEventPublisher } from '../../../functions/events/publisher.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { ensureOrganisationChain } from '../../../functions/store/organisation-chain.js';
import { runUnitOfWork } from '../../../functions/store/unit-of-work.js';
import { createAesGcmSecretCipher } from '../../../functions/store/webhook-secrets.js';
import { systemInput } from '../../support/fixtures.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';
import { streamEvent, streamRecord } from '../../unit/audit/fixture.js';

const admin = { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin' as const] };
const secrets = createAesGcmSecretCipher(randomBytes(32));

/** A receiver on 127.0.0.1 that accepts every delivery and keeps the bodies. */
async function receiver(): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, bodies, server };
}

describe('events of the organisation chain', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  const servers: Server[] = [];

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((done) => s.close(done));
    await drop?.();
  });

  it('are published without a system and reach only the subscriptions that name no system', async () => {
    // Prepare: a subscription to one system's events and one to every event, both to everything ('*').
    const owner = principal('omar.owner', ['model_owner'], { teams: ['support-ai'] });
    const { system } = await store.systems.createSystem(actorOf(owner), systemInput());
    const [filtered, unfiltered] = [await receiver(), await receiver()];
    servers.push(filtered.server, unfiltered.server);
    const common = { events: ['*'], ownerTeam: null, description: null };
    const toSystem = await store.webhooks.createWebhook(
      admin,
      { url: filtered.url, systemId: system.id, ...common },
      secrets,
    );
    const toAll = await store.webhooks.createWebhook(
      admin,
      { url: unfiltered.url, systemId: null, ...common },
      secrets,
    );
    // A policy activation on the organisation chain, committed after both subscriptions.
    await ensureOrganisationChain(store.ctx);
    const { events } = await runUnitOfWork(store.ctx, ORGANISATION_CHAIN_ID, admin, [], (tx) => {
      tx.audit({ action: 'policy.activated', entityType: 'policy', entityId: 'policy-v2', after: { version: 2 } });
    });
    const entries: BusEntry[] = [];
    const publish = createEventPublisher({
      put: async (batch) => {
        entries.push(...batch);
        return batch.map(() => undefined);
      },
    });
    const dispatcher = createWebhookDispatcher({
      store: { ...store.webhooks, webhookTargets: () => store.webhooks.webhookTargets(secrets) },
      allowedHosts: ['127.0.0.1:*'],
      retry: { attempts: 2, baseMs: 10, maxMs: 20 },
    });

    // Act
    const published = await publish(streamEvent(events.map((e, i) => streamRecord(e, i + 1))));
    const detail = JSON.parse(entries[0]?.Detail ?? '{}') as GovernanceEvent;
    const outcomes = await dispatcher.dispatch(detail);

    // Assess
    expect(published.batchItemFailures).toEqual([]);
    expect(detail).toMatchObject({ id: 'org:1', systemId: null, type: 'policy.activated', audit: { seq: 1 } });
    expect(outcomes).toEqual([{ webhookId: toAll.subscription.id, outcome: 'delivered', attempts: 1 }]);
    expect(unfiltered.bodies.map((b) => JSON.parse(b).id)).toEqual(['org:1']);
    expect(filtered.bodies).toEqual([]);
    expect(toSystem.subscription.systemId).toBe(system.id);
  });
});
