// What the middlewares of one request learn, in order (route, deps, principal, parsed input), carried on the
// Lambda context so that the route handler at the end of the chain receives it. Nothing here outlives a request.
import type { Context } from 'aws-lambda';
import type { Principal } from '../../domain/types.js';
import type { Deps } from '../deps.js';
import type { Route } from '../route.js';

interface ApiState {
  route?: Route;
  params?: Record<string, string>;
  deps?: Deps;
  principal?: Principal;
  query?: unknown;
  body?: unknown;
}

export interface ApiContext extends Context {
  api: ApiState;
}

/** The request's state, created on first use (the context of an invocation is never shared between requests). */
export function apiState(request: { context: Context }): ApiState {
  const context = request.context as Partial<ApiContext>;
  if (!context.api) {
    request.context = { ...request.context, api: {} } as ApiContext;
  }
  return (request.context as ApiContext).api;
}

/** The state a middleware needs from an earlier one; its absence is a wiring error (a generic 500, logged). */
export function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`middleware order: ${what} is not known yet`);
  return value;
}
