import {
  auditEventResponse,
  auditVerifyResponse,
  listAuditQuery,
  pageOf,
  verifyAuditQuery,
} from '../contracts/index.js';
import { ForbiddenError } from '../domain/errors.js';
import { seesEverything, systemFor } from './access.js';
import { ARCHIVE_NOT_CONFIGURED, archiveReader } from './archive-reader.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/audit-events',
    summary: "The audit timeline: one system's chain by seq, or every system's events by time (newest first)",
    query: listAuditQuery,
    response: { status: 200, body: pageOf(auditEventResponse) },
    handle: async (req) => {
      if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
      else if (!seesEverything(req.principal))
        throw new ForbiddenError('name a systemId: only admins, auditors and reviewers read every chain');
      const page = await req.deps.store.audit.listAuditEvents(
        { systemId: req.query.systemId, order: req.query.order },
        req.query,
      );
      return { status: 200, body: page };
    },
  }),
  route({
    method: 'GET',
    path: '/api/audit-events/verify',
    summary:
      "Checks every hash and link of a system's stored chain up to its recorded head, and the archive from the " +
      "system's signed checkpoint; full=request also starts a full verification of the archive in the background",
    query: verifyAuditQuery,
    response: { status: 200, body: auditVerifyResponse },
    handle: async (req) => {
      await systemFor(req, req.query.systemId, 'read');
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
];

export const handler = createHttpHandler(routes, lambdaDeps());
