// Rollback target selection (rule 4): only a release that was approved and active in the same environment, and
// is still superseded (never one that was itself rolled back), with the last-known-good release as the default.
import { GateBlockedError } from './errors.js';
import type { CandidateStatus, Environment, PromotionEvent } from './types.js';

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
