// The scheduled monitoring Lambda (EventBridge Scheduler, in CDK): one pass of runMonitoring over the table named
// by TABLE_NAME, starting each release's run as an execution of the eval state machine (EVAL_STATE_MACHINE_ARN,
// states:StartExecution); the runs' continuation judges them (ADR 0032). It does not wait for them. It scores the
// windows of production samples itself (ADR 0042), llm-rubric by the release's pinned judges through its own provider
// runtime: secrets from Secrets Manager under the stage's providers/ prefix, hosts from EVAL_ALLOWED_HOSTS (ADR 0050).
import type { ScheduledEvent } from 'aws-lambda';
import { createObservability, eventBridgeCorrelationId, infoLines, observed } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { parseAllowedHosts } from './allowed-hosts.js';
import type { RunStarter } from './check-run.js';
import { type MonitoringSummary, runMonitoring } from './monitor.js';
import type { ProviderRuntime } from './providers/executor.js';
import { createProviderRuntime } from './providers/runtime.js';
import { secretsManagerResolver } from './providers/secrets.js';
import { createStepFunctionsEvalRunner } from './sfn-eval-runner.js';

const { logger, metrics, meter } = createObservability('monitor');

/** The runner of the deployed function: executions of the eval state machine EVAL_STATE_MACHINE_ARN names. */
function stepFunctionsRunner(store: GovernanceStore): RunStarter {
  const stateMachineArn = process.env.EVAL_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('EVAL_STATE_MACHINE_ARN is not set');
  return createStepFunctionsEvalRunner(store, { stateMachineArn });
}

/**
 * The deployed function's provider runtime, built once per container: provider API keys from Secrets Manager only
 * (never the environment), calls only to the hosts EVAL_ALLOWED_HOSTS names, as the eval tasks'.
 */
function secretsManagerRuntime(): ProviderRuntime {
  return createProviderRuntime({
    resolveSecret: secretsManagerResolver(),
    allowedHosts: parseAllowedHosts(process.env.EVAL_ALLOWED_HOSTS),
  });
}

/**
 * Runs monitoring once, starting runs on `runnerOf`'s runner (tests pass the local interpreter) and grading samples'
 * llm-rubric through `providers` (tests pass one over the local model server).
 */
export function createMonitorHandler(
  runnerOf: (store: GovernanceStore) => RunStarter = stepFunctionsRunner,
  providersOf: () => ProviderRuntime = secretsManagerRuntime,
) {
  let providers: ProviderRuntime | undefined;
  return observed(
    async (_event: ScheduledEvent | undefined): Promise<MonitoringSummary> => {
      const store = storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
      const runner = runnerOf(store);
      providers ??= providersOf();
      const summary = await runMonitoring(store, { runner, providers, log: infoLines(logger) });
      logger.info('monitoring pass done', { monitoring: summary.counts });
      // A failed monitoring pass (some release's run could not start) should be visible to alarms on errors.
      if (summary.counts.error > 0) throw new Error(`monitoring could not judge ${summary.counts.error} release(s)`);
      return summary;
    },
    { logger, metrics, correlationId: eventBridgeCorrelationId },
  );
}

/** Runs monitoring once; the summary (runs started) is the result, visible in the scheduler's and function's logs. */
export const handler = createMonitorHandler();
