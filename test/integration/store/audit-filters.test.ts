// GET /api/audit-events' filters in the store, on DynamoDB Local: action, actor and entity as a filter expression,
// time as a key condition, over one chain and over every chain's timeline, with cursors through short pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../functions/domain/types.js';
import type { AuditFilter } from '../../../functions/store/audit.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { promptInput, systemInput } from '../../support/fixtures.js';
import { owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const admin = actorOf(principal('ada.admin', ['admin']));

describe('audit events filtered on the server', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let clock = Date.parse('2026-12-01T09:00:00.000Z');
  let first: string;
  let second: string;

  /** Every event the filter selects, following cursors page by page (`limit` per page). */
  async function all(filter: AuditFilter, limit = 2): Promise<{ events: AuditEvent[]; pages: number }> {
    const events: AuditEvent[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const page = await store.audit.listAuditEvents(filter, { limit, cursor });
      events.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { events, pages };
  }

  beforeAll(async () => {
    // Prepare: two systems; each event an hour after the one before (the store's clock)
    ({ store, drop } = await createTestStore({
      now: () => {
        clock += 60 * 60 * 1000;
        return new Date(clock);
      },
    }));
    first = (await store.systems.createSystem(owner, systemInput({ name: 'first' }))).system.id;
    second = (await store.systems.createSystem(admin, systemInput({ name: 'second' }))).system.id;
    for (const name of ['a', 'b', 'c']) await store.artefacts.createPrompt(owner, promptInput(first, { name }));
    await store.artefacts.createPrompt(admin, promptInput(second, { name: 'd' }));
  });
  afterAll(async () => drop());

  it('narrows one chain to an action, following cursors through pages the filter left short', async () => {
    // Act
    const { events } = await all({ systemId: first, action: 'prompt.created', order: 'asc' }, 1);

    // Assess
    expect(events.map((e) => [e.systemId, e.action, e.seq])).toEqual([
      [first, 'prompt.created', 2],
      [first, 'prompt.created', 3],
      [first, 'prompt.created', 4],
    ]);
  });

  it('narrows every chain to an actor and to an entity', async () => {
    // Act
    const byAdmin = await all({ actor: 'ada.admin' });
    const prompt = (await all({ systemId: first, action: 'prompt.created' })).events[0] as AuditEvent;
    const byEntity = await all({ entityId: prompt.entityId });

    // Assess
    expect(byAdmin.events.map((e) => [e.systemId, e.action])).toEqual([
      [second, 'prompt.created'],
      [second, 'system.registered'],
    ]);
    expect(byEntity.events.map((e) => e.entityId)).toEqual([prompt.entityId]);
  });

  it('narrows to a time range, both ends included, over one chain and over every chain', async () => {
    // Prepare: the instants of the first chain's events
    const chain = (await all({ systemId: first, order: 'asc' })).events;
    const from = (chain[1] as AuditEvent).at;
    const to = (chain[2] as AuditEvent).at;

    // Act
    const ofChain = await all({ systemId: first, from, to, order: 'asc' });
    const ofEveryChain = await all({ from, order: 'asc' }, 100);

    // Assess
    expect(ofChain.events.map((e) => e.seq)).toEqual([2, 3]);
    expect(ofEveryChain.events.every((e) => e.at >= from)).toBe(true);
    expect(ofEveryChain.events).toHaveLength(4);
  });

  it('returns nothing when nothing matches, and may say so only after a page the filter emptied', async () => {
    // Act: the chain of the second system holds two events; a page of two reads both and keeps none
    const { events, pages } = await all({ systemId: second, action: 'release.promotion_refused' });

    // Assess: an empty page with a cursor, then an empty page without one (the short pages ADR 0037 documents)
    expect(events).toEqual([]);
    expect(pages).toBeLessThanOrEqual(2);
  });
});
