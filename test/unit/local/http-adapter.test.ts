import type { Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotFoundHandler } from '../../../functions/api/not-found.js';
import { createLocalServer, type LocalRoute, type LocalServerOptions, listen } from '../../../local/http-adapter.js';

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A route whose handler answers with the event it received, under a name that says which route ran. */
function echo(method: string, path: string, name = `${method} ${path}`): LocalRoute {
  return {
    method,
    path,
    handler: async (event) => ({
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, event }),
    }),
  };
}

async function start(options: LocalServerOptions): Promise<string> {
  const server = createLocalServer({ log: () => {}, ...options });
  servers.push(server);
  const port = await listen(server, 0);
  return `http://127.0.0.1:${port}`;
}

async function echoed(response: Response): Promise<{ name: string; event: APIGatewayProxyEventV2 }> {
  expect(response.status).toBe(200);
  return (await response.json()) as { name: string; event: APIGatewayProxyEventV2 };
}

describe('the local API Gateway adapter', () => {
  it('prefers a literal segment over a path parameter, whatever the order of the routes', async () => {
    const base = await start({
      routes: [echo('GET', '/api/audit-events/{id}'), echo('GET', '/api/audit-events/verify')],
    });

    const literal = await echoed(await fetch(`${base}/api/audit-events/verify`));
    const param = await echoed(await fetch(`${base}/api/audit-events/evt-1`));

    expect(literal.name).toBe('GET /api/audit-events/verify');
    expect(literal.event.pathParameters).toBeUndefined();
    expect(param.name).toBe('GET /api/audit-events/{id}');
    expect(param.event.pathParameters).toEqual({ id: 'evt-1' });
  });

  it('decides specificity from the left, so an earlier literal beats a later one', async () => {
    const base = await start({
      routes: [echo('POST', '/api/{kind}/x/retire'), echo('POST', '/api/systems/{id}/retire')],
    });

    const { name, event } = await echoed(await fetch(`${base}/api/systems/x/retire`, { method: 'POST' }));

    expect(name).toBe('POST /api/systems/{id}/retire');
    expect(event.routeKey).toBe('POST /api/systems/{id}/retire');
    expect(event.requestContext.routeKey).toBe('POST /api/systems/{id}/retire');
  });

  it('decodes path parameters and keeps an encoded slash inside its parameter', async () => {
    const base = await start({ routes: [echo('GET', '/api/systems/{id}/prompts/{name}')] });

    const { event } = await echoed(await fetch(`${base}/api/systems/sys%2F1/prompts/h%C3%A9llo%20world`));

    expect(event.pathParameters).toEqual({ id: 'sys/1', name: 'héllo world' });
    expect(event.rawPath).toBe('/api/systems/sys%2F1/prompts/h%C3%A9llo%20world');
  });

  it('answers 400 for a path parameter that is not valid percent-encoding, through the $default handler', async () => {
    const routes = [echo('GET', '/api/systems/{id}')];
    const base = await start({ routes, defaultHandler: createNotFoundHandler(routes) });

    const response = await fetch(`${base}/api/systems/%E0%A4%A`);

    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('passes the raw query string and decoded parameters, joining repeated ones with commas', async () => {
    const base = await start({ routes: [echo('GET', '/api/systems')] });

    const { event } = await echoed(await fetch(`${base}/api/systems?limit=5&tag=a&tag=b%20c&cursor=x%3D%3D`));

    expect(event.rawQueryString).toBe('limit=5&tag=a&tag=b%20c&cursor=x%3D%3D');
    expect(event.queryStringParameters).toEqual({ limit: '5', tag: 'a,b c', cursor: 'x==' });
  });

  it('leaves queryStringParameters, pathParameters and body out when there are none', async () => {
    const base = await start({ routes: [echo('GET', '/api/health')] });

    const { event } = await echoed(await fetch(`${base}/api/health`));

    expect(event.rawQueryString).toBe('');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
    expect(event).not.toHaveProperty('body');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('builds an HTTP API v2 event with lower-cased headers, cookies and a request context', async () => {
    const base = await start({ routes: [echo('POST', '/api/systems')] });

    const { event } = await echoed(
      await fetch(`${base}/api/systems`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'X-Correlation-ID': 'corr-1',
          Authorization: 'Bearer abc',
          Cookie: 'a=1; b=2',
          'User-Agent': 'pipeline/1.0',
        },
        body: '{"name":"support-bot"}',
      }),
    );

    expect(event.version).toBe('2.0');
    expect(event.headers['x-correlation-id']).toBe('corr-1');
    expect(event.headers.authorization).toBe('Bearer abc');
    expect(event.headers['content-type']).toBe('application/json');
    expect(Object.keys(event.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(event.headers).not.toHaveProperty('cookie');
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.requestContext).toMatchObject({
      accountId: 'local',
      apiId: 'local',
      stage: '$default',
      http: {
        method: 'POST',
        path: '/api/systems',
        sourceIp: '127.0.0.1',
        protocol: 'HTTP/1.1',
        userAgent: 'pipeline/1.0',
      },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.timeEpoch - Date.now())).toBeLessThan(10_000);
  });

  it('passes a text body through unchanged and a binary body as base64', async () => {
    const base = await start({ routes: [echo('PUT', '/api/blobs/{id}')] });
    const text = '{"note":"ünïcödé"}';
    const bytes = Buffer.from([0, 1, 2, 250, 255]);

    const textEvent = (
      await echoed(
        await fetch(`${base}/api/blobs/1`, {
          method: 'PUT',
          body: text,
          headers: { 'content-type': 'application/json' },
        }),
      )
    ).event;
    const binaryEvent = (
      await echoed(
        await fetch(`${base}/api/blobs/2`, {
          method: 'PUT',
          body: bytes,
          headers: { 'content-type': 'application/octet-stream' },
        }),
      )
    ).event;

    expect(textEvent.body).toBe(text);
    expect(textEvent.isBase64Encoded).toBe(false);
    expect(binaryEvent.isBase64Encoded).toBe(true);
    expect(Buffer.from(binaryEvent.body ?? '', 'base64')).toEqual(bytes);
  });

  it('writes the status, headers, cookies and base64 body of the handler result', async () => {
    const base = await start({
      routes: [
        {
          method: 'GET',
          path: '/api/archive',
          handler: async () => ({
            statusCode: 201,
            headers: { 'content-type': 'application/octet-stream', etag: '"v1"', 'x-count': 3 },
            cookies: ['session=1; HttpOnly'],
            body: Buffer.from([9, 8, 7]).toString('base64'),
            isBase64Encoded: true,
          }),
        },
      ],
    });

    const response = await fetch(`${base}/api/archive`);

    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"v1"');
    expect(response.headers.get('x-count')).toBe('3');
    expect(response.headers.get('set-cookie')).toBe('session=1; HttpOnly');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([9, 8, 7]));
  });

  it('treats a result without statusCode as a 200 JSON body, as API Gateway does', async () => {
    const base = await start({
      routes: [
        { method: 'GET', path: '/api/plain', handler: async () => ({ body: 'not a structured result' }) as never },
      ],
    });

    const response = await fetch(`${base}/api/plain`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ body: 'not a structured result' });
  });

  it('answers 404 problem+json for an unknown path through the $default route handler', async () => {
    const routes = [echo('GET', '/api/systems')];
    const base = await start({ routes, defaultHandler: createNotFoundHandler(routes) });

    const response = await fetch(`${base}/api/nothing-here`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ type: '/problems/not-found', status: 404, title: 'Not Found' });
  });

  it('answers 405 problem+json with an Allow header for a known path and another method through $default', async () => {
    const routes = [echo('GET', '/api/systems/{id}'), echo('PATCH', '/api/systems/{id}'), echo('POST', '/api/systems')];
    const base = await start({ routes, defaultHandler: createNotFoundHandler(routes) });

    const response = await fetch(`${base}/api/systems/s1`, { method: 'DELETE' });

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, PATCH');
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 405 });
  });

  it('sends what no route matches to the $default handler with routeKey $default and no path parameters', async () => {
    const base = await start({
      routes: [echo('GET', '/api/systems/{id}')],
      defaultHandler: echo('ANY', '$default').handler,
    });

    const wrongMethod = await echoed(await fetch(`${base}/api/systems/s1`, { method: 'DELETE' }));
    const unknown = await echoed(await fetch(`${base}/api/nothing`));

    expect(wrongMethod.name).toBe('ANY $default');
    expect(wrongMethod.event.routeKey).toBe('$default');
    expect(wrongMethod.event.pathParameters).toBeUndefined();
    expect(unknown.event.rawPath).toBe('/api/nothing');
  });

  it('answers a path no route matches with API Gateway bare 404 when there is no $default route', async () => {
    const base = await start({ routes: [echo('GET', '/api/systems')] });

    const response = await fetch(`${base}/api/nothing-here`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('refuses a body over the limit with 413 and never invokes the handler', async () => {
    let invoked = 0;
    const base = await start({
      maxBodyBytes: 1024,
      routes: [
        {
          method: 'POST',
          path: '/api/upload',
          handler: async () => {
            invoked += 1;
            return { statusCode: 204 };
          },
        },
      ],
    });

    const declared = await fetch(`${base}/api/upload`, { method: 'POST', body: 'x'.repeat(1025) });
    const streamed = await fetch(`${base}/api/upload`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i += 1) controller.enqueue(new TextEncoder().encode('y'.repeat(600)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const fits = await fetch(`${base}/api/upload`, { method: 'POST', body: 'z'.repeat(1024) });

    expect(declared.status).toBe(413);
    expect(declared.headers.get('content-type')).toBe('application/problem+json');
    expect(await declared.json()).toMatchObject({ status: 413 });
    expect(streamed.status).toBe(413);
    expect(fits.status).toBe(204);
    expect(invoked).toBe(1);
  });

  it('turns a handler that throws into a 500 problem without the message or the stack', async () => {
    const lines: string[] = [];
    const base = await start({
      log: (line) => lines.push(line),
      routes: [
        {
          method: 'GET',
          path: '/api/boom',
          handler: async () => {
            throw new Error('secret table name governance-prod-xyz');
          },
        },
      ],
    });

    const response = await fetch(`${base}/api/boom`);
    const text = await response.text();

    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.parse(text)).toMatchObject({ status: 500, title: 'Internal Server Error' });
    expect(text).not.toContain('governance-prod-xyz');
    expect(text).not.toContain('at ');
    expect(lines.some((line) => line.includes('governance-prod-xyz'))).toBe(true);
  });

  it('gives the handler a Lambda context whose remaining time counts down from the timeout', async () => {
    const base = await start({
      timeoutMs: 10_000,
      routes: [
        {
          method: 'GET',
          path: '/api/context',
          handler: async (event, context) => ({
            statusCode: 200,
            body: JSON.stringify({
              remaining: context.getRemainingTimeInMillis(),
              awsRequestId: context.awsRequestId,
              requestId: event.requestContext.requestId,
            }),
          }),
        },
      ],
    });

    const body = (await (await fetch(`${base}/api/context`)).json()) as Record<string, unknown>;

    expect(body.remaining).toBeGreaterThan(9_000);
    expect(body.remaining).toBeLessThanOrEqual(10_000);
    expect(body.awsRequestId).toBe(body.requestId);
  });

  it('sends paths outside the API prefix to the fallback and API paths never', async () => {
    const base = await start({
      routes: [echo('GET', '/api/systems')],
      fallback: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>dashboard</title>');
      },
    });

    const page = await fetch(`${base}/systems/s1`);
    const unknownApi = await fetch(`${base}/api/unknown`);

    expect(page.status).toBe(200);
    expect(await page.text()).toContain('dashboard');
    expect(unknownApi.status).toBe(404);
  });

  it('logs one line per request with method, path, status and duration', async () => {
    const lines: string[] = [];
    const base = await start({ log: (line) => lines.push(line), routes: [echo('GET', '/api/systems')] });

    await (await fetch(`${base}/api/systems?limit=1`)).text();
    await (await fetch(`${base}/api/missing`)).text();
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^GET \/api\/systems 200 \d+\.\dms$/);
    expect(lines[1]).toMatch(/^GET \/api\/missing 404 \d+\.\dms$/);
  });

  it('listens on loopback only', async () => {
    const server = createLocalServer({ routes: [], log: () => {} });
    servers.push(server);

    await listen(server, 0);

    expect(server.address()).toMatchObject({ address: '127.0.0.1' });
  });

  it('reports a busy port in words that say how to pick another', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const server = createLocalServer({ routes: [], log: () => {} });

    try {
      await expect(listen(server, port)).rejects.toThrow(`port ${port} is busy; set PORT=`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
