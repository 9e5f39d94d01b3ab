// A rollback that first validates its target, asynchronously (ADR 0032): the request is recorded with the target's
// rollback_validation run, which goes through the eval state machine on the executor the target was gated with;
// when the run ends its continuation settles the request under the risk tier's rule (warn proceeds, block does
// not) and the conditions every rollback has (docs/architecture/rollback.md).
import type { ApprovalPolicy } from '../domain/policy.js';
import { type RollbackValidationOutcome, rollbackValidationDecision } from '../domain/rollback.js';
import type { Actor, EvalRun, RollbackRequest } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { OpenedRollback } from '../store/rollback-requests.js';
import { executorFor, type RunStarter } from './check-run.js';

/**
 * Asks for the rollback of the active release `id`: refuses at once what can be refused now (the release is not
 * active: ACTIVE_RELEASE_CHANGED; no eligible target: ROLLBACK_TARGET_INELIGIBLE; a request of the release still
 * validating: ROLLBACK_PENDING; an incident of another system: 400), then records the request and starts the
 * target's validation run. Without rollback_validation datasets there is nothing to run: the rollback commits in
 * the same transaction as its request (validation `skipped`), as it always has.
 */
export async function requestRollback(
  store: GovernanceStore,
  runner: RunStarter,
  actor: Actor,
  id: string,
  input: { reason: string; incidentId?: string | null; targetCandidateId?: string | null },
): Promise<OpenedRollback> {
  const target = await store.candidates.rollbackTarget(id, input.targetCandidateId ?? null);
  const [system, datasets] = await Promise.all([
    store.systems.getSystem(target.systemId),
    store.monitoring.latestDatasetsOfKind(target.systemId, 'rollback_validation'),
  ]);
  // Naming the target makes the settlement refuse (ROLLBACK_TARGET_INELIGIBLE) rather than restore another release
  // should the history change while the validation runs.
  const common = { ...input, targetCandidateId: target.id };
  if (datasets.length === 0) {
    const policy = await store.policies.systemPolicy(system.id);
    const validation = rollbackValidationDecision({ riskTier: system.riskTier, evalRunId: null, passed: null, policy });
    return store.rollbackRequests.openRollbackRequest(actor, id, { ...common, validation });
  }
  const { executor, note } = await executorFor(store, target);
  const opened = await store.rollbackRequests.openRollbackRequest(actor, id, {
    ...common,
    validation: { datasets, executor, executorNote: note },
  });
  if (opened.run) await runner.start(opened.run.id);
  return opened;
}

/**
 * The continuation of a rollback_validation run (its state machine's Aggregate or RecordFailure step): decides by
 * the tier's rule in the policy in force whether the failure warns or blocks, and settles the request. Nothing to
 * do for a run that validates no request.
 */
export async function settleRollbackValidation(
  store: GovernanceStore,
  run: EvalRun,
  override?: ApprovalPolicy,
): Promise<RollbackRequest | null> {
  if (!run.rollbackRequestId) return null;
  if (run.status === 'error' || (run.status !== 'passed' && run.status !== 'failed'))
    return store.rollbackRequests.settleRollbackRequest(run.rollbackRequestId, {
      kind: 'error',
      message: run.error ?? `the validation run is ${run.status}`,
    });
  const validation = await validationOutcome(store, run, override);
  return store.rollbackRequests.settleRollbackRequest(run.rollbackRequestId, { kind: 'validated', validation });
}

/** The validation outcome of a finished run under the tier's rule; the executor note, when any, in its message. */
async function validationOutcome(
  store: GovernanceStore,
  run: EvalRun,
  override?: ApprovalPolicy,
): Promise<RollbackValidationOutcome> {
  const [system, policy] = await Promise.all([
    store.systems.getSystem(run.systemId),
    override ?? store.policies.systemPolicy(run.systemId),
  ]);
  const outcome = rollbackValidationDecision({
    riskTier: system.riskTier,
    evalRunId: run.id,
    passed: run.status === 'passed',
    reasons: run.failureReasons,
    policy,
  });
  return run.executorNote ? { ...outcome, message: `${outcome.message} (${run.executorNote})` } : outcome;
}
