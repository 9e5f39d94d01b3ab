// The HTTP client of `govern`: deterministic idempotency keys, bounded retries with the same key, and problem+json
// turned into exit codes and lines for humans; against a fake API on 127.0.0.1.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeProblem, exitCodeOf, GovernClient } from '../../../cli/client.js';
import { CliError, EXIT } from '../../../cli/exit-codes.js';
import { idempotencyKey, idempotencyScope } from '../../../cli/idempotency.js';

interface Seen {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
}

/** A port on 127.0.0.1 nothing listens on: one the system handed out and that was closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

let server: Server;
let base: string;
let seen: Seen[] = [];
let answers: { status: number; body: unknown; type?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        key: req.headers['idempotency-key'] as string | undefined,
        body,
      });
      const answer = answers.shift() ?? { status: 200, body: { ok: true } };
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'application/json' });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  seen = [];
  answers = [];
});

const client = (overrides: Partial<ConstructorParameters<typeof GovernClient>[0]> = {}) =>
  new GovernClient({
    apiUrl: base,
    token: async () => 't',
    scope: 'org/repo:42',
    retries: 2,
    timeoutMs: 5000,
    backoffMs: 1,
    ...overrides,
  });

async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe('idempotency keys', () => {
  it('are the same for the same scope, method, path and body, whatever the key order', () => {
    const a = idempotencyKey('s', 'POST', '/api/prompts', { b: 1, a: [1, 2] });
    const b = idempotencyKey('s', 'post', '/api/prompts', { a: [1, 2], b: 1 });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differ by scope, path and body', () => {
    const a = idempotencyKey('s', 'POST', '/api/prompts', { a: 1 });
    expect(idempotencyKey('t', 'POST', '/api/prompts', { a: 1 })).not.toBe(a);
    expect(idempotencyKey('s', 'POST', '/api/model-configs', { a: 1 })).not.toBe(a);
    expect(idempotencyKey('s', 'POST', '/api/prompts', { a: 2 })).not.toBe(a);
  });

  it('are scoped by GOVERN_IDEMPOTENCY_SCOPE, else the Actions run, else a random scope', () => {
    expect(idempotencyScope({ GOVERN_IDEMPOTENCY_SCOPE: 'x', GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '1' })).toEqual({
      scope: 'x',
      source: 'env',
    });
    expect(idempotencyScope({ GITHUB_REPOSITORY: 'o/r', GITHUB_RUN_ID: '7' })).toEqual({
      scope: 'o/r:7',
      source: 'github',
    });
    const one = idempotencyScope({});
    expect(one.source).toBe('random');
    expect(idempotencyScope({}).scope).not.toBe(one.scope);
  });
});

describe('sending writes', () => {
  it('sends the derived key and the canonical body on a POST', async () => {
    await client().post('/api/prompts', { z: 1, a: 2 });
    expect(seen[0]?.body).toBe('{"a":2,"z":1}');
    expect(seen[0]?.key).toBe(idempotencyKey('org/repo:42', 'POST', '/api/prompts', { z: 1, a: 2 }));
  });

  it('uses an explicit key for the first write only', async () => {
    const c = client({ idempotencyKey: 'my-key' });
    await c.post('/api/a', {});
    await c.post('/api/b', {});
    expect(seen.map((s) => s.key)).toEqual(['my-key', idempotencyKey('org/repo:42', 'POST', '/api/b', {})]);
  });

  it('retries a 5xx with the same key and gives up with the server exit code after the bound', async () => {
    answers = [
      { status: 503, body: { title: 'Service Unavailable', status: 503 }, type: 'application/problem+json' },
      { status: 500, body: { title: 'Internal Server Error', status: 500 }, type: 'application/problem+json' },
      { status: 502, body: { title: 'Bad Gateway', status: 502 }, type: 'application/problem+json' },
    ];
    const error = await failure(client().post('/api/prompts', { a: 1 }));
    expect(error.exitCode).toBe(EXIT.server);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.key)).size).toBe(1);
  });

  it('succeeds when a retry gets through', async () => {
    answers = [
      { status: 503, body: {} },
      { status: 201, body: { id: 'pv_1' } },
    ];
    const reply = await client().post<{ id: string }>('/api/prompts', { a: 1 });
    expect(reply.body.id).toBe('pv_1');
    expect(seen).toHaveLength(2);
  });

  it('does not retry a 4xx', async () => {
    answers = [{ status: 404, body: { title: 'Not Found', status: 404, detail: 'no such candidate' } }];
    const error = await failure(client().get('/api/release-candidates/x'));
    expect(error.exitCode).toBe(EXIT.rejected);
    expect(error.message).toMatch(/404 Not Found: no such candidate/);
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable API with its host and what to check', async () => {
    const port = await closedPort();
    const error = await failure(client({ apiUrl: `http://127.0.0.1:${port}` }).get('/api/systems'));
    expect(error.exitCode).toBe(EXIT.network);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.lines.join('\n')).toMatch(/GOVERN_API_URL/);
  });
});

describe('problems', () => {
  it('map to exit codes by status and type', () => {
    expect(exitCodeOf(409, { type: '/problems/gate-blocked' })).toBe(EXIT.blocked);
    expect(exitCodeOf(401, null)).toBe(EXIT.auth);
    expect(exitCodeOf(403, null)).toBe(EXIT.auth);
    expect(exitCodeOf(400, null)).toBe(EXIT.usage);
    expect(exitCodeOf(422, null)).toBe(EXIT.usage);
    expect(exitCodeOf(422, { type: '/problems/unprocessable', code: 'IDEMPOTENCY_KEY_REUSED' })).toBe(EXIT.rejected);
    expect(exitCodeOf(409, { type: '/problems/conflict' })).toBe(EXIT.rejected);
    expect(exitCodeOf(404, null)).toBe(EXIT.rejected);
    expect(exitCodeOf(503, null)).toBe(EXIT.server);
  });

  it('are described with their code, reasons and field errors, one per line', () => {
    const lines = describeProblem(
      409,
      {
        title: 'Conflict',
        detail: 'blocked',
        code: 'X',
        reasons: [{ code: 'EVAL_NOT_PASSED', message: 'no passing run' }],
        errors: [{ path: 'name', message: 'required' }],
      },
      '',
    );
    expect(lines).toEqual([
      '409 Conflict: blocked',
      'code: X',
      '  EVAL_NOT_PASSED: no passing run',
      '  name: required',
    ]);
  });
});
