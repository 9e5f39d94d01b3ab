import {
  createIncidentRequest,
  incidentResponse,
  listIncidentsQuery,
  pageOf,
  patchIncidentRequest,
  relaxationRequestResponse,
  resolveIncidentRequest,
} from '../contracts/index.js';
import { ForbiddenError } from '../domain/errors.js';
import { actorOf, childAccess, readable, relaxationOr, systemFor } from './access.js';
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
    summary:
      'Update an incident or move it between open and mitigating; lowering the severity of a blocking incident is a relaxation request (202)',
    body: patchIncidentRequest,
    response: {
      status: 200,
      body: incidentResponse,
      alternatives: [
        {
          status: 202,
          description:
            'The patch lowers the severity of an incident that blocks promotions: nothing changed, a relaxation request waits for a risk reviewer',
          body: relaxationRequestResponse,
        },
      ],
    },
    handle: async (req) => {
      assertNotReadOnly(req);
      await loadIncident(req);
      const out = await req.deps.store.relaxations.changeIncidentOrRequest(actorOf(req.principal), req.params.id, {
        type: 'patch',
        patch: req.body,
      });
      return relaxationOr(out, (changed) => changed.incident);
    },
  }),
  route({
    method: 'POST',
    path: '/api/incidents/{id}/resolve',
    summary:
      'Resolve an incident with its resolution; resolving an incident of a severity that blocks promotions is a relaxation request (202)',
    body: resolveIncidentRequest,
    response: {
      status: 200,
      body: incidentResponse,
      alternatives: [
        {
          status: 202,
          description:
            'The incident blocks promotions: it stays unresolved, a relaxation request waits for a risk reviewer',
          body: relaxationRequestResponse,
        },
      ],
    },
    handle: async (req) => {
      assertNotReadOnly(req);
      await loadIncident(req);
      const out = await req.deps.store.relaxations.changeIncidentOrRequest(actorOf(req.principal), req.params.id, {
        type: 'resolve',
        resolution: req.body.resolution,
      });
      return relaxationOr(out, (changed) => changed.incident);
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
