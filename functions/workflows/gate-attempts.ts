// Attempts of a round's release gate. Step Functions keeps an execution's name for 90 days after the execution
// closes: StartExecution with that name then fails with ExecutionAlreadyExists whatever the input, and only a start
// of the same name and input while the execution is open answers with the open execution (AWS Step Functions API
// Reference, StartExecution). So "ExecutionAlreadyExists" does not mean "running": each attempt of a round gets its
// own name, and a start walks the attempts until it finds one that is running or settled the round, or a free name.
// The same walk runs against Step Functions (gate-sfn.ts) and against the local runner (local/gate-runner.ts).

/** What DescribeExecution reports of an execution (the statuses of the Step Functions API). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The two calls of the Step Functions API a gate start needs, on one state machine. */
export interface GateExecutions {
  /**
   * StartExecution: resolves when the execution started, or when an open execution of that name has the same input;
   * rejects with an error named `ExecutionAlreadyExists` when the name is taken otherwise.
   */
  start(name: string, input: string): Promise<void>;
  /** DescribeExecution: the status of the execution of that name (undefined when there is none). */
  status(name: string): Promise<ExecutionStatus | undefined>;
}

/** Attempts a round may make before the start gives up (each failed attempt already raised the failed alarm). */
export const MAX_GATE_ATTEMPTS = 20;

/** Statuses of an attempt that closed without settling the round: the next attempt restarts the gate. */
const RESTARTED: ReadonlySet<ExecutionStatus> = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * The execution name of a round's gate attempt: `<candidate>-<round>` for the first (the name before attempts were
 * counted), `<candidate>-<round>-a<n>` after; at most 80 characters of [A-Za-z0-9_-], the suffix always kept.
 */
export function gateExecutionName(candidateId: string, roundId: string, attempt = 1): string {
  const base = `${candidateId}-${roundId}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const suffix = attempt > 1 ? `-a${attempt}` : '';
  return `${base.slice(0, 80 - suffix.length)}${suffix}`;
}

/** The input of a round's gate: the same for every attempt, so a repeated start of an open attempt is idempotent. */
function gateExecutionInput(candidateId: string, roundId: string): string {
  return JSON.stringify({ candidateId, roundId });
}

export interface GateAttempt {
  name: string;
  attempt: number;
  /** `started`: this call started it or found it open; `settled`: an attempt succeeded already. */
  outcome: 'started' | 'settled';
}

/**
 * Starts the gate of a round, or finds the attempt that runs it: a failed, timed-out or aborted attempt is followed
 * by the next name; a running one is left alone (idempotent); a succeeded one means the round is settled.
 */
export async function startGateAttempt(
  executions: GateExecutions,
  candidateId: string,
  roundId: string,
): Promise<GateAttempt> {
  const input = gateExecutionInput(candidateId, roundId);
  for (let attempt = 1; attempt <= MAX_GATE_ATTEMPTS; attempt++) {
    const name = gateExecutionName(candidateId, roundId, attempt);
    try {
      await executions.start(name, input);
      return { name, attempt, outcome: 'started' };
    } catch (error) {
      if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
    }
    const status = await executions.status(name);
    if (status === 'SUCCEEDED') return { name, attempt, outcome: 'settled' };
    // Open (under another input, started by hand) or not yet visible: it is this round's gate all the same.
    if (!status || !RESTARTED.has(status)) return { name, attempt, outcome: 'started' };
  }
  throw new Error(
    `the release gate of ${candidateId} (round ${roundId}) closed without settling ${MAX_GATE_ATTEMPTS} times`,
  );
}
