import type * as z from 'zod';
import {
  aiSystemListItemResponse,
  aiSystemResponse,
  createSystemRequest,
  listSystemsQuery,
  pageOf,
  patchSystemRequest,
  relaxationRequestResponse,
  retireSystemRequest,
} from '../contracts/index.js';
import { assertCanRegisterSystem, canReadSystem } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import type { AiSystem } from '../domain/types.js';
import type { Page } from '../store/index.js';
import { actorOf, readable, relaxationOr, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/systems',
    summary: 'Register an AI system',
    body: createSystemRequest,
    response: { status: 201, body: aiSystemResponse },
    handle: async (req) => {
      assertCanRegisterSystem(req.principal, req.body.ownerTeam);
      const { system } = await req.deps.store.systems.createSystem(actorOf(req.principal), req.body);
      return { status: 201, body: system, headers: { location: `/api/systems/${system.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems',
    summary: 'List AI systems by name (optionally only those matching q, riskTier, euAiActCategory, status)',
    query: listSystemsQuery,
    response: { status: 200, body: pageOf(aiSystemListItemResponse) },
    handle: async (req) => {
      const page = await filteredSystems(req.deps.store.systems.listSystems, req.query);
      const visible = await readable(req, { ...page, items: page.items.map((s) => ({ ...s, systemId: s.id })) });
      // Releases by name in the registry: one batch read of the page's active candidates.
      const names = await req.deps.store.candidates.candidateNames(
        visible.items.flatMap((s) => Object.values(s.activeReleases).filter((id): id is string => id !== null)),
      );
      const name = (id: string | null) => (id === null ? null : (names.get(id) ?? null));
      return {
        status: 200,
        body: {
          ...visible,
          items: visible.items.map((s) => ({
            ...s,
            activeReleaseNames: {
              production: name(s.activeReleases.production),
              staging: name(s.activeReleases.staging),
            },
          })),
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems/{id}',
    summary: 'One AI system',
    response: { status: 200, body: aiSystemResponse },
    handle: async (req) => ({ status: 200, body: await systemFor(req, req.params.id, 'read') }),
  }),
  route({
    method: 'PATCH',
    path: '/api/systems/{id}',
    summary:
      'Change metadata, risk tier or lifecycle (active, deprecated); lowering the risk tier or EU AI Act category is a relaxation request (202)',
    body: patchSystemRequest,
    response: {
      status: 200,
      body: aiSystemResponse,
      alternatives: [
        {
          status: 202,
          description:
            'The patch lowers the risk tier or EU AI Act category: nothing changed, a relaxation request waits for a risk reviewer',
          body: relaxationRequestResponse,
        },
      ],
    },
    handle: async (req) => {
      await systemFor(req, req.params.id, 'write');
      if (req.principal.roles.every((r) => r === 'pipeline'))
        throw new ForbiddenError('pipelines cannot change system metadata');
      const out = await req.deps.store.relaxations.patchSystem(actorOf(req.principal), req.params.id, req.body);
      return relaxationOr(out, (changed) => changed.system);
    },
  }),
  route({
    method: 'POST',
    path: '/api/systems/{id}/retire',
    summary: 'Retire a system (refused while a release is active unless a replacement is named)',
    body: retireSystemRequest,
    response: { status: 200, body: aiSystemResponse },
    handle: async (req) => {
      await systemFor(req, req.params.id, 'write');
      if (req.principal.roles.every((r) => r === 'pipeline'))
        throw new ForbiddenError('pipelines cannot retire systems');
      return {
        status: 200,
        // A replacement the caller cannot read is answered as one that does not exist.
        body: await req.deps.store.systems.retireSystem(actorOf(req.principal), req.params.id, req.body, (system) =>
          canReadSystem(req.principal, system),
        ),
      };
    },
  }),
];

/** Systems one filtered request examines at most; past it the page is short and its cursor continues the search. */
export const MAX_SYSTEMS_EXAMINED = 1000;
const DEFAULT_LIMIT = 25; // the store's default page size

type ListSystemsQuery = z.infer<typeof listSystemsQuery>;

/**
 * A page of the systems matching the query's filters, in name order. Without a filter, one page of the index.
 * With one, it reads the index page by page (each read asks for only as many systems as are still missing, so the
 * cursor of the last read is exactly where the next page starts) until the page is full, the index ends, or
 * MAX_SYSTEMS_EXAMINED systems were examined (then the page may be short, even empty, with a cursor to continue).
 */
export async function filteredSystems(
  list: (page: { limit?: number; cursor?: string | null }) => Promise<Page<AiSystem>>,
  query: ListSystemsQuery,
): Promise<Page<AiSystem>> {
  const { limit, cursor, q, riskTier, euAiActCategory, status } = query;
  const needle = q?.toLowerCase() ?? '';
  if (!needle && !riskTier && !euAiActCategory && !status) return list({ limit, cursor });
  const wanted = limit ?? DEFAULT_LIMIT;
  const matches = (s: AiSystem) =>
    (!needle || `${s.name} ${s.ownerTeam} ${s.owner} ${s.domain} ${s.id}`.toLowerCase().includes(needle)) &&
    (!riskTier || s.riskTier === riskTier) &&
    (!euAiActCategory || s.euAiActCategory === euAiActCategory) &&
    (!status || s.status === status);
  const items: AiSystem[] = [];
  let next: string | null = cursor ?? null;
  let examined = 0;
  do {
    const page = await list({ limit: Math.min(wanted - items.length, 100), cursor: next });
    examined += page.items.length;
    items.push(...page.items.filter(matches));
    next = page.nextCursor;
  } while (next && items.length < wanted && examined < MAX_SYSTEMS_EXAMINED);
  return { items, nextCursor: next };
}

export const handler = createHttpHandler(routes, lambdaDeps());
