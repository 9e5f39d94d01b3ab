// The eval-run state machine's Lambda tasks (statemachines/eval-run.asl.json): thin wrappers that call the eval
// steps with the store of this container. Event in, small JSON out: the evidence stays in the store. The local
// stack maps the same handlers onto the Task states of the same definition.

import {
  ConflictError,
  InvalidTransitionError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../domain/errors.js';
import type { BatchDescriptor, SizingLimits } from '../domain/eval/index.js';
import { createObservability, type GovernanceMeter, observed, workflowCorrelationId } from '../observability/index.js';
import { type Env, once } from '../store/config.js';
import { type EvidenceStore, evidenceStoreFromEnv } from '../store/evidence-store.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { parseAllowedHosts } from './allowed-hosts.js';
import type { CheckRunContinuationDeps } from './check-run-continuation.js';
import {
  aggregateEvalRun,
  type EvalStepOptions,
  executeEvalBatch,
  failEvalRunStep,
  loadRunMaterial,
  prepareEvalRun,
  type RunMaterial,
} from './eval-steps.js';
import { createProviderRuntime } from './providers/runtime.js';
import { secretsManagerResolver } from './providers/secrets.js';

const { logger, metrics, meter } = createObservability('eval-tasks');

/** A warm container scores many batches of one run: the run's material is loaded once. */
const materialCache = new Map<string, RunMaterial>();
/** Loads in flight, so the Map's concurrent first batches of a run load its material once, not once each. */
const materialLoads = new Map<string, Promise<RunMaterial>>();
const CACHE_LIMIT = 4;

function forget(runId: string): void {
  materialCache.delete(runId);
  materialLoads.delete(runId);
}

/**
 * A task's error cause as the Catch hands it on: Lambda wraps it as JSON `{"errorMessage", "errorType"}`, the
 * local interpreter passes the message. Either way the run records the message.
 */
export function causeMessage(cause: unknown): string {
  if (typeof cause !== 'string') return cause === undefined || cause === null ? 'unknown error' : JSON.stringify(cause);
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the message itself
  }
  return cause;
}

/**
 * Errors a retry cannot fix, by the name the definition's first retrier lists (MaxAttempts 0). The deployed bundle
 * is minified, so class names are not the errors' names there: the tasks name them explicitly.
 */
export const PERMANENT_ERRORS: [abstract new (...args: never[]) => Error, string][] = [
  [ValidationError, 'ValidationError'],
  [NotFoundError, 'NotFoundError'],
  [ConflictError, 'ConflictError'],
  [InvalidTransitionError, 'InvalidTransitionError'],
  [UnprocessableError, 'UnprocessableError'],
];

/**
 * Runs a task, giving a permanent error its stable name, so Retry and Catch match it in AWS as locally (the eval and
 * release-gate tasks both use it).
 */
export async function named<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (error) {
    const permanent = PERMANENT_ERRORS.find(([type]) => error instanceof type);
    if (permanent) (error as Error).name = permanent[1];
    throw error;
  }
}

export interface EvalTaskHandlers {
  prepare: (event: { runId: string; batchSize?: number; limits?: SizingLimits }) => ReturnType<typeof prepareEvalRun>;
  executeBatch: (event: {
    runId: string;
    batch: BatchDescriptor;
    deadline?: string;
  }) => Promise<{ runId: string; batchIndex: number }>;
  aggregate: (event: { runId: string }) => ReturnType<typeof aggregateEvalRun>;
  recordFailure: (event: { runId: string; error?: unknown }) => ReturnType<typeof failEvalRunStep>;
}

/**
 * The four tasks over `store` (one process: the local stack and tests). `allowedHosts` goes to the steps
 * (EvalStepOptions), `evidence` is where the batch step writes (both built on first use; in a Lambda,
 * EVAL_ALLOWED_HOSTS and EVIDENCE_BUCKET). `meter` counts the cases scored.
 */
export function evalTaskHandlers(
  store: () => GovernanceStore,
  options: {
    evidence: () => EvidenceStore;
    batchSize?: number;
    meter?: Pick<GovernanceMeter, 'evalCasesScored'>;
    /** What a check run's continuation may use (start the validation run monitoring's rollback asks for). */
    continuation?: CheckRunContinuationDeps;
  } & EvalStepOptions,
): EvalTaskHandlers {
  const { batchSize: _batchSize, meter, evidence, continuation, ...stepOptions } = options;
  return {
    prepare: (event) =>
      named(() =>
        prepareEvalRun(
          store(),
          {
            runId: event.runId,
            ...(event.batchSize || options.batchSize ? { batchSize: event.batchSize ?? options.batchSize } : {}),
            ...(event.limits ? { limits: event.limits } : {}),
          },
          stepOptions,
        ),
      ),
    executeBatch: (event) =>
      named(async () => {
        if (!materialCache.has(event.runId)) {
          if (materialCache.size >= CACHE_LIMIT) materialCache.clear();
          let load = materialLoads.get(event.runId);
          if (!load) {
            load = loadRunMaterial(store(), event.runId, materialCache);
            materialLoads.set(event.runId, load);
            load.then(
              () => materialLoads.delete(event.runId),
              () => materialLoads.delete(event.runId),
            );
          }
          await load;
        }
        const batchInput = {
          runId: event.runId,
          batch: event.batch,
          ...(event.deadline ? { deadline: event.deadline } : {}),
        };
        const out = await executeEvalBatch(store(), batchInput, materialCache, {
          ...stepOptions,
          evidence: evidence(),
        });
        meter?.evalCasesScored(out.cases);
        return { runId: out.runId, batchIndex: out.batchIndex };
      }),
    aggregate: (event) => {
      forget(event.runId);
      return named(() => aggregateEvalRun(store(), { runId: event.runId }, continuation));
    },
    recordFailure: async (event) => {
      forget(event.runId);
      return failEvalRunStep(store(), { runId: event.runId, error: causeMessage(event.error) }, continuation);
    },
  };
}

export const EVAL_TASKS = ['prepare', 'executeBatch', 'aggregate', 'recordFailure'] as const;
export type EvalTaskName = (typeof EVAL_TASKS)[number];

/**
 * A Lambda entry over the store and the evidence store it is given: one function per task, all bundled from this
 * file, each told its task by `EVAL_TASK` (lib/constructs/eval-state-machine.ts), so each function's role and log
 * group belong to one step. In AWS no host is allowed unless EVAL_ALLOWED_HOSTS names it.
 */
export function createEvalTaskEntry(
  deps: { store: () => GovernanceStore; evidence: () => EvidenceStore },
  env: Env = process.env,
  taskMeter: GovernanceMeter = meter,
) {
  const allowedHosts = parseAllowedHosts(env.EVAL_ALLOWED_HOSTS);
  const tasks = evalTaskHandlers(deps.store, {
    evidence: deps.evidence,
    allowedHosts,
    // Provider API keys from Secrets Manager only (never the environment), cached per container.
    providers: createProviderRuntime({ resolveSecret: secretsManagerResolver(), allowedHosts }),
    meter: taskMeter,
    // Monitoring's automatic rollback starts its validation run from the Aggregate step: an execution of this same
    // state machine, named by EVAL_STATE_MACHINE_ARN (built from its fixed name in CDK, so no cycle), ADR 0032.
    continuation: {
      startRun: async (runId) => {
        const stateMachineArn = env.EVAL_STATE_MACHINE_ARN;
        if (!stateMachineArn) throw new Error('EVAL_STATE_MACHINE_ARN is not set: the validation run cannot start');
        const { createStepFunctionsEvalRunner } = await import('./sfn-eval-runner.js');
        await createStepFunctionsEvalRunner(deps.store(), { stateMachineArn }).start(runId);
      },
    },
  });
  return async (event: never): Promise<unknown> => {
    const task = env.EVAL_TASK as EvalTaskName | undefined;
    if (!task || !EVAL_TASKS.includes(task)) throw new Error(`EVAL_TASK is ${task ?? 'unset'}`);
    return (tasks[task] as (e: never) => Promise<unknown>)(event);
  };
}

/**
 * The composition root of the eval task functions: the store over TABLE_NAME, built on the first task, and the
 * evidence store of EVIDENCE_BUCKET, built on the first batch (a missing variable fails that task, naming it). Its
 * lines carry the run id, which is the execution's name.
 */
export const handler = observed<never, unknown>(
  createEvalTaskEntry({
    store: once(() => storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried })),
    evidence: once(() => evidenceStoreFromEnv(process.env)),
  }),
  { logger, metrics, correlationId: workflowCorrelationId },
);
