// Everything the EU AI Act report of one system is built from (functions/domain/compliance-report.ts), read page by
// page with Queries and BatchGets, never a Scan. The audit chain is walked once for the report's digest without
// keeping its events (a system's chain grows without bound), and once more by the same chain check the audit API uses.
// The policy is the system's in force (its META's copy), with the stored versions the report names.

import { ARTEFACT_KIND_NAMES, ARTEFACT_KINDS, pinnedIds, type SnapshotMember } from '../domain/artefact-kinds.js';
import type { ApprovalDecision, AuditDigest, ComplianceReportInput } from '../domain/compliance-report.js';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEvent,
  EvalRun,
  ReleaseCandidate,
  ReviewerRole,
} from '../domain/types.js';
import { ARTEFACT_STORE, type ArtefactKind, type ArtefactTypes } from './artefacts.js';
import { listAuditEvents, verifyStoredChain } from './audit.js';
import { listCandidates, promotionHistory, rollbackHistory } from './candidates.js';
import { listDatasets } from './datasets.js';
import { listEvalRuns } from './eval-runs.js';
import { listIncidents } from './incidents.js';
import { keys, toEntity } from './keys.js';
import { allPages } from './pagination.js';
import { allPolicyVersions, systemPolicy } from './policies.js';
import { getSystem } from './systems.js';
import { batchGet, type Item, type StoreContext } from './unit-of-work.js';

/** Queries in flight at once while reading per-candidate lists (eval runs): enough to overlap, not to throttle. */
const CONCURRENCY = 8;

export type ReportStoreInputs = Omit<ComplianceReportInput, 'archive' | 'generatedAt' | 'generatedBy'>;

/** The registry's records of one system that its compliance report shows. */
export async function reportInputs(ctx: StoreContext, systemId: string): Promise<ReportStoreInputs> {
  const system = await getSystem(ctx, systemId);
  const [candidates, promotions, rollbacks, datasets, incidents, audit, chain, policy, policyVersions] =
    await Promise.all([
      allPages((page) => listCandidates(ctx, { systemId }, page)),
      promotionHistory(ctx, systemId),
      rollbackHistory(ctx, systemId),
      allPages((page) => listDatasets(ctx, { systemId }, page)),
      allPages((page) => listIncidents(ctx, { systemId }, page)),
      auditDigest(ctx, systemId),
      verifyStoredChain(ctx, systemId),
      systemPolicy(ctx, systemId),
      allPolicyVersions(ctx),
    ]);
  const runsPerCandidate = await mapLimit(candidates, CONCURRENCY, (c) =>
    allPages((page) => listEvalRuns(ctx, { candidateId: c.id }, page)),
  );
  const evalRuns: EvalRun[] = runsPerCandidate.flat();
  const referenced = await batchGet(ctx, [
    ...pinnedVersionKeys(candidates),
    ...candidates.flatMap((c) => c.approvalIds).map(keys.approval),
  ]);
  const approvals: ApprovalRecord[] = [];
  for (const item of referenced.values()) {
    if ((item.pk as string).startsWith('APR#')) approvals.push(toEntity<ApprovalRecord>(item));
  }
  const { prompts, modelConfigs, judgeConfigs } = pinnedVersions([...referenced.values()]);
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
    judgeConfigs,
    incidents,
    audit,
    chain: check,
    policy,
    policyVersions,
  };
}

/** The keys of every version the candidates pin, of every registered kind a snapshot holds, each key once. */
export function pinnedVersionKeys(candidates: readonly ReleaseCandidate[]): { pk: string; sk: string }[] {
  return ARTEFACT_KIND_NAMES.flatMap((kind) => {
    const member = ARTEFACT_KINDS[kind].snapshot as SnapshotMember | null;
    if (!member) return [];
    const ids = candidates.flatMap((c) => pinnedIds(member, c));
    return [...new Set(ids)].map(ARTEFACT_STORE[kind].key);
  });
}

/** Versions the report shows, by the report input field each registered kind names as its evidence. */
type PinnedVersions = {
  [K in ArtefactKind as (typeof ARTEFACT_KINDS)[K]['evidence']]: ArtefactTypes[K]['version'][];
};

/** Sorts loaded items into the evidence lists of their kinds; items of other kinds are ignored. */
export function pinnedVersions(items: readonly Item[]): PinnedVersions {
  const lists: Record<string, unknown[]> = {};
  for (const kind of ARTEFACT_KIND_NAMES) {
    const prefix = ARTEFACT_STORE[kind].key('').pk;
    lists[ARTEFACT_KINDS[kind].evidence] = items
      .filter((item) => (item.pk as string).startsWith(prefix))
      .map((item) => toEntity(item));
  }
  return lists as PinnedVersions;
}

// Every kind's evidence must be a list of the compliance report's input: a kind left out fails to compile here.
const _evidenceInReport: Pick<ReportStoreInputs, keyof PinnedVersions> = {} as PinnedVersions;

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
