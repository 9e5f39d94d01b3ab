// Rollback: back to an earlier release that was approved and active in the same environment (rule 4).
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { activeReleaseChanged } from '../../domain/gate.js';
import { newId } from '../../domain/ids.js';
import { assertTransition } from '../../domain/lifecycle.js';
import { type RollbackValidationOutcome, selectRollbackTarget } from '../../domain/rollback.js';
import type {
  Actor,
  AiSystem,
  CandidateStatus,
  PromotionEvent,
  ReleaseCandidate,
  RollbackRecord,
} from '../../domain/types.js';
import { keys, toEntity } from '../keys.js';
import { getItem, queryAll } from '../query.js';
import { batchGet, runUnitOfWork, type StoreContext, type SystemTx } from '../unit-of-work.js';
import { getCandidate, loadCandidate, setCandidate } from './build.js';
import { promotionHistory } from './promotion.js';

/** The rollback records of a system, oldest first. */
export function rollbackHistory(ctx: StoreContext, systemId: string): Promise<RollbackRecord[]> {
  const p = keys.rollbackPrefix(systemId);
  return queryAll<RollbackRecord>(ctx, { partition: p.pk, prefix: p.skPrefix });
}

/**
 * Selects the rollback target from the system's promotion history and the current status of each release in it.
 * Inside a unit of work, the history and the statuses can only change through a unit of work of the same system,
 * which would move the audit head and make this one read them again.
 */
export async function selectTarget(
  ctx: StoreContext,
  from: ReleaseCandidate,
  requestedTargetId: string | null | undefined,
): Promise<ReleaseCandidate> {
  const history = await promotionHistory(ctx, from.systemId);
  const ids = [...new Set(history.map((h) => h.candidateId))];
  const loaded = await batchGet(ctx, ids.map(keys.candidate));
  const statuses: Record<string, CandidateStatus> = {};
  for (const item of loaded.values()) statuses[item.id as string] = item.status as CandidateStatus;
  const { targetId } = selectRollbackTarget({
    history,
    candidateStatuses: statuses,
    environment: from.environment,
    fromCandidateId: from.id,
    ...(requestedTargetId ? { requestedTargetId } : {}),
  });
  const targetItem = loaded.get(`${keys.candidate(targetId).pk}|META`);
  if (!targetItem) throw new NotFoundError(`release candidate ${targetId} not found`);
  return toEntity<ReleaseCandidate>(targetItem);
}

/**
 * The release a rollback of the active release `id` would restore now, by the same rule as rollbackRelease, without
 * changing anything (rollback validation runs against it first). ACTIVE_RELEASE_CHANGED when `id` is not active.
 */
export async function rollbackTarget(
  ctx: StoreContext,
  id: string,
  requestedTargetId?: string | null,
): Promise<ReleaseCandidate> {
  const from = await getCandidate(ctx, id);
  const systemItem = await getItem(ctx, keys.system(from.systemId));
  const active = systemItem ? toEntity<AiSystem>(systemItem).activeReleases[from.environment] : null;
  const changed = activeReleaseChanged(id, active ?? null);
  if (changed) throw changed;
  return selectTarget(ctx, from, requestedTargetId);
}

/**
 * Rolls the active release `id` back to an earlier release that was approved and active in the same environment:
 * the last-known-good one unless the caller names another eligible target. Naming `id` is the precondition: when it
 * is no longer the active release, the answer is ACTIVE_RELEASE_CHANGED.
 */
export async function rollbackRelease(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: {
    reason: string;
    incidentId?: string | null;
    targetCandidateId?: string | null;
    /** The rollback validation that ran against the target first; recorded with the rollback and its audit event. */
    validation?: RollbackValidationOutcome | null;
  },
): Promise<{ candidate: ReleaseCandidate; target: ReleaseCandidate; rollback: RollbackRecord }> {
  const current = await getCandidate(ctx, id);
  const environment = current.environment;
  const preload = [keys.candidate(id), ...(input.incidentId ? [keys.incident(input.incidentId)] : [])];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, async (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const from = loadCandidate(tx, id);
    const active = system.activeReleases[environment];
    const changed = activeReleaseChanged(id, active);
    if (changed) throw changed;
    if (input.incidentId) {
      const incident = tx.get(keys.incident(input.incidentId));
      if (!incident || incident.systemId !== system.id) {
        throw new ValidationError('incidentId does not name an incident of this system', { field: 'incidentId' });
      }
    }
    const target = await selectTarget(ctx, from, input.targetCandidateId);
    tx.metaConflict = (now) => {
      const actual = ((now.activeReleases ?? {}) as Record<string, string | null>)[environment] ?? null;
      return activeReleaseChanged(id, actual);
    };
    return writeRollback(tx, system, from, target, input);
  });
  return result;
}

/**
 * The writes of a rollback of the active release `from` to `target` in one unit of work (docs/architecture/rollback.md,
 * the transaction): META's active release under the condition that `from` is still active, both candidates, the
 * promotion event, the rollback record and the two audit events. Shared by a person's rollback and by post-market
 * monitoring's, which records its run and its incident in the same transaction.
 */
export function writeRollback(
  tx: SystemTx,
  system: AiSystem,
  from: ReleaseCandidate,
  target: ReleaseCandidate,
  input: {
    reason: string;
    incidentId?: string | null;
    validation?: RollbackValidationOutcome | null;
    /** Monitoring names its run and chooses the id first, as its incident links to the rollback. */
    monitoringRunId?: string;
    rollbackId?: string;
  },
): { candidate: ReleaseCandidate; target: ReleaseCandidate; rollback: RollbackRecord } {
  const id = from.id;
  const environment = from.environment;
  const targetId = target.id;
  assertTransition('candidate', from.status, 'rolled_back');
  assertTransition('candidate', target.status, 'active');
  tx.metaSpec.set[`activeReleases.${environment}`] = targetId;
  tx.metaSpec.conditions.push({ path: `activeReleases.${environment}`, op: '=', value: id });
  setCandidate(tx, from, { status: 'rolled_back', deactivatedAt: tx.now });
  setCandidate(tx, target, { status: 'active', activatedAt: tx.now });
  const promotion: PromotionEvent = {
    id: newId('prm'),
    systemId: system.id,
    environment,
    kind: 'rollback',
    candidateId: targetId,
    previousCandidateId: id,
    actor: tx.actor.userId,
    reason: input.reason,
    at: tx.now,
  };
  const rollback: RollbackRecord = {
    id: input.rollbackId ?? newId('rb'),
    systemId: system.id,
    environment,
    fromCandidateId: id,
    toCandidateId: targetId,
    reason: input.reason,
    incidentId: input.incidentId ?? null,
    actor: tx.actor.userId,
    at: tx.now,
    ...(input.monitoringRunId ? { monitoringRunId: input.monitoringRunId } : {}),
    ...(input.validation ? { validation: input.validation } : {}),
  };
  tx.put({ ...keys.promotion(system.id, promotion.id), itemType: 'promotion', ...promotion });
  tx.put({ ...keys.rollback(system.id, rollback.id), itemType: 'rollback', ...rollback });
  tx.audit({
    action: 'release.rolled_back',
    entityType: 'candidate',
    entityId: id,
    before: { status: 'active', activeRelease: id },
    after: {
      status: 'rolled_back',
      activeRelease: targetId,
      environment,
      rollbackId: rollback.id,
      incidentId: rollback.incidentId,
      ...(input.monitoringRunId ? { source: 'monitoring', monitoringRunId: input.monitoringRunId } : {}),
      ...(input.validation
        ? {
            validation: {
              status: input.validation.status,
              decision: input.validation.decision,
              evalRunId: input.validation.evalRunId,
              reasons: input.validation.reasons,
            },
          }
        : {}),
    },
    reason: input.reason,
  });
  tx.audit({
    action: 'release.reactivated',
    entityType: 'candidate',
    entityId: targetId,
    before: { status: target.status },
    after: { status: 'active', environment, rollbackId: rollback.id },
    reason: input.reason,
  });
  return {
    candidate: { ...from, status: 'rolled_back' as const, deactivatedAt: tx.now, version: from.version + 1 },
    target: { ...target, status: 'active' as const, activatedAt: tx.now, version: target.version + 1 },
    rollback,
  };
}
