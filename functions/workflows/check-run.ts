// Check runs (monitoring and rollback validation) go through the eval-run state machine like gate runs, on the
// executor the release was gated with (ADR 0032): this module chooses the executor, records the run and starts its
// execution. Their verdict is acted upon by the run's continuation (check-run-continuation.ts), called by the
// state machine's Aggregate and RecordFailure steps, in AWS as locally.
import { checkRunExecutor } from '../domain/eval-run.js';
import type { Actor, EvalRun, EvalRunPurpose, ReleaseCandidate } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';

/** Monitoring and rollback validation act under the monitor's own identity in the audit trail. */
export const MONITOR_ACTOR: Actor = { userId: 'svc:monitor', name: 'Release monitor', roles: [] };

/** Starts a run's execution (an EvalRunner: StartExecution in AWS, the local interpreter locally). */
export interface RunStarter {
  start(runId: string): void | Promise<void>;
}

/** Whether a run is a check run: its continuation judges it, and it never moves its release's lifecycle. */
export function isCheckRun(run: Pick<EvalRun, 'purpose'>): run is EvalRun & {
  purpose: Exclude<EvalRunPurpose, 'gate'>;
} {
  return run.purpose === 'monitoring' || run.purpose === 'rollback_validation';
}

/**
 * The executor a check run of `release` uses: its approval-time gate run's (the run that passed it; a released
 * candidate cannot be re-evaluated, so its latest run is that run), with `submitted` re-run on `simulated`.
 */
export async function executorFor(
  store: GovernanceStore,
  release: Pick<ReleaseCandidate, 'latestEvalRunId'>,
): Promise<ReturnType<typeof checkRunExecutor>> {
  const approvalRun = release.latestEvalRunId
    ? await store.evalRuns.getEvalRun(release.latestEvalRunId).catch(() => null)
    : null;
  return checkRunExecutor(approvalRun);
}

/**
 * Records a check run of `candidateId` over `datasetIds` on the release's executor and starts its execution. A
 * start that fails records the run as error (the runner does), so nothing waits on a run that never ran.
 */
export async function startCheckRun(
  store: GovernanceStore,
  runner: RunStarter,
  actor: Actor,
  input: { candidateId: string; purpose: Exclude<EvalRunPurpose, 'gate'>; datasetIds: string[] },
): Promise<EvalRun> {
  const release = await store.candidates.getCandidate(input.candidateId);
  const { executor, note } = await executorFor(store, release);
  const run = await store.monitoring.startCheckRun(actor, { ...input, executor, executorNote: note });
  await runner.start(run.id);
  return run;
}
