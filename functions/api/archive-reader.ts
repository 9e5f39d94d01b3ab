// The audit archive's state for one system, as GET /api/audit-events/verify and the EU AI Act report show it. The
// local stack and tests inject a reader (deps.auditArchive); in Lambda it reads AUDIT_BUCKET, loaded on first use so
// that routes which never ask do not pay for the S3 client.
import type { Deps } from './deps.js';

let envReader: Promise<Deps['auditArchive']> | undefined;

function archiveReaderFromEnv(): Promise<Deps['auditArchive']> {
  if (!process.env.AUDIT_BUCKET) return Promise.resolve(undefined);
  envReader ??= Promise.all([import('../audit/archive-status.js'), import('../audit/env.js')]).then(
    ([status, env]): Deps['auditArchive'] => status.createArchiveStatusReader(env.archiveFromEnv()),
  );
  return envReader;
}

/** The injected reader, else the one over AUDIT_BUCKET, else none (no archive configured). */
export async function archiveReader(deps: Deps): Promise<Deps['auditArchive']> {
  return deps.auditArchive ?? (await archiveReaderFromEnv());
}

export const ARCHIVE_NOT_CONFIGURED = {
  status: 'not_configured',
  detail: 'no audit archive is configured (AUDIT_BUCKET is not set)',
} as const;
