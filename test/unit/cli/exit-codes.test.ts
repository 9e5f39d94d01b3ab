// `govern` in-process against a fake API on 127.0.0.1: each class of outcome ends with the exit code docs/cli.md
// gives it (a reused Idempotency-Key is 7, not a usage error), and every request it sends matches the route it
// calls: no body and no content-type where the route takes none (a strict proxy refuses even `{}` there).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCaptured } from '../../../cli/in-process.js';
import { EXIT } from '../../../cli/program.js';
import { bodyIsOptional } from '../../../functions/api/openapi.js';
import { API_MODULES } from '../../../functions/api/routes.js';

const SYSTEM = 'sys_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const PROMPT = 'pv_01ARZ3NDEKTSV4RRFFQ69G5FAW';
const CANDIDATE = 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAX';
const RUN = 'run_01ARZ3NDEKTSV4RRFFQ69G5FAY';
const EXAMPLES = fileURLToPath(new URL('../../../docs/ci/examples/', import.meta.url));

interface Sent {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string;
}

interface Answer {
  status: number;
  type?: string;
  body: unknown;
}

let server: Server;
let env: Record<string, string>;
let sent: Sent[] = [];
/** The fake API's answer to a request; by default a plausible success of the route. */
let answer: (path: string) => Answer;

const candidate = (status: string) => ({ id: CANDIDATE, status, environment: 'production' });
const problem = (status: number, type: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  type: 'application/problem+json',
  body: { type: `/problems/${type}`, title: type, status, detail: type, ...extra },
});

function success(path: string): Answer {
  if (path.endsWith('/request-approval'))
    return { status: 200, body: { candidate: candidate('awaiting_approval'), approvals: [] } };
  if (path.endsWith('/promote')) return { status: 200, body: { candidate: candidate('active') } };
  if (path.endsWith('/run-evals'))
    return { status: 202, body: { id: RUN, status: 'queued', casesDone: 0, totalCases: 3 } };
  if (path.startsWith('/api/eval-runs/'))
    return {
      status: 200,
      body: { id: RUN, status: 'passed', casesDone: 3, totalCases: 3, failureReasons: [], thresholdVerdicts: [] },
    };
  if (path.endsWith('/gate'))
    return {
      status: 200,
      body: {
        candidateId: CANDIDATE,
        environment: 'production',
        status: 'approved',
        activeCandidateId: null,
        requiredRoles: ['technical'],
        promotable: true,
        reasons: [],
      },
    };
  if (path.startsWith('/api/release-candidates')) return { status: 200, body: candidate('submitted') };
  return { status: 200, body: { id: PROMPT, name: 'ticket-triage', version: 1, status: 'in_review' } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? '';
      sent.push({ method, path: url.pathname, contentType: req.headers['content-type'], body });
      const reply = answer(url.pathname);
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  env = { GOVERN_API_URL: `http://127.0.0.1:${port}`, GOVERN_TOKEN: 't', GOVERN_RETRIES: '0' };
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  sent = [];
  answer = success;
});

const govern = (...argv: string[]) => runCaptured(argv, env, EXAMPLES);

/** The route a request was sent to, by method and path template. */
function routeOf(method: string, path: string) {
  const routes = Object.values(API_MODULES).flatMap((m) => m.routes);
  return routes.find((r) => r.method === method && new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
}

describe('the exit code of each class of outcome, as docs/cli.md lists them', () => {
  it.each([
    ['0: done', () => success('/promote'), EXIT.ok],
    ['1: a success that is not JSON', () => ({ status: 200, type: 'text/html', body: '<html>' }), EXIT.unexpected],
    ['2: the API refuses the request (400)', () => problem(400, 'validation-error'), EXIT.usage],
    ['2: the API refuses the body (413)', () => problem(413, 'payload-too-large'), EXIT.usage],
    ['3: the gate refuses the promotion', () => problem(409, 'gate-blocked', { reasons: [] }), EXIT.blocked],
    ['4: the API refuses the token (401)', () => problem(401, 'unauthorized', { code: 'TOKEN_EXPIRED' }), EXIT.auth],
    ['4: the API refuses the action (403)', () => problem(403, 'forbidden'), EXIT.auth],
    ['6: the API fails (503) after the retries', () => problem(503, 'contention'), EXIT.server],
    ['7: not found (or not visible)', () => problem(404, 'not-found'), EXIT.rejected],
    ['7: a conflict', () => problem(409, 'active-release-changed', { code: 'ACTIVE_RELEASE_CHANGED' }), EXIT.rejected],
    [
      '7: an Idempotency-Key reused with a different request (422)',
      () => problem(422, 'unprocessable', { code: 'IDEMPOTENCY_KEY_REUSED' }),
      EXIT.rejected,
    ],
  ] as [string, () => Answer, number][])('exits %s', async (_name, reply, code) => {
    // Prepare
    answer = (path) => (path.endsWith('/promote') ? reply() : success(path));

    // Act
    const run = await govern('promote', CANDIDATE, '--expected-active', 'none');

    // Assess
    expect(run.code, run.stderr).toBe(code);
    expect(sent.map((s) => `${s.method} ${s.path}`)).toEqual([`POST /api/release-candidates/${CANDIDATE}/promote`]);
  });

  it('exits 5 when the API cannot be reached', async () => {
    // Prepare
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((done) => probe.close(() => done()));

    // Act
    const run = await runCaptured(['gate', CANDIDATE], { ...env, GOVERN_API_URL: `http://127.0.0.1:${port}` });

    // Assess
    expect(run.code).toBe(EXIT.network);
  });

  it('exits 8 when an eval run ends in error, and 3 when it fails its thresholds', async () => {
    // Prepare
    const ended = (status: string) => (path: string) =>
      path.startsWith('/api/eval-runs/')
        ? { status: 200, body: { ...(success(path).body as object), status, error: 'provider down' } }
        : success(path);

    // Act
    answer = ended('error');
    const errored = await govern('evals', 'run', CANDIDATE, '--wait', '--interval', '50');
    answer = ended('failed');
    const failed = await govern('evals', 'run', CANDIDATE, '--wait', '--interval', '50');

    // Assess
    expect(errored.code).toBe(EXIT.evalError);
    expect(failed.code).toBe(EXIT.blocked);
  });

  it('exits 2 on a usage error before anything is sent', async () => {
    // Act
    const run = await govern('prompt', 'submit', 'not-an-id');

    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(sent).toEqual([]);
  });
});

describe('the requests govern sends', () => {
  it('carry no body and no content-type to routes that take none, and a JSON body to routes that take one', async () => {
    // Act
    const runs = [
      await govern('prompt', 'create', '--system', SYSTEM, '--file', 'prompt.json', '--submit'),
      await govern('prompt', 'submit', PROMPT),
      await govern('candidate', 'submit', CANDIDATE),
      await govern('request-approval', CANDIDATE),
      await govern('evals', 'run', CANDIDATE),
      await govern('gate', CANDIDATE),
      await govern('promote', CANDIDATE, '--expected-active', 'current'),
    ];

    // Assess
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => EXIT.ok));
    const mismatches: string[] = [];
    for (const request of sent) {
      const key = `${request.method} ${request.path}`;
      const route = routeOf(request.method, request.path);
      if (!route) {
        mismatches.push(`${key}: no such route`);
        continue;
      }
      const hasBody = request.body !== '' || request.contentType !== undefined;
      if (!route.body && hasBody) mismatches.push(`${key}: a body (${request.body}) to a route that takes none`);
      if (route.body && !bodyIsOptional(route) && !hasBody)
        mismatches.push(`${key}: no body to a route that needs one`);
      if (request.body !== '' && request.contentType !== 'application/json')
        mismatches.push(`${key}: a body sent as ${request.contentType}`);
    }
    expect(mismatches).toEqual([]);
    expect(sent.filter((s) => s.path.endsWith('/submit')).map((s) => s.body)).toEqual(['', '', '']);
  });

  it('sends a submit comment as the body the route keeps in the audit event', async () => {
    // Act
    const run = await govern('prompt', 'submit', PROMPT, '--comment', 'ready for review');

    // Assess
    expect(run.code).toBe(EXIT.ok);
    expect(sent).toEqual([
      {
        method: 'POST',
        path: `/api/prompts/${PROMPT}/submit`,
        contentType: 'application/json',
        body: '{"comment":"ready for review"}',
      },
    ]);
  });
});
