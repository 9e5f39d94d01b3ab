// Idempotency-Key replay as a middleware: a POST with a key claims it before the handler runs; its answer is kept
// when it is not a server failure (a retry gets the same answer, even a refusal) and the key is released otherwise
// (a retry runs again). A replay answers the stored response without running the handler.
import { createHash } from 'node:crypto';
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConflictError, UnprocessableError, ValidationError } from '../../domain/errors.js';
import { logUnexpected } from './problem-errors.js';
import { apiState, required } from './state.js';

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

function requestHash(event: APIGatewayProxyEventV2): string {
  return createHash('sha256')
    .update(`${event.requestContext?.http?.method} ${event.rawPath}\n${event.body ?? ''}`)
    .digest('hex');
}

export function idempotency(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  // The keys claimed by requests in flight, by request (a WeakMap: a request's claim never outlives it).
  const claims = new WeakMap<object, { userId: string; key: string; done: boolean }>();

  const complete = async (request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>) => {
    const claim = claims.get(request);
    if (!claim || claim.done) return;
    claim.done = true;
    const response = request.response;
    const status = response?.statusCode ?? 500;
    const store = required(apiState(request).deps, 'the dependencies').store;
    await store.idempotency.completeIdempotencyKey(
      claim.userId,
      claim.key,
      response && status < 500
        ? { statusCode: status, headers: (response.headers ?? {}) as Record<string, string>, body: response.body ?? '' }
        : null,
    );
  };

  return {
    name: 'idempotency',
    before: async (request) => {
      const state = apiState(request);
      const route = required(state.route, 'the route');
      const key = route.method === 'POST' && !route.public ? request.event.headers?.['idempotency-key'] : undefined;
      if (key === undefined) return;
      if (!KEY.test(key))
        throw new ValidationError('Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 _ . : -');
      const userId = required(state.principal, 'the principal').userId;
      const store = required(state.deps, 'the dependencies').store;
      const claim = await store.idempotency.claimIdempotencyKey(userId, key, requestHash(request.event));
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
      claims.set(request, { userId, key, done: false });
    },
    after: complete,
    // Runs after the error was mapped to its problem (see createHttpHandler's order), so the problem is what is kept.
    onError: async (request) => {
      try {
        await complete(request);
      } catch (error) {
        // The key stays claimed until it expires; the caller still gets the problem already mapped.
        logUnexpected(error, request.context?.awsRequestId);
      }
    },
  };
}
