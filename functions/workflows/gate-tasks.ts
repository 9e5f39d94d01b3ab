// The release gate's Lambda tasks (statemachines/release-gate.asl.json): thin wrappers that call the gate steps
// with the store of this container. The local stack maps the same handlers onto the Task states of the same
// definition (local/gate-runner.ts).

import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../domain/policy.js';
import { createObservability, observed, workflowCorrelationId } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { causeMessage, named } from './eval-tasks.js';
import type { GateCallbacks } from './gate-runner.js';
import {
  awaitDecisionStep,
  expireStep,
  type GateInput,
  type GateOutcome,
  type OpenedRound,
  openRoundStep,
  recordGateFailureStep,
  settleStep,
} from './gate-steps.js';

export interface GateTaskHandlers {
  openRound: (event: GateInput) => Promise<OpenedRound>;
  awaitDecision: (event: {
    taskToken: string;
    candidateId: string;
    approvalId: string;
  }) => Promise<{ approvalId: string; waiting: boolean }>;
  settle: (event: { candidateId: string; roundId: string }) => Promise<GateOutcome>;
  expire: (event: { candidateId: string; roundId: string }) => Promise<GateOutcome>;
  recordFailure: (event: { candidateId: string; roundId?: string; error?: unknown }) => Promise<GateOutcome>;
}

export interface GateTaskOptions {
  /** How long a round waits for its decisions (default 7 days; APPROVAL_TIMEOUT_SECONDS in Lambda). */
  approvalTimeoutSeconds?: number;
}

/** The five tasks over `store`, sending the wait's early answers through `callbacks`. */
export function gateTaskHandlers(
  store: () => GovernanceStore,
  callbacks: () => GateCallbacks | Promise<GateCallbacks>,
  options: GateTaskOptions = {},
): GateTaskHandlers {
  const timeoutSeconds = options.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS;
  return {
    openRound: (event) => named(() => openRoundStep(store(), event, { timeoutSeconds })),
    awaitDecision: (event) => named(async () => awaitDecisionStep(store(), await callbacks(), event)),
    settle: (event) => named(() => settleStep(store(), event)),
    expire: (event) => named(() => expireStep(store(), event, { timeoutSeconds })),
    recordFailure: (event) =>
      recordGateFailureStep(store(), {
        candidateId: event.candidateId,
        ...(event.roundId ? { roundId: event.roundId } : {}),
        error: causeMessage(event.error),
      }),
  };
}

let lambdaStore: GovernanceStore | undefined;
let lambdaCallbacks: Promise<GateCallbacks> | undefined;

/** Reads a positive whole number of seconds from the environment; anything else is the default. */
export function timeoutFromEnv(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_APPROVAL_TIMEOUT_SECONDS;
}

const { logger, metrics, meter } = createObservability('gate-tasks');

const lambdaTasks = gateTaskHandlers(
  () => {
    lambdaStore ??= storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
    return lambdaStore;
  },
  () => {
    lambdaCallbacks ??= import('./gate-sfn.js').then((m) => m.createStepFunctionsGateCallbacks());
    return lambdaCallbacks;
  },
  { approvalTimeoutSeconds: timeoutFromEnv(process.env.APPROVAL_TIMEOUT_SECONDS) },
);

export const GATE_TASKS = ['openRound', 'awaitDecision', 'settle', 'expire', 'recordFailure'] as const;
export type GateTaskName = (typeof GATE_TASKS)[number];

/**
 * The Lambda entry point: one function per task, all bundled from this file, each told its task by `GATE_TASK`,
 * so each function's role and log group belong to one step. Its lines carry the gate execution's name.
 */
export const handler = observed<never, unknown>(
  async (event) => {
    const task = process.env.GATE_TASK as GateTaskName | undefined;
    if (!task || !GATE_TASKS.includes(task)) throw new Error(`GATE_TASK is ${task ?? 'unset'}`);
    return (lambdaTasks[task] as (e: never) => Promise<unknown>)(event);
  },
  { logger, metrics, correlationId: workflowCorrelationId },
);
