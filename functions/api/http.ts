// The HTTP stack of the API: a route is bare business logic with typed inputs; each concern around it is one middy
// middleware in functions/api/middleware (routing, path parameters, dependencies, authentication, parsing,
// idempotency, error mapping), composed here in the order that decides which answer wins (docs/adr/0011).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { z } from 'zod';
import type { Principal } from '../domain/types.js';
import { httpCorrelationId, observe } from '../observability/index.js';
import type { Deps } from './deps.js';
import { authenticate } from './middleware/authenticate.js';
import { idempotency } from './middleware/idempotency.js';
import { parseRequest } from './middleware/parse-request.js';
import { pathParams } from './middleware/path-params.js';
import { problemErrors } from './middleware/problem-errors.js';
import { router } from './middleware/router.js';
import { type ApiContext, apiState, required } from './middleware/state.js';
import { apiObservability } from './observability.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** The names of the `{name}` segments of a path template. */
type ParamNames<P extends string> = P extends `${string}{${infer N}}${infer Rest}` ? N | ParamNames<Rest> : never;

/** The path parameters of a path template: `/api/systems/{id}` gives `{ id: string }`. */
export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

export interface Request<B = unknown, Q = unknown, P = Record<string, string>> {
  principal: Principal;
  /** Decoded and checked by the route's params schema (an `{id}` of the resource's prefix by default). */
  params: P;
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

/** A request of a route with one `{id}` path parameter. */
export type IdRequest = Request<unknown, unknown, { id: string }>;

export interface Route<B = unknown, Q = unknown, Path extends string = string> {
  method: Method;
  path: Path;
  summary: string;
  /** Health checks are the only routes without authentication. */
  public?: boolean;
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** The path parameters' schema; by default the one the path implies (middleware/path-params.ts). */
  params?: z.ZodType<Record<string, string>>;
  maxBodyBytes?: number;
  response?: ResponseSpec;
  handle: (req: Request<B, Q, PathParams<Path>>) => Promise<Reply>;
}

/** Declares a route with its body, query and path parameter types inferred from the schemas and the path. */
export function route<B = undefined, Q = Record<string, never>, Path extends string = string>(
  r: Route<B, Q, Path>,
): Route {
  return r as unknown as Route;
}

export { DEFAULT_MAX_BODY_BYTES } from './middleware/parse-request.js';

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

/** Where the dependencies of a handler come from: the composition root of its Lambda entry or of the local stack. */
export type DepsProvider = () => Deps | Promise<Deps>;

/** Resolves the dependencies once the route is known (a route that does not exist builds nothing). */
function withDeps(provide: DepsProvider): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'deps',
    before: async (request) => {
      apiState(request).deps = await provide();
    },
  };
}

/** Calls the route with what the middlewares established and serialises its reply. */
async function dispatch(
  event: APIGatewayProxyEventV2,
  context: ApiContext,
): Promise<APIGatewayProxyStructuredResultV2> {
  const { api } = context;
  const r = required(api.route, 'the route');
  const reply = await r.handle({
    principal: required(api.principal, 'the principal'),
    params: required(api.params, 'the path parameters'),
    query: api.query,
    body: api.body,
    headers: (event.headers ?? {}) as Record<string, string>,
    requestId: context.awsRequestId ?? event.requestContext.requestId,
    deps: required(api.deps, 'the dependencies'),
  });
  return json(reply.status, reply.body, reply.headers);
}

/**
 * The Lambda handler of a set of routes: one resource module in AWS, every route in the local stack. An event of a
 * path no route has (API Gateway's `$default` route) is answered 404, or 405 with Allow when the path exists.
 * The outermost middleware sets the log lines' correlation id (the API Gateway request id) and flushes metrics once
 * per request. The order of the rest decides which answer wins: an unknown route, a malformed id (400, before
 * authentication), authentication, the query and body, the Idempotency-Key; errors are mapped first and the
 * idempotency middleware then keeps (or releases) the mapped answer.
 */
export function createHttpHandler(routes: readonly Route[], deps: DepsProvider) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(
      observe({
        logger: apiObservability.logger,
        metrics: apiObservability.metrics,
        correlationId: httpCorrelationId,
        // problemErrors logs what it answers with a 500; a mapped 4xx is an answer, not a failure.
        logErrors: false,
      }),
    )
    .use(router(routes))
    .use(pathParams())
    .use(withDeps(deps))
    .use(authenticate())
    .use(parseRequest())
    .use(idempotency())
    .use(problemErrors())
    .handler((event, context) => dispatch(event, context as ApiContext));
}
