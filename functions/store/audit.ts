// The audit timeline and the chain check over what the table holds.
import { verifyChain } from '../domain/audit-chain.js';
import type { AuditEvent } from '../domain/types.js';
import { keys, queries } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import type { StoreContext } from './unit-of-work.js';

/** Events of one system's chain (by seq) or of every system (by time), newest first unless asked otherwise. */
export function listAuditEvents(
  ctx: StoreContext,
  filter: { systemId?: string; order?: 'asc' | 'desc' },
  page: PageRequest,
): Promise<Page<AuditEvent>> {
  const newestFirst = (filter.order ?? 'desc') === 'desc';
  if (filter.systemId) return queryPage(ctx, { partition: keys.auditPartition(filter.systemId), newestFirst, ...page });
  return queryPage(ctx, { ...queries.auditTimeline(), newestFirst, ...page });
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
