// Lambda entry of the audit export job (ADR 0044): started by the EventBridge rule on an AuditExportRequested event
// put by POST /api/audit-exports, it runs one invocation of runAuditExport. The local stack calls
// createAuditExportHandler with its own store, S3 stand-in client and bucket, so the same code runs there.
// Env: TABLE_NAME, AUDIT_EXPORT_BUCKET.
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { createObservability, observed } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { type AuditExportOutcome, parseAuditExportRequest, runAuditExport } from './audit-export.js';

const { logger, metrics } = createObservability('audit-export');

/** What the handler is given: the store, and the export bucket with its client. */
export interface AuditExportHandlerDeps {
  store: GovernanceStore;
  s3: S3Client;
  bucket: string;
  /** Bytes per uploaded part (tests); default the writer's. */
  partBytes?: number;
}

/** The export's id names every line of its invocation. */
function exportCorrelationId(event: unknown): string | undefined {
  const id = (event as { detail?: { exportId?: unknown } } | undefined)?.detail?.exportId;
  return typeof id === 'string' ? id : undefined;
}

/** The handler over `deps` (built on first use): an EventBridge event in, the invocation's outcome out. */
export function createAuditExportHandler(deps: () => AuditExportHandlerDeps) {
  return observed(
    async (event: { detail?: unknown }, context: Context): Promise<AuditExportOutcome | 'ignored'> => {
      const request = parseAuditExportRequest(event.detail);
      if (!request) {
        logger.warn('not an audit export request; ignored');
        return 'ignored';
      }
      const { store, s3, bucket, partBytes } = deps();
      // Outside Lambda (the local stack) there is no deadline.
      const remainingMs = () =>
        typeof context.getRemainingTimeInMillis === 'function'
          ? context.getRemainingTimeInMillis()
          : Number.POSITIVE_INFINITY;
      const outcome = await runAuditExport(
        {
          store,
          s3,
          bucket,
          remainingMs,
          ...(partBytes ? { partBytes } : {}),
          onError: (error) => logger.error('the audit export failed', error as Error),
        },
        request,
      );
      logger.info('audit export invocation done', { auditExport: { ...request, outcome } });
      return outcome;
    },
    { logger, metrics, correlationId: exportCorrelationId },
  );
}

let envDeps: AuditExportHandlerDeps | undefined;

export const handler = createAuditExportHandler(() => {
  const bucket = process.env.AUDIT_EXPORT_BUCKET;
  if (!bucket) throw new Error('AUDIT_EXPORT_BUCKET is not set');
  // Checksums only when an operation requires them: the parts are sent over TLS with their Content-Length.
  envDeps ??= {
    store: storeFromEnv(process.env),
    s3: new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' }),
    bucket,
  };
  return envDeps;
});
