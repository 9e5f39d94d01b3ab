// Cost controls of eval runs (issue 16, item 3; ADR 0031): the estimate a run is queued with, the ceiling that stops
// its calls, and the day budget monitoring reserves from. The rules are the domain's
// (functions/domain/eval/cost-estimate.ts); the counters are the store's (run-costs.ts, budgets.ts).
import {
  budgetDay,
  budgetReservation,
  type CostEstimate,
  ceilingReached,
  estimateRunCost,
  formatUsd,
} from '../domain/eval/cost-estimate.js';
import type { ApprovalPolicy } from '../domain/policy.js';
import type { ExecutorKind } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';

/**
 * What a run of the candidate's snapshot by `executor` may cost (over `datasetIds`, default the candidate's own):
 * reads the candidate, its prompt and model config and its datasets' recorded sizes, writes nothing.
 */
export async function estimateEvalRun(
  store: GovernanceStore,
  candidateId: string,
  executor: ExecutorKind,
  datasetIds?: readonly string[],
): Promise<CostEstimate> {
  const candidate = await store.candidates.getCandidate(candidateId);
  const [prompt, modelConfig, sizes] = await Promise.all([
    store.artefacts.getPrompt(candidate.promptVersionId),
    store.artefacts.getModelConfig(candidate.modelConfigId),
    store.runCosts.caseSizes(datasetIds ?? candidate.datasetIds),
  ]);
  return estimateRunCost({ executor, sizes, prompt, modelConfig });
}

/** Why a monitoring run of a release may not run today, or null when it may (its estimate is reserved). */
export async function reserveMonitoringBudget(
  store: GovernanceStore,
  policy: Pick<ApprovalPolicy, 'monitoring'>,
  releaseId: string,
  datasetIds: readonly string[],
  executor: ExecutorKind = 'simulated',
): Promise<string | null> {
  const budget = policy.monitoring.dailyBudget;
  if (budget === undefined) return null;
  const estimate = await estimateEvalRun(store, releaseId, executor, datasetIds);
  const usd = budgetReservation(estimate);
  const day = budgetDay(store.ctx.now());
  const { reserved, reservedToday } = await store.budgets.reserveBudget('monitoring', day, usd, budget);
  if (reserved) return null;
  return `daily monitoring budget reached: ${formatUsd(reservedToday)} of ${formatUsd(budget)} USD reserved on ${day}; this run's estimate is ${formatUsd(usd)} USD`;
}

/**
 * A run's ceiling as one process sees it, shared by every batch and case of the run the process executes. Calls
 * ask `mayCall()` (no I/O); each billed call's cost goes to the run's counter with `record`, whose atomic ADD answers
 * the total of every process, so the view is never older than the process's last finished call. A batch refreshes
 * the view when it starts (`refresh`), so a batch starting after another process reached the ceiling calls nothing.
 */
export interface SpendGuard {
  readonly maxCost: number;
  /** The run's spend as last seen. */
  spent(): number;
  mayCall(): boolean;
  record(usd: number): Promise<void>;
  refresh(): Promise<void>;
}

/** The ceiling guard of a run with a `maxCost`. */
export function createSpendGuard(store: GovernanceStore, runId: string, maxCost: number, spent = 0): SpendGuard {
  let seen = spent;
  const see = (total: number) => {
    if (total > seen) seen = total;
  };
  return {
    maxCost,
    spent: () => seen,
    mayCall: () => !ceilingReached(seen, maxCost),
    async record(usd) {
      if (usd > 0) see(await store.runCosts.addRunSpend(runId, usd));
    },
    async refresh() {
      see(await store.runCosts.runSpend(runId));
    },
  };
}
