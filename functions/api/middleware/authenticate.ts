// Authentication as a middleware: the bearer token becomes a verified principal; health checks are public.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Principal } from '../../domain/types.js';
import { apiState, required } from './state.js';

const ANONYMOUS: Principal = { userId: 'anonymous', name: 'anonymous', roles: [], teams: [], systems: [] };

export function authenticate(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'authenticate',
    before: async (request) => {
      const state = apiState(request);
      const route = required(state.route, 'the route');
      state.principal = route.public
        ? { ...ANONYMOUS }
        : await required(state.deps, 'the dependencies').verifyToken(request.event.headers?.authorization);
    },
  };
}
