// Runs an eval run's steps in this process, in the background of the request that queued it. The Step Functions
// issue replaces this runner with StartExecution of statemachines/eval-run.asl.json; the steps stay the same.
import type { GovernanceStore } from '../store/index.js';
import type { CheckRunContinuationDeps } from './check-run-continuation.js';
import {
  aggregateEvalRun,
  type EvalStepOptions,
  type EvidenceOptions,
  executeEvalBatch,
  failEvalRunStep,
  prepareEvalRun,
  type RunMaterial,
} from './eval-steps.js';

export interface EvalRunner {
  /** Starts the run without waiting for it to finish; a returned promise settles once the start is accepted. */
  start(runId: string): void | Promise<void>;
  /** Resolves when every started run has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/**
 * Executes runs in-process, a few batches at a time, recording any failure on the run as `error`; the per-case
 * evidence goes to the evidence store the caller passes.
 */
export function createInProcessEvalRunner(
  store: GovernanceStore,
  options: { batchSize?: number; concurrency?: number } & EvalStepOptions & EvidenceOptions,
): EvalRunner {
  const { batchSize: _b, concurrency: _c, ...stepOptions } = options;
  const running = new Set<Promise<void>>();
  // A check run's continuation that asks for a run (monitoring's rollback validation) starts it here too.
  const continuation: CheckRunContinuationDeps = { startRun: (runId) => runner.start(runId) };
  const execute = async (runId: string) => {
    const cache = new Map<string, RunMaterial>();
    try {
      const plan = await prepareEvalRun(
        store,
        { runId, ...(options.batchSize ? { batchSize: options.batchSize } : {}) },
        stepOptions,
      );
      const queue = [...plan.batches];
      const worker = async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift())
          await executeEvalBatch(store, { runId, batch, deadline: plan.deadline }, cache, stepOptions);
      };
      await Promise.all(Array.from({ length: options.concurrency ?? Math.min(2, plan.maxConcurrency) }, worker));
      await aggregateEvalRun(store, { runId }, continuation);
    } catch (error) {
      await failEvalRunStep(store, { runId, error: (error as Error).message ?? String(error) }, continuation).catch(
        () => undefined,
      );
    }
  };
  const runner: EvalRunner = {
    start(runId) {
      const p = execute(runId).finally(() => running.delete(p));
      running.add(p);
    },
    async idle() {
      while (running.size) await Promise.all([...running]);
    },
  };
  return runner;
}
