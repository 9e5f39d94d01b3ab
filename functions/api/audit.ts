import { S3Client } from '@aws-sdk/client-s3';
import {
  auditEventResponse,
  auditExportResponse,
  auditVerifyResponse,
  listAuditQuery,
  pageOf,
  startAuditExportRequest,
  verifyAuditQuery,
} from '../contracts/index.js';
import { isOrganisationChain } from '../domain/audit-chain.js';
import {
  AUDIT_EXPORT_FORMATS,
  AUDIT_EXPORT_LINK_SECONDS,
  type AuditExport,
  assertCanExportAudit,
} from '../domain/audit-export.js';
import { assertCanReadOrganisationChain } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { type AuditExportJobs, eventBridgeAuditExportEmitter, s3AuditExportLinks } from '../workflows/audit-export.js';
import { seesEverything, systemFor } from './access.js';
import { ARCHIVE_NOT_CONFIGURED, archiveReader } from './archive-reader.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Request, type Route, route } from './http.js';

function exportJobs(req: Request<unknown, unknown>): AuditExportJobs {
  const jobs = req.deps.auditExports;
  if (!jobs) throw new Error('no audit export job is configured (auditExports)');
  return jobs;
}

/** The export as the API answers it: once it succeeded, a fresh presigned link per object. */
async function withDownloads(req: Request<unknown, unknown>, job: AuditExport) {
  if (job.status !== 'succeeded') return { ...job, downloads: [] };
  const now = req.deps.store.ctx.now();
  const expiresAt = new Date(now.getTime() + AUDIT_EXPORT_LINK_SECONDS * 1000).toISOString();
  const links = exportJobs(req).link;
  const downloads = await Promise.all(
    AUDIT_EXPORT_FORMATS.map(async (format) => ({ format, url: await links(job.id, format, now), expiresAt })),
  );
  return { ...job, downloads };
}

/**
 * Asserts read access to one audit chain: a system's as the system's readers, the organisation's (ADR 0024) as
 * admins, auditors and reviewers (403 for anyone else: it is no team's object, so its existence hides nothing).
 */
async function chainFor(req: Request<unknown, unknown>, chainId: string): Promise<void> {
  if (isOrganisationChain(chainId)) assertCanReadOrganisationChain(req.principal);
  else await systemFor(req, chainId, 'read');
}

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/audit-events',
    summary:
      "The audit timeline: one chain by seq (a system's, or the organisation's with systemId=org), or every " +
      "chain's events by time (newest first); filtered on the server by action, actor, entityId and from/to. " +
      'Time is a key condition; action, actor and entityId filter each page DynamoDB read, so a page may hold ' +
      'fewer events than the limit, even none, with a cursor to go on',
    query: listAuditQuery,
    response: { status: 200, body: pageOf(auditEventResponse) },
    handle: async (req) => {
      if (req.query.systemId) await chainFor(req, req.query.systemId);
      else if (!seesEverything(req.principal))
        throw new ForbiddenError('name a systemId: only admins, auditors and reviewers read every chain');
      const { limit, cursor, ...filter } = req.query;
      const page = await req.deps.store.audit.listAuditEvents(filter, { limit, cursor });
      return { status: 200, body: page };
    },
  }),
  route({
    method: 'GET',
    path: '/api/audit-events/verify',
    summary:
      "Checks every hash and link of a system's (or, with systemId=org, the organisation's) stored chain up to its " +
      "recorded head, and the archive from the chain's signed checkpoint; full=request also starts a full " +
      'verification of the archive in the background',
    query: verifyAuditQuery,
    response: { status: 200, body: auditVerifyResponse },
    handle: async (req) => {
      await chainFor(req, req.query.systemId);
      // A full verification reads the whole archive: only those who see every chain may start one.
      if (req.query.full && !seesEverything(req.principal))
        throw new ForbiddenError('only admins, auditors and reviewers may start a full verification of the archive');
      const table = await req.deps.store.audit.verifyStoredChain(req.query.systemId);
      const reader = await archiveReader(req.deps);
      const archive = reader
        ? await reader(req.query.systemId, req.query.full ? { requestFull: true } : {})
        : ARCHIVE_NOT_CONFIGURED;
      return { status: 200, body: { table, archive } };
    },
  }),
  route({
    method: 'POST',
    path: '/api/audit-exports',
    summary:
      'Start an export of the whole filtered audit timeline (the filters of GET /api/audit-events; none: every ' +
      'chain), oldest first, as JSON Lines and CSV objects written in the background; poll the status link',
    body: startAuditExportRequest,
    response: { status: 202, body: auditExportResponse },
    handle: async (req) => {
      assertCanExportAudit(req.principal);
      // As the list route: an unknown system is a 404, not an empty export.
      if (req.body.systemId) await chainFor(req, req.body.systemId);
      const jobs = exportJobs(req);
      const { store } = req.deps;
      const job = await store.auditExports.createAuditExport({
        id: newId('aex'),
        filter: req.body,
        requestedBy: { userId: req.principal.userId, name: req.principal.name },
      });
      try {
        await jobs.start({ exportId: job.id });
      } catch (error) {
        // The job never started: the record says so rather than stay running until it expires.
        await store.auditExports.failAuditExport(job.id, 'the export job could not be started; start it again');
        throw error;
      }
      return {
        status: 202,
        body: { ...job, downloads: [] },
        headers: { location: `/api/audit-exports/${job.id}` },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/audit-exports/{id}',
    summary:
      "An audit export's status and counts and, once it succeeded, presigned download links of its JSON Lines " +
      'and CSV objects (valid for 5 minutes; read the status again for fresh ones). Exports are kept for a day',
    response: { status: 200, body: auditExportResponse },
    handle: async (req) => {
      assertCanExportAudit(req.principal);
      const job = await req.deps.store.auditExports.getAuditExport(req.params.id);
      return { status: 200, body: await withDownloads(req, job) };
    },
  }),
];

export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => {
    const bucket = env.AUDIT_EXPORT_BUCKET;
    if (!bucket) return base;
    return {
      ...base,
      auditExports: {
        start: eventBridgeAuditExportEmitter(env.AUDIT_EXPORT_BUS ?? 'default'),
        link: s3AuditExportLinks(new S3Client({}), bucket),
      },
    };
  }),
);
