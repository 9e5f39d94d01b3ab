// The audit timeline and the chain check over what the table holds.
import { verifyChain } from '../domain/audit-chain.js';
import type { AuditEvent } from '../domain/types.js';
import type { Condition } from './expressions.js';
import { keys, queries } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import type { StoreContext } from './unit-of-work.js';

/** What an auditor narrows the timeline to (every member optional). */
export interface AuditFilter {
  systemId?: string;
  order?: 'asc' | 'desc';
  action?: string;
  /** The actor's userId. */
  actor?: string;
  entityId?: string;
  /** ISO 8601 instants, both included. */
  from?: string;
  to?: string;
}

/** The sort key range of the audit timeline index (`<at>#<systemId>#<seq>`) for an inclusive time range. */
function auditTimeRange(from: string | undefined, to: string | undefined): readonly [string, string] {
  // Instants are stored as toISOString(); `~` sorts after every `#<systemId>` suffix of the same instant.
  const lower = from === undefined ? '0' : new Date(from).toISOString();
  const upper = to === undefined ? '~' : `${new Date(to).toISOString()}#~`;
  return [lower, upper];
}

/** The filter expression's conditions of action, actor and entity (and the system, on the shared timeline). */
function auditFilterConditions(filter: AuditFilter, withSystem: boolean): Condition[] {
  return [
    ...(withSystem && filter.systemId ? [{ path: 'systemId', op: '=', value: filter.systemId } as Condition] : []),
    ...(filter.action ? [{ path: 'action', op: '=', value: filter.action } as Condition] : []),
    ...(filter.actor ? [{ path: 'actor.userId', op: '=', value: filter.actor } as Condition] : []),
    ...(filter.entityId ? [{ path: 'entityId', op: '=', value: filter.entityId } as Condition] : []),
  ];
}

/**
 * Events of one system's chain (by seq) or of every system (by time), newest first unless asked otherwise, narrowed
 * by action, actor, entity and time. Time is a key condition (the timeline index, one shard for one system); action,
 * actor and entity are a filter expression, applied after DynamoDB read a page: a page may hold fewer events than
 * the limit, even none, and still carry a cursor (ADR 0037).
 */
export function listAuditEvents(ctx: StoreContext, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEvent>> {
  const newestFirst = (filter.order ?? 'desc') === 'desc';
  const timed = filter.from !== undefined || filter.to !== undefined;
  if (filter.systemId && !timed) {
    const filters = auditFilterConditions(filter, false);
    return queryPage(ctx, {
      partition: keys.auditPartition(filter.systemId),
      newestFirst,
      ...(filters.length ? { filters } : {}),
      ...page,
    });
  }
  const filters = auditFilterConditions(filter, true);
  const timeline = filter.systemId ? queries.auditTimelineOfSystem(filter.systemId) : queries.auditTimeline();
  return queryPage(ctx, {
    ...timeline,
    ...(timed ? { between: auditTimeRange(filter.from, filter.to) } : {}),
    ...(filters.length ? { filters } : {}),
    newestFirst,
    ...page,
  });
}

export interface ChainReport {
  systemId: string;
  ok: boolean;
  events: number;
  headSeq: number;
  headHash: string | null;
  brokenAt: { seq: number; reason: string; message: string } | null;
}

/** Walks a system's whole chain page by page and checks every hash and link, and that it ends at the recorded head. */
export async function verifyStoredChain(ctx: StoreContext, systemId: string): Promise<ChainReport> {
  const meta = await getItem(ctx, keys.system(systemId));
  const headSeq = (meta?.auditSeq as number | undefined) ?? 0;
  const headHash = (meta?.auditHash as string | undefined) ?? null;
  const events = await queryAll<AuditEvent>(ctx, { partition: keys.auditPartition(systemId) });
  const verdict = verifyChain(events, { systemId, ...(headHash ? { head: { seq: headSeq, hash: headHash } } : {}) });
  const brokenAt = verdict.ok ? null : { seq: verdict.seq, reason: verdict.reason, message: verdict.message };
  return { systemId, ok: brokenAt === null, events: events.length, headSeq, headHash, brokenAt };
}
