// The shared HTTP stack of every resource module: middy with problem+json errors, per-route JSON parsing with a
// size limit, bearer-token authentication, Idempotency-Key replay, and dispatch on API Gateway's routeKey.
import { createHash } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { idPrefixByResource } from '../domain/artefact-kinds.js';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../domain/errors.js';
import { idPattern } from '../domain/id-format.js';
import type { Principal } from '../domain/types.js';
import type { Deps } from './deps.js';
import { problemResponse, toProblem } from './problem.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface Request<B = unknown, Q = unknown> {
  principal: Principal;
  params: Record<string, string>;
  query: Q;
  body: B;
  headers: Record<string, string>;
  requestId: string;
  deps: Deps;
}

export interface Reply {
  status: number;
  /** A JSON body; or, for a binary route (a PDF, say), a Buffer sent as is with the reply's content-type header. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * What a route answers when it succeeds: the status and the body's schema (`null` when there is no body), or a
 * non-JSON media type (`application/pdf`) for a binary body. OpenAPI is generated from these and the request
 * schemas (functions/api/openapi.ts); a test fails when a route declares none.
 */
export interface ResponseSpec {
  status: number;
  description?: string;
  /** The JSON body's schema; `null` for no body; absent when `contentType` is not JSON. */
  body?: z.ZodType | null;
  /** Defaults to application/json. */
  contentType?: string;
  /** Further success statuses with the same body (202 beside 200, say). */
  alsoStatuses?: number[];
}

export interface Route<B = unknown, Q = unknown> {
  method: Method;
  path: string;
  summary: string;
  /** Health checks are the only routes without authentication. */
  public?: boolean;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  maxBodyBytes?: number;
  response?: ResponseSpec;
  handle: (req: Request<B, Q>) => Promise<Reply>;
}

/** Declares a route with its body and query types inferred from the zod schemas. */
export function route<B = undefined, Q = Record<string, never>>(r: Route<B, Q>): Route {
  return r as unknown as Route;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

const json = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 =>
  Buffer.isBuffer(body)
    ? {
        statusCode: status,
        headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...headers },
        body: body.toString('base64'),
        isBase64Encoded: true,
      }
    : {
        statusCode: status,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
        body: body === undefined ? '' : JSON.stringify(body),
      };

function parseBody(event: APIGatewayProxyEventV2, r: Route): unknown {
  if (!r.body) {
    if (event.body && event.body.trim() !== '' && event.body.trim() !== '{}') {
      throw new ValidationError('this route takes no request body');
    }
    return undefined;
  }
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  if (Buffer.byteLength(raw, 'utf8') > (r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)) {
    throw new PayloadTooLargeError(`the body is larger than ${r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES} bytes`);
  }
  const contentType = (event.headers['content-type'] ?? 'application/json').toLowerCase();
  if (!contentType.includes('json')) throw new UnsupportedMediaTypeError('send the body as application/json');
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('the body must be a JSON object');
  }
  return r.body.parse(parsed);
}

/** Matches a concrete path against a route pattern with `{name}` segments. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/');
  const b = path.split('/');
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as string;
    const v = b[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (!v) return null;
      try {
        params[p.slice(1, -1)] = decodeURIComponent(v);
      } catch {
        throw new ValidationError('the path is not validly percent-encoded');
      }
    } else if (p !== v) return null;
  }
  return params;
}

function findRoute(routes: Route[], event: APIGatewayProxyEventV2): { route: Route; params: Record<string, string> } {
  const routeKey = event.routeKey && event.routeKey !== '$default' ? event.routeKey : undefined;
  if (routeKey) {
    const found = routes.find((r) => `${r.method} ${r.path}` === routeKey);
    if (found) return { route: found, params: (event.pathParameters ?? {}) as Record<string, string> };
  }
  const method = event.requestContext.http.method.toUpperCase();
  const path = event.rawPath;
  for (const r of routes) {
    if (r.method !== method) continue;
    const params = matchPath(r.path, path);
    if (params) return { route: r, params };
  }
  throw new NotFoundError(`no route for ${method} ${path}`);
}

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
};

/** Refuses malformed ids before any lookup: a 400 names the parameter, and no key of 2 KB ever reaches DynamoDB. */
function validateParams(r: Route, params: Record<string, string>) {
  const resource = r.path.split('/')[2] ?? '';
  const prefix = ID_PREFIX_BY_RESOURCE[resource];
  for (const [name, value] of Object.entries(params)) {
    if (name === 'id' && prefix && !idPattern(prefix).test(value)) {
      throw new ValidationError(`${name} must be a ${prefix}_ id`, {
        errors: [{ path: name, message: `must be a ${prefix}_ id` }],
      });
    }
  }
}

function requestHash(event: APIGatewayProxyEventV2): string {
  return createHash('sha256')
    .update(`${event.requestContext.http.method} ${event.rawPath}\n${event.body ?? ''}`)
    .digest('hex');
}

/**
 * Builds the Lambda handler of a resource module. `getDeps` is called per invocation (it memoises in production) so
 * tests and the local stack can inject a store over DynamoDB Local.
 */
export function createHttpHandler(routes: Route[], getDeps: () => Promise<Deps> | Deps) {
  const base = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const requestId = context?.awsRequestId ?? event.requestContext.requestId;
    const { route: r, params } = findRoute(routes, event);
    const deps = await getDeps();
    validateParams(r, params);
    const principal = r.public
      ? ({ userId: 'anonymous', name: 'anonymous', roles: [], teams: [], systems: [] } satisfies Principal)
      : await deps.verifyToken(event.headers.authorization);
    const query = r.query ? r.query.parse(event.queryStringParameters ?? {}) : {};
    const body = parseBody(event, r);
    const idempotencyKey = r.method === 'POST' && !r.public ? event.headers['idempotency-key'] : undefined;
    if (idempotencyKey !== undefined) {
      if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(idempotencyKey)) {
        throw new ValidationError('Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -');
      }
      const claim = await deps.store.idempotency.claimIdempotencyKey(
        principal.userId,
        idempotencyKey,
        requestHash(event),
      );
      if (claim.state === 'replay') {
        return { ...claim.response, headers: { ...claim.response.headers, 'idempotent-replayed': 'true' } };
      }
      if (claim.state === 'mismatch') {
        throw new UnprocessableError('this Idempotency-Key was used with a different request', {
          code: 'IDEMPOTENCY_KEY_REUSED',
        });
      }
      if (claim.state === 'in_progress') {
        throw new ConflictError('a request with this Idempotency-Key is still in progress', {
          code: 'IDEMPOTENCY_IN_PROGRESS',
        });
      }
    }
    let response: APIGatewayProxyStructuredResultV2;
    try {
      const reply = await r.handle({
        principal,
        params,
        query,
        body,
        headers: event.headers as Record<string, string>,
        requestId,
        deps,
      });
      response = json(reply.status, reply.body, reply.headers);
    } catch (error) {
      response = problemResponse(toProblem(error, event.rawPath));
      if (response.statusCode === 500) logUnexpected(error, requestId);
    }
    if (idempotencyKey !== undefined) {
      const keep = (response.statusCode ?? 500) < 500;
      await deps.store.idempotency.completeIdempotencyKey(
        principal.userId,
        idempotencyKey,
        keep
          ? {
              statusCode: response.statusCode ?? 200,
              headers: response.headers as Record<string, string>,
              body: response.body ?? '',
            }
          : null,
      );
    }
    return response;
  };

  return middy(base).onError(async (request) => {
    const error = request.error;
    const instance = request.event?.rawPath;
    const p = toProblem(error, instance);
    if (p.status === 500) logUnexpected(error, request.context?.awsRequestId);
    request.response = problemResponse(p);
  });
}

function logUnexpected(error: unknown, requestId: string | undefined) {
  console.error(
    JSON.stringify({ level: 'error', requestId, message: (error as Error)?.message, stack: (error as Error)?.stack }),
  );
}
