// The approval round of a candidate: one pending approval record per role the risk-tier policy requires.
import { newId } from '../../domain/ids.js';
import { assertTransition } from '../../domain/lifecycle.js';
import { type ApprovalPolicy, requiredApprovals, requiredApproverCounts } from '../../domain/policy.js';
import type { Actor, AiSystem, ApprovalRecord, ReleaseCandidate } from '../../domain/types.js';
import { keys, toEntity } from '../keys.js';
import { policyOfMeta } from '../policy-in-force.js';
import { runUnitOfWork, type StoreContext } from '../unit-of-work.js';
import { getCandidate, loadCandidate, setCandidate } from './build.js';

/**
 * Opens the approval round: per role the risk-tier policy requires for the environment, one pending approval record
 * per distinct approver the policy asks for (one by default). The round completes when every record is approved,
 * each by another person (`approvalDecisionCheck`).
 */
export async function requestApproval(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  override?: ApprovalPolicy,
): Promise<{ candidate: ReleaseCandidate; approvals: ApprovalRecord[] }> {
  const current = await getCandidate(ctx, id);
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, [keys.candidate(id)], (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    // The round is opened under the system's copy of the policy in force and records its version.
    const policy = override ?? policyOfMeta(tx.meta);
    const candidate = loadCandidate(tx, id);
    assertTransition('candidate', candidate.status, 'awaiting_approval');
    const roles = requiredApprovals(system.riskTier, candidate.environment, policy);
    const counts = requiredApproverCounts(system.riskTier, candidate.environment, roles, policy);
    const slots = roles.flatMap((role) => Array.from({ length: counts[role] ?? 1 }, () => role));
    const approvals: ApprovalRecord[] = slots.map((role) => ({
      id: newId('apr'),
      systemId: system.id,
      candidateId: id,
      snapshotHash: candidate.snapshotHash,
      role,
      status: 'pending',
      reviewerId: null,
      reviewerName: null,
      comment: null,
      requestedAt: tx.now,
      requestedBy: actor.userId,
      decidedAt: null,
    }));
    const ids = approvals.map((a) => a.id);
    for (const approval of approvals) {
      tx.put({
        ...keys.approval(approval.id),
        ...keys.approvalIndexes('pending', approval.role, tx.now, approval.id),
        itemType: 'approval',
        ...approval,
        siblingIds: ids,
      });
    }
    const set = {
      status: 'awaiting_approval' as const,
      requiredRoles: roles,
      approvalIds: ids,
      policyVersion: policy.version,
    };
    setCandidate(tx, candidate, set);
    tx.audit({
      action: 'candidate.approval_requested',
      entityType: 'candidate',
      entityId: id,
      before: { status: candidate.status },
      after: {
        status: 'awaiting_approval',
        requiredRoles: roles,
        approvalIds: ids,
        ...(slots.length > roles.length ? { requiredApprovers: counts } : {}),
        policyVersion: policy.version,
      },
    });
    return { candidate: { ...candidate, ...set, version: candidate.version + 1 }, approvals };
  });
  return result;
}
