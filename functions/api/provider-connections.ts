// Provider connections (issue 16): admins register and version them; every authenticated principal may read them
// (model owners and pipelines name a version in a model config's routes). No answer carries a secret: a connection
// holds only the reference to one. Every endpoint, a base URL or Bedrock's regional one, must be on the egress
// allow-list (EVAL_ALLOWED_HOSTS, the list the eval tasks call under) when it is registered; the executors check
// it again before each call.
import {
  connectionVersionRequest,
  listConnectionsQuery,
  providerConnection,
  providerConnectionPage,
  registerConnectionRequest,
} from '../contracts/index.js';
import { ForbiddenError, ValidationError } from '../domain/errors.js';
import { connectionProblems, type ProviderConnectionInput } from '../domain/provider-connections.js';
import type { Principal } from '../domain/types.js';
import { checkTarget, parseAllowedHosts } from '../workflows/allowed-hosts.js';
import { actorOf } from './access.js';
import type { Deps } from './deps.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

function assertAdmin(p: Principal): void {
  if (!p.roles.includes('admin')) throw new ForbiddenError('only admins register and change provider connections');
}

/** Refuses, with one problem per field and before anything is written, a connection that could not be called. */
function assertCallable(deps: Deps, input: ProviderConnectionInput): void {
  const allowed = deps.evalAllowedHosts ?? [];
  const errors = connectionProblems(input, (url) => {
    const check = checkTarget(url, allowed);
    if (check.ok) return null;
    return `${check.reason} (allowed hosts: ${allowed.length ? allowed.join(', ') : 'none configured'})`;
  });
  if (errors.length) throw new ValidationError('the provider connection cannot be called as given', { errors });
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/provider-connections',
    summary: 'Register a provider connection (admins): provider, base URL or region, a reference to its secret',
    body: registerConnectionRequest,
    response: { status: 201, body: providerConnection },
    handle: async (req) => {
      assertAdmin(req.principal);
      assertCallable(req.deps, req.body);
      const out = await req.deps.store.providerConnections.registerConnection(actorOf(req.principal), req.body);
      return { status: 201, body: out, headers: { location: `/api/provider-connections/${out.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/provider-connections',
    summary: 'Provider connections by name, each with its latest version',
    query: listConnectionsQuery,
    response: { status: 200, body: providerConnectionPage },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.providerConnections.listConnections(req.query),
    }),
  }),
  route({
    method: 'GET',
    path: '/api/provider-connections/{id}',
    summary: 'One provider connection: its latest version and every version, oldest first',
    response: { status: 200, body: providerConnection },
    handle: async (req) => {
      const connection = await req.deps.store.providerConnections.getConnection(req.params.id);
      const versions = await req.deps.store.providerConnections.listConnectionVersions(req.params.id, { limit: 100 });
      return { status: 200, body: { ...connection, versions: versions.items } };
    },
  }),
  route({
    method: 'POST',
    path: '/api/provider-connections/{id}/versions',
    summary: 'Change a provider connection (admins): a new immutable version; routes pinned to older ones keep them',
    body: connectionVersionRequest,
    response: { status: 201, body: providerConnection },
    handle: async (req) => {
      assertAdmin(req.principal);
      const current = await req.deps.store.providerConnections.getConnection(req.params.id);
      assertCallable(req.deps, { ...req.body, provider: current.provider });
      const out = await req.deps.store.providerConnections.addConnectionVersion(
        actorOf(req.principal),
        req.params.id,
        req.body,
      );
      return { status: 201, body: out, headers: { location: `/api/provider-connections/${out.id}` } };
    },
  }),
];

/** The composition root of the provider-connections function: the API's deps and the egress allow-list. */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => ({ ...base, evalAllowedHosts: parseAllowedHosts(env.EVAL_ALLOWED_HOSTS) })),
);
