// Lambda entry: the reconciler, on an EventBridge schedule. Env: AUDIT_BUCKET, TABLE_NAME.
import type { ScheduledEvent } from 'aws-lambda';
import {
  createObservability,
  eventBridgeCorrelationId,
  observed,
  reportAuditRecordBroken,
  warnLines,
} from '../observability/index.js';
import { sharedDocumentClient } from '../store/client.js';
import { tableNameFromEnv } from '../store/config.js';
import { archiveFromEnv } from './env.js';
import { reconcile } from './reconciler.js';
import { createTableSource } from './table-source.js';

const { logger, metrics } = createObservability('audit-reconcile');

export const handler = observed(
  async (_event: ScheduledEvent | undefined) => {
    const report = await reconcile({
      archive: archiveFromEnv(),
      table: createTableSource(sharedDocumentClient(), tableNameFromEnv(process.env)),
      log: warnLines(logger),
    });
    const { perSystem: _perSystem, ...totals } = report;
    // Archived events that differ from the table, and batches that fail their own check, cannot be repaired: alarm.
    reportAuditRecordBroken(metrics, report.conflicts + report.badBatches);
    logger.info('audit reconciled', { auditReconcile: totals });
    return totals;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
