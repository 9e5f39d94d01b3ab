// The one place where errors become RFC 9457 problem+json. Only GovernanceErrors and validation failures are
// described to the client; anything else is a generic 500 whose details go to the log, never to the response.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { GateBlockedError, GovernanceError } from '../domain/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** Builds a problem document; `type` is a relative URI documented in docs/api.md. */
export function problem(
  status: number,
  type: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { ...extensions, type: `/problems/${type}`, title: TITLES[status] ?? 'Error', status, detail };
}

/** Maps any thrown value to a problem document. */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof ZodError) {
    return problem(400, 'validation-error', 'the request does not match the contract', {
      errors: error.issues.map((i) => ({
        path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : ''),
        message: i.code === 'unrecognized_keys' ? `unknown or protected field(s): ${i.keys.join(', ')}` : i.message,
      })),
      ...(instance ? { instance } : {}),
    });
  }
  if (error instanceof GovernanceError) {
    const { reasons, ...rest } = error.detail;
    return problem(error.status, error.type, error.message, {
      ...rest,
      ...(error instanceof GateBlockedError ? { reasons: error.reasons } : reasons ? { reasons } : {}),
      ...(instance ? { instance } : {}),
    });
  }
  return problem(500, 'internal', 'an unexpected error occurred; it has been logged', instance ? { instance } : {});
}

/** A problem as an API Gateway v2 result. */
export function problemResponse(p: Problem, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: p.status,
    headers: {
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      // RFC 6750: a 401 names the scheme the caller must use.
      ...(p.status === 401 ? { 'www-authenticate': 'Bearer realm="governance"' } : {}),
      ...headers,
    },
    body: JSON.stringify(p),
  };
}
