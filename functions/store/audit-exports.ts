// Audit export jobs in the table (ADR 0044): one item per job (pk AEX#<id>, sk META: the filter, who asked, progress,
// the objects' sizes, a TTL). The job claims the item with a lease before it writes, so a duplicated or retried
// delivery of the request runs it once at a time; each ending is conditional on the job still running, so the first
// ending stands. An export changes nothing governed: no audit event, no governance event.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AuditExport,
  type AuditExportFilter,
  type AuditExportFormat,
  auditExportExpiry,
} from '../domain/audit-export.js';
import { NotFoundError } from '../domain/errors.js';
import { buildCondition, buildUpdate } from './expressions.js';
import { keys } from './keys.js';
import { getItem } from './query.js';
import type { Item, StoreContext } from './unit-of-work.js';

interface AuditExportItem extends Item {
  id: string;
  status: AuditExport['status'];
  filter: AuditExportFilter;
  requestedBy: { userId: string; name: string };
  startedAt: string;
  finishedAt: string | null;
  events: number;
  bytes: Record<AuditExportFormat, number> | null;
  error: string | null;
  /** Epoch milliseconds until which an invocation holds the job; absent before the first claim. */
  leaseUntil?: number;
  ttl: number;
}

function view(item: AuditExportItem): AuditExport {
  return {
    id: item.id,
    status: item.status,
    filter: item.filter,
    requestedBy: item.requestedBy,
    startedAt: item.startedAt,
    finishedAt: item.finishedAt,
    events: item.events,
    bytes: item.bytes,
    error: item.error,
  };
}

/** Records a new export of `filter`, status running; the caller starts its job. */
export async function createAuditExport(
  ctx: StoreContext,
  input: { id: string; filter: AuditExportFilter; requestedBy: { userId: string; name: string } },
): Promise<AuditExport> {
  const startedAt = ctx.now().toISOString();
  const item: AuditExportItem = {
    ...keys.auditExport(input.id),
    itemType: 'audit-export',
    id: input.id,
    status: 'running',
    filter: input.filter,
    requestedBy: input.requestedBy,
    startedAt,
    finishedAt: null,
    events: 0,
    bytes: null,
    error: null,
    ttl: auditExportExpiry(startedAt),
  };
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: item,
      ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
    }),
  );
  return view(item);
}

/** The export, or a 404 when there is none or it has expired (DynamoDB deletes expired items some time later). */
export async function getAuditExport(ctx: StoreContext, id: string): Promise<AuditExport> {
  const item = (await getItem(ctx, keys.auditExport(id))) as AuditExportItem | undefined;
  if (!item || item.ttl < Math.floor(ctx.now().getTime() / 1000)) {
    throw new NotFoundError(`audit export ${id} not found`, { id });
  }
  return view(item);
}

/**
 * Claims a running export for `leaseMs` (an invocation's time): the export when this caller now holds it, undefined
 * when it has ended, is unknown, or another invocation holds an unexpired lease (a duplicated delivery).
 */
export async function claimAuditExport(
  ctx: StoreContext,
  id: string,
  leaseMs: number,
): Promise<AuditExport | undefined> {
  const now = ctx.now().getTime();
  try {
    const out = await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.auditExport(id),
        ...buildUpdate({
          set: { leaseUntil: now + leaseMs, events: 0 },
          conditions: [
            { path: 'status', op: '=', value: 'running' },
            { anyOf: [[{ path: 'leaseUntil', op: 'not_exists' }], [{ path: 'leaseUntil', op: '<', value: now }]] },
          ],
        }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return view(out.Attributes as AuditExportItem);
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

/** Records how many events a running export has written so far (what its status shows while it runs). */
export async function recordAuditExportProgress(ctx: StoreContext, id: string, events: number): Promise<void> {
  await endOrUpdate(ctx, id, { events });
}

/** Ends a running export as succeeded, with the events written and each object's size. */
export async function finishAuditExport(
  ctx: StoreContext,
  id: string,
  result: { events: number; bytes: Record<AuditExportFormat, number> },
): Promise<void> {
  await endOrUpdate(ctx, id, {
    status: 'succeeded',
    finishedAt: ctx.now().toISOString(),
    events: result.events,
    bytes: result.bytes,
  });
}

/** Ends a running export as failed with `message` (a sentence for the requester: no secrets, no internals). */
export async function failAuditExport(ctx: StoreContext, id: string, message: string): Promise<void> {
  await endOrUpdate(ctx, id, { status: 'failed', finishedAt: ctx.now().toISOString(), error: message });
}

async function endOrUpdate(ctx: StoreContext, id: string, set: Record<string, unknown>): Promise<void> {
  await ctx.doc
    .send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.auditExport(id),
        ...buildUpdate({ set, conditions: [{ path: 'status', op: '=', value: 'running' }] }),
      }),
    )
    .catch((error: unknown) => {
      // Already ended (or expired): the first ending stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
}
