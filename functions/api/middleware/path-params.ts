// Path parameters as a middleware: each route's parameters are checked by a zod schema before anything else reads
// them, so a malformed id is a 400 naming the parameter (before authentication, as always), and no key of 2 KB
// ever reaches DynamoDB. The default schema of a route follows from its path: `{id}` under a resource is an id of
// that resource's prefix; any other parameter is a non-empty string.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { idOf } from '../../contracts/common.js';
import { idPrefixByResource } from '../../domain/artefact-kinds.js';
import { ValidationError } from '../../domain/errors.js';
import type { Route } from '../route.js';
import { apiState, required } from './state.js';

/** The id prefix of each resource's `{id}` path parameter. */
export const ID_PREFIX_BY_RESOURCE: Record<string, string> = {
  systems: 'sys',
  ...idPrefixByResource(),
  'eval-datasets': 'ds',
  'release-candidates': 'rc',
  'eval-runs': 'run',
  approvals: 'apr',
  incidents: 'inc',
  webhooks: 'whk',
  'policy-dry-runs': 'pdr',
  'relaxation-requests': 'rlx',
};

/** The names of the `{name}` segments of a route path. */
function pathParamNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string);
}

const schemas = new WeakMap<Route, z.ZodType<Record<string, string>>>();

/** The schema of a route's path parameters: the route's own, or the one its path implies. */
function pathParamsSchema(route: Route): z.ZodType<Record<string, string>> {
  if (route.params) return route.params;
  let schema = schemas.get(route);
  if (!schema) {
    const prefix = ID_PREFIX_BY_RESOURCE[route.path.split('/')[2] ?? ''];
    const shape: Record<string, z.ZodType<string>> = {};
    for (const name of pathParamNames(route.path)) {
      shape[name] = name === 'id' && prefix ? idOf(prefix) : z.string().min(1);
    }
    schema = z.object(shape) as unknown as z.ZodType<Record<string, string>>;
    schemas.set(route, schema);
  }
  return schema;
}

export function pathParams(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'path-params',
    before: (request) => {
      const state = apiState(request);
      const route = required(state.route, 'the route');
      const parsed = pathParamsSchema(route).safeParse(required(state.params, 'the path parameters'));
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        const first = errors[0];
        throw new ValidationError(first ? `${first.path} ${first.message}` : 'the path parameters are invalid', {
          errors,
        });
      }
      state.params = parsed.data;
    },
  };
}
