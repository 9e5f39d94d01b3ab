// Promotion: the candidate becomes the active release of its environment (rules 2 and 3). The domain decides
// whether it may (`assertPromotable`); `promotionConditions` states the same rules as conditions of the one
// transaction, so a verdict that raced a change, or a write that skipped it, commits nothing.
import { snapshotAuthors } from '../../domain/authorship.js';
import { type BlockReasonCode, ConflictError } from '../../domain/errors.js';
import {
  activeReleaseChanged,
  assertPromotable,
  type GateFacts,
  type GateVerdict,
  gateInput,
} from '../../domain/gate.js';
import { newId } from '../../domain/ids.js';
import {
  type ApprovalPolicy,
  blockingSeverities,
  DEFAULT_POLICY,
  evalValidFrom,
  promotionRulesFor,
} from '../../domain/policy.js';
import type { Actor, AiSystem, Environment, PromotionEvent, ReleaseCandidate } from '../../domain/types.js';
import type { Condition } from '../expressions.js';
import { keys, toEntity } from '../keys.js';
import { judgingPolicy, samePolicyCopy } from '../policy-in-force.js';
import { queryAll } from '../query.js';
import { type Key, runUnitOfWork, type StoreContext, type SystemTx } from '../unit-of-work.js';
import { getCandidate } from './build.js';
import { candidateWaiverIds, gateFacts, gateKeys, withWaivers } from './gate-facts.js';

/** The promotion's conditions, as data: on the system's META, on the candidate's update and on the items it names. */
export interface PromotionConditions {
  meta: Condition[];
  candidate: Condition[];
  checks: { key: Key; conditions: Condition[] }[];
}

/**
 * The gate's rules that the table can check in the promotion transaction, for the facts as read. Whatever else the
 * verdict used (the risk tier, the model card's sections) lives on the system's META, whose audit head the unit of
 * work conditions on: a change there cancels the transaction too.
 */
export function promotionConditions(
  facts: GateFacts,
  environment: Environment,
  expectedActiveCandidateId: string | null,
  policy: ApprovalPolicy = DEFAULT_POLICY,
  now?: string,
  verdict?: Pick<GateVerdict, 'waived' | 'used'>,
): PromotionConditions {
  const { candidate } = facts;
  // A waived rule is not a condition of its own: the waiver it used is (below), so that a waiver withdrawn, expired
  // or never approved cannot carry a promotion that raced it.
  const waived = new Set<BlockReasonCode>((verdict?.waived ?? []).map((w) => w.code));
  // EVAL_EXPIRED: the run finished no earlier than the policy's validity allows at the transaction's instant.
  const validFrom =
    now === undefined || waived.has('EVAL_EXPIRED')
      ? null
      : evalValidFrom(promotionRulesFor(facts.system.riskTier, environment, policy), now);
  const meta: Condition[] = [
    // ACTIVE_RELEASE_CHANGED, BLOCKING_INCIDENT_OPEN (the counter of each severity that blocks this tier and
    // environment; a missing counter, on a META not yet recounted, refuses too), SYSTEM_RETIRED
    { path: `activeReleases.${environment}`, op: '=', value: expectedActiveCandidateId },
    ...(waived.has('BLOCKING_INCIDENT_OPEN') ? [] : blockingSeverities(facts.system.riskTier, environment, policy)).map(
      (severity): Condition => ({ path: `openIncidents.${severity}`, op: '=', value: 0 }),
    ),
    { path: 'status', op: '<>', value: 'retired' },
    // The policy judged under: an activation copied since makes the promotion retry under the newer version
    samePolicyCopy(facts.system.policyVersion),
  ];
  const onCandidate: Condition[] = [
    { path: 'version', op: '=', value: candidate.version },
    // INVALID_STATE, WRONG_ENVIRONMENT
    { path: 'status', op: '=', value: 'approved' },
    { path: 'environment', op: '=', value: environment },
    { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
    // EVAL_MISSING: the candidate names a run (checked below)
    candidate.latestEvalRunId
      ? { path: 'latestEvalRunId', op: '=', value: candidate.latestEvalRunId }
      : { path: 'latestEvalRunId', op: '<>', value: null },
  ];
  const checks: PromotionConditions['checks'] = [];
  if (candidate.latestEvalRunId) {
    // EVAL_MISSING (another candidate's run), EVAL_FAILED, EVAL_STALE
    checks.push({
      key: keys.evalRun(candidate.latestEvalRunId),
      conditions: [
        { path: 'candidateId', op: '=', value: candidate.id },
        { path: 'status', op: '=', value: 'passed' },
        { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
        ...(validFrom !== null ? [{ path: 'finishedAt', op: '>=', value: validFrom } as Condition] : []),
      ],
    });
  }
  // APPROVALS_INCOMPLETE, APPROVAL_REJECTED, SEPARATION_OF_DUTIES, SNAPSHOT_INELIGIBLE: every record of the round
  // (one per distinct approver the policy asked of a role) approved, on this snapshot, by someone other than an author of it (by sub; the GitHub logins the domain judged
  // are fixed on an approved record) and than the reviewers of the other records.
  const authorSubs = [
    ...new Set(snapshotAuthors(facts).flatMap((a) => (a.identity.by === 'sub' ? [a.identity.userId] : []))),
  ];
  const reviewers = new Map(facts.approvals.map((a) => [a.id, a.reviewerId]));
  for (const approvalId of candidate.approvalIds) {
    const others = [...reviewers].filter(([id, reviewer]) => id !== approvalId && reviewer !== null);
    checks.push({
      key: keys.approval(approvalId),
      conditions: [
        { path: 'status', op: '=', value: 'approved' },
        { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
        ...authorSubs.map((sub): Condition => ({ path: 'reviewerId', op: '<>', value: sub })),
        ...others.map(([, reviewer]): Condition => ({ path: 'reviewerId', op: '<>', value: reviewer })),
      ],
    });
  }
  // SNAPSHOT_INELIGIBLE: both artefacts (and every judge) approved and still carrying the snapshot's hashes
  checks.push(
    {
      key: keys.prompt(candidate.promptVersionId),
      conditions: [
        { path: 'status', op: '=', value: 'approved' },
        { path: 'contentHash', op: '=', value: candidate.promptContentHash },
      ],
    },
    {
      key: keys.modelConfig(candidate.modelConfigId),
      conditions: [
        { path: 'status', op: '=', value: 'approved' },
        { path: 'contentHash', op: '=', value: candidate.modelConfigContentHash },
      ],
    },
    // Every judge the snapshot pins (ADR 0036): approved and of the pinned hash, so no judge changes under a release.
    ...(candidate.judgeConfigs ?? []).map((judge) => ({
      key: keys.judgeConfig(judge.id),
      conditions: [
        { path: 'status', op: '=', value: 'approved' },
        { path: 'contentHash', op: '=', value: judge.contentHash },
      ] satisfies Condition[],
    })),
  );
  // A waived reason: the waiver still approved, of this snapshot, and not expired at the transaction's instant.
  for (const waiver of verdict?.used ?? []) {
    checks.push({
      key: keys.relaxation(waiver.id),
      conditions: [
        { path: 'kind', op: '=', value: 'waiver' },
        { path: 'status', op: '=', value: 'approved' },
        { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
        { path: 'expiresAt', op: '>', value: now ?? new Date(0).toISOString() },
      ],
    });
  }
  return { meta, candidate: onCandidate, checks };
}

/**
 * Makes the candidate the active release of its environment. One transaction: the system's META (the expected
 * active release, no blocking incident, not retired), the candidate, the previous release, the evaluated run, every
 * required approval and both artefacts as conditions; the promotion event and the audit events as puts.
 */
export async function promoteCandidate(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: { environment?: Environment; expectedActiveCandidateId: string | null; reason?: string | null },
  override?: ApprovalPolicy,
): Promise<{ candidate: ReleaseCandidate; promotion: PromotionEvent }> {
  const current = await getCandidate(ctx, id);
  const environment = input.environment ?? current.environment;
  const expected = input.expectedActiveCandidateId;
  // The candidate's waivers are found before the unit of work and read again in it (strongly, on every attempt):
  // a waiver approved in between is simply not used; one withdrawn or expired fails its condition check.
  const waiverIds = await candidateWaiverIds(ctx, id);
  const preload = [...gateKeys(current), ...waiverIds.map(keys.relaxation)];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, async (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    // The policy in force for this system (ADR 0023); a test may name one.
    const policy = override ?? (await judgingPolicy(ctx, tx.meta, current.policyVersion));
    const facts = withWaivers(
      gateFacts((k) => tx.get(k), system, id),
      waiverIds,
      (k) => tx.get(k),
    );
    if (
      facts.candidate.approvalIds.join() !== current.approvalIds.join() ||
      facts.candidate.latestEvalRunId !== current.latestEvalRunId
    ) {
      throw new ConflictError('the candidate changed while it was being promoted; try again', {
        code: 'INVALID_STATE',
      });
    }
    const verdict = assertPromotable(gateInput(facts, environment, expected, policy, tx.now));
    return writePromotion(tx, actor, facts, environment, expected, input.reason ?? null, policy, verdict);
  });
  return result;
}

/**
 * Writes the promotion of `facts.candidate` into `tx` under `promotionConditions`, without judging it: callers
 * judge first (promoteCandidate); a test that skips the verdict proves the conditions refuse on their own.
 */
export function writePromotion(
  tx: SystemTx,
  actor: Actor,
  facts: GateFacts,
  environment: Environment,
  expected: string | null,
  reason: string | null,
  policy: ApprovalPolicy = DEFAULT_POLICY,
  verdict?: Pick<GateVerdict, 'waived' | 'used'>,
): { candidate: ReleaseCandidate; promotion: PromotionEvent } {
  const { system, candidate } = facts;
  const id = candidate.id;
  const conditions = promotionConditions(facts, environment, expected, policy, tx.now, verdict);
  const previous = system.activeReleases[environment];
  tx.metaSpec.set[`activeReleases.${environment}`] = id;
  if (system.status === 'draft') tx.metaSpec.set.status = 'active';
  tx.metaSpec.conditions.push(...conditions.meta);
  tx.metaConflict = (now) => {
    const actual = ((now.activeReleases ?? {}) as Record<string, string | null>)[environment] ?? null;
    return activeReleaseChanged(expected, actual);
  };
  tx.update(keys.candidate(id), {
    set: { status: 'active', activatedAt: tx.now },
    add: { version: 1 },
    conditions: conditions.candidate,
  });
  for (const check of conditions.checks) tx.check(check.key, check.conditions);
  if (previous) {
    tx.update(keys.candidate(previous), {
      set: { status: 'superseded', deactivatedAt: tx.now },
      add: { version: 1 },
      conditions: [{ path: 'status', op: '=', value: 'active' }],
    });
  }
  const promotion: PromotionEvent = {
    id: newId('prm'),
    systemId: system.id,
    environment,
    kind: 'promote',
    candidateId: id,
    previousCandidateId: previous,
    actor: actor.userId,
    reason,
    at: tx.now,
  };
  tx.put({ ...keys.promotion(system.id, promotion.id), itemType: 'promotion', ...promotion });
  if (previous) {
    tx.audit({
      action: 'candidate.superseded',
      entityType: 'candidate',
      entityId: previous,
      before: { status: 'active' },
      after: { status: 'superseded', supersededBy: id },
    });
  }
  tx.audit({
    action: 'release.promoted',
    entityType: 'candidate',
    entityId: id,
    before: { status: candidate.status, activeRelease: previous },
    after: {
      status: 'active',
      activeRelease: id,
      environment,
      promotionId: promotion.id,
      snapshotHash: candidate.snapshotHash,
      ...(system.status === 'draft' ? { systemStatus: 'active' } : {}),
      ...(verdict?.waived.length
        ? { waived: verdict.waived.map((w) => ({ code: w.code, requestId: w.requestId, expiresAt: w.expiresAt })) }
        : {}),
    },
    reason,
  });
  return {
    candidate: { ...candidate, status: 'active' as const, activatedAt: tx.now, version: candidate.version + 1 },
    promotion,
  };
}

/** The promotion and rollback history of a system, oldest first. */
export function promotionHistory(ctx: StoreContext, systemId: string): Promise<PromotionEvent[]> {
  const p = keys.promotionPrefix(systemId);
  return queryAll<PromotionEvent>(ctx, { partition: p.pk, prefix: p.skPrefix });
}
