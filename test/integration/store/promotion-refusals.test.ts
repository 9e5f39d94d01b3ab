// Refused promotions on the audit chain (ADR 0037), on DynamoDB Local: one record per candidate, caller and reason
// set per hour and per Idempotency-Key, under conditions (two processes racing write one event), and an outbox for a
// record that could not be written at once, which the drain writes later.
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockReason } from '../../../functions/domain/errors.js';
import type { PromotionRefusal } from '../../../functions/domain/promotion-refusal.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { createDocumentClient } from '../../../functions/store/client.js';
import { createStore, type GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { systemInput } from '../../support/fixtures.js';
import { draftCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, dynamoEndpoint, principal } from '../../support/store.js';

const REASONS: BlockReason[] = [
  { code: 'EVAL_MISSING', message: 'the candidate has no eval run' },
  { code: 'INVALID_STATE', message: 'the candidate is draft' },
];

/** A document client over the same DynamoDB Local whose TransactWriteItems fail with `error` (and are counted). */
function failingTransactions(error: () => Error): { doc: DynamoDBDocumentClient; transactions: () => number } {
  const doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  let count = 0;
  const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
  (doc as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    if (command instanceof TransactWriteCommand) {
      count++;
      throw error();
    }
    return send(command);
  };
  return { doc, transactions: () => count };
}

describe('refused promotions on the audit chain', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let peer: (options?: { queuePerSystem?: boolean }) => GovernanceStore;
  let base: GovernedSystem;
  let candidateId: string;

  const refusal = (overrides: Partial<PromotionRefusal> = {}): PromotionRefusal => ({
    systemId: base.system.id,
    candidateId,
    environment: 'production',
    kind: 'promote',
    reasons: REASONS,
    refusedAt: '2026-12-07T10:15:00.000Z',
    ...overrides,
  });
  const refusalsOf = async (systemId: string): Promise<AuditEvent[]> => {
    const events = await allPages((page) => store.audit.listAuditEvents({ systemId, order: 'asc' }, page));
    return events.filter((e) => e.action === 'release.promotion_refused');
  };

  beforeAll(async () => {
    ({ store, tableName, drop, peer } = await createTestStore());
    base = await governedSystem(store, { cases: 2 });
    candidateId = (await draftCandidate(store, base)).id;
  });
  afterAll(async () => drop());

  it('records a refusal as release.promotion_refused with the caller, the candidate and every reason', async () => {
    // Prepare
    const before = await store.audit.verifyStoredChain(base.system.id);

    // Act
    const outcome = await store.refusals.recordPromotionRefusal(owner, refusal({ refusedAt: '2026-12-07T08:00:00Z' }));

    // Assess
    expect(outcome).toEqual({ outcome: 'recorded', seq: before.headSeq + 1 });
    const [event] = (await refusalsOf(base.system.id)).filter((e) => e.seq === before.headSeq + 1);
    expect(event).toMatchObject({
      entityType: 'candidate',
      entityId: candidateId,
      actor: { userId: owner.userId },
      before: null,
      after: { candidateId, environment: 'production', kind: 'promote', reasons: REASONS },
    });
    const chain = await store.audit.verifyStoredChain(base.system.id);
    expect(chain).toMatchObject({ ok: true, events: before.events + 1 });
  });

  it('records one refusal per candidate, caller and reason set within an hour, and another for a new set or hour', async () => {
    // Prepare
    const at = (time: string) => refusal({ refusedAt: `2026-12-07T${time}.000Z` });
    const first = await store.refusals.recordPromotionRefusal(owner, at('09:05:00'));

    // Act
    const sameHourReordered = await store.refusals.recordPromotionRefusal(owner, {
      ...at('09:55:00'),
      reasons: [...REASONS].reverse(),
    });
    const otherCaller = await store.refusals.recordPromotionRefusal(
      actorOf(principal('ada.admin', ['admin'])),
      at('09:10:00'),
    );
    const otherReasons = await store.refusals.recordPromotionRefusal(owner, {
      ...at('09:20:00'),
      reasons: [REASONS[0] as BlockReason],
    });
    const nextHour = await store.refusals.recordPromotionRefusal(owner, at('10:01:00'));

    // Assess
    expect(first.outcome).toBe('recorded');
    expect(sameHourReordered).toEqual({ outcome: 'duplicate' });
    expect(otherCaller.outcome).toBe('recorded');
    expect(otherReasons.outcome).toBe('recorded');
    expect(nextHour.outcome).toBe('recorded');
    expect((await store.audit.verifyStoredChain(base.system.id)).ok).toBe(true);
  });

  it('records one refusal per Idempotency-Key of a caller, whatever the reasons', async () => {
    // Prepare
    const keyed = refusal({ refusedAt: '2026-12-07T11:00:00.000Z', idempotencyKey: 'deploy-42' });
    const first = await store.refusals.recordPromotionRefusal(owner, keyed);

    // Act
    const again = await store.refusals.recordPromotionRefusal(owner, {
      ...keyed,
      reasons: [REASONS[1] as BlockReason],
    });

    // Assess
    expect(first.outcome).toBe('recorded');
    expect(again).toEqual({ outcome: 'duplicate' });
    const recorded = (await refusalsOf(base.system.id)).filter((e) => e.after?.idempotencyKey === 'deploy-42');
    expect(recorded).toHaveLength(1);
  });

  it('writes one event when two processes record the same refusal at once', async () => {
    // Prepare: two stores without the per-process queue, as two Lambda containers
    const { system } = await store.systems.createSystem(owner, systemInput({ name: 'race of refusals' }));
    const same = refusal({ systemId: system.id, refusedAt: '2026-12-07T12:30:00.000Z' });

    // Act
    const outcomes = await Promise.all([
      peer({ queuePerSystem: false }).refusals.recordPromotionRefusal(owner, same),
      peer({ queuePerSystem: false }).refusals.recordPromotionRefusal(owner, same),
    ]);

    // Assess
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'recorded']);
    expect(await refusalsOf(system.id)).toHaveLength(1);
    expect((await store.audit.verifyStoredChain(system.id)).ok).toBe(true);
  });

  it('queues a refusal DynamoDB throttled in the outbox, and the drain writes it once', async () => {
    // Prepare: a process whose transactions are throttled
    const { system } = await store.systems.createSystem(owner, systemInput({ name: 'throttled refusals' }));
    const throttled = failingTransactions(
      () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
    );
    const slow = createStore({ doc: throttled.doc, tableName });
    const refused = refusal({ systemId: system.id, refusedAt: '2026-12-07T13:00:00.000Z' });
    const depthBefore = await store.refusals.refusalOutboxDepth();

    // Act
    const outcome = await slow.refusals.recordPromotionRefusal(owner, refused);
    const queuedEvents = await refusalsOf(system.id);
    const drained = await store.refusals.drainRefusalOutbox();
    const drainedAgain = await store.refusals.drainRefusalOutbox();

    // Assess
    expect(outcome).toEqual({ outcome: 'queued', error: 'ProvisionedThroughputExceededException' });
    expect(queuedEvents).toHaveLength(0);
    expect(drained).toMatchObject({ recorded: depthBefore + 1, failed: 0 });
    expect(drainedAgain).toEqual({ recorded: 0, duplicates: 0, failed: 0 });
    expect(await store.refusals.refusalOutboxDepth()).toBe(0);
    const [event] = await refusalsOf(system.id);
    expect(event).toMatchObject({ actor: { userId: owner.userId }, after: { refusedAt: refused.refusedAt } });
    expect((await store.audit.verifyStoredChain(system.id)).ok).toBe(true);
  });

  it('tries a lost race for the chain head once more, then queues the refusal', async () => {
    // Prepare: a process whose every transaction loses a race
    const contended = failingTransactions(() =>
      Object.assign(new Error('conflict'), { name: 'TransactionConflictException' }),
    );
    const racing = createStore({ doc: contended.doc, tableName, queuePerSystem: false });

    // Act
    const outcome = await racing.refusals.recordPromotionRefusal(owner, refusal({ refusedAt: '2026-12-07T14:00:00Z' }));

    // Assess: two attempts, then the outbox; a drain with DynamoDB answering writes it
    expect(contended.transactions()).toBe(2);
    expect(outcome).toEqual({ outcome: 'queued', error: 'ContentionError' });
    expect(await store.refusals.drainRefusalOutbox()).toMatchObject({ recorded: 1, failed: 0 });
  });

  it('keeps a refusal in the outbox, counting attempts, while the drain cannot write it', async () => {
    // Prepare
    const throttled = failingTransactions(
      () => new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
    );
    const slow = createStore({ doc: throttled.doc, tableName });
    await slow.refusals.recordPromotionRefusal(owner, refusal({ refusedAt: '2026-12-07T15:00:00Z' }));

    // Act
    const report = await slow.refusals.drainRefusalOutbox();

    // Assess
    expect(report).toEqual({ recorded: 0, duplicates: 0, failed: 1 });
    expect(await store.refusals.refusalOutboxDepth()).toBe(1);
    expect(await store.refusals.drainRefusalOutbox()).toMatchObject({ recorded: 1, failed: 0 });
  });
});
