// Monitoring passes and rollbacks as tests drive them since ADR 0032: their runs go through the eval-run state
// machine in the local interpreter, and these helpers wait for the runs and their continuations to end.
import {
  applyThresholds,
  emptyAggregate,
  evalVerdict,
  finishMetrics,
  labelsOf,
  mergeAggregates,
  scoreBatch,
} from '../../functions/domain/eval/index.js';
import type { ApprovalPolicy } from '../../functions/domain/policy.js';
import type { Actor, EvalCase, EvalRun, RollbackRequest } from '../../functions/domain/types.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { keys } from '../../functions/store/keys.js';
import type { CheckRunOutcome } from '../../functions/store/monitoring.js';
import { copyToSystem } from '../../functions/store/policies.js';
import { getItem } from '../../functions/store/query.js';
import type { OpenedRollback } from '../../functions/store/rollback-requests.js';
import { MONITOR_ACTOR } from '../../functions/workflows/check-run.js';
import { type MonitoringSummary, type ReleaseMonitoring, runMonitoring } from '../../functions/workflows/monitor.js';
import { requestRollback } from '../../functions/workflows/rollback-validation.js';
import { createSfnEvalRunner, type SfnEvalRunnerOptions } from '../../local/sfn-eval-runner.js';
import { testEvidence } from './lifecycle.js';

/** A local eval-run state machine over `store`, its monitoring results collected by run id. */
export function checkRunner(store: GovernanceStore, options: Partial<SfnEvalRunnerOptions> = {}) {
  const judged = new Map<string, ReleaseMonitoring>();
  const runner = createSfnEvalRunner(store, {
    evidence: testEvidence,
    retryIntervalMs: 1,
    ...options,
    continuation: { onMonitored: (r) => r.runId && judged.set(r.runId, r) },
  });
  return { runner, judged };
}

/** Puts `policy` in force on the system (its META's copy, the next version), as an activation would. */
export async function putPolicyInForce(store: GovernanceStore, systemId: string, policy: ApprovalPolicy) {
  const meta = await getItem(store.ctx, keys.system(systemId));
  const version = ((meta?.policyVersion as number | undefined) ?? 0) + 1;
  await copyToSystem(store.ctx, systemId, version, { ...policy, version });
}

/** One monitoring pass that waits for its runs (and any rollback validation they start), as `npm run monitor` does. */
export async function monitorOnce(
  store: GovernanceStore,
  options: { systemIds: string[]; policy?: ApprovalPolicy; runner?: Partial<SfnEvalRunnerOptions> },
): Promise<MonitoringSummary> {
  if (options.policy) for (const id of options.systemIds) await putPolicyInForce(store, id, options.policy);
  const { runner, judged } = checkRunner(store, options.runner);
  return runMonitoring(store, {
    runner,
    systemIds: options.systemIds,
    wait: async () => {
      await runner.idle();
      return judged;
    },
  });
}

/** A rollback request and its settlement: the 202's request, then the request once its validation run ended. */
export async function rollbackAndWait(
  store: GovernanceStore,
  actor: Actor,
  id: string,
  input: { reason: string; incidentId?: string | null; targetCandidateId?: string | null },
  options: Partial<SfnEvalRunnerOptions> = {},
): Promise<{ opened: OpenedRollback; settled: RollbackRequest }> {
  const { runner } = checkRunner(store, options);
  const opened = await requestRollback(store, runner, actor, id, input);
  await runner.idle();
  return { opened, settled: await store.rollbackRequests.getRollbackRequest(opened.request.id) };
}

/**
 * A monitoring run recorded running and scored in this process but not yet recorded (what the state machine's
 * Aggregate step hands its continuation): for tests that drive recordMonitoringResult themselves, as two racing
 * continuations would.
 */
export async function scoredMonitoringRun(
  store: GovernanceStore,
  candidateId: string,
  datasetIds: string[],
): Promise<{ run: EvalRun; outcome: CheckRunOutcome }> {
  const run = await store.monitoring.startCheckRun(MONITOR_ACTOR, {
    candidateId,
    purpose: 'monitoring',
    datasetIds,
    executor: 'simulated',
  });
  const candidate = await store.candidates.getCandidate(candidateId);
  const [prompt, modelConfig] = await Promise.all([
    store.artefacts.getPrompt(candidate.promptVersionId),
    store.artefacts.getModelConfig(candidate.modelConfigId),
  ]);
  const cases: EvalCase[] = [];
  for (const id of datasetIds) cases.push(...(await store.datasets.allDatasetCases(id)));
  const scored = scoreBatch({
    executor: 'simulated',
    snapshotHash: run.snapshotHash,
    cases,
    labels: labelsOf(cases),
    prompt,
    modelConfig,
  });
  const { metrics, slices } = finishMetrics(mergeAggregates(emptyAggregate(), scored.aggregate));
  const thresholdVerdicts = applyThresholds(metrics, candidate.thresholds);
  const verdict = evalVerdict(thresholdVerdicts, []);
  return {
    run,
    outcome: { passed: verdict.passed, metrics, slices, thresholdVerdicts, failureReasons: verdict.failureReasons },
  };
}
