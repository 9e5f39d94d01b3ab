// Error mapping as a middleware, the one place where a thrown value becomes the HTTP answer: GovernanceErrors and
// contract violations are described (problem+json, functions/api/problem.ts); anything else is a generic 500 whose
// message and stack go to the log only.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiObservability } from '../observability.js';
import { problemResponse, toProblem } from '../problem.js';
import { MethodNotAllowedError } from './router.js';

/** Logs a failure the client is not told about: one JSON line with its message and stack (Powertools Logger). */
export function logUnexpected(error: unknown, requestId: string | undefined): void {
  apiObservability.logger.error('unexpected error', {
    requestId,
    error: error instanceof Error ? error : new Error(String(error)),
  });
}

/** The answer to a thrown value: its problem document, with the headers its status needs. */
function errorResponse(error: unknown, instance: string | undefined): APIGatewayProxyStructuredResultV2 {
  const headers: Record<string, string> = error instanceof MethodNotAllowedError ? { allow: error.allow } : {};
  return problemResponse(toProblem(error, instance), headers);
}

export function problemErrors(): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return {
    name: 'problem-errors',
    onError: (request) => {
      if (request.response?.statusCode !== undefined) return;
      const response = errorResponse(request.error, request.event?.rawPath);
      if (response.statusCode === 500) {
        logUnexpected(request.error, request.context?.awsRequestId ?? request.event?.requestContext?.requestId);
      }
      request.response = response;
    },
  };
}
