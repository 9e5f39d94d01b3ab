// Approval records: one required decision of one reviewer role on one candidate's snapshot.
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { approvalDecisionCheck } from '../domain/gate.js';
import type { ApprovalRecord, ApprovalStatus, Principal, ReleaseCandidate, ReviewerRole } from '../domain/types.js';
import { loadCandidate, setCandidate } from './candidates.js';
import { keys, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

export type Decision = Exclude<ApprovalStatus, 'pending'>;

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
    index: 'gsi2',
    partition: `APRQ#${filter.status ?? 'pending'}`,
    ...(filter.role ? { prefix: `${filter.role}#` } : {}),
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
  const preload = [keys.candidate(first.candidateId), ...siblings.map(keys.approval)];
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
    approvalDecisionCheck({ candidate, approval, approvals, reviewer, decision });
    const decided: ApprovalRecord = {
      ...approval,
      status: decision,
      reviewerId: reviewer.userId,
      reviewerName: reviewer.name,
      comment,
      decidedAt: tx.now,
    };
    tx.update(keys.approval(id), {
      set: {
        status: decision,
        reviewerId: reviewer.userId,
        reviewerName: reviewer.name,
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
      after: { status: decision, role: approval.role, candidateId: candidate.id, snapshotHash: candidate.snapshotHash },
      reason: comment,
    });
    let next = candidate;
    const allApproved =
      decision === 'approved' &&
      candidate.requiredRoles.every((role) =>
        approvals.some((a) => a.role === role && (a.id === id ? true : a.status === 'approved')),
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
          set: { roundClosed: true, gsi2pk: 'APRQ#closed' },
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
