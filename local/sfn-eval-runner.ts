// An EvalRunner that starts an execution of statemachines/eval-run.asl.json in the local interpreter per run,
// as StartExecution does in AWS, and tracks the executions so idle() resolves when they have all finished.

import type { EvidenceStore } from '../functions/store/evidence-store.js';
import type { GovernanceStore } from '../functions/store/index.js';
import type { CheckRunContinuationDeps } from '../functions/workflows/check-run-continuation.js';
import type { EvalRunner } from '../functions/workflows/eval-runner.js';
import { type EvalStepOptions, failEvalRunStep } from '../functions/workflows/eval-steps.js';
import { type EvalTaskHandlers, evalTaskHandlers } from '../functions/workflows/eval-tasks.js';
import { createLocalStateMachine, type LocalStateMachine } from './step-functions.js';

/** Local stand-ins for the task functions' ARNs: the Resource of each Task after substitution. */
const LOCAL_TASK_ARNS = {
  prepare: 'arn:aws:lambda:us-east-1:000000000000:function:local-eval-prepare',
  executeBatch: 'arn:aws:lambda:us-east-1:000000000000:function:local-eval-execute-batch',
  aggregate: 'arn:aws:lambda:us-east-1:000000000000:function:local-eval-aggregate',
  recordFailure: 'arn:aws:lambda:us-east-1:000000000000:function:local-eval-record-failure',
} as const;

export interface SfnEvalRunnerOptions extends EvalStepOptions {
  /** Where the batch task writes per-case evidence (the S3 stand-in's bucket, or a test's in-memory double). */
  evidence: EvidenceStore;
  batchSize?: number;
  maxConcurrency?: number;
  /** IntervalSeconds substituted into the definition (deployed default 2). */
  retryIntervalSeconds?: number;
  /** Replaces the interpreter's retry sleep (milliseconds): tests use a few. */
  retryIntervalMs?: number;
  runTimeoutSeconds?: number;
  /** Wraps the task handlers (tests inject failures). */
  wrapTasks?: (tasks: EvalTaskHandlers) => EvalTaskHandlers;
  /** What check runs' continuations use besides this runner (which starts the runs they ask for). */
  continuation?: Omit<CheckRunContinuationDeps, 'startRun'>;
  /** Told of every finished execution. */
  onFinished?: (report: { runId: string; ok: boolean; transitions: number; retries: number; error?: string }) => void;
}

export interface SfnEvalRunner extends EvalRunner {
  /** The local state machine (built on first use). */
  machine: () => Promise<LocalStateMachine>;
}

export function createSfnEvalRunner(store: GovernanceStore, options: SfnEvalRunnerOptions): SfnEvalRunner {
  const { evidence } = options;
  // A continuation that asks for a run (monitoring's rollback validation) starts it on this same runner.
  const continuation: CheckRunContinuationDeps = { ...options.continuation, startRun: (runId) => runner.start(runId) };
  const base = evalTaskHandlers(() => store, {
    continuation,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    evidence: () => evidence,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    ...(options.providers ? { providers: options.providers } : {}),
  });
  const tasks = options.wrapTasks ? options.wrapTasks(base) : base;
  let machine: Promise<LocalStateMachine> | undefined;
  const build = () => {
    machine ??= createLocalStateMachine({
      file: 'eval-run.asl.json',
      substitutions: {
        PrepareFunctionArn: LOCAL_TASK_ARNS.prepare,
        ExecuteBatchFunctionArn: LOCAL_TASK_ARNS.executeBatch,
        AggregateFunctionArn: LOCAL_TASK_ARNS.aggregate,
        RecordFailureFunctionArn: LOCAL_TASK_ARNS.recordFailure,
        MaxConcurrency: options.maxConcurrency ?? 4,
        RetryIntervalSeconds: options.retryIntervalSeconds ?? 2,
        RunTimeoutSeconds: options.runTimeoutSeconds ?? 3600,
      },
      resources: {
        [LOCAL_TASK_ARNS.prepare]: (input) => tasks.prepare(input as never),
        [LOCAL_TASK_ARNS.executeBatch]: (input) => tasks.executeBatch(input as never),
        [LOCAL_TASK_ARNS.aggregate]: (input) => tasks.aggregate(input as never),
        [LOCAL_TASK_ARNS.recordFailure]: (input) => tasks.recordFailure(input as never),
      },
      ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
    });
    return machine;
  };
  const running = new Set<Promise<void>>();
  const execute = async (runId: string) => {
    let execution: ReturnType<LocalStateMachine['start']> | undefined;
    try {
      // Named after the run, as in AWS: a repeated start while the run's execution is open starts nothing.
      const built = await build();
      if (built.names.status(runId) === 'RUNNING') return;
      execution = built.start({ runId }, runId);
      await execution.result;
      options.onFinished?.({ runId, ok: true, transitions: execution.transitions(), retries: execution.retries() });
    } catch (error) {
      // The run's execution closed already (its name stays taken): it recorded its outcome, as the AWS runner assumes.
      if (!execution && (error as Error).name === 'ExecutionAlreadyExists') return;
      const message = (error as Error).message ?? String(error);
      // A Catch has recorded the failure already; an execution timeout or abort has not: the run must not stay running.
      await failEvalRunStep(store, { runId, error: `eval run execution failed: ${message}` }, continuation).catch(
        () => undefined,
      );
      options.onFinished?.({
        runId,
        ok: false,
        transitions: execution?.transitions() ?? 0,
        retries: execution?.retries() ?? 0,
        error: message,
      });
    }
  };
  const runner: SfnEvalRunner = {
    machine: build,
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
