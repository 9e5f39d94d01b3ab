// The release gate (statemachines/release-gate.asl.json) as the API sees it: something that starts a gate for an
// approval round, and something that answers a gate's wait for a decision (SendTaskSuccess / SendTaskFailure in
// AWS, a local task-token registry on one machine). DynamoDB stays the one source of truth: a decision is committed
// first and the gate is told afterwards; a gate that missed the message learns the outcome when it waits again.
import type { Actor, ApprovalStatus } from '../domain/types.js';
import { createLogger, type Logger, type LogLine } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';

export interface GateRunner {
  /**
   * Starts the gate of a candidate's approval round (`roundId`: the round's first approval id). Starting the same
   * round twice starts one gate. A returned promise settles once the start is accepted.
   */
  start(candidateId: string, roundId: string): void | Promise<void>;
  /** Resolves when every started gate has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/** Completes a gate's wait for one approval: Step Functions' SendTaskSuccess and SendTaskFailure. */
export interface GateCallbacks {
  succeed(token: string, output: Record<string, unknown>): Promise<void>;
  fail(token: string, error: GateFailureError, cause: string): Promise<void>;
}

/** The errors a wait ends with when the approval was not approved; the definition's Catch sends them to Settle. */
const GATE_FAILURE_ERRORS = [
  'ApprovalRejected',
  'ApprovalChangesRequested',
  'ApprovalExpired',
  'ApprovalRoundClosed',
] as const;
export type GateFailureError = (typeof GATE_FAILURE_ERRORS)[number];

/** The actor of the gate's own transitions (expiry, confirmation) in the audit trail. */
export const GATE_SERVICE_ACTOR: Actor = { userId: 'svc:release-gate', name: 'Release gate', roles: [] };

/** Sends what a decided approval means for the gate's wait: success when approved, a named failure otherwise. */
export async function sendOutcome(
  callbacks: GateCallbacks,
  token: string,
  approvalId: string,
  status: ApprovalStatus,
  roundClosed = false,
): Promise<boolean> {
  if (status === 'approved') {
    await callbacks.succeed(token, { approvalId, status });
    return true;
  }
  const error: GateFailureError | null =
    status === 'rejected'
      ? 'ApprovalRejected'
      : status === 'changes_requested'
        ? 'ApprovalChangesRequested'
        : status === 'expired'
          ? 'ApprovalExpired'
          : roundClosed
            ? 'ApprovalRoundClosed'
            : null;
  if (!error) return false;
  await callbacks.fail(token, error, `approval ${approvalId} is ${roundClosed ? 'in a closed round' : status}`);
  return true;
}

let gateLogger: Logger | undefined;

/** Where a failed notification is reported when the caller names no log: a JSON warning of the release gate. */
const warnOfGate: LogLine = (line) => {
  gateLogger ??= createLogger({ service: 'release-gate' });
  gateLogger.warn(line);
};

/**
 * After a decision committed: tells the gate waiting on that approval, with the token the gate stored on it.
 * A failure to send is reported, never thrown: the decision stands (DynamoDB is the truth), and the gate, when it
 * waits again (a retry or a restart), finds the approval decided and completes the wait itself.
 */
export async function notifyGate(
  store: GovernanceStore,
  callbacks: GateCallbacks | undefined,
  approvalId: string,
  status: ApprovalStatus,
  log: LogLine = warnOfGate,
): Promise<'sent' | 'no-gate' | 'failed'> {
  try {
    if (!callbacks) return 'no-gate';
    const token = await store.approvals.taskTokenOf(approvalId);
    if (!token) return 'no-gate';
    await sendOutcome(callbacks, token, approvalId, status);
    return 'sent';
  } catch (error) {
    log(`release gate: could not send the decision on ${approvalId}: ${(error as Error).message ?? String(error)}`);
    return 'failed';
  }
}
