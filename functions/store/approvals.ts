// Approval records: one required decision of one reviewer role on one candidate's snapshot, and the release gate's
// writes on them: the callback token of a pending record, the expiry of a round, the gate's own confirmation.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { snapshotAuthors } from '../domain/authorship.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { approvalDecisionCheck } from '../domain/gate.js';
import { approvalTally, tallyComplete } from '../domain/policy.js';
import type {
  Actor,
  ApprovalRecord,
  ApprovalStatus,
  CandidateStatus,
  EvalDataset,
  JudgeConfigVersion,
  ModelConfigVersion,
  Principal,
  PromptVersion,
  ReleaseCandidate,
  ReviewerRole,
} from '../domain/types.js';
import { getCandidate, loadCandidate, setCandidate } from './candidates.js';
import { buildUpdate } from './expressions.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

/** What a reviewer can decide; `expired` is the release gate's, never a reviewer's. */
export type Decision = Exclude<ApprovalStatus, 'pending' | 'expired'>;

/** One approval record, or a 404. */
export async function getApproval(ctx: StoreContext, id: string): Promise<ApprovalRecord> {
  const item = await getItem(ctx, keys.approval(id));
  if (!item) throw new NotFoundError(`approval ${id} not found`, { id });
  return toEntity<ApprovalRecord>(item);
}

/** The approval queue: records of one status (pending by default), optionally of one reviewer role, oldest first. */
export function listApprovals(
  ctx: StoreContext,
  filter: { status?: ApprovalStatus; role?: ReviewerRole },
  page: PageRequest,
): Promise<Page<ApprovalRecord>> {
  return queryPage<ApprovalRecord>(ctx, {
    ...queries.approvalQueue(filter.status ?? 'pending', filter.role),
    ...page,
  });
}

/**
 * Records a reviewer's decision. Approving the last required role approves the candidate in the same transaction;
 * a rejection rejects it; a request for changes sends it back to eval_passed for a new approval round.
 */
export async function decideApproval(
  ctx: StoreContext,
  reviewer: Principal,
  id: string,
  decision: Decision,
  comment: string | null,
): Promise<{ approval: ApprovalRecord; candidate: ReleaseCandidate }> {
  const item = await getItem(ctx, keys.approval(id));
  if (!item) throw new NotFoundError(`approval ${id} not found`, { id });
  const first = toEntity<ApprovalRecord>(item);
  const siblings = (item.siblingIds as string[] | undefined) ?? [id];
  // The snapshot's members are fixed when the candidate is built: read once to know whose authorship to load.
  const snapshot = await getCandidate(ctx, first.candidateId);
  const judgeConfigIds = [...new Set((snapshot.judgeConfigs ?? []).map((j) => j.modelConfigId))].filter(
    (c) => c !== snapshot.modelConfigId,
  );
  const artefactKeys = [
    keys.prompt(snapshot.promptVersionId),
    keys.modelConfig(snapshot.modelConfigId),
    ...(snapshot.judgeConfigs ?? []).map((j) => keys.judgeConfig(j.id)),
    ...judgeConfigIds.map(keys.modelConfig),
    ...snapshot.datasetIds.map(keys.dataset),
  ];
  const preload = [keys.candidate(first.candidateId), ...siblings.map(keys.approval), ...artefactKeys];
  const actor = { userId: reviewer.userId, name: reviewer.name, roles: reviewer.roles };
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, preload, (tx) => {
    const candidate = loadCandidate(tx, first.candidateId);
    const approvals = siblings
      .map((s) => tx.get(keys.approval(s)))
      .filter((a) => a !== undefined)
      .map((a) => toEntity<ApprovalRecord>(a));
    const approval = approvals.find((a) => a.id === id);
    if (!approval) throw new NotFoundError(`approval ${id} not found`, { id });
    // A record of an earlier round no longer speaks for the candidate.
    if (!candidate.approvalIds.includes(id) || tx.get(keys.approval(id))?.roundClosed) {
      throw new ConflictError('this approval belongs to an earlier approval round', { code: 'INVALID_STATE' });
    }
    const entity = <T>(key: { pk: string; sk: string }) => {
      const found = tx.get(key);
      return found ? toEntity<T>(found) : null;
    };
    const prompt = entity<PromptVersion>(keys.prompt(candidate.promptVersionId));
    const config = entity<ModelConfigVersion>(keys.modelConfig(candidate.modelConfigId));
    const datasets = candidate.datasetIds
      .map((d) => entity<EvalDataset>(keys.dataset(d)))
      .filter((d): d is EvalDataset => d !== null);
    const judges = (candidate.judgeConfigs ?? [])
      .map((j) => entity<JudgeConfigVersion>(keys.judgeConfig(j.id)))
      .filter((j): j is JudgeConfigVersion => j !== null);
    const judgeModelConfigs = [...new Set((candidate.judgeConfigs ?? []).map((j) => j.modelConfigId))]
      .map((c) => entity<ModelConfigVersion>(keys.modelConfig(c)))
      .filter((c): c is ModelConfigVersion => c !== null);
    const authors = snapshotAuthors({ candidate, prompt, config, datasets, judges, judgeModelConfigs });
    // No condition on the artefacts is needed: a candidate awaiting approval was submitted, which needs its prompt
    // and model config out of draft, so their creators and submitters are fixed; datasets never change.
    approvalDecisionCheck({ candidate, approval, approvals, reviewer, decision, authors });
    const reviewerGithubLogin = reviewer.githubLogin ?? null;
    const decided: ApprovalRecord = {
      ...approval,
      status: decision,
      reviewerId: reviewer.userId,
      reviewerName: reviewer.name,
      reviewerGithubLogin,
      comment,
      decidedAt: tx.now,
    };
    tx.update(keys.approval(id), {
      set: {
        status: decision,
        reviewerId: reviewer.userId,
        reviewerName: reviewer.name,
        reviewerGithubLogin,
        comment,
        decidedAt: tx.now,
        ...keys.approvalIndexes(decision, approval.role, approval.requestedAt, id),
      },
      conditions: [
        { path: 'status', op: '=', value: 'pending' },
        { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
      ],
    });
    tx.audit({
      action: `approval.${decision}`,
      entityType: 'approval',
      entityId: id,
      before: { status: 'pending' },
      after: {
        status: decision,
        role: approval.role,
        candidateId: candidate.id,
        snapshotHash: candidate.snapshotHash,
        // The login separation of duties judged the reviewer by (never their user id's stand-in).
        ...(reviewerGithubLogin ? { reviewerGithubLogin } : {}),
      },
      reason: comment,
    });
    let next = candidate;
    const allApproved =
      decision === 'approved' &&
      roundComplete(
        candidate,
        approvals.map((a) => (a.id === id ? decided : a)),
      );
    const to =
      decision === 'approved'
        ? allApproved
          ? 'approved'
          : null
        : decision === 'rejected'
          ? 'rejected'
          : 'eval_passed';
    if (decision !== 'approved') {
      // A rejection or a request for changes ends the round: its other pending records leave the queue.
      for (const other of approvals.filter((a) => a.id !== id && a.status === 'pending')) {
        tx.update(keys.approval(other.id), {
          set: { roundClosed: true },
          remove: [...keys.approvalLeavesQueue],
          conditions: [{ path: 'status', op: '=', value: 'pending' }],
        });
      }
    }
    if (to && candidate.status === 'awaiting_approval') {
      setCandidate(tx, candidate, { status: to });
      next = { ...candidate, status: to, version: candidate.version + 1 };
      tx.audit({
        action: decision === 'changes_requested' ? 'candidate.changes_requested' : `candidate.${to}`,
        entityType: 'candidate',
        entityId: candidate.id,
        before: { status: candidate.status },
        after: { status: to },
        reason: comment,
      });
    }
    return { approval: decided, candidate: next };
  });
  return result;
}

/** Where a pending approval stands for the release gate, when its callback token could not be stored. */
export type TokenRefusal = { registered: false; status: ApprovalStatus; roundClosed: boolean };

/**
 * Stores the release gate's callback token on a pending approval record of an open round, so that the decision
 * can complete the gate's wait. Refused (nothing written) once the record is decided or its round closed: the gate
 * then learns the outcome from the returned status instead of waiting for a callback that would never come.
 * Not a governed change: no audit event (the token is never returned by the API; `toEntity` strips it).
 */
export async function registerTaskToken(
  ctx: StoreContext,
  id: string,
  token: string,
): Promise<{ registered: true } | TokenRefusal> {
  const update = buildUpdate({
    set: { taskToken: token, taskTokenAt: ctx.now().toISOString() },
    conditions: [
      { path: 'pk', op: 'exists' },
      { path: 'status', op: '=', value: 'pending' },
      { path: 'roundClosed', op: 'not_exists' },
    ],
  });
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: keys.approval(id),
        ...update,
        UpdateExpression: update.UpdateExpression as string,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { registered: true };
  } catch (error) {
    if (
      !(error instanceof ConditionalCheckFailedException) &&
      (error as Error).name !== 'ConditionalCheckFailedException'
    )
      throw error;
    const item = await getItem(ctx, keys.approval(id));
    if (!item) throw new NotFoundError(`approval ${id} not found`, { id });
    return { registered: false, status: item.status as ApprovalStatus, roundClosed: item.roundClosed === true };
  }
}

/** The release gate's callback token stored on an approval record (strongly consistent), or null. */
export async function taskTokenOf(ctx: StoreContext, id: string): Promise<string | null> {
  const item = await getItem(ctx, keys.approval(id));
  return typeof item?.taskToken === 'string' ? item.taskToken : null;
}

/**
 * Candidates that hold pending approval records of an open round: the approval queue's index (`APRQ#pending`,
 * a GSI Query, never a Scan). Records of a closed round have left that partition. Used to give every waiting round
 * a live release gate again after a restart.
 */
export async function candidatesWithPendingApprovals(
  ctx: StoreContext,
): Promise<{ candidateId: string; systemId: string }[]> {
  const pending = await queryAll<ApprovalRecord>(ctx, queries.approvalQueue('pending'));
  const seen = new Map<string, string>();
  for (const a of pending) if (!seen.has(a.candidateId)) seen.set(a.candidateId, a.systemId);
  return [...seen].map(([candidateId, systemId]) => ({ candidateId, systemId }));
}

/**
 * Whether the round is complete: every required role has as many distinct approvers as the round opened records
 * for it (the policy's count when the round was requested; one by default).
 */
function roundComplete(candidate: ReleaseCandidate, approvals: readonly ApprovalRecord[]): boolean {
  const round = approvals.filter((a) => candidate.approvalIds.includes(a.id));
  const needed = Object.fromEntries(
    candidate.requiredRoles.map((role) => [role, Math.max(1, round.filter((a) => a.role === role).length)]),
  );
  return tallyComplete(approvalTally(needed, round));
}

/** The round a release gate watches: the candidate's approval round whose first record id is `roundId`. */
function isRound(candidate: ReleaseCandidate, roundId: string): boolean {
  return candidate.status === 'awaiting_approval' && candidate.approvalIds[0] === roundId;
}

/**
 * Expires an approval round that ran out of time: in one transaction, every record of the round still pending
 * becomes `expired` (conditioned on `pending`, so a decision that committed first wins), the candidate returns to
 * `eval_passed` (a new round can be requested), with an audit event for each. A no-op (returns `expired: false`
 * and the candidate's status) when the round is no longer the candidate's open round.
 */
export async function expireApprovalRound(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  roundId: string,
  timeoutSeconds: number,
): Promise<{ expired: boolean; candidateStatus: CandidateStatus; approvalIds: string[] }> {
  const current = await getCandidate(ctx, candidateId);
  if (!isRound(current, roundId)) return { expired: false, candidateStatus: current.status, approvalIds: [] };
  const preload = [keys.candidate(candidateId), ...current.approvalIds.map(keys.approval)];
  try {
    const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
      const candidate = loadCandidate(tx, candidateId);
      if (!isRound(candidate, roundId)) throw new RoundOver(candidate.status);
      const pending = candidate.approvalIds
        .map((id) => tx.get(keys.approval(id)))
        .filter((item) => item !== undefined && item.status === 'pending' && !item.roundClosed)
        .map((item) => toEntity<ApprovalRecord>(item as Record<string, unknown>));
      for (const approval of pending) {
        tx.update(keys.approval(approval.id), {
          set: {
            status: 'expired',
            decidedAt: tx.now,
            ...keys.approvalIndexes('expired', approval.role, approval.requestedAt, approval.id),
          },
          remove: ['taskToken', 'taskTokenAt'],
          conditions: [{ path: 'status', op: '=', value: 'pending' }],
        });
        tx.audit({
          action: 'approval.expired',
          entityType: 'approval',
          entityId: approval.id,
          before: { status: 'pending' },
          after: { status: 'expired', role: approval.role, candidateId, snapshotHash: candidate.snapshotHash },
          reason: `no decision within ${timeoutSeconds} s of the approval request`,
        });
      }
      setCandidate(tx, candidate, { status: 'eval_passed' });
      tx.audit({
        action: 'candidate.approval_expired',
        entityType: 'candidate',
        entityId: candidateId,
        before: { status: candidate.status },
        after: { status: 'eval_passed', expiredApprovalIds: pending.map((a) => a.id) },
        reason: `the approval request expired after ${timeoutSeconds} s without every decision`,
      });
      return { expired: true, candidateStatus: 'eval_passed' as const, approvalIds: pending.map((a) => a.id) };
    });
    return result;
  } catch (error) {
    if (error instanceof RoundOver) return { expired: false, candidateStatus: error.status, approvalIds: [] };
    throw error;
  }
}

/** Thrown inside a unit of work when the round it was about to change is over: nothing is written. */
class RoundOver extends Error {
  constructor(readonly status: CandidateStatus) {
    super('the approval round is over');
  }
}

/**
 * The release gate's last step once every wait of a round returned: the candidate's status in DynamoDB is the
 * outcome. The decision transaction that records the last approval also approves the candidate; should a round
 * with every required role approved still be awaiting approval, this approves it (audited). Idempotent.
 */
export async function settleApprovalRound(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  roundId: string,
): Promise<{ candidateStatus: CandidateStatus; approvedNow: boolean }> {
  const current = await getCandidate(ctx, candidateId);
  if (!isRound(current, roundId)) return { candidateStatus: current.status, approvedNow: false };
  const preload = [keys.candidate(candidateId), ...current.approvalIds.map(keys.approval)];
  try {
    const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
      const candidate = loadCandidate(tx, candidateId);
      if (!isRound(candidate, roundId)) throw new RoundOver(candidate.status);
      const approvals = candidate.approvalIds
        .map((id) => tx.get(keys.approval(id)))
        .filter((item) => item !== undefined)
        .map((item) => toEntity<ApprovalRecord>(item as Record<string, unknown>));
      const allApproved = roundComplete(candidate, approvals);
      if (!allApproved) throw new RoundOver(candidate.status);
      for (const a of approvals) tx.check(keys.approval(a.id), [{ path: 'status', op: '=', value: 'approved' }]);
      setCandidate(tx, candidate, { status: 'approved' });
      tx.audit({
        action: 'candidate.approved',
        entityType: 'candidate',
        entityId: candidateId,
        before: { status: candidate.status },
        after: { status: 'approved' },
        reason: 'every required approval of the round is approved (confirmed by the release gate)',
      });
      return { candidateStatus: 'approved' as const, approvedNow: true };
    });
    return result;
  } catch (error) {
    if (error instanceof RoundOver) return { candidateStatus: error.status, approvedNow: false };
    throw error;
  }
}

/**
 * Records that the release gate of a round failed with an error no retry fixed (an audit event on the candidate,
 * nothing else changes): the round stays open, decisions are still recorded, and the gate is started again when
 * the control plane restarts or the round is resumed.
 */
export async function recordGateFailure(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  roundId: string,
  error: string,
): Promise<{ candidateStatus: CandidateStatus }> {
  const current = await getCandidate(ctx, candidateId);
  await runUnitOfWork(ctx, current.systemId, actor, [keys.candidate(candidateId)], (tx) => {
    const candidate = loadCandidate(tx, candidateId);
    tx.audit({
      action: 'candidate.approval_gate_failed',
      entityType: 'candidate',
      entityId: candidateId,
      before: { status: candidate.status },
      after: { status: candidate.status, roundId },
      reason: error.slice(0, 1000),
    });
  });
  return { candidateStatus: current.status };
}
