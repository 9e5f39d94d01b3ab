// The scheduled monitoring Lambda (EventBridge Scheduler, in CDK): one pass of runMonitoring over the table named
// by TABLE_NAME. It needs read and write access to that table (transactions, queries on its GSIs) and nothing else.
import type { ScheduledEvent } from 'aws-lambda';
import { createObservability, eventBridgeCorrelationId, infoLines, observed } from '../observability/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { type MonitoringSummary, runMonitoring } from './monitor.js';

const { logger, metrics, meter } = createObservability('monitor');

/** Runs monitoring once; the summary is the result (visible in the scheduler's and the function's logs). */
export const handler = observed(
  async (_event: ScheduledEvent | undefined): Promise<MonitoringSummary> => {
    const store = storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
    const summary = await runMonitoring(store, { log: infoLines(logger) });
    logger.info('monitoring pass done', { monitoring: summary.counts });
    // A failed monitoring pass (some release could not be judged) should be visible to alarms on errors.
    if (summary.counts.error > 0) throw new Error(`monitoring could not judge ${summary.counts.error} release(s)`);
    return summary;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
