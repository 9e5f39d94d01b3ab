import { createModelConfigRequest } from '../contracts/index.js';
import { ValidationError } from '../domain/errors.js';
import { pinnedConnections } from '../domain/provider-connections.js';
import type { RoutingPolicy } from '../domain/types.js';
import { artefactRoutes } from './artefacts.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler } from './http.js';

export const routes = artefactRoutes(
  'model_config',
  '/api/model-configs',
  'model config',
  createModelConfigRequest,
  // A route pins an immutable connection version: one that does not exist is the caller's error, named per route.
  async (req, body) => {
    const policy = (body as { routingPolicy: RoutingPolicy }).routingPolicy;
    const pins = pinnedConnections(policy.routes);
    if (pins.length === 0) return;
    const { missing } = await req.deps.store.providerConnections.connectionVersions(pins);
    if (missing.length === 0) return;
    const errors = policy.routes.flatMap((route, i) =>
      route.connection && missing.some((m) => m.id === route.connection?.id && m.version === route.connection.version)
        ? [{ path: `routingPolicy.routes.${i}.connection`, message: 'no such provider connection version' }]
        : [],
    );
    throw new ValidationError('a route names a provider connection version that does not exist', { errors });
  },
);
export const handler = createHttpHandler(routes, lambdaDeps());
