import {
  auditEventResponse,
  auditVerifyResponse,
  listAuditQuery,
  pageOf,
  verifyAuditQuery,
} from '../contracts/index.js';
import { isOrganisationChain } from '../domain/audit-chain.js';
import { assertCanReadOrganisationChain } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import { seesEverything, systemFor } from './access.js';
import { ARCHIVE_NOT_CONFIGURED, archiveReader } from './archive-reader.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Request, type Route, route } from './http.js';

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
];

export const handler = createHttpHandler(routes, lambdaDeps());
