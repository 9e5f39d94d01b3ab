import { createSystemRequest, listSystemsQuery, patchSystemRequest, retireSystemRequest } from '../contracts/index.js';
import { assertCanRegisterSystem } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import { actorOf, readable, systemFor } from './access.js';
import { getDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/systems',
    summary: 'Register an AI system',
    body: createSystemRequest,
    handle: async (req) => {
      assertCanRegisterSystem(req.principal, req.body.ownerTeam);
      const { system } = await req.deps.store.systems.createSystem(actorOf(req.principal), req.body);
      return { status: 201, body: system, headers: { location: `/api/systems/${system.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems',
    summary: 'List AI systems by name',
    query: listSystemsQuery,
    handle: async (req) => {
      const page = await req.deps.store.systems.listSystems(req.query);
      return {
        status: 200,
        body: await readable(req, { ...page, items: page.items.map((s) => ({ ...s, systemId: s.id })) }),
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems/{id}',
    summary: 'One AI system',
    handle: async (req) => ({ status: 200, body: await systemFor(req, req.params.id as string, 'read') }),
  }),
  route({
    method: 'PATCH',
    path: '/api/systems/{id}',
    summary: 'Change metadata, risk tier or lifecycle (active, deprecated)',
    body: patchSystemRequest,
    handle: async (req) => {
      await systemFor(req, req.params.id as string, 'write');
      if (req.principal.roles.every((r) => r === 'pipeline'))
        throw new ForbiddenError('pipelines cannot change system metadata');
      return {
        status: 200,
        body: await req.deps.store.systems.updateSystem(actorOf(req.principal), req.params.id as string, req.body),
      };
    },
  }),
  route({
    method: 'POST',
    path: '/api/systems/{id}/retire',
    summary: 'Retire a system (refused while a release is active unless a replacement is named)',
    body: retireSystemRequest,
    handle: async (req) => {
      await systemFor(req, req.params.id as string, 'write');
      if (req.principal.roles.every((r) => r === 'pipeline'))
        throw new ForbiddenError('pipelines cannot retire systems');
      return {
        status: 200,
        body: await req.deps.store.systems.retireSystem(actorOf(req.principal), req.params.id as string, req.body),
      };
    },
  }),
];

export const handler = createHttpHandler(routes, getDeps);
