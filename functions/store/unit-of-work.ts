// One governed change of one system: everything it writes, the audit events it leaves and the system's audit
// head, committed in a single TransactWriteItems (rule 5). The head's seq is the system's optimistic lock, so any
// concurrent change of the same system makes one of the two transactions fail; that one re-reads and retries.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { buildAuditEvent } from '../domain/audit-chain.js';
import { ContentionError, type GovernanceError, NotFoundError } from '../domain/errors.js';
import type { Actor, AuditEvent } from '../domain/types.js';
import { buildCondition, buildUpdate, type Condition, type UpdateSpec } from './expressions.js';
import { keys } from './keys.js';
import type { CursorKeySource } from './pagination.js';

export interface StoreContext {
  doc: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
  /** Attempts of one unit of work under contention before a 503 (also bounded by 20 s). */
  maxAttempts?: number;
  /** Counts requests per operation, for the benchmark of requests per governed action. */
  meter?: RequestMeter;
  /** Told of each retry after a lost race for the audit head (the contention metric; no Powertools here). */
  onContentionRetry?: () => void;
  /** The key list cursors are sealed with, asked for when a list needs it (pagination.ts); absent, cursors are plain. */
  cursorKey?: CursorKeySource;
  /** Tail of the queue of units of work per system in this process (see withSystemQueue). */
  queues?: Map<string, Promise<unknown>>;
}

export interface RequestMeter {
  reads: number;
  writes: number;
  readCapacity: number;
  writeCapacity: number;
}

export type Key = { pk: string; sk: string };
export type Item = Record<string, unknown>;

export interface SystemMeta extends Item {
  pk: string;
  sk: string;
  auditSeq: number;
  auditHash: string;
}

export type AuditFields = Pick<AuditEvent, 'action' | 'entityType' | 'entityId'> &
  Partial<Pick<AuditEvent, 'before' | 'after' | 'reason'>>;

type Write =
  | { kind: 'put'; item: Item; conditions: Condition[]; onConflict?: () => GovernanceError }
  | { kind: 'update'; key: Key; spec: UpdateSpec; onConflict?: () => GovernanceError }
  | { kind: 'check'; key: Key; conditions: Condition[]; onConflict?: () => GovernanceError };

/** What one attempt of a unit of work sees and writes. */
export class SystemTx {
  readonly writes: Write[] = [];
  readonly events: AuditEvent[] = [];
  readonly metaSpec: Required<Pick<UpdateSpec, 'set' | 'add'>> & { conditions: Condition[] } = {
    set: {},
    add: {},
    conditions: [],
  };
  metaConflict?: (current: Item) => GovernanceError | undefined;
  private head: { seq: number; hash: string };

  constructor(
    readonly systemId: string,
    readonly meta: SystemMeta,
    readonly loaded: Map<string, Item>,
    readonly actor: Actor,
    readonly now: string,
  ) {
    this.head = { seq: meta.auditSeq, hash: meta.auditHash };
  }

  /** A preloaded item, or undefined when it does not exist. */
  get<T = Item>(key: Key): T | undefined {
    return this.loaded.get(`${key.pk}|${key.sk}`) as T | undefined;
  }

  put(item: Item, conditions: Condition[] = [{ path: 'pk', op: 'not_exists' }], onConflict?: () => GovernanceError) {
    this.writes.push({ kind: 'put', item, conditions, ...(onConflict ? { onConflict } : {}) });
  }

  update(key: Key, spec: UpdateSpec, onConflict?: () => GovernanceError) {
    this.writes.push({ kind: 'update', key, spec, ...(onConflict ? { onConflict } : {}) });
  }

  check(key: Key, conditions: Condition[], onConflict?: () => GovernanceError) {
    this.writes.push({ kind: 'check', key, conditions, ...(onConflict ? { onConflict } : {}) });
  }

  /** Adds the next event of the system's chain to this transaction. */
  audit(fields: AuditFields): AuditEvent {
    const event = buildAuditEvent(this.head, {
      systemId: this.systemId,
      action: fields.action,
      entityType: fields.entityType,
      entityId: fields.entityId,
      actor: this.actor,
      at: this.now,
      before: fields.before ?? null,
      after: fields.after ?? null,
      reason: fields.reason ?? null,
    });
    this.head = { seq: event.seq, hash: event.hash };
    this.events.push(event);
    return event;
  }

  get nextHead() {
    return this.head;
  }
}

const itemKey = (key: Key) => `${key.pk}|${key.sk}`;

/** Reads items strongly consistently in one BatchGetItem (plus retries of unprocessed keys). */
export async function batchGet(ctx: StoreContext, wanted: Key[]): Promise<Map<string, Item>> {
  const found = new Map<string, Item>();
  const unique = [...new Map(wanted.map((k) => [itemKey(k), { pk: k.pk, sk: k.sk }])).values()];
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: Key[]; ConsistentRead: boolean }> | undefined = {
      [ctx.tableName]: { Keys: unique.slice(i, i + 100), ConsistentRead: true },
    };
    for (let round = 0; request && round < 10; round++) {
      const out: BatchGetCommandOutput = await ctx.doc.send(
        new BatchGetCommand({ RequestItems: request, ReturnConsumedCapacity: 'TOTAL' }),
      );
      meterRead(
        ctx,
        out.ConsumedCapacity?.reduce((s, c) => s + (c.CapacityUnits ?? 0), 0),
      );
      for (const item of out.Responses?.[ctx.tableName] ?? []) found.set(itemKey(item as Key), item);
      const rest: Key[] | undefined = out.UnprocessedKeys?.[ctx.tableName]?.Keys as Key[] | undefined;
      request = rest?.length ? { [ctx.tableName]: { Keys: rest, ConsistentRead: true } } : undefined;
      if (request) await sleep(20 * 2 ** round);
    }
    if (request) throw new ContentionError('DynamoDB kept keys unprocessed; try again');
  }
  return found;
}

export function meterRead(ctx: StoreContext, capacity = 0) {
  if (ctx.meter) {
    ctx.meter.reads++;
    ctx.meter.readCapacity += capacity;
  }
}

function meterWrite(ctx: StoreContext, capacity = 0) {
  if (ctx.meter) {
    ctx.meter.writes++;
    ctx.meter.writeCapacity += capacity;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` against a fresh, strongly consistent read of the system's META (and `preload` keys) and commits what it
 * wrote with the audit events and the new audit head. Retries, bounded and with jittered backoff, when another
 * change of the same system committed first; errors that `work` throws (domain refusals) are never retried.
 */
export function runUnitOfWork<T>(
  ctx: StoreContext,
  systemId: string,
  actor: Actor,
  preload: Key[],
  work: (tx: SystemTx) => T | Promise<T>,
): Promise<{ result: T; events: AuditEvent[] }> {
  return withSystemQueue(ctx, systemId, () => attemptUnitOfWork(ctx, systemId, actor, preload, work));
}

/**
 * Queues the units of work of one system within this process, so that concurrent requests served by one process
 * (the local stack, a test) do not defeat each other's transactions only to retry. Correctness never depends on
 * it: across processes (Lambda containers) the audit-head condition and the retries keep the chain whole.
 */
function withSystemQueue<T>(ctx: StoreContext, systemId: string, fn: () => Promise<T>): Promise<T> {
  if (!ctx.queues) return fn();
  const queues = ctx.queues;
  const previous = queues.get(systemId) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  const tail = next.catch(() => undefined);
  queues.set(systemId, tail);
  void tail.then(() => {
    if (queues.get(systemId) === tail) queues.delete(systemId);
  });
  return next;
}

async function attemptUnitOfWork<T>(
  ctx: StoreContext,
  systemId: string,
  actor: Actor,
  preload: Key[],
  work: (tx: SystemTx) => T | Promise<T>,
): Promise<{ result: T; events: AuditEvent[] }> {
  const maxAttempts = ctx.maxAttempts ?? 40;
  const deadline = Date.now() + 20_000;
  for (let attempt = 0; attempt < maxAttempts && Date.now() < deadline; attempt++) {
    const metaKey = keys.system(systemId);
    const loaded = await batchGet(ctx, [metaKey, ...preload]);
    const meta = loaded.get(itemKey(metaKey)) as SystemMeta | undefined;
    if (!meta) throw new NotFoundError(`system ${systemId} not found`, { systemId });
    const tx = new SystemTx(systemId, meta, loaded, actor, ctx.now().toISOString());
    const result = await work(tx);
    const outcome = await commit(ctx, tx);
    if (outcome === 'committed') return { result, events: tx.events };
    if (outcome instanceof Error) throw outcome;
    ctx.onContentionRetry?.();
    await sleep(Math.random() * Math.min(500, 10 * 2 ** attempt));
  }
  throw new ContentionError('the system is changing too fast; try again', { systemId });
}

async function commit(ctx: StoreContext, tx: SystemTx): Promise<'committed' | 'retry' | GovernanceError> {
  if (tx.events.length === 0) throw new Error('a unit of work must leave at least one audit event');
  const head = tx.nextHead;
  const metaUpdate = buildUpdate({
    set: { ...tx.metaSpec.set, auditSeq: head.seq, auditHash: head.hash, updatedAt: tx.now },
    add: { ...tx.metaSpec.add, version: 1 },
    conditions: [{ path: 'auditSeq', op: '=', value: tx.meta.auditSeq }, ...tx.metaSpec.conditions],
  });
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
    {
      Update: {
        TableName: ctx.tableName,
        Key: keys.system(tx.systemId),
        ...metaUpdate,
        UpdateExpression: metaUpdate.UpdateExpression as string,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
  ];
  for (const w of tx.writes) {
    if (w.kind === 'put') {
      items.push({ Put: { TableName: ctx.tableName, Item: w.item, ...buildCondition(w.conditions) } });
    } else if (w.kind === 'update') {
      const built = buildUpdate(w.spec);
      items.push({
        Update: { TableName: ctx.tableName, Key: w.key, ...built, UpdateExpression: built.UpdateExpression as string },
      });
    } else {
      const built = buildCondition(w.conditions);
      items.push({
        ConditionCheck: {
          TableName: ctx.tableName,
          Key: w.key,
          ...built,
          ConditionExpression: built.ConditionExpression as string,
        },
      });
    }
  }
  for (const event of tx.events) {
    items.push({
      Put: {
        TableName: ctx.tableName,
        Item: auditItem(event),
        ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
      },
    });
  }
  try {
    const out = await ctx.doc.send(new TransactWriteCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }));
    meterWrite(
      ctx,
      out.ConsumedCapacity?.reduce((s, c) => s + (c.CapacityUnits ?? 0), 0),
    );
    return 'committed';
  } catch (error) {
    meterWrite(ctx);
    if (!(error instanceof TransactionCanceledException) && (error as Error).name !== 'TransactionCanceledException') {
      if ((error as Error).name === 'TransactionConflictException') return 'retry';
      throw error;
    }
    const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
    // An item DynamoDB cannot store (over 400 KB, too deep) is refused again on every retry: the caller's error.
    if (reasons.some((reason) => reason.Code === 'ValidationError')) throw error;
    // A write with its own meaning for a failed condition (a taken name, say) is final.
    for (const [i, reason] of reasons.entries()) {
      const write = i > 0 ? tx.writes[i - 1] : undefined;
      if (reason.Code === 'ConditionalCheckFailed' && write?.onConflict) return write.onConflict();
    }
    const metaReason = reasons[0];
    if (metaReason?.Code === 'ConditionalCheckFailed' && tx.metaConflict && metaReason.Item) {
      const current = unmarshall(metaReason.Item as Parameters<typeof unmarshall>[0]);
      const refusal = tx.metaConflict(current);
      if (refusal) return refusal;
    }
    return 'retry';
  }
}

/** The table item of an audit event: the chain partition, the global timeline index and the stream marker. */
export function auditItem(event: AuditEvent): Item {
  // The event's own entityType (what changed) is kept; the item type lives in `itemType` for the stream filter.
  return {
    ...event,
    ...keys.auditEvent(event.systemId, event.seq),
    ...keys.auditIndexes(event.at, event.systemId, event.seq),
    itemType: 'audit',
  };
}
