// The audit archive's state for one system, as GET /api/audit-events/verify and the EU AI Act report show it. The
// local stack and tests inject a reader (deps.auditArchive); in Lambda it reads AUDIT_BUCKET, loaded on first use so
// that routes which never ask do not pay for the S3 client. Checkpoints are kept in the table (TABLE_NAME); with
// AUDIT_SIGNING_KEY_ID the route advances them; with AUDIT_FULL_VERIFY_BUS a request for a full verification is an
// EventBridge event there, whose rule starts the background job (functions/audit/full-verify-handler.ts).
import { FULL_VERIFICATION_DETAIL_TYPE, FULL_VERIFICATION_SOURCE } from '../audit/verify/requests.js';
import type { Deps } from './deps.js';

let envReader: Promise<Deps['auditArchive']> | undefined;

function archiveReaderFromEnv(deps: Deps): Promise<Deps['auditArchive']> {
  if (!process.env.AUDIT_BUCKET) return Promise.resolve(undefined);
  envReader ??= Promise.all([
    import('../audit/archive-status.js'),
    import('../audit/env.js'),
    import('../audit/verify/table-checkpoints.js'),
  ]).then(([status, env, table]): Deps['auditArchive'] => {
    const bus = process.env.AUDIT_FULL_VERIFY_BUS;
    return status.createArchiveStatusReader(env.archiveFromEnv(), undefined, {
      checkpoints: new table.TableCheckpointStore(deps.store.ctx.doc, deps.store.ctx.tableName),
      ...(process.env.AUDIT_SIGNING_KEY_ID ? { signer: env.signerFromEnv() } : {}),
      ...(bus ? { requestFull: () => requestFullVerification(bus) } : {}),
    });
  });
  return envReader;
}

/** Asks for a full verification without waiting for it: an event on the bus whose rule starts the job. */
async function requestFullVerification(eventBusName: string): Promise<void> {
  const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
  const out = await new EventBridgeClient({}).send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: eventBusName,
          Source: FULL_VERIFICATION_SOURCE,
          DetailType: FULL_VERIFICATION_DETAIL_TYPE,
          Detail: '{}',
        },
      ],
    }),
  );
  if (out.FailedEntryCount) throw new Error('the full verification request was not accepted by EventBridge');
}

/** The injected reader, else the one over AUDIT_BUCKET, else none (no archive configured). */
export async function archiveReader(deps: Deps): Promise<Deps['auditArchive']> {
  return deps.auditArchive ?? (await archiveReaderFromEnv(deps));
}

export const ARCHIVE_NOT_CONFIGURED = {
  status: 'not_configured',
  detail: 'no audit archive is configured (AUDIT_BUCKET is not set)',
} as const;
