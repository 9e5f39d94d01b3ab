// Runs a release's snapshot over chosen datasets in this process with the simulated executor, through the same
// pure eval core as a gate run (batches, scoring, aggregation, thresholds): the engine of monitoring runs and
// rollback validation. Small by design (regression and smoke sets); gate runs of large datasets go through the
// eval-run state machine instead.
import {
  applyThresholds,
  type EvalAggregate,
  emptyAggregate,
  evalVerdict,
  finishMetrics,
  labelsOf,
  mergeAggregates,
  planBatches,
  scoreBatch,
} from '../domain/eval/index.js';
import type { Actor, EvalCase, EvalRun, EvalRunPurpose } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { CheckRunOutcome } from '../store/monitoring.js';

/** Monitoring and rollback validation act under the monitor's own identity in the audit trail. */
export const MONITOR_ACTOR: Actor = { userId: 'svc:monitor', name: 'Release monitor', roles: [] };

const BATCH_SIZE = 250;

export interface CheckRunResult {
  run: EvalRun;
  outcome: CheckRunOutcome;
}

/**
 * Starts a check run of `candidateId`'s snapshot over `datasetIds` and scores it; the caller records the finish
 * (monitoring with its incidents, rollback validation with its decision). An executor failure marks the run error.
 */
export async function executeCheckRun(
  store: GovernanceStore,
  actor: Actor,
  input: { candidateId: string; purpose: Exclude<EvalRunPurpose, 'gate'>; datasetIds: string[] },
): Promise<CheckRunResult> {
  const run = await store.monitoring.startCheckRun(actor, input);
  try {
    const candidate = await store.candidates.getCandidate(input.candidateId);
    const [prompt, modelConfig] = await Promise.all([
      store.artefacts.getPrompt(candidate.promptVersionId),
      store.artefacts.getModelConfig(candidate.modelConfigId),
    ]);
    const cases: EvalCase[] = [];
    for (const id of run.datasetIds ?? []) cases.push(...(await store.datasets.allDatasetCases(id)));
    const labels = labelsOf(cases);
    let aggregate: EvalAggregate = emptyAggregate();
    for (const batch of planBatches(cases.length, BATCH_SIZE)) {
      const scored = scoreBatch({
        executor: 'simulated',
        snapshotHash: run.snapshotHash,
        cases: cases.slice(batch.start, batch.end),
        labels,
        prompt,
        modelConfig,
      });
      aggregate = mergeAggregates(aggregate, scored.aggregate);
    }
    const { metrics, slices } = finishMetrics(aggregate);
    const thresholdVerdicts = applyThresholds(metrics, candidate.thresholds);
    const verdict = evalVerdict(thresholdVerdicts, []);
    return {
      run,
      outcome: { passed: verdict.passed, metrics, slices, thresholdVerdicts, failureReasons: verdict.failureReasons },
    };
  } catch (error) {
    await store.monitoring.failCheckRun(actor, run.id, String((error as Error).message ?? error).slice(0, 1000));
    throw error;
  }
}
