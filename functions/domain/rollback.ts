// Rollback target selection (rule 4): only a release that was approved and active in the same environment, and
// is still superseded (never one that was itself rolled back), with the last-known-good release as the default.
import { GateBlockedError } from './errors.js';
import { DEFAULT_POLICY, type RollbackValidationMode } from './policy.js';
import type { CandidateStatus, Environment, PromotionEvent, RiskTier } from './types.js';

export interface RollbackSelectionInput {
  /** Promotion events of the system, in any order. */
  history: readonly PromotionEvent[];
  /** Current status of every candidate named in `history`; a candidate missing here is not eligible. */
  candidateStatuses: Readonly<Record<string, CandidateStatus>>;
  environment: Environment;
  /** The active release being rolled back. */
  fromCandidateId: string;
  /** A specific earlier release; when absent the last-known-good release is chosen. */
  requestedTargetId?: string;
}

function ineligible(message: string): GateBlockedError {
  return new GateBlockedError([{ code: 'ROLLBACK_TARGET_INELIGIBLE', message }]);
}

// Newest first. Events carry ULID ids, which sort by creation time, so they break ties within one millisecond.
function newestFirst(a: PromotionEvent, b: PromotionEvent): number {
  if (a.at !== b.at) return a.at < b.at ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function statusOf(statuses: Readonly<Record<string, CandidateStatus>>, id: string): CandidateStatus | undefined {
  return Object.hasOwn(statuses, id) ? statuses[id] : undefined;
}

/** Chooses the release to roll back to; throws GateBlockedError (ROLLBACK_TARGET_INELIGIBLE) when none qualifies. */
export function selectRollbackTarget(input: RollbackSelectionInput): { targetId: string } {
  const { environment, fromCandidateId, requestedTargetId, candidateStatuses } = input;
  const activations = input.history.filter((e) => e.environment === environment).sort(newestFirst);
  const wasActive = (id: string) => activations.some((e) => e.candidateId === id);

  if (requestedTargetId !== undefined) {
    const status = statusOf(candidateStatuses, requestedTargetId);
    if (requestedTargetId === fromCandidateId) {
      throw ineligible(`${requestedTargetId} is the release being rolled back`);
    }
    if (!wasActive(requestedTargetId)) {
      throw ineligible(`${requestedTargetId} was never active in ${environment}`);
    }
    if (status === 'rolled_back') {
      throw ineligible(`${requestedTargetId} was itself rolled back and cannot be restored`);
    }
    if (status !== 'superseded') {
      throw ineligible(`${requestedTargetId} is ${status ?? 'unknown'}; only a superseded release can be restored`);
    }
    return { targetId: requestedTargetId };
  }

  // The most recently activated release other than the current one is the most recently deactivated one.
  const lastKnownGood = activations.find(
    (e) => e.candidateId !== fromCandidateId && statusOf(candidateStatuses, e.candidateId) === 'superseded',
  );
  if (!lastKnownGood) {
    throw ineligible(`no earlier release of ${environment} is eligible: none is superseded and previously active`);
  }
  return { targetId: lastKnownGood.candidateId };
}

export interface RollbackValidationOutcome {
  /** skipped: the system has no rollback_validation dataset, so nothing was run. */
  status: 'passed' | 'failed' | 'skipped';
  mode: RollbackValidationMode;
  /** proceed: passed or skipped; warn: failed, and the policy lets the rollback proceed; block: it does not. */
  decision: 'proceed' | 'warn' | 'block';
  evalRunId: string | null;
  reasons: string[];
  message: string;
}

/** Decides what a rollback validation result means for the rollback under the tier's policy. */
export function rollbackValidationDecision(input: {
  riskTier: RiskTier;
  evalRunId: string | null;
  /** null when no rollback_validation dataset exists. */
  passed: boolean | null;
  reasons?: string[];
  policy?: { rollbackValidation: Record<RiskTier, RollbackValidationMode> };
}): RollbackValidationOutcome {
  const mode = (input.policy ?? DEFAULT_POLICY).rollbackValidation[input.riskTier];
  const reasons = input.reasons ?? [];
  if (input.passed === null) {
    return {
      status: 'skipped',
      mode,
      decision: 'proceed',
      evalRunId: null,
      reasons: [],
      message: 'the system has no rollback_validation dataset; the target release was not validated',
    };
  }
  if (input.passed) {
    return {
      status: 'passed',
      mode,
      decision: 'proceed',
      evalRunId: input.evalRunId,
      reasons: [],
      message: 'the target release passed its rollback validation',
    };
  }
  const decision = mode === 'block' ? 'block' : 'warn';
  return {
    status: 'failed',
    mode,
    decision,
    evalRunId: input.evalRunId,
    reasons,
    message:
      decision === 'block'
        ? `the target release failed its rollback validation and the ${input.riskTier}-tier policy blocks the rollback: ${reasons.join('; ')}`
        : `the target release failed its rollback validation; the ${input.riskTier}-tier policy lets the rollback proceed with this warning: ${reasons.join('; ')}`,
  };
}
