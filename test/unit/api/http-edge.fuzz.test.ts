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
import { systemInput } from '../../support/fixtures.js';

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
        // The health probes answer 503 by contract when a dependency does not answer (this store answers nothing).
        if (status === 503 && p.startsWith('/health/')) return;
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

  // What DynamoDB cannot store never reaches it (AWS DynamoDB Developer Guide, "Quotas in Amazon DynamoDB": items of
  // at most 400 KB, nested attributes up to 32 levels deep; strings are UTF-8, which a lone surrogate is not).
  // Routes without path parameters: the body is the first thing parsed.
  const bodyRoutes = routes.filter((r) => r.body && r.method !== 'GET' && !r.path.includes('{'));
  const bodyRoute = fc.constantFrom(...bodyRoutes).map((r) => ({
    method: r.method,
    path: r.path.replace(/\{\w+\}/g, (name) => `${name.includes('system') ? 'sys' : 'rc'}_01J9Z3Q8X4K7M2N5P6R7S8T9V0`),
  }));
  const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
  /** An arbitrary JSON object with one lone surrogate put into a string value or a key, somewhere inside it. */
  const withLoneSurrogate = fc
    .tuple(
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 })),
      fc.array(fc.string({ maxLength: 6 }), { maxLength: 4 }),
      loneSurrogate,
      fc.boolean(),
    )
    .map(([body, keys, lone, asKey]) => {
      let node: Record<string, unknown> = { ...body };
      const root = node;
      for (const key of keys) {
        const child: Record<string, unknown> = {};
        node[`k${key}`] = child;
        node = child;
      }
      if (asKey) node[`x${lone}`] = 1;
      else node.text = `a${lone}b`;
      return root;
    });

  function store(writes: string[]): GovernanceStore {
    return new Proxy(
      {},
      {
        get: (_s, repository) =>
          new Proxy(
            {},
            {
              get: (_r, method) => async () => {
                writes.push(`${String(repository)}.${String(method)}`);
                throw new NotFoundError('fuzz');
              },
            },
          ),
      },
    ) as GovernanceStore;
  }

  async function send(h: ReturnType<typeof createHttpHandler>, m: string, p: string, body: string) {
    return (await h(
      event(m, p, { authorization: 'Bearer fuzz', 'content-type': 'application/json' }, undefined, body),
      {
        awsRequestId: 'fuzz',
      } as Context,
    )) as APIGatewayProxyStructuredResultV2;
  }

  it('refuses a body with a lone UTF-16 surrogate anywhere with 400 naming where, before the store is asked', async () => {
    await fc.assert(
      fc.asyncProperty(bodyRoute, withLoneSurrogate, async (route, body) => {
        const writes: string[] = [];
        const h = createHttpHandler(routes, () => ({ ...deps, store: store(writes) }));

        const res = await send(h, route.method, route.path, JSON.stringify(body));

        expect(res.statusCode).toBe(400);
        const problem = JSON.parse(res.body ?? '') as { errors?: { path: string; message: string }[] };
        expect(problem.errors?.[0]?.message).toMatch(/lone UTF-16 surrogate/);
        expect(writes).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a body nested deeper than 20 levels with 400, before the store is asked, and never overflows', async () => {
    await fc.assert(
      fc.asyncProperty(bodyRoute, fc.integer({ min: 21, max: 5000 }), fc.boolean(), async (route, depth, arrays) => {
        const writes: string[] = [];
        const h = createHttpHandler(routes, () => ({ ...deps, store: store(writes) }));
        // The body is level 1; each further level is an object or an array around the next.
        const inner = arrays
          ? `${'['.repeat(depth - 1)}1${']'.repeat(depth - 1)}`
          : `${'{"a":'.repeat(depth - 1)}1${'}'.repeat(depth - 1)}`;

        const res = await send(h, route.method, route.path, `{"deep":${inner}}`);

        expect(res.statusCode).toBe(400);
        expect(writes).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('answers DynamoDB refusing an item as too large with 413 naming the largest field, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          'Item size has exceeded the maximum allowed size',
          'Item size to update has exceeded the maximum allowed size',
        ),
        fc.boolean(),
        async (message, inTransaction) => {
          const refusal = inTransaction
            ? Object.assign(
                new Error(
                  'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]',
                ),
                {
                  name: 'TransactionCanceledException',
                  CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError', Message: message }],
                },
              )
            : Object.assign(new Error(message), { name: 'ValidationException' });
          const refusing = new Proxy(
            {},
            {
              get: () =>
                new Proxy(
                  {},
                  {
                    get: () => async () => {
                      throw refusal;
                    },
                  },
                ),
            },
          ) as GovernanceStore;
          const h = createHttpHandler(routes, () => ({ ...deps, store: refusing }));

          const res = await send(
            h,
            'POST',
            '/api/systems',
            JSON.stringify(systemInput({ description: 'd'.repeat(1000) })),
          );

          expect(res.statusCode).toBe(413);
          const problem = JSON.parse(res.body ?? '') as { errors?: { path: string }[] };
          expect(problem.errors?.[0]?.path).toBe('description');
        },
      ),
      { numRuns: 20 },
    );
  });
});
