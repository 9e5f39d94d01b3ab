// Refused promotions and rollbacks on the audit chain (issue 18 item 4, ADR 0037). A refusal commits nothing of its
// own, so its record is a unit of work of its own, after the refusal: the audit event `release.promotion_refused`
// with dedup items under conditions (one record per candidate, caller and reason set per hour, one per
// Idempotency-Key), so two concurrent refusals write one event. A record that cannot be written at once (throttling,
// a chain head that kept moving) goes to an outbox that a scheduled drain writes later. Nothing here throws: the
// caller's answer is the refusal, whatever happens to its record.
import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../domain/errors.js';
import {
  type PromotionRefusal,
  refusalAuditFields,
  refusalFingerprint,
  refusalHour,
  refusalKeyFingerprint,
} from '../domain/promotion-refusal.js';
import type { Actor } from '../domain/types.js';
import { type Condition, updateParams } from './expressions.js';
import { keys } from './keys.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

const HOUR_SECONDS = 60 * 60;
const DAY_SECONDS = 24 * HOUR_SECONDS;
/** How long a refusal waits in the outbox before DynamoDB's TTL drops it (the drain runs every few minutes). */
export const OUTBOX_TTL_SECONDS = 3 * DAY_SECONDS;

/** What became of a refusal's record. */
export type RefusalRecordOutcome =
  | { outcome: 'recorded'; seq: number }
  | { outcome: 'duplicate' }
  /** Not written now; the outbox holds it for the drain. `error` is the error's name, never its message. */
  | { outcome: 'queued'; error: string }
  /** Neither written nor queued (the outbox write failed too): the caller logs it. */
  | { outcome: 'lost'; error: string };

/** A duplicate refusal: its dedup item exists (an error only so that the unit of work stops without retrying). */
class RefusalAlreadyRecorded extends ConflictError {}

const seconds = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);

/**
 * Writes the refusal's audit event on its system's chain with its dedup items, in one transaction; a lost race for
 * the chain's head is tried once more, then the refusal is left to the caller (the outbox).
 */
async function writeRefusal(
  ctx: StoreContext,
  actor: Actor,
  refusal: PromotionRefusal,
): Promise<{ outcome: 'recorded'; seq: number } | { outcome: 'duplicate' }> {
  const hourKey = keys.refusalOfHour(
    refusal.candidateId,
    refusalHour(refusal.refusedAt),
    refusalFingerprint(actor.userId, refusal.reasons),
  );
  const refusedAt = seconds(refusal.refusedAt);
  const duplicate = () => new RefusalAlreadyRecorded('this refusal is already recorded');
  try {
    const { events } = await runUnitOfWork({ ...ctx, maxAttempts: 2 }, refusal.systemId, actor, [], (tx) => {
      const event = tx.audit(refusalAuditFields(refusal));
      const nowSeconds = seconds(tx.now);
      tx.put(
        { ...hourKey, itemType: 'refusal_dedup', seq: event.seq, ttl: refusedAt + HOUR_SECONDS + DAY_SECONDS },
        [{ path: 'pk', op: 'not_exists' }],
        duplicate,
      );
      if (refusal.idempotencyKey !== undefined) {
        const keyItem = keys.refusalOfKey(
          refusal.candidateId,
          refusalKeyFingerprint(actor.userId, refusal.idempotencyKey),
        );
        // Idempotency-Keys live 24 hours (the idempotency records'); DynamoDB deletes expired items lazily.
        const free: Condition = {
          anyOf: [[{ path: 'pk', op: 'not_exists' }], [{ path: 'ttl', op: '<', value: nowSeconds }]],
        };
        tx.put(
          { ...keyItem, itemType: 'refusal_dedup', seq: event.seq, ttl: nowSeconds + DAY_SECONDS },
          [free],
          duplicate,
        );
      }
      return event.seq;
    });
    return { outcome: 'recorded', seq: events[0]?.seq ?? 0 };
  } catch (error) {
    if (error instanceof RefusalAlreadyRecorded) return { outcome: 'duplicate' };
    throw error;
  }
}

/**
 * Records a refusal of the gate: `release.promotion_refused` on the system's chain, once per candidate, caller and
 * reason set per hour and once per Idempotency-Key; when it cannot be written now, in the outbox. Never throws.
 */
export async function recordPromotionRefusal(
  ctx: StoreContext,
  actor: Actor,
  refusal: PromotionRefusal,
): Promise<RefusalRecordOutcome> {
  let failure: unknown;
  try {
    return await writeRefusal(ctx, actor, refusal);
  } catch (error) {
    failure = error;
  }
  const error = errorName(failure);
  try {
    const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: {
          ...keys.refusalOutbox(refusal.refusedAt, randomUUID()),
          itemType: 'refusal_outbox',
          actor: { userId: actor.userId, name: actor.name, roles: [...actor.roles] },
          refusal,
          attempts: 1,
          lastError: error,
          ttl: nowSeconds + OUTBOX_TTL_SECONDS,
        },
      }),
    );
    return { outcome: 'queued', error };
  } catch (outboxFailure) {
    return { outcome: 'lost', error: `${error}; outbox: ${errorName(outboxFailure)}` };
  }
}

/** The name of an error (never its message: a message may quote a request). */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

export interface OutboxDrainReport {
  recorded: number;
  duplicates: number;
  /** Still in the outbox, for the next pass. */
  failed: number;
}

/**
 * Writes the refusals waiting in the outbox, oldest first, up to `limit` of them; each one written (or found already
 * written: the dedup items make the drain idempotent) leaves the outbox, each failure stays for the next pass.
 */
export async function drainRefusalOutbox(
  ctx: StoreContext,
  options: { limit?: number } = {},
): Promise<OutboxDrainReport> {
  const report: OutboxDrainReport = { recorded: 0, duplicates: 0, failed: 0 };
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.refusalOutboxPartition },
      ConsistentRead: true,
      Limit: options.limit ?? 100,
    }),
  );
  for (const item of out.Items ?? []) {
    const key = { pk: item.pk as string, sk: item.sk as string };
    try {
      const written = await writeRefusal(ctx, item.actor as Actor, item.refusal as PromotionRefusal);
      if (written.outcome === 'recorded') report.recorded++;
      else report.duplicates++;
      await ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: key }));
    } catch (error) {
      report.failed++;
      await ctx.doc
        .send(
          new UpdateCommand({
            TableName: ctx.tableName,
            Key: key,
            ...updateParams({
              set: { lastError: errorName(error) },
              add: { attempts: 1 },
              conditions: [{ path: 'pk', op: 'exists' }],
            }),
          }),
        )
        .catch(() => undefined);
    }
  }
  return report;
}

/** How many refusals wait in the outbox (up to `limit`), for tests and the drain's log line. */
export async function refusalOutboxDepth(ctx: StoreContext, limit = 1000): Promise<number> {
  const out = await ctx.doc.send(
    new QueryCommand({
      TableName: ctx.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.refusalOutboxPartition },
      ConsistentRead: true,
      Select: 'COUNT',
      Limit: limit,
    }),
  );
  return out.Count ?? 0;
}
