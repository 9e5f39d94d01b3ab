// `govern gate` against a fake API on 127.0.0.1: a gate reason whose code this CLI does not know (a later API
// version added it) still blocks with exit 3, and neither it nor a refused promotion with such a code breaks the CLI.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCaptured } from '../../../cli/in-process.js';
import { EXIT } from '../../../cli/program.js';

const CANDIDATE = 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAV';

let server: Server;
let env: Record<string, string>;
let answer: { status: number; type: string; body: unknown };

const gate = (reasons: { code: string; message: string }[], promotable = reasons.length === 0) => ({
  candidateId: CANDIDATE,
  environment: 'production',
  status: 'approved',
  activeCandidateId: null,
  requiredRoles: ['technical'],
  promotable,
  reasons,
});

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  env = { GOVERN_API_URL: `http://127.0.0.1:${port}`, GOVERN_TOKEN: 't', GOVERN_RETRIES: '0' };
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));
beforeEach(() => {
  answer = { status: 200, type: 'application/json', body: gate([]) };
});

describe('govern gate with error codes a later API version adds', () => {
  it('exits 0 when the candidate may be promoted', async () => {
    // Act
    const run = await runCaptured(['gate', CANDIDATE], env);

    // Assess
    expect(run.code).toBe(EXIT.ok);
  });

  it('exits 3 on a gate reason whose code it does not know, and names the code', async () => {
    // Prepare
    answer.body = gate([{ code: 'POLICY_WAIVER_EXPIRED', message: 'the waiver of rule 2 expired' }]);

    // Act
    const run = await runCaptured(['gate', CANDIDATE], env);

    // Assess
    expect(run.code).toBe(EXIT.blocked);
    expect(run.stderr).toMatch(/POLICY_WAIVER_EXPIRED: the waiver of rule 2 expired \(a code this govern version/);
  });

  it('exits 3 with every reason, known and unknown, and prints the answer unchanged with --json', async () => {
    // Prepare
    const body = gate([
      { code: 'EVAL_MISSING', message: 'the candidate has no eval run' },
      { code: 'JUDGE_UNREVIEWED', message: 'the judge config is not approved' },
    ]);
    answer.body = body;

    // Act
    const run = await runCaptured(['--json', 'gate', CANDIDATE], env);

    // Assess
    expect(run.code).toBe(EXIT.blocked);
    expect(JSON.parse(run.stdout)).toEqual(body);
    expect(run.stderr).toMatch(/^ *EVAL_MISSING: the candidate has no eval run$/m);
    expect(run.stderr).toMatch(/JUDGE_UNREVIEWED: the judge config is not approved/);
  });

  it('exits 3 when an answer claims promotable yet lists a reason', async () => {
    // Prepare
    answer.body = gate([{ code: 'NEW_RULE', message: 'a rule this CLI predates' }], true);

    // Act
    const run = await runCaptured(['gate', CANDIDATE], env);

    // Assess
    expect(run.code).toBe(EXIT.blocked);
  });

  it('exits 3 on a refused promotion whose reasons carry unknown codes, showing each', async () => {
    // Prepare
    answer = {
      status: 409,
      type: 'application/problem+json',
      body: {
        type: '/problems/gate-blocked',
        title: 'Conflict',
        status: 409,
        detail: 'blocked: POLICY_WAIVER_EXPIRED',
        code: 'POLICY_WAIVER_EXPIRED',
        reasons: [{ code: 'POLICY_WAIVER_EXPIRED', message: 'the waiver of rule 2 expired' }],
      },
    };

    // Act
    const run = await runCaptured(['promote', CANDIDATE, '--expected-active', 'none'], env);

    // Assess
    expect(run.code).toBe(EXIT.blocked);
    expect(run.stderr).toMatch(/code: POLICY_WAIVER_EXPIRED/);
    expect(run.stderr).toMatch(/POLICY_WAIVER_EXPIRED: the waiver of rule 2 expired/);
  });
});
