// Lambda entry: the metric rollup consumer (ADR 0043). Invoked two ways:
// - by the SQS queue the bus's rollup rule fills (message body = the EventBridge event, `detail` = the governance
//   event): each message is applied once; a failure is reported as a batch item failure, so SQS retries it and,
//   after maxReceiveCount receives, moves it to the dead-letter queue (alarmed);
// - directly with `{ "backfill": true }` (an operator's `aws lambda invoke`, docs/architecture/metrics.md): builds
//   the rollups from the audit chains until 60 s before the timeout and answers its progress; `done: false` means
//   invoke it again (it resumes from each system's checkpoint).
// Env: TABLE_NAME.
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { GovernanceEvent } from '../domain/events.js';
import { createObservability, observed, recordsCorrelationId } from '../observability/index.js';
import { sharedDocumentClient } from '../store/client.js';
import { tableNameFromEnv } from '../store/config.js';
import { applyRollupEvent, type BackfillProgress, backfillRollups } from '../store/rollups.js';
import type { StoreContext } from '../store/unit-of-work.js';
import { consumeForRollups } from './rollup-consumer.js';

const { logger, metrics } = createObservability('rollup-consumer');
let ctx: StoreContext | undefined;
const context = (): StoreContext =>
  (ctx ??= { doc: sharedDocumentClient(), tableName: tableNameFromEnv(process.env), now: () => new Date() });

/** The time a back-fill invocation leaves itself before the function's timeout. */
const BACKFILL_MARGIN_MS = 60_000;

async function consume(
  event: SQSEvent | { backfill: true },
  lambdaContext?: { getRemainingTimeInMillis?: () => number },
): Promise<SQSBatchResponse | BackfillProgress> {
  if ('backfill' in event) {
    const remaining = lambdaContext?.getRemainingTimeInMillis?.() ?? 840_000;
    const progress = await backfillRollups(context(), {
      deadline: Date.now() + remaining - BACKFILL_MARGIN_MS,
      log: (line) => logger.info(line),
    });
    logger.info('back-fill of the metric rollups', { ...progress });
    return progress;
  }
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    logger.setCorrelationId(record.messageId);
    try {
      const governanceEvent = (JSON.parse(record.body) as { detail: GovernanceEvent }).detail;
      const outcome = await consumeForRollups((e) => applyRollupEvent(context(), e), governanceEvent);
      if (outcome === 'duplicate') logger.info('event already applied to the rollups', { eventId: governanceEvent.id });
    } catch (error) {
      logger.error('rollup of an event failed', { messageId: record.messageId, error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = observed(consume, { logger, metrics, correlationId: recordsCorrelationId });
