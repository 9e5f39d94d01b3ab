// Lambda entry of the policy dry run job (ADR 0027): started by the EventBridge rule on a PolicyDryRunRequested event
// (the API's start, or the job's own continuation), it runs one invocation of runPolicyDryRun. The local stack calls
// createPolicyDryRunHandler with its own store and emitter, so the same code runs there.
// Env: TABLE_NAME, POLICY_DRY_RUN_BUS (the bus it puts its continuation on).
import type { Context } from 'aws-lambda';
import { createObservability, observed } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import {
  type DryRunInvocationOutcome,
  type EmitDryRunRequest,
  eventBridgeDryRunEmitter,
  parseDryRunRequest,
  runPolicyDryRun,
} from './policy-dry-run.js';

const { logger, metrics } = createObservability('policy-dry-run');

/** What the handler is given: the store, and where it puts a continuation. */
export interface PolicyDryRunHandlerDeps {
  store: GovernanceStore;
  emit: EmitDryRunRequest;
  /** Systems per step (tests); default the store's. */
  systemsPerStep?: number;
}

/** The dry run's id names every line of its invocations, across continuations. */
function dryRunCorrelationId(event: unknown): string | undefined {
  const id = (event as { detail?: { dryRunId?: unknown } } | undefined)?.detail?.dryRunId;
  return typeof id === 'string' ? id : undefined;
}

/** The handler over `deps` (built on first use): an EventBridge event in, the invocation's outcome out. */
export function createPolicyDryRunHandler(deps: () => PolicyDryRunHandlerDeps) {
  return observed(
    async (event: { detail?: unknown }, context: Context): Promise<DryRunInvocationOutcome | 'ignored'> => {
      const request = parseDryRunRequest(event.detail);
      if (!request) {
        logger.warn('not a policy dry run request; ignored');
        return 'ignored';
      }
      const { store, emit, systemsPerStep } = deps();
      // Outside Lambda (the local stack) there is no deadline: one invocation runs the job through.
      const remainingMs = () =>
        typeof context.getRemainingTimeInMillis === 'function'
          ? context.getRemainingTimeInMillis()
          : Number.POSITIVE_INFINITY;
      const outcome = await runPolicyDryRun(
        {
          store,
          emit,
          remainingMs,
          ...(systemsPerStep ? { systemsPerStep } : {}),
          onError: (error) => logger.error('the policy dry run failed', error as Error),
        },
        request,
      );
      logger.info('policy dry run invocation done', { policyDryRun: { ...request, outcome } });
      return outcome;
    },
    { logger, metrics, correlationId: dryRunCorrelationId },
  );
}

let envDeps: PolicyDryRunHandlerDeps | undefined;

export const handler = createPolicyDryRunHandler(() => {
  envDeps ??= {
    store: storeFromEnv(process.env),
    emit: eventBridgeDryRunEmitter(process.env.POLICY_DRY_RUN_BUS ?? 'default'),
  };
  return envDeps;
});
