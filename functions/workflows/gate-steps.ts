// The steps of the release gate (statemachines/release-gate.asl.json), over the store: open the round, wait for
// one decision, settle, expire, record a failure. Each is idempotent, so a Retry or a restarted gate repeats it
// safely, and each reads its facts from DynamoDB, the one source of truth.
import { ValidationError } from '../domain/errors.js';
import { approvalSecondsLeft, DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../domain/policy.js';
import type { CandidateStatus } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import { GATE_SERVICE_ACTOR, type GateCallbacks, sendOutcome } from './gate-runner.js';

export interface GateInput {
  candidateId: string;
  /** The round the gate watches: its first approval id. Empty: the gate opens a round itself. */
  roundId: string;
}

export interface OpenedRound {
  /** false: the round is no longer the candidate's open round; the gate settles at once. */
  current: boolean;
  roundId: string;
  approvalIds: string[];
  /** Whole seconds left before the round expires (TimeoutSecondsPath of each wait). */
  timeoutSeconds: number;
}

/**
 * Returns the candidate's open approval round and the seconds left of it, opening one when the gate was started
 * without a round and the candidate can be sent for approval. The API's request-approval opens the round in its
 * own transaction and starts the gate with it, so this normally finds the round open: the same records, never a
 * second set.
 */
export async function openRoundStep(
  store: GovernanceStore,
  input: GateInput,
  options: { timeoutSeconds?: number } = {},
): Promise<OpenedRound> {
  if (!input.candidateId) throw new ValidationError('candidateId is required');
  const timeout = options.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
  let candidate = await store.candidates.getCandidate(input.candidateId);
  if (!input.roundId && candidate.status === 'eval_passed') {
    candidate = (await store.candidates.requestApproval(GATE_SERVICE_ACTOR, input.candidateId)).candidate;
  }
  const roundId = input.roundId || (candidate.approvalIds[0] ?? '');
  if (candidate.status !== 'awaiting_approval' || candidate.approvalIds[0] !== roundId) {
    return { current: false, roundId, approvalIds: [], timeoutSeconds: 1 };
  }
  const first = await store.approvals.getApproval(roundId);
  return {
    current: true,
    roundId,
    approvalIds: candidate.approvalIds,
    timeoutSeconds: approvalSecondsLeft(first.requestedAt, timeout, store.ctx.now()),
  };
}

/**
 * The body of one wait (the Lambda behind `lambda:invoke.waitForTaskToken`): stores the token on the pending
 * approval, so the decision can complete the wait; when the approval is decided already (a decision before the
 * wait, or a callback that failed to send), completes the wait at once itself.
 */
export async function awaitDecisionStep(
  store: GovernanceStore,
  callbacks: GateCallbacks,
  input: { taskToken: string; candidateId: string; approvalId: string },
): Promise<{ approvalId: string; waiting: boolean }> {
  if (!input.taskToken || !input.approvalId) throw new ValidationError('taskToken and approvalId are required');
  const outcome = await store.approvals.registerTaskToken(input.approvalId, input.taskToken);
  if (outcome.registered) {
    // A decision may have committed between the read of the record and the token's write: check once more.
    const after = await store.approvals.getApproval(input.approvalId);
    if (after.status === 'pending') return { approvalId: input.approvalId, waiting: true };
    await sendOutcome(callbacks, input.taskToken, input.approvalId, after.status);
    return { approvalId: input.approvalId, waiting: false };
  }
  const sent = await sendOutcome(callbacks, input.taskToken, input.approvalId, outcome.status, outcome.roundClosed);
  if (!sent) throw new ValidationError(`approval ${input.approvalId} is ${outcome.status}; nothing to wait for`);
  return { approvalId: input.approvalId, waiting: false };
}

export interface GateOutcome {
  candidateId: string;
  roundId: string;
  /** The candidate's status in DynamoDB after the gate: approved, rejected, eval_passed (changes or expiry) ... */
  candidateStatus: CandidateStatus;
}

/** After every wait returned, or one ended with a decision other than approval: the candidate's status is the outcome. */
export async function settleStep(
  store: GovernanceStore,
  input: { candidateId: string; roundId: string },
): Promise<GateOutcome & { approvedNow: boolean }> {
  const out = await store.approvals.settleApprovalRound(GATE_SERVICE_ACTOR, input.candidateId, input.roundId);
  return { candidateId: input.candidateId, roundId: input.roundId, ...out };
}

/** A wait timed out: the round expires (pending records `expired`, candidate back to `eval_passed`), audited. */
export async function expireStep(
  store: GovernanceStore,
  input: { candidateId: string; roundId: string },
  options: { timeoutSeconds?: number } = {},
): Promise<GateOutcome & { expired: boolean; expiredApprovalIds: string[] }> {
  const out = await store.approvals.expireApprovalRound(
    GATE_SERVICE_ACTOR,
    input.candidateId,
    input.roundId,
    options.timeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  );
  return {
    candidateId: input.candidateId,
    roundId: input.roundId,
    candidateStatus: out.candidateStatus,
    expired: out.expired,
    expiredApprovalIds: out.approvalIds,
  };
}

/** The Catch of an error no retry fixed: an audit event on the candidate; the round stays open. */
export async function recordGateFailureStep(
  store: GovernanceStore,
  input: { candidateId: string; roundId?: string; error: string },
): Promise<GateOutcome> {
  const out = await store.approvals.recordGateFailure(
    GATE_SERVICE_ACTOR,
    input.candidateId,
    input.roundId ?? '',
    input.error,
  );
  return { candidateId: input.candidateId, roundId: input.roundId ?? '', candidateStatus: out.candidateStatus };
}
