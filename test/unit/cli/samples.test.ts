// `govern samples`: a JSON Lines file checked line by line before anything is sent, posted in batches of at most 25
// pinned to the release the first batch landed on (against a fake API on 127.0.0.1), a refused batch named by its
// file lines, and `--set` turned into the settings the PUT sends.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  applySettings,
  batchesOf,
  lineOfProblem,
  type NumberedSample,
  parseSamplesJsonl,
} from '../../../cli/commands/samples.js';
import { CliError } from '../../../cli/exit-codes.js';
import { runCaptured } from '../../../cli/in-process.js';
import { EXIT } from '../../../cli/program.js';
import { SAMPLE_LIMITS } from '../../../functions/domain/types.js';

const SYSTEM = 'sys_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const RELEASE = 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAV';

const jsonl = (n: number, at = (i: number) => ({ input: `question ${i}`, output: `answer ${i}` })) =>
  Array.from({ length: n }, (_, i) => JSON.stringify(at(i + 1))).join('\n');

function refusal(run: () => unknown): CliError {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error('expected a CliError');
}

describe('a samples file read line by line', () => {
  it('keeps each sample with its line number and skips blank lines', () => {
    // Act
    const samples = parseSamplesJsonl(`${jsonl(2)}\n\n{"input":{"ticket":"t"},"output":"o","latencyMs":5}\n`, 'f');
    // Assess
    expect(samples.map((s) => s.line)).toEqual([1, 2, 4]);
    expect(samples[2]?.sample).toEqual({ input: { ticket: 't' }, output: 'o', latencyMs: 5 });
  });

  it('names every bad line by its number and field, and posts nothing', () => {
    // Prepare
    const text = [
      '{"input":"q","output":"a"}',
      '{"input":"q"',
      '{"input":"q","output":"a","latencyMs":-1}',
      '{"input":"q","output":"a","colour":"red"}',
      JSON.stringify({ input: 'q', output: 'x'.repeat(SAMPLE_LIMITS.maxOutputBytes + 1) }),
    ].join('\n');
    // Act
    const error = refusal(() => parseSamplesJsonl(text, 'samples.jsonl'));
    // Assess
    expect(error.exitCode).toBe(EXIT.usage);
    expect(error.message).toBe('samples.jsonl: 4 problem(s); nothing was posted');
    expect(error.lines[0]).toMatch(/^ {2}line 2: not JSON/);
    expect(error.lines[1]).toMatch(/^ {2}line 3: latencyMs: /);
    expect(error.lines[2]).toMatch(/^ {2}line 4: .*colour/);
    expect(error.lines[3]).toBe(`  line 5: output is larger than ${SAMPLE_LIMITS.maxOutputBytes} bytes`);
  });

  it('refuses a file without a sample', () => {
    expect(refusal(() => parseSamplesJsonl('\n  \n', 'empty.jsonl')).message).toMatch(/holds no sample/);
  });

  it('is cut into batches of at most 25, in order', () => {
    // Act
    const sizes = batchesOf(Array.from({ length: 60 }, (_, i) => i)).map((b) => b.length);
    // Assess
    expect(sizes).toEqual([25, 25, 10]);
    expect(batchesOf([])).toEqual([]);
  });

  it("maps a refused batch's sample index, as the domain or the contract names it, to the file line", () => {
    // Prepare
    const batch: NumberedSample[] = [
      { line: 26, sample: { input: 'a', output: 'b' } },
      { line: 28, sample: { input: 'a', output: 'b' } },
    ];
    // Act and Assess
    expect(lineOfProblem('samples[1].at', batch)).toEqual({ line: 28, field: 'at' });
    expect(lineOfProblem('samples.0.output', batch)).toEqual({ line: 26, field: 'output' });
    expect(lineOfProblem('samples.7.output', batch)).toBeNull();
    expect(lineOfProblem('releaseId', batch)).toBeNull();
  });
});

describe('govern samples settings --set', () => {
  const current = {
    redaction: { builtIn: ['email', 'phone', 'card'] as ('email' | 'phone' | 'card')[], patterns: [] },
    retentionDays: 30,
  };

  it('changes retention, built-in rules and patterns, and removes a pattern set to nothing', () => {
    // Act
    const next = applySettings(current, [
      'retentionDays=14',
      'builtIn=card,email',
      'pattern.account-id=ACC-[0-9]{6}',
      'pattern.ref=REF-\\d+',
      'pattern.account-id.ignoreCase=true',
      'pattern.ref=',
    ]);
    // Assess
    expect(next).toEqual({
      redaction: {
        builtIn: ['email', 'card'],
        patterns: [{ name: 'account-id', pattern: 'ACC-[0-9]{6}', ignoreCase: true }],
      },
      retentionDays: 14,
    });
    expect(current.retentionDays).toBe(30);
  });

  it('refuses an unknown key, rule or value with a usage error naming it', () => {
    expect(refusal(() => applySettings(current, ['colour=red'])).message).toMatch(/--set colour: unknown setting/);
    expect(refusal(() => applySettings(current, ['builtIn=email,ssn'])).message).toMatch(/unknown rule\(s\) ssn/);
    expect(refusal(() => applySettings(current, ['retentionDays=soon'])).message).toMatch(/whole number/);
    expect(refusal(() => applySettings(current, ['pattern.x.ignoreCase=true'])).message).toMatch(/no pattern named x/);
    expect(refusal(() => applySettings(current, ['retentionDays'])).message).toMatch(/expected key=value/);
  });
});

describe('govern samples against an API', () => {
  let server: Server;
  let dir: string;
  let env: Record<string, string>;
  let posts: { method: string; path: string; body: { releaseId?: string; samples: unknown[] } }[];
  /** The answer to the n-th request (0-based), when the test gives one; else a PUT's body, or 201 with a batch's ids. */
  let refuseAt: { index: number; status: number; body: unknown } | null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'govern-samples-'));
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
        posts.push({ method: req.method ?? '', path: req.url ?? '', body });
        if (refuseAt && refuseAt.index === posts.length - 1) {
          const type = refuseAt.status >= 400 ? 'application/problem+json' : 'application/json';
          res.writeHead(refuseAt.status, { 'content-type': type });
          res.end(JSON.stringify(refuseAt.body));
          return;
        }
        if (req.method === 'GET' && req.url?.endsWith('/sample-settings')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ redaction: { builtIn: ['email'], patterns: [] }, retentionDays: 30 }));
          return;
        }
        if (req.method === 'PUT') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
          return;
        }
        const n = body.samples.length as number;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            accepted: n,
            releaseId: RELEASE,
            environment: 'production',
            sampleIds: Array.from({ length: n }, (_, i) => `smp_${posts.length}_${i}`),
            redactions: { email: 1 },
            retentionDays: 30,
            expiresAt: '2027-01-01T00:00:00.000Z',
          }),
        );
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    env = { GOVERN_API_URL: `http://127.0.0.1:${port}`, GOVERN_TOKEN: 't', GOVERN_RETRIES: '0' };
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    posts = [];
    refuseAt = null;
  });

  it('posts 60 lines as 25, 25 and 10, pins the later batches to the first one’s release, and reports progress', async () => {
    // Prepare
    await writeFile(join(dir, 'sixty.jsonl'), jsonl(60));
    // Act
    const run = await runCaptured(['samples', 'post', SYSTEM, '--file', 'sixty.jsonl'], env, dir);
    // Assess
    expect(run.code).toBe(EXIT.ok);
    expect(posts.map((p) => p.body.samples.length)).toEqual([25, 25, 10]);
    expect(posts.map((p) => p.body.releaseId)).toEqual([undefined, RELEASE, RELEASE]);
    expect(posts.every((p) => p.path === `/api/systems/${SYSTEM}/samples`)).toBe(true);
    expect(run.stderr.split('\n')).toEqual([
      'batch 1/3: lines 1–25, 25/60 samples posted',
      'batch 2/3: lines 26–50, 50/60 samples posted',
      'batch 3/3: lines 51–60, 60/60 samples posted',
    ]);
    expect(run.stdout).toMatch(/^posted 60 samples to rc_\w+ \(production\) in 3 batch\(es\); redacted: email 3/);
  });

  it('sends nothing when a line is bad, and names it', async () => {
    // Prepare
    await writeFile(join(dir, 'bad.jsonl'), `${jsonl(30)}\n{"input":"q","output":7}`);
    // Act
    const run = await runCaptured(['samples', 'post', SYSTEM, '--file', 'bad.jsonl'], env, dir);
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/line 31: output: /);
    expect(posts).toHaveLength(0);
  });

  it('names the file line of a sample the API refuses, and what was posted before it', async () => {
    // Prepare
    await writeFile(join(dir, 'old.jsonl'), jsonl(40));
    refuseAt = {
      index: 1,
      status: 400,
      body: {
        type: '/problems/validation-error',
        title: 'Bad Request',
        status: 400,
        detail: "samples[3].at is older than the system's retention of 30 days",
        field: 'samples[3].at',
      },
    };
    // Act
    const run = await runCaptured(['samples', 'post', SYSTEM, '--file', 'old.jsonl'], env, dir);
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/batch 2\/2 \(from line 26\) was refused/);
    expect(run.stderr).toContain("old.jsonl line 29: samples[3].at is older than the system's retention of 30 days");
    expect(run.stderr).toContain('batch 1 was posted (25 samples, the lines before 26); nothing from line 26 on');
  });

  it('lists a page of samples and prints the next cursor on stderr', async () => {
    // Prepare: the same server answers any request with a batch reply; a list gets a page instead
    const page = {
      items: [
        {
          id: 'smp_1',
          at: '2026-12-01T10:00:00.000Z',
          releaseId: RELEASE,
          output: 'line one\nline two',
          redactions: { email: 2 },
        },
      ],
      nextCursor: 'abc',
    };
    refuseAt = { index: 0, status: 200, body: page };
    // Act
    const run = await runCaptured(['samples', 'list', SYSTEM, '--limit', '1'], env, dir);
    // Assess
    expect(run.code).toBe(EXIT.ok);
    expect(posts[0]?.path).toBe(`/api/systems/${SYSTEM}/samples?limit=1`);
    expect(run.stdout).toBe(`smp_1\t2026-12-01T10:00:00.000Z\t${RELEASE}\temail:2\tline one line two`);
    expect(run.stderr).toBe('more: --cursor abc');
  });

  it('changes the settings with a GET, then a PUT of the current settings with the --set changes', async () => {
    // Prepare: the GET answers the current settings; the PUT is answered with what it sent
    refuseAt = {
      index: 0,
      status: 200,
      body: { redaction: { builtIn: ['email', 'phone', 'card'], patterns: [] }, retentionDays: 30 },
    };
    // Act
    const run = await runCaptured(
      ['samples', 'settings', SYSTEM, '--set', 'retentionDays=7', '--set', 'pattern.ticket=TCK-[0-9]+'],
      env,
      dir,
    );
    // Assess
    expect(posts.map((p) => `${p.method} ${p.path}`)).toEqual([
      `GET /api/systems/${SYSTEM}/sample-settings`,
      `PUT /api/systems/${SYSTEM}/sample-settings`,
    ]);
    expect(posts[1]?.body).toEqual({
      redaction: { builtIn: ['email', 'phone', 'card'], patterns: [{ name: 'ticket', pattern: 'TCK-[0-9]+' }] },
      retentionDays: 7,
    });
    expect(run.stderr).toMatch(/settings saved/);
  });

  it('says nothing changed and names the relaxation request when the PUT answers 202 (a loosening waits for a reviewer)', async () => {
    // Prepare: the PUT (the second request) is answered with a relaxation request
    refuseAt = {
      index: 1,
      status: 202,
      body: {
        id: 'rlx_01SAMPLESETTINGS',
        kind: 'sample-settings',
        from: 'a',
        to: 'b',
        deciderRole: 'risk',
        expiresAt: '2026-12-14T00:00:00.000Z',
        status: 'open',
      },
    };
    // Act
    const run = await runCaptured(['samples', 'settings', SYSTEM, '--set', 'retentionDays=90'], env, dir);
    // Assess
    expect(run.stdout).toBe('rlx_01SAMPLESETTINGS');
    expect(run.stderr).toMatch(/nothing changed yet: relaxation request rlx_01SAMPLESETTINGS/);
    expect(run.stderr).not.toMatch(/settings saved/);
  });
});
