// The scheduled drain of the refusal outbox (EventBridge Scheduler, in CDK; ADR 0037): refused promotions whose audit
// record could not be written when the gate refused them are written now, on their system's chain, once each (the
// dedup items make a pass that ran twice harmless). Needs read and write access to TABLE_NAME, nothing else.
import type { ScheduledEvent } from 'aws-lambda';
import { createObservability, eventBridgeCorrelationId, observed } from '../observability/index.js';
import type { OutboxDrainReport } from '../store/refusals.js';
import { storeFromEnv } from '../store/store-from-env.js';

const { logger, metrics, meter } = createObservability('refusal-outbox');

/** Drains the outbox once; a refusal that still cannot be written stays for the next pass and fails this one. */
export const handler = observed(
  async (_event: ScheduledEvent | undefined): Promise<OutboxDrainReport> => {
    const store = storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
    const report = await store.refusals.drainRefusalOutbox({ limit: 500 });
    logger.info('refusal outbox drained', { refusalOutbox: report });
    // Errors alarm: a refusal that waits pass after pass is a table that refuses the chain's writes.
    if (report.failed > 0) throw new Error(`${report.failed} refused promotion(s) still wait in the outbox`);
    return report;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
