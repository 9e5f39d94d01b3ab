// Matching a request against the routes of the API, as API Gateway's HTTP API does: literal segments beat path
// parameters from the left, parameters are percent-decoded, a path that other methods serve is a 405 with Allow.
// Pure: the router middleware, the not-found handler behind `$default` and the local stack use this one table.
import { ValidationError } from '../../domain/errors.js';

export interface RouteKeyed {
  method: string;
  path: string;
}

interface Compiled<R extends RouteKeyed> {
  route: R;
  method: string;
  routeKey: string;
  segments: ({ literal: string } | { param: string })[];
}

type RouteMatch<R extends RouteKeyed> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

interface RouteTable<R extends RouteKeyed> {
  /** By `routeKey` when API Gateway names one, otherwise by method and raw path (the `$default` route). */
  resolve(method: string, rawPath: string, routeKey?: string, pathParameters?: Record<string, string>): RouteMatch<R>;
}

/** Builds the route table of `routes`; a `{name}` segment is a path parameter. */
export function routeTable<R extends RouteKeyed>(routes: readonly R[]): RouteTable<R> {
  const compiled = routes.map(compile);
  const byKey = new Map(compiled.map((c) => [c.routeKey, c]));
  return {
    resolve(method, rawPath, routeKey, pathParameters) {
      const keyed = routeKey && routeKey !== '$default' ? byKey.get(routeKey) : undefined;
      if (keyed) return { kind: 'found', route: keyed.route, params: { ...(pathParameters ?? {}) } };
      const upper = method.toUpperCase();
      const fitting = compiled.filter((c) => fits(c, rawPath));
      if (fitting.length === 0) return { kind: 'not-found' };
      const candidates = fitting.filter((c) => c.method === upper || c.method === 'ANY');
      if (candidates.length === 0) {
        return { kind: 'method-not-allowed', allow: [...new Set(fitting.map((c) => c.method))].sort() };
      }
      const best = candidates.reduce((a, b) => (compareSpecificity(b, a) < 0 ? b : a));
      return { kind: 'found', route: best.route, params: decodeParams(best, rawPath) };
    },
  };
}

function compile<R extends RouteKeyed>(route: R): Compiled<R> {
  const method = route.method.toUpperCase();
  const segments = split(route.path).map((segment) => {
    const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
    return param?.[1] !== undefined ? { param: param[1] } : { literal: segment };
  });
  return { route, method, routeKey: `${method} ${route.path}`, segments };
}

function split(path: string): string[] {
  return path.split('/').slice(1);
}

function fits(route: Compiled<RouteKeyed>, rawPath: string): boolean {
  const parts = split(rawPath);
  if (parts.length !== route.segments.length) return false;
  return route.segments.every((segment, i) => {
    const part = parts[i] ?? '';
    return 'literal' in segment ? part === segment.literal : part !== '';
  });
}

function decodeParams(route: Compiled<RouteKeyed>, rawPath: string): Record<string, string> {
  const parts = split(rawPath);
  const params: Record<string, string> = {};
  for (const [i, segment] of route.segments.entries()) {
    if (!('param' in segment)) continue;
    try {
      params[segment.param] = decodeURIComponent(parts[i] ?? '');
    } catch {
      throw new ValidationError('the path is not correctly percent-encoded');
    }
  }
  return params;
}

/** Literal segments beat parameters, left to right; a method beats ANY. */
function compareSpecificity(a: Compiled<RouteKeyed>, b: Compiled<RouteKeyed>): number {
  for (const [i, segment] of a.segments.entries()) {
    const other = b.segments[i];
    if (other === undefined) break;
    const aLiteral = 'literal' in segment;
    const bLiteral = 'literal' in other;
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  if (a.method !== b.method) return a.method === 'ANY' ? 1 : -1;
  return 0;
}
