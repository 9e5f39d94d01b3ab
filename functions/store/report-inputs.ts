// Everything the EU AI Act report of one system is built from (functions/domain/compliance-report.ts), read page by
// page with Queries and BatchGets, never a Scan. The audit chain is walked once for the report's digest without
// keeping its events (a system's chain grows without bound), and once more by the same chain check the audit API uses.
import type { ApprovalDecision, AuditDigest, ComplianceReportInput } from '../domain/compliance-report.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  EvalRun,
  ModelConfigVersion,
  PromptVersion,
  ReviewerRole,
} from '../domain/types.js';
import { listAuditEvents, verifyStoredChain } from './audit.js';
import { listCandidates, promotionHistory, rollbackHistory } from './candidates.js';
import { listDatasets } from './datasets.js';
import { listEvalRuns } from './eval-runs.js';
import { listIncidents } from './incidents.js';
import { keys, toEntity } from './keys.js';
import { allPages } from './pagination.js';
import { getSystem } from './systems.js';
import { batchGet, type StoreContext } from './unit-of-work.js';

/** Queries in flight at once while reading per-candidate lists (eval runs): enough to overlap, not to throttle. */
const CONCURRENCY = 8;

export type ReportStoreInputs = Omit<ComplianceReportInput, 'archive' | 'generatedAt' | 'generatedBy'>;

/** The registry's records of one system that its compliance report shows. */
export async function reportInputs(ctx: StoreContext, systemId: string): Promise<ReportStoreInputs> {
  const system = await getSystem(ctx, systemId);
  const [candidates, promotions, rollbacks, datasets, incidents, audit, chain] = await Promise.all([
    allPages((page) => listCandidates(ctx, { systemId }, page)),
    promotionHistory(ctx, systemId),
    rollbackHistory(ctx, systemId),
    allPages((page) => listDatasets(ctx, { systemId }, page)),
    allPages((page) => listIncidents(ctx, { systemId }, page)),
    auditDigest(ctx, systemId),
    verifyStoredChain(ctx, systemId),
  ]);
  const runsPerCandidate = await mapLimit(candidates, CONCURRENCY, (c) =>
    allPages((page) => listEvalRuns(ctx, { candidateId: c.id }, page)),
  );
  const evalRuns: EvalRun[] = runsPerCandidate.flat();
  const referenced = await batchGet(ctx, [
    ...[...new Set(candidates.map((c) => c.promptVersionId))].map(keys.prompt),
    ...[...new Set(candidates.map((c) => c.modelConfigId))].map(keys.modelConfig),
    ...candidates.flatMap((c) => c.approvalIds).map(keys.approval),
  ]);
  const prompts: PromptVersion[] = [];
  const modelConfigs: ModelConfigVersion[] = [];
  const approvals: ApprovalRecord[] = [];
  for (const item of referenced.values()) {
    const pk = item.pk as string;
    if (pk.startsWith('PV#')) prompts.push(toEntity<PromptVersion>(item));
    else if (pk.startsWith('MC#')) modelConfigs.push(toEntity<ModelConfigVersion>(item));
    else if (pk.startsWith('APR#')) approvals.push(toEntity<ApprovalRecord>(item));
  }
  const { systemId: _id, ...check } = chain;
  return {
    system,
    candidates,
    promotions,
    rollbacks,
    evalRuns,
    approvals,
    datasets,
    prompts,
    modelConfigs,
    incidents,
    audit,
    chain: check,
  };
}

/** One pass over the chain, oldest first: counts by action, first and last times, and every approval decision. */
export async function auditDigest(ctx: StoreContext, systemId: string): Promise<AuditDigest> {
  const digest: AuditDigest = { events: 0, firstAt: null, lastAt: null, byAction: {}, approvalDecisions: [] };
  let cursor: string | null = null;
  do {
    const page = await listAuditEvents(ctx, { systemId, order: 'asc' }, { limit: 100, cursor });
    for (const event of page.items) add(digest, event);
    cursor = page.nextCursor;
  } while (cursor);
  return digest;
}

function add(digest: AuditDigest, event: AuditEvent) {
  digest.events += 1;
  digest.firstAt ??= event.at;
  digest.lastAt = event.at;
  digest.byAction[event.action] = (digest.byAction[event.action] ?? 0) + 1;
  if (event.entityType !== 'approval' || !event.action.startsWith('approval.')) return;
  const after = event.after ?? {};
  const decision = event.action.slice('approval.'.length) as ApprovalStatus;
  // An expiry is the release gate's doing, not a reviewer's: the record names no reviewer.
  const expired = decision === 'expired';
  const decisionOf: ApprovalDecision = {
    approvalId: event.entityId,
    candidateId: String(after.candidateId ?? ''),
    role: after.role as ReviewerRole,
    decision,
    reviewerId: expired ? '' : event.actor.userId,
    reviewerName: expired ? `none (expired by ${event.actor.name})` : event.actor.name,
    comment: event.reason,
    at: event.at,
    seq: event.seq,
  };
  digest.approvalDecisions.push(decisionOf);
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
