// Closes an eval run whose Step Functions execution ended without reaching its Catch: a run-level timeout
// (TimeoutSeconds), an abort (StopExecution, a redeploy), or a failure outside any Catch. EventBridge delivers the
// execution's status change (lib/constructs/eval-state-machine.ts, rule on FAILED | TIMED_OUT | ABORTED); this
// records the run as `error` with the status, so a run is never left `running` forever. Idempotent: a run already
// passed, failed or in error is left as it is (failEvalRunStep only moves queued or running runs).

import { NotFoundError } from '../domain/errors.js';
import { createObservability, eventBridgeCorrelationId, observed } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { failEvalRunStep } from './eval-steps.js';

/** The part of an "aws.states / Step Functions Execution Status Change" event this handler reads. */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  source?: string;
  detail: {
    executionArn?: string;
    stateMachineArn?: string;
    name?: string;
    status?: string;
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

const CLOSING = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** The run id of an execution: the `runId` of its input, else its name (executions are named after the run). */
export function runIdOf(detail: ExecutionStatusChange['detail']): string | null {
  if (detail.input) {
    try {
      const input = JSON.parse(detail.input) as { runId?: unknown };
      if (typeof input.runId === 'string' && input.runId) return input.runId;
    } catch {
      // not JSON: fall back to the name
    }
  }
  return detail.name ?? null;
}

/** The reason recorded on the run, in words, with the error Step Functions gave when there is one. */
export function closingReason(detail: ExecutionStatusChange['detail']): string {
  const status = detail.status ?? 'UNKNOWN';
  const words =
    status === 'TIMED_OUT'
      ? 'the eval run execution timed out (run-level timeout)'
      : status === 'ABORTED'
        ? 'the eval run execution was aborted'
        : 'the eval run execution failed';
  const error = [detail.error, detail.cause].filter((part): part is string => Boolean(part)).join(': ');
  return error ? `${words}: ${error}`.slice(0, 1000) : words;
}

export interface ClosedResult {
  runId: string | null;
  action: 'ignored' | 'closed';
  reason?: string;
}

export async function closeEvalRunOnExecutionEnd(
  store: GovernanceStore,
  event: ExecutionStatusChange,
): Promise<ClosedResult> {
  const status = event.detail?.status;
  const runId = event.detail ? runIdOf(event.detail) : null;
  if (!status || !CLOSING.has(status) || !runId) return { runId, action: 'ignored' };
  const reason = closingReason(event.detail);
  try {
    await failEvalRunStep(store, { runId, error: reason });
  } catch (error) {
    // A run that does not exist (an execution started by hand with another input) is nothing to close.
    if (error instanceof NotFoundError) return { runId, action: 'ignored' };
    throw error;
  }
  return { runId, action: 'closed', reason };
}

const { logger, metrics, meter } = createObservability('eval-close-run');
let store: GovernanceStore | undefined;

/** The Lambda entry point (EventBridge rule target); its lines carry the execution's name as correlation id. */
export const handler = observed(
  async (event: ExecutionStatusChange): Promise<ClosedResult> => {
    store ??= storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
    const result = await closeEvalRunOnExecutionEnd(store, event);
    logger.info('eval run execution ended', { ...result, status: event.detail?.status });
    return result;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
