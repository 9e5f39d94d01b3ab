// Routing as a middleware: finds the route of the event (API Gateway's routeKey, or method and path behind the
// `$default` route) and answers an unknown path with 404 and a known path with another method with 405 and Allow.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { GovernanceError, NotFoundError } from '../../domain/errors.js';
import type { Route } from '../route.js';
import { routeTable } from './route-table.js';
import { apiState } from './state.js';

/** A path that exists with other methods: 405, and the methods it has go to the Allow header. */
export class MethodNotAllowedError extends GovernanceError {
  readonly status = 405;
  readonly type = 'method-not-allowed';
  readonly allow: string;

  constructor(method: string, path: string, allow: string[]) {
    super(`${method} is not allowed on ${path}`);
    this.allow = allow.join(', ');
  }
}

export function router(routes: readonly Route[]): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  const table = routeTable(routes);
  return {
    name: 'router',
    before: (request) => {
      const { event } = request;
      const method = event.requestContext?.http?.method ?? 'GET';
      const path = event.rawPath ?? '/';
      const match = table.resolve(method, path, event.routeKey, event.pathParameters as Record<string, string>);
      if (match.kind === 'not-found') throw new NotFoundError(`no route matches ${method.toUpperCase()} ${path}`);
      if (match.kind === 'method-not-allowed') throw new MethodNotAllowedError(method.toUpperCase(), path, match.allow);
      const state = apiState(request);
      state.route = match.route;
      state.params = match.params;
    },
  };
}
