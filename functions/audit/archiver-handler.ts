// Lambda entry: the audit archiver on the table's stream (event source filter itemType = audit,
// ReportBatchItemFailures). Env: AUDIT_BUCKET.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createObservability, observed, recordsCorrelationId, warnLines } from '../observability/index.js';
import { archiveLagMs, createArchiver } from './archiver.js';
import { archiveFromEnv } from './env.js';

const { logger, metrics, meter } = createObservability('audit-archiver');
let archive: ReturnType<typeof createArchiver> | undefined;

export const handler = observed<DynamoDBStreamEvent, DynamoDBBatchResponse>(
  async (event) => {
    archive ??= createArchiver({
      archive: archiveFromEnv(),
      log: warnLines(logger),
      onStats: (stats) => logger.info('audit archiver batch', { auditArchiver: stats }),
    });
    const lag = archiveLagMs(event, Date.now());
    if (lag !== undefined) meter.archiveLagged(lag);
    return archive(event);
  },
  { logger, metrics, correlationId: recordsCorrelationId },
);
