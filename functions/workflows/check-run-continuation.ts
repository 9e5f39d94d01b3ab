// What happens when a check run ends (ADR 0032), called by the eval-run state machine's Aggregate and RecordFailure
// steps and by the execution-closed path, so it works the same in AWS and locally: a rollback_validation run
// settles its rollback request; a monitoring run is judged and recorded with its incidents and the policy's action.
// Each continuation is idempotent (a retried step finds the run recorded, or the request settled).
import type { EvalRun } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { CheckRunOutcome } from '../store/monitoring.js';
import { MONITOR_ACTOR } from './check-run.js';
import {
  type MonitoringContinuationDeps,
  monitoringRunFailed,
  type ReleaseMonitoring,
  recordMonitoringRun,
} from './monitor.js';
import { settleRollbackValidation } from './rollback-validation.js';

export interface CheckRunContinuationDeps extends MonitoringContinuationDeps {
  /** Told of each judged monitoring run (a monitoring pass that waits for its runs builds its summary from these). */
  onMonitored?: (result: ReleaseMonitoring) => void;
}

/** A check run scored all its cases: record the verdict and act on it. */
export async function continueScoredCheckRun(
  store: GovernanceStore,
  run: EvalRun,
  outcome: CheckRunOutcome,
  deps: CheckRunContinuationDeps = {},
): Promise<void> {
  if (run.purpose === 'monitoring') {
    const result = await recordMonitoringRun(store, run, outcome, deps);
    if (result) deps.onMonitored?.(result);
    return;
  }
  if (run.purpose !== 'rollback_validation') return;
  const finished =
    run.status === 'running' ? await store.monitoring.completeCheckRun(MONITOR_ACTOR, run.id, outcome) : run;
  await settleRollbackValidation(store, finished);
}

/** A check run ended in error (its run is recorded as error): the rollback it validated is settled as error. */
export async function continueFailedCheckRun(
  store: GovernanceStore,
  run: EvalRun,
  deps: CheckRunContinuationDeps = {},
): Promise<void> {
  if (run.purpose === 'monitoring') deps.onMonitored?.(await monitoringRunFailed(store, run));
  else if (run.purpose === 'rollback_validation') await settleRollbackValidation(store, run);
}
