// The HTTP stack of the API: a route is bare business logic with typed inputs; each concern around it is one middy
// middleware in functions/api/middleware (routing, path parameters, dependencies, authentication, parsing,
// idempotency, error mapping), composed here in the order that decides which answer wins (docs/adr/0011).
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { httpCorrelationId, observe } from '../observability/index.js';
import type { DepsProvider } from './deps.js';
import { authenticate } from './middleware/authenticate.js';
import { idempotency } from './middleware/idempotency.js';
import { type OriginOptions, originOptionsFromEnv, verifyOrigin } from './middleware/origin-verify.js';
import { parseRequest } from './middleware/parse-request.js';
import { pathParams } from './middleware/path-params.js';
import { problemErrors } from './middleware/problem-errors.js';
import { router } from './middleware/router.js';
import { type ApiContext, apiState, required } from './middleware/state.js';
import { apiObservability } from './observability.js';
import type { Route } from './route.js';

export { DEFAULT_MAX_BODY_BYTES } from './middleware/parse-request.js';
export * from './route.js';

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
 * per request. The order of the rest decides which answer wins: a request that did not come through CloudFront
 * (403, when an origin secret is configured: nothing else runs), an unknown route, a malformed id (400, before
 * authentication), authentication, the query and body, the Idempotency-Key; errors are mapped first and the
 * idempotency middleware then keeps (or releases) the mapped answer.
 */
export function createHttpHandler(
  routes: readonly Route[],
  deps: DepsProvider,
  options: OriginOptions = originOptionsFromEnv(),
) {
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
    .use(verifyOrigin(options.originSecret))
    .use(router(routes))
    .use(pathParams())
    .use(withDeps(deps))
    .use(authenticate())
    .use(parseRequest())
    .use(idempotency())
    .use(problemErrors())
    .handler((event, context) => dispatch(event, context as ApiContext));
}
