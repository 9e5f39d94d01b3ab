import {
  createIncidentRequest,
  incidentResponse,
  listIncidentsQuery,
  pageOf,
  patchIncidentRequest,
  resolveIncidentRequest,
} from '../contracts/index.js';
import { ForbiddenError } from '../domain/errors.js';
import { actorOf, childAccess, readable, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Request, type Route, route } from './http.js';

/** Auditors only read; everyone else who can see a system may report and work its incidents. */
function assertNotReadOnly(req: Request<unknown, unknown>) {
  if (req.principal.roles.every((r) => r === 'auditor')) throw new ForbiddenError('auditors have read-only access');
}

async function loadIncident(req: IdRequest) {
  const incident = await req.deps.store.incidents.getIncident(req.params.id);
  await childAccess(req, incident, 'incident', 'read');
  return incident;
}

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/incidents',
    summary: 'Incidents of a system, or every incident of one status (open by default) by severity',
    query: listIncidentsQuery,
    response: { status: 200, body: pageOf(incidentResponse) },
    handle: async (req) => {
      if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
      const page = await req.deps.store.incidents.listIncidents(
        { systemId: req.query.systemId, status: req.query.status },
        req.query,
      );
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'POST',
    path: '/api/incidents',
    summary: 'Open an incident on a system, linked to the release it happened on',
    body: createIncidentRequest,
    response: { status: 201, body: incidentResponse },
    handle: async (req) => {
      assertNotReadOnly(req);
      await systemFor(req, req.body.systemId, 'read');
      const incident = await req.deps.store.incidents.openIncident(actorOf(req.principal), req.body);
      return { status: 201, body: incident, headers: { location: `/api/incidents/${incident.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/incidents/{id}',
    summary: 'One incident',
    response: { status: 200, body: incidentResponse },
    handle: async (req) => ({ status: 200, body: await loadIncident(req) }),
  }),
  route({
    method: 'PATCH',
    path: '/api/incidents/{id}',
    summary: 'Update an incident or move it between open and mitigating',
    body: patchIncidentRequest,
    response: { status: 200, body: incidentResponse },
    handle: async (req) => {
      assertNotReadOnly(req);
      await loadIncident(req);
      return {
        status: 200,
        body: await req.deps.store.incidents.updateIncident(actorOf(req.principal), req.params.id, req.body),
      };
    },
  }),
  route({
    method: 'POST',
    path: '/api/incidents/{id}/resolve',
    summary: 'Resolve an incident with its resolution',
    body: resolveIncidentRequest,
    response: { status: 200, body: incidentResponse },
    handle: async (req) => {
      assertNotReadOnly(req);
      await loadIncident(req);
      return {
        status: 200,
        body: await req.deps.store.incidents.resolveIncident(
          actorOf(req.principal),
          req.params.id,
          req.body.resolution,
        ),
      };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
