// Rollback requests (ADR 0032): a rollback is asked for in one transaction (the request, its target's validation
// run, a guard that refuses a second request while this one validates, audited `release.rollback_started`) and
// settled in another when the validation run ends: the rollback itself (`writeRollback`, under the same conditions
// as ever) or the reason it did not happen (`release.rollback_blocked`). docs/architecture/rollback.md.
import { ConflictError, GateBlockedError, NotFoundError, ValidationError } from '../domain/errors.js';
import { activeReleaseChanged } from '../domain/gate.js';
import { newId } from '../domain/ids.js';
import type { RollbackValidationOutcome } from '../domain/rollback.js';
import type {
  Actor,
  AiSystem,
  EvalDataset,
  EvalRun,
  ReleaseCandidate,
  RollbackRecord,
  RollbackRequest,
} from '../domain/types.js';
import { loadCandidate } from './candidates/build.js';
import { selectTarget, writeRollback } from './candidates/rollback.js';
import { type CheckRunSpec, writeCheckRun } from './check-runs.js';
import { keys, toEntity } from './keys.js';
import { getItem } from './query.js';
import { runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

interface Guard {
  requestId: string;
  pending: boolean;
}

/** The validation a request starts: the target's rollback_validation datasets on the chosen executor. */
export interface RequestValidation {
  datasets: readonly (EvalDataset | undefined)[];
  executor: CheckRunSpec['executor'];
  executorNote: string | null;
}

/**
 * Adds a rollback request of the active release `from` to `target` to the transaction: the guard (refused with
 * ROLLBACK_PENDING while an earlier request of the release validates), the request, its validation run and the
 * audit event. Shared by a person's request and by monitoring's automatic rollback.
 */
export function writeRollbackRequest(
  tx: SystemTx,
  from: ReleaseCandidate,
  target: ReleaseCandidate,
  input: {
    reason: string;
    incidentId: string | null;
    monitoringRunId?: string;
    validation: RequestValidation;
    id?: string;
  },
): { request: RollbackRequest; run: EvalRun } {
  const guardKey = keys.rollbackGuard(from.id);
  const guard = tx.get<Guard>(guardKey);
  if (guard?.pending) {
    throw new ConflictError(`a rollback of ${from.id} is already validating (${guard.requestId})`, {
      code: 'ROLLBACK_PENDING',
      rollbackRequestId: guard.requestId,
    });
  }
  const id = input.id ?? newId('rrq');
  const run = writeCheckRun(tx, target, input.validation.datasets, {
    purpose: 'rollback_validation',
    executor: input.validation.executor,
    executorNote: input.validation.executorNote,
    rollbackRequestId: id,
  });
  const request: RollbackRequest = {
    id,
    systemId: from.systemId,
    environment: from.environment,
    fromCandidateId: from.id,
    targetCandidateId: target.id,
    reason: input.reason,
    incidentId: input.incidentId,
    status: 'validating',
    validationRunId: run.id,
    validation: null,
    rollbackId: null,
    problem: null,
    ...(input.monitoringRunId ? { monitoringRunId: input.monitoringRunId } : {}),
    requestedBy: tx.actor.userId,
    requestedByName: tx.actor.name,
    requestedAt: tx.now,
    settledAt: null,
  };
  tx.put({ ...keys.rollbackRequest(id), itemType: 'rollback_request', ...request });
  putGuard(tx, from.id, guard, { requestId: id, pending: true });
  tx.audit({
    action: 'release.rollback_started',
    entityType: 'candidate',
    entityId: from.id,
    after: {
      environment: from.environment,
      rollbackRequestId: id,
      targetCandidateId: target.id,
      validationRunId: run.id,
      executor: run.executor,
      incidentId: input.incidentId,
      ...(input.monitoringRunId ? { source: 'monitoring', monitoringRunId: input.monitoringRunId } : {}),
    },
    reason: input.reason,
  });
  return { request, run };
}

/** The guard moves only inside the system's unit of work: conditioned on what this attempt read. */
function putGuard(tx: SystemTx, candidateId: string, read: Guard | undefined, next: Guard) {
  tx.put(
    { ...keys.rollbackGuard(candidateId), itemType: 'rollback_guard', ...next },
    read ? [{ path: 'requestId', op: '=', value: read.requestId }] : [{ path: 'pk', op: 'not_exists' }],
  );
}

export interface OpenedRollback {
  request: RollbackRequest;
  /** The validation run to start (null when the rollback committed at once: nothing to validate). */
  run: EvalRun | null;
  /** The rollback, when it committed at once. */
  rollback: RollbackRecord | null;
}

/**
 * A person's (or a pipeline's) rollback of the active release `id`: checks what can be checked now (the release is
 * active, the incident is the system's, the target is eligible, no request of the release is validating) and either
 * records the request with its validation run, or, when `validation` is an outcome already (no rollback_validation
 * dataset: `skipped`), rolls back in the same transaction and records the request as rolled back.
 */
export async function openRollbackRequest(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: {
    reason: string;
    incidentId?: string | null;
    targetCandidateId?: string | null;
    validation: RequestValidation | RollbackValidationOutcome;
  },
): Promise<OpenedRollback> {
  const first = await getItem(ctx, keys.candidate(id));
  if (!first) throw new NotFoundError(`release candidate ${id} not found`);
  const current = toEntity<ReleaseCandidate>(first);
  const datasets = 'datasets' in input.validation ? input.validation.datasets.map((d) => d?.id ?? '') : [];
  const preload = [
    keys.candidate(id),
    keys.rollbackGuard(id),
    ...(input.incidentId ? [keys.incident(input.incidentId)] : []),
    ...datasets.filter(Boolean).map(keys.dataset),
  ];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, async (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const from = loadCandidate(tx, id);
    const changed = activeReleaseChanged(id, system.activeReleases[from.environment] ?? null);
    if (changed) throw changed;
    if (input.incidentId) {
      const incident = tx.get(keys.incident(input.incidentId));
      if (!incident || incident.systemId !== system.id)
        throw new ValidationError('incidentId does not name an incident of this system', { field: 'incidentId' });
    }
    const target = await selectTarget(ctx, from, input.targetCandidateId);
    const incidentId = input.incidentId ?? null;
    if ('datasets' in input.validation) {
      const validation = { ...input.validation, datasets: datasets.map((d) => tx.get<EvalDataset>(keys.dataset(d))) };
      const opened = writeRollbackRequest(tx, from, target, { reason: input.reason, incidentId, validation });
      return { ...opened, rollback: null };
    }
    // Nothing to validate: the rollback commits now, under the conditions of every rollback.
    const guard = tx.get<Guard>(keys.rollbackGuard(id));
    if (guard?.pending)
      throw new ConflictError(`a rollback of ${id} is already validating (${guard.requestId})`, {
        code: 'ROLLBACK_PENDING',
        rollbackRequestId: guard.requestId,
      });
    tx.metaConflict = (now) => {
      const actual = ((now.activeReleases ?? {}) as Record<string, string | null>)[from.environment] ?? null;
      return activeReleaseChanged(id, actual);
    };
    const requestId = newId('rrq');
    const { rollback } = writeRollback(tx, system, from, target, {
      reason: input.reason,
      incidentId,
      validation: input.validation,
    });
    const request: RollbackRequest = {
      id: requestId,
      systemId: system.id,
      environment: from.environment,
      fromCandidateId: id,
      targetCandidateId: target.id,
      reason: input.reason,
      incidentId,
      status: 'rolled_back',
      validationRunId: null,
      validation: input.validation,
      rollbackId: rollback.id,
      problem: null,
      requestedBy: actor.userId,
      requestedByName: actor.name,
      requestedAt: tx.now,
      settledAt: tx.now,
    };
    tx.put({ ...keys.rollbackRequest(requestId), itemType: 'rollback_request', ...request });
    putGuard(tx, id, guard, { requestId, pending: false });
    return { request, run: null, rollback };
  });
  return result;
}

/** How a validation run ended, as the continuation judged it under the policy in force. */
export type RollbackSettlement =
  | { kind: 'validated'; validation: RollbackValidationOutcome }
  | { kind: 'error'; message: string };

/**
 * Settles a validating request once its validation run has ended: rolls back when the validation proceeds or
 * warns, conditioned on the release still being the active one and the target still eligible (else `refused`,
 * ACTIVE_RELEASE_CHANGED or ROLLBACK_TARGET_INELIGIBLE); records `blocked` (ROLLBACK_VALIDATION_FAILED) when the
 * policy blocks, `error` when the run could not complete. A request monitoring opened that does not roll back
 * leaves a rollback request for a person (`release.rollback_requested`), as monitoring's fallback always has.
 * Idempotent: a settled request is returned as it is.
 */
export async function settleRollbackRequest(
  ctx: StoreContext,
  requestId: string,
  settlement: RollbackSettlement,
): Promise<RollbackRequest> {
  const first = await getRollbackRequest(ctx, requestId);
  if (first.status !== 'validating') return first;
  // The settlement is the requester's rollback: its records and audit events name them, as a synchronous one did.
  const actor: Actor = { userId: first.requestedBy, name: first.requestedByName, roles: [] };
  const preload = [
    keys.rollbackRequest(requestId),
    keys.candidate(first.fromCandidateId),
    keys.rollbackGuard(first.fromCandidateId),
  ];
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, preload, async (tx) => {
    const request = toEntity<RollbackRequest>(tx.get(keys.rollbackRequest(requestId)) ?? {});
    if (request.status !== 'validating') return request;
    const system = toEntity<AiSystem>(tx.meta);
    const from = loadCandidate(tx, request.fromCandidateId);
    const validation = settlement.kind === 'validated' ? settlement.validation : null;
    let problem: RollbackRequest['problem'] = null;
    let status: RollbackRequest['status'] = 'rolled_back';
    let target: ReleaseCandidate | null = null;
    if (settlement.kind === 'error') {
      status = 'error';
      problem = { code: 'EVAL_FAILED', message: `the validation run could not complete: ${settlement.message}` };
    } else if (settlement.validation.decision === 'block') {
      status = 'blocked';
      problem = { code: 'ROLLBACK_VALIDATION_FAILED', message: settlement.validation.message };
    } else if (system.activeReleases[request.environment] !== request.fromCandidateId) {
      status = 'refused';
      problem = {
        code: 'ACTIVE_RELEASE_CHANGED',
        message: `${request.fromCandidateId} is no longer the active ${request.environment} release (now ${system.activeReleases[request.environment] ?? 'none'})`,
      };
    } else {
      try {
        target = await selectTarget(ctx, from, request.targetCandidateId);
      } catch (error) {
        if (!(error instanceof GateBlockedError)) throw error;
        status = 'refused';
        problem = { code: 'ROLLBACK_TARGET_INELIGIBLE', message: error.reasons.map((r) => r.message).join('; ') };
      }
    }
    let rollbackId: string | null = null;
    if (target && validation) {
      // The same writes and conditions as every rollback: a promotion or rollback in between moves the audit head,
      // so this attempt is read again and ends refused instead.
      rollbackId = writeRollback(tx, system, from, target, {
        reason: request.reason,
        incidentId: request.incidentId,
        validation,
        ...(request.monitoringRunId ? { monitoringRunId: request.monitoringRunId } : {}),
      }).rollback.id;
    }
    const settled: RollbackRequest = { ...request, status, validation, rollbackId, problem, settledAt: tx.now };
    tx.update(keys.rollbackRequest(requestId), {
      set: { status, validation, rollbackId, problem, settledAt: tx.now },
      conditions: [{ path: 'status', op: '=', value: 'validating' }],
    });
    putGuard(tx, request.fromCandidateId, tx.get<Guard>(keys.rollbackGuard(request.fromCandidateId)), {
      requestId,
      pending: false,
    });
    if (problem) {
      tx.audit({
        action: 'release.rollback_blocked',
        entityType: 'candidate',
        entityId: request.fromCandidateId,
        after: {
          environment: request.environment,
          rollbackRequestId: requestId,
          status,
          code: problem.code,
          targetCandidateId: request.targetCandidateId,
          validationRunId: request.validationRunId,
          ...(validation
            ? { validation: { status: validation.status, decision: validation.decision, reasons: validation.reasons } }
            : {}),
          ...(request.monitoringRunId ? { source: 'monitoring', monitoringRunId: request.monitoringRunId } : {}),
        },
        reason: problem.message,
      });
      if (request.monitoringRunId) {
        // Monitoring's fallback, as when its rollback is not possible at once: a request for a person.
        tx.audit({
          action: 'release.rollback_requested',
          entityType: 'candidate',
          entityId: request.fromCandidateId,
          after: {
            environment: request.environment,
            incidentIds: request.incidentId ? [request.incidentId] : [],
            evalRunId: request.monitoringRunId,
            fallbackReason: `no automatic rollback: ${problem.message}`,
          },
          reason: `monitoring failure; the policy rolls back, but ${problem.message}`,
        });
      }
    }
    return settled;
  });
  return result;
}

export async function getRollbackRequest(ctx: StoreContext, id: string): Promise<RollbackRequest> {
  const item = await getItem(ctx, keys.rollbackRequest(id));
  if (!item) throw new NotFoundError(`rollback request ${id} not found`);
  return toEntity<RollbackRequest>(item);
}

/** The latest rollback request of a release (validating or settled); NotFound when it never had one. */
export async function latestRollbackRequest(ctx: StoreContext, candidateId: string): Promise<RollbackRequest> {
  const guard = await getItem(ctx, keys.rollbackGuard(candidateId));
  if (!guard) throw new NotFoundError(`release candidate ${candidateId} has no rollback request`);
  return getRollbackRequest(ctx, guard.requestId as string);
}
