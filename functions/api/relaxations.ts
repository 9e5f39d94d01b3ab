// Relaxation requests (docs/architecture/relaxations.md): waivers asked for one candidate, the list of requests,
// and their decision by a second person (approve or reject), or their withdrawal by the requester.
import {
  listRelaxationsQuery,
  pageOf,
  relaxationDecisionRequest,
  relaxationRequestResponse,
  waiverRequest,
} from '../contracts/index.js';
import type { RelaxationRequest } from '../domain/relaxation.js';
import { actorOf, childAccess, readable, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';

async function loadRequest(req: IdRequest): Promise<RelaxationRequest> {
  const request = await req.deps.store.relaxations.getRelaxation(req.params.id);
  await childAccess(req, request, 'relaxation request', 'read');
  return request;
}

const base = '/api/relaxation-requests';

function decision(verb: 'approve' | 'reject') {
  return route({
    method: 'POST',
    path: `${base}/{id}/${verb}`,
    summary:
      verb === 'approve'
        ? 'Approve a relaxation request: the change it asks for is applied in the same transaction, if the value it was bound to still holds (else 409 RELAXATION_SUPERSEDED)'
        : 'Reject a relaxation request: nothing changes',
    body: relaxationDecisionRequest,
    response: { status: 200, body: relaxationRequestResponse },
    handle: async (req) => {
      await loadRequest(req);
      const decider = { ...actorOf(req.principal), teams: req.principal.teams };
      return {
        status: 200,
        body: await req.deps.store.relaxations.decideRelaxation(decider, req.params.id, verb, req.body.reason),
      };
    },
  });
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/release-candidates/{id}/waivers',
    summary:
      'Ask for a waiver of gate reason codes for one candidate, bound to its snapshot hash; a governance reviewer decides',
    body: waiverRequest,
    response: { status: 202, body: relaxationRequestResponse },
    handle: async (req) => {
      const candidate = await req.deps.store.candidates.getCandidate(req.params.id);
      await childAccess(req, candidate, 'release candidate', 'promote');
      const request = await req.deps.store.relaxations.requestWaiver(actorOf(req.principal), req.params.id, req.body);
      return { status: 202, body: request, headers: { location: `${base}/${request.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: base,
    summary:
      'Relaxation requests of a system (newest first), or of one status across the organisation (open by default)',
    query: listRelaxationsQuery,
    response: { status: 200, body: pageOf(relaxationRequestResponse) },
    handle: async (req) => {
      if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
      const page = await req.deps.store.relaxations.listRelaxations(
        { systemId: req.query.systemId, status: req.query.status },
        req.query,
      );
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'GET',
    path: `${base}/{id}`,
    summary: 'One relaxation request',
    response: { status: 200, body: relaxationRequestResponse },
    handle: async (req) => ({ status: 200, body: await loadRequest(req) }),
  }),
  decision('approve'),
  decision('reject'),
  route({
    method: 'POST',
    path: `${base}/{id}/withdraw`,
    summary: 'Withdraw an open relaxation request (its requester, or an admin): nothing changes',
    response: { status: 200, body: relaxationRequestResponse },
    handle: async (req) => {
      await loadRequest(req);
      return {
        status: 200,
        body: await req.deps.store.relaxations.withdrawRelaxation(actorOf(req.principal), req.params.id),
      };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
