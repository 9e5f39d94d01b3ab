// A rollback that first validates its target: the system's rollback_validation datasets run against the release to
// be restored (an eval run with purpose rollback_validation), and the risk-tier policy decides whether a failure
// warns or blocks (docs/architecture/rollback.md).
import { ConflictError } from '../domain/errors.js';
import type { ApprovalPolicy } from '../domain/policy.js';
import { type RollbackValidationOutcome, rollbackValidationDecision } from '../domain/rollback.js';
import type { Actor, ReleaseCandidate, RollbackRecord } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import { executeCheckRun } from './check-run.js';

export interface ValidatedRollback {
  candidate: ReleaseCandidate;
  target: ReleaseCandidate;
  rollback: RollbackRecord;
  validation: RollbackValidationOutcome;
}

/**
 * Validates the rollback target, then rolls back unless the policy blocks: a block is a 409 with code
 * ROLLBACK_VALIDATION_FAILED and nothing is rolled back (the validation run stays recorded as evidence). The policy
 * is the system's policy in force (its META's copy) unless a test names one.
 */
export async function rollbackWithValidation(
  store: GovernanceStore,
  actor: Actor,
  id: string,
  input: { reason: string; incidentId?: string | null; targetCandidateId?: string | null },
  policy?: ApprovalPolicy,
): Promise<ValidatedRollback> {
  const target = await store.candidates.rollbackTarget(id, input.targetCandidateId ?? null);
  const validation = await validateRollbackTarget(store, actor, target, policy);
  if (validation.decision === 'block') {
    throw new ConflictError(validation.message, {
      code: 'ROLLBACK_VALIDATION_FAILED',
      targetCandidateId: target.id,
      validation,
    });
  }
  // Naming the validated target makes the rollback fail (ROLLBACK_TARGET_INELIGIBLE) rather than restore another
  // release, should the history change between the validation and the rollback.
  const out = await store.candidates.rollbackRelease(actor, id, {
    ...input,
    targetCandidateId: target.id,
    validation,
  });
  return { ...out, validation };
}

/**
 * Runs the system's rollback_validation datasets against `target` (the release a rollback would restore) and
 * decides, by the risk tier's rule in the policy (the system's policy in force when none is named), whether a
 * failure warns or blocks. Used by a person's rollback and by the automatic rollback of post-market monitoring alike.
 */
export async function validateRollbackTarget(
  store: GovernanceStore,
  actor: Actor,
  target: ReleaseCandidate,
  override?: ApprovalPolicy,
): Promise<RollbackValidationOutcome> {
  const [system, policy] = await Promise.all([
    store.systems.getSystem(target.systemId),
    override ?? store.policies.systemPolicy(target.systemId),
  ]);
  const datasets = await store.monitoring.latestDatasetsOfKind(system.id, 'rollback_validation');
  if (datasets.length === 0) {
    return rollbackValidationDecision({ riskTier: system.riskTier, evalRunId: null, passed: null, policy });
  }
  const { run, outcome } = await executeCheckRun(store, actor, {
    candidateId: target.id,
    purpose: 'rollback_validation',
    datasetIds: datasets.map((d) => d.id),
  });
  const done = await store.monitoring.completeCheckRun(actor, run.id, outcome);
  return rollbackValidationDecision({
    riskTier: system.riskTier,
    evalRunId: done.id,
    passed: outcome.passed,
    reasons: outcome.failureReasons,
    policy,
  });
}
