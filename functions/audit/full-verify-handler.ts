// Lambda entry: the full verification of the audit archive in the background (verify/full-job.ts), started by the
// EventBridge rule on a request from GET /api/audit-events/verify?full=request, and on a daily schedule.
// Env: AUDIT_BUCKET, AUDIT_SIGNING_KEY_ID, TABLE_NAME.

import {
  createObservability,
  eventBridgeCorrelationId,
  observed,
  reportAuditRecordBroken,
} from '../observability/index.js';
import { sharedDocumentClient } from '../store/client.js';
import { archiveFromEnv, signerFromEnv } from './env.js';
import { runFullVerification } from './verify/full-job.js';
import { TableCheckpointStore } from './verify/table-checkpoints.js';

const { logger, metrics } = createObservability('audit-full-verify');

export const handler = observed(
  async (_event: unknown) => {
    const tableName = process.env.TABLE_NAME;
    if (!tableName) throw new Error('TABLE_NAME is not set');
    const result = await runFullVerification({
      archive: archiveFromEnv(),
      signer: signerFromEnv(),
      checkpoints: new TableCheckpointStore(sharedDocumentClient(), tableName),
    });
    const { signature: _signature, ...shown } = result;
    // A broken archive is an alarm (AuditRecordBroken), not only a line in the verify route's answer.
    reportAuditRecordBroken(metrics, result.status === 'ok' ? 0 : 1);
    if (result.status !== 'ok') logger.error('the audit archive is broken', { auditFullVerification: shown });
    logger.info('audit archive verified in full', { auditFullVerification: shown });
    return shown;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
