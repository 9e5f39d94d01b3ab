// The API answers only what came through CloudFront: with an origin secret configured, every request without the
// right `x-origin-verify` header is refused before anything runs, public routes and unknown paths included.
import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Deps } from '../../../functions/api/deps.js';
import { routes as healthRoutes } from '../../../functions/api/health.js';
import { createHttpHandler } from '../../../functions/api/http.js';
import {
  isOriginSecret,
  ORIGIN_VERIFY_HEADER,
  originOptionsFromEnv,
} from '../../../functions/api/middleware/origin-verify.js';
import { createNotFoundHandler } from '../../../functions/api/not-found.js';
import manifest from '../../../functions/api/routes.json' with { type: 'json' };
import { routes as systemRoutes } from '../../../functions/api/systems.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createLocalServer, listen } from '../../../local/http-adapter.js';
import { type Captured, captureOutput } from '../observability/output-capture.js';

const SECRET = 'origin-secret-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

function event(method: string, path: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: { http: { method, path }, requestId: 'req-origin' },
  } as unknown as APIGatewayProxyEventV2;
}

const context = { awsRequestId: 'req-origin', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

let logged: Captured;
let provided: number;
let verified: number;
let listed: number;

/** Dependencies that count what a request got to: building them, verifying a token, reading the table. */
function countingDeps(): Deps {
  provided += 1;
  const store = {
    systems: {
      listSystems: async () => {
        listed += 1;
        return { items: [], nextCursor: null };
      },
    },
    candidates: { candidateNames: async () => new Map<string, string>() },
  } as unknown as GovernanceStore;
  return {
    store,
    verifyToken: async () => {
      verified += 1;
      return { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], systems: [] };
    },
  };
}

const withSecret = { originSecret: async () => SECRET };

beforeEach(() => {
  logged = captureOutput();
  provided = 0;
  verified = 0;
  listed = 0;
});

afterEach(() => {
  logged.restore();
  vi.restoreAllMocks();
});

describe('the origin check', () => {
  it('compares in constant time on digests, so a value of any length is refused without throwing', () => {
    expect(isOriginSecret(SECRET, SECRET)).toBe(true);
    for (const wrong of [undefined, '', 'x', SECRET.slice(1), `${SECRET}x`, SECRET.toUpperCase(), 'é'.repeat(500)]) {
      expect(isOriginSecret(wrong, SECRET)).toBe(false);
    }
    expect(isOriginSecret('', '')).toBe(false);
  });

  it('is off unless the function names the secret, and then names it by ARN only', () => {
    expect(originOptionsFromEnv({})).toEqual({});
    expect(originOptionsFromEnv({ ORIGIN_VERIFY_SECRET_ARN: '  ' })).toEqual({});
    expect(
      originOptionsFromEnv({ ORIGIN_VERIFY_SECRET_ARN: 'arn:aws:secretsmanager:eu-central-1:1:secret:o' }),
    ).toHaveProperty('originSecret');
  });

  it('refuses a public route without the header with a 403 problem, before the dependencies are even built', async () => {
    // Prepare
    const handler = createHttpHandler(healthRoutes, countingDeps, withSecret) as Handler;

    // Act
    const missing = await handler(event('GET', '/health/ready'), context);
    const wrong = await handler(event('GET', '/health/ready', { [ORIGIN_VERIFY_HEADER]: 'guess' }), context);

    // Assess
    for (const answer of [missing, wrong]) {
      expect(answer.statusCode).toBe(403);
      expect(answer.headers?.['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer.body as string)).toMatchObject({
        type: '/problems/forbidden',
        status: 403,
        code: 'ORIGIN_NOT_VERIFIED',
      });
      expect(answer.body).not.toContain(SECRET);
    }
    expect({ provided, listed }).toEqual({ provided: 0, listed: 0 });
  });

  it('refuses an authenticated route without the header even with a token the authoriser has cached as allowed', async () => {
    // Prepare
    const handler = createHttpHandler(systemRoutes, countingDeps, withSecret) as Handler;

    // Act
    const answer = await handler(event('GET', '/api/systems', { authorization: 'Bearer cached-allow' }), context);

    // Assess
    expect(answer.statusCode).toBe(403);
    expect(JSON.parse(answer.body as string)).toMatchObject({ code: 'ORIGIN_NOT_VERIFIED' });
    expect({ provided, verified, listed }).toEqual({ provided: 0, verified: 0, listed: 0 });
  });

  it('serves a request that carries the secret, and hands the route no trace of the header', async () => {
    // Prepare
    const handler = createHttpHandler(systemRoutes, countingDeps, withSecret) as Handler;
    const request = event('GET', '/api/systems', { authorization: 'Bearer t', [ORIGIN_VERIFY_HEADER]: SECRET });

    // Act
    const answer = await handler(request, context);

    // Assess
    expect(answer.statusCode).toBe(200);
    expect({ verified, listed }).toEqual({ verified: 1, listed: 1 });
    expect(request.headers).not.toHaveProperty(ORIGIN_VERIFY_HEADER);
  });

  it('serves every request when no secret is configured, as the local stack does', async () => {
    const handler = createHttpHandler(healthRoutes, countingDeps, {}) as Handler;

    const answer = await handler(event('GET', '/health/ready'), context);

    expect(answer.statusCode).toBe(200);
  });

  it("refuses an unknown path at the $default route's function with the same 403, not a 404", async () => {
    const handler = createNotFoundHandler(manifest, withSecret) as Handler;

    const bypass = await handler(event('GET', '/api/nothing-here', {}), context);
    const through = await handler(event('GET', '/api/nothing-here', { [ORIGIN_VERIFY_HEADER]: SECRET }), context);

    expect(bypass.statusCode).toBe(403);
    expect(JSON.parse(bypass.body as string)).toMatchObject({ code: 'ORIGIN_NOT_VERIFIED' });
    expect(through.statusCode).toBe(404);
  });

  it('refuses a request through the local HTTP server without the header and serves one with it', async () => {
    // Prepare
    const handler = createHttpHandler(healthRoutes, countingDeps, withSecret);
    const server: Server = createLocalServer({
      routes: healthRoutes.map((r) => ({ method: r.method, path: r.path, handler })),
      defaultHandler: createNotFoundHandler(manifest, withSecret),
      log: () => {},
    });
    const base = `http://127.0.0.1:${await listen(server, 0)}`;

    try {
      // Act
      const direct = await fetch(`${base}/health/live`);
      const viaEdge = await fetch(`${base}/health/live`, { headers: { [ORIGIN_VERIFY_HEADER]: SECRET } });
      const unknown = await fetch(`${base}/api/unknown`);

      // Assess
      expect(direct.status).toBe(403);
      expect(direct.headers.get('content-type')).toBe('application/problem+json');
      expect(await direct.json()).toMatchObject({ code: 'ORIGIN_NOT_VERIFIED' });
      expect(viaEdge.status).toBe(200);
      expect(unknown.status).toBe(403);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
