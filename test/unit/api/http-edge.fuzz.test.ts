// The parsing edge of the API, fuzzed as middy fuzzes its middlewares (index.fuzz.js): arbitrary methods, paths,
// headers, query strings and bodies reach every route through the one router, and each answer is a success or a
// valid problem+json, never a 500. The store answers every call with "not found", so what is tested is the edge.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Deps } from '../../../functions/api/deps.js';
import { createHttpHandler } from '../../../functions/api/http.js';
import { API_MODULES } from '../../../functions/api/routes.js';
import { NotFoundError, UnauthorizedError } from '../../../functions/domain/errors.js';
import type { Principal } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';

const admin: Principal = { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], systems: [] };

/** A store whose every repository method fails as an absent item would. */
const absentStore = new Proxy(
  {},
  {
    get: (_store, repository) =>
      new Proxy(
        {},
        {
          get: (_repo, method) => async () => {
            throw new NotFoundError(`fuzz: nothing behind ${String(repository)}.${String(method)}`);
          },
        },
      ),
  },
) as GovernanceStore;

const deps: Deps = {
  store: absentStore,
  verifyToken: async (authorization) => {
    if (authorization !== 'Bearer fuzz') throw new UnauthorizedError('not the fuzz token', { code: 'TOKEN_SIGNATURE' });
    return admin;
  },
  evalRunner: { start: () => undefined, idle: async () => undefined },
};

const routes = Object.values(API_MODULES).flatMap((m) => m.routes);
const handler = createHttpHandler(routes, () => deps);

const segment = fc.oneof(
  fc.constantFrom('api', 'systems', 'release-candidates', 'prompts', 'health', 'live', '', '%', '%E0%A4%A', '..'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom('sys', 'rc', 'pv', 'mc', 'run', 'apr', 'inc', 'whk').map((p) => `${p}_01J9Z3Q8X4K7M2N5P6R7S8T9V0`),
);
/** A route's path with its parameters filled in by arbitrary segments, or an arbitrary path. */
const path = fc.oneof(
  fc
    .tuple(fc.constantFrom(...routes.map((r) => r.path)), fc.array(segment, { minLength: 1, maxLength: 3 }))
    .map(([template, fills]) => template.replace(/\{\w+\}/g, (_m) => fills[0] ?? 'x')),
  fc.array(segment, { maxLength: 6 }).map((parts) => `/${parts.join('/')}`),
);
const method = fc.oneof(fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'), fc.string());
const json = fc.oneof(
  fc.json(),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constant(''),
);
const headers = fc.record(
  {
    authorization: fc.oneof(fc.constant('Bearer fuzz'), fc.string()),
    'content-type': fc.oneof(
      fc.constantFrom('application/json', 'text/plain', 'application/problem+json'),
      fc.string(),
    ),
    'idempotency-key': fc.oneof(fc.stringMatching(/^[A-Za-z0-9]{1,20}$/), fc.string()),
  },
  { requiredKeys: [] },
);
const query = fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })), { nil: undefined });

function event(m: string, p: string, h: Record<string, string>, q: Record<string, string> | undefined, body: string) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: p,
    rawQueryString: new URLSearchParams(q ?? {}).toString(),
    headers: h,
    ...(q ? { queryStringParameters: q } : {}),
    ...(body ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'fuzz',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: m, path: p, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'fast-check' },
      requestId: 'fuzz-request',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
  } satisfies APIGatewayProxyEventV2;
}

describe('the HTTP edge under arbitrary requests', () => {
  it('answers every request with a success or a valid problem+json, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, headers, query, json, async (m, p, h, q, body) => {
        const res = (await handler(event(m, p, h as Record<string, string>, q, body), {
          awsRequestId: 'fuzz',
        } as Context)) as APIGatewayProxyStructuredResultV2;
        const status = res.statusCode ?? 0;

        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
        if (status >= 400) {
          expect(res.headers?.['content-type']).toBe('application/problem+json');
          const problem = JSON.parse(res.body ?? '') as Record<string, unknown>;
          expect(problem).toMatchObject({ status, type: expect.stringMatching(/^\/problems\/[a-z-]+$/) });
          expect(typeof problem.title).toBe('string');
        }
      }),
      { numRuns: 400 },
    );
  });
});
