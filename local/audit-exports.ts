// Audit exports on this machine (ADR 0044): where AWS has an EventBridge rule start the export job function on each
// AuditExportRequested event, the local stack hands the same event to the same handler
// (functions/workflows/audit-export-task.ts) in this process, in the background; the objects go to the S3 stand-in's
// export bucket, and the download links are presigned for the stand-in, which checks their signature and expiry
// (local/s3-presigned.ts). `idle()` waits for every job started so far (tests, stop).
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import type { GovernanceStore } from '../functions/store/index.js';
import {
  AUDIT_EXPORT_DETAIL_TYPE,
  AUDIT_EXPORT_SOURCE,
  type AuditExportJobs,
  type EmitAuditExportRequest,
  s3AuditExportLinks,
} from '../functions/workflows/audit-export.js';
import { createAuditExportHandler } from '../functions/workflows/audit-export-task.js';

/** The export bucket in the S3 stand-in. */
export const LOCAL_EXPORT_BUCKET = 'governance-audit-exports';

export interface LocalAuditExports extends AuditExportJobs {
  idle(): Promise<void>;
}

/** The local stand-in for the rule and its target; `partBytes` lets tests take the multipart path with little data. */
export function createLocalAuditExports(
  store: GovernanceStore,
  s3: S3Client,
  options: { bucket?: string; partBytes?: number; log?: (line: string) => void } = {},
): LocalAuditExports {
  const bucket = options.bucket ?? LOCAL_EXPORT_BUCKET;
  const pending = new Set<Promise<unknown>>();
  const handler = createAuditExportHandler(() => ({
    store,
    s3,
    bucket,
    ...(options.partBytes ? { partBytes: options.partBytes } : {}),
  }));
  const start: EmitAuditExportRequest = async (request) => {
    const event = {
      id: randomUUID(),
      source: AUDIT_EXPORT_SOURCE,
      'detail-type': AUDIT_EXPORT_DETAIL_TYPE,
      detail: request,
    };
    // As EventBridge does, the put returns at once; the invocation follows.
    const work = Promise.resolve()
      .then(() => handler(event))
      .catch((error: unknown) =>
        options.log?.(`audit export ${request.exportId}: the job failed: ${(error as Error).message}`),
      );
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  return {
    start,
    link: s3AuditExportLinks(s3, bucket),
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
