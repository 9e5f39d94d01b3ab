// The handler of API Gateway's `$default` route: a request no route matches. An unknown path is a 404 problem; a
// path that exists with other methods is a 405 problem with Allow; a path that is not valid percent-encoding a 400.
// The same router middleware decides it as for every other request, from the route manifest (functions/api/
// routes.json, generated from routes.ts), so this function bundles no resource module.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { NotFoundError } from '../domain/errors.js';
import { type OriginOptions, originOptionsFromEnv, verifyOrigin } from './middleware/origin-verify.js';
import { problemErrors } from './middleware/problem-errors.js';
import type { RouteKeyed } from './middleware/route-table.js';
import { router } from './middleware/router.js';
import manifest from './routes.json' with { type: 'json' };

/**
 * Answers every request with the problem the router decides for it; a request it would route is still a 404. A
 * request that did not come through CloudFront is refused first (403), as on every other route.
 */
export function createNotFoundHandler(routes: readonly RouteKeyed[], options: OriginOptions = originOptionsFromEnv()) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(verifyOrigin(options.originSecret))
    .use(router(routes as Parameters<typeof router>[0]))
    .use(problemErrors())
    .handler((event) => {
      // API Gateway sends a routable request to its own route; reaching here, it has none (a trailing slash, say).
      throw new NotFoundError(`no route matches ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`);
    });
}

export const handler = createNotFoundHandler(manifest);
