// `govern evals submit --promptfoo` on a file of more than 500 rows (ADR 0041): the parts it posts, the whole-file
// checks that post nothing, and what it says when the API refuses a later part. The file is generated here from the
// committed fixture's first row (the real promptfoo 0.121.20 shape), 1,201 rows; the posts go to a fake API on
// 127.0.0.1. test/e2e/promptfoo.test.ts posts such a file to the local stack.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCaptured } from '../../../cli/in-process.js';
import { EXIT } from '../../../cli/program.js';
import { promptfooParts } from '../../../cli/promptfoo-parts.js';

const RUN = 'run_01ARZ3NDEKTSV4RRFFQ69G5FAV';
const ROWS = 1201;

type Json = Record<string, unknown>;
type Row = Json & { vars: Json; metadata?: Json; testCase: { vars: Json; metadata: Json }; response: Json };

let fixture: Json & { results: Json & { results: Row[] } };
let dir: string;
let server: Server;
let env: Record<string, string>;
let posts: { rows: Row[]; body: Json }[];
/** The fake API's answer to the n-th post (0-based); a 202 with the run's progress unless it says otherwise. */
let answerTo: (n: number) => { status: number; body: unknown };

/** promptfoo's results file with `count` rows, each the fixture's first row answering case `pf-<i>`. */
function generated(count: number) {
  const [first] = fixture.results.results;
  const rows = Array.from({ length: count }, (_, i) => {
    const row = structuredClone(first) as Row;
    const caseId = `pf-${i}`;
    row.vars = { ...row.vars, caseId };
    row.testCase.vars = { ...row.testCase.vars, caseId };
    row.testCase.metadata = { ...row.testCase.metadata, caseId };
    row.metadata = { caseId };
    return row;
  });
  return { ...fixture, results: { ...fixture.results, results: rows } };
}

const submit = async (file: unknown) => {
  await writeFile(join(dir, 'results.json'), JSON.stringify(file));
  return runCaptured(['evals', 'submit', RUN, '--promptfoo', 'results.json'], env, dir);
};

beforeAll(async () => {
  const fixtures = new URL('../../fixtures/promptfoo/', import.meta.url);
  fixture = JSON.parse(await readFile(new URL('results.json', fixtures), 'utf8'));
  dir = await mkdtemp(join(tmpdir(), 'gov-promptfoo-parts-'));
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json & { results: { results: Row[] } };
      posts.push({ rows: body.results.results, body });
      const answer = answerTo(posts.length - 1);
      res.writeHead(answer.status, {
        'content-type': answer.status < 300 ? 'application/json' : 'application/problem+json',
      });
      res.end(JSON.stringify(answer.body));
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
  let done = 0;
  answerTo = (n) => {
    done += posts[n]?.rows.length ?? 0;
    return { status: 202, body: { id: RUN, status: 'running', casesDone: done, totalCases: ROWS } };
  };
});

describe('the parts of a promptfoo file', () => {
  it('splits 1,201 rows into posts of 500, 500 and 201, in order, each with the envelope and without the rest', () => {
    // Prepare
    const file = generated(ROWS);

    // Act
    const parts = promptfooParts(file);

    // Assess
    expect(parts.map((p) => [p.firstRow, p.rows])).toEqual([
      [0, 500],
      [500, 500],
      [1000, 201],
    ]);
    const ids = parts.flatMap((p) => (p.body.results as { results: Row[] }).results.map((r) => r.metadata?.caseId));
    expect(ids).toEqual(file.results.results.map((r) => r.metadata?.caseId));
    for (const { body } of parts) {
      expect(Object.keys(body).sort()).toEqual(['evalId', 'metadata', 'results']);
      expect(Object.keys(body.results as Json).sort()).toEqual(['results', 'version']);
      expect(body.evalId).toBe(fixture.evalId);
    }
  });

  it('cuts a part before 4 MiB when its rows are large', () => {
    // Prepare: 40 rows of about 300 KB each, 12 MB in all.
    const file = generated(40);
    for (const row of file.results.results) row.response = { output: 'x'.repeat(300_000) };

    // Act
    const parts = promptfooParts(file);

    // Assess
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(parts.reduce((sum, p) => sum + p.rows, 0)).toBe(40);
    for (const { body } of parts) expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThan(4.5 * 1024 * 1024);
  });
});

describe('govern evals submit --promptfoo with more than 500 rows', () => {
  it('posts every row once, in three parts', async () => {
    // Act
    const run = await submit(generated(ROWS));

    // Assess
    expect(run.code, run.stderr).toBe(EXIT.ok);
    expect(posts.map((p) => p.rows.length)).toEqual([500, 500, 201]);
    expect(new Set(posts.flatMap((p) => p.rows.map((r) => r.metadata?.caseId))).size).toBe(ROWS);
    expect(run.stderr).toMatch(/part 3\/3: 1201\/1201 cases posted/);
  });

  it('refuses a row of the second part that names no case before posting anything, naming its row in the file', async () => {
    // Prepare
    const file = generated(ROWS);
    const row = file.results.results[700] as Row;
    delete row.metadata;
    delete row.vars.caseId;
    delete row.testCase.vars.caseId;
    delete row.testCase.metadata.caseId;

    // Act
    const run = await submit(file);

    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/results\.results\.700 names no case.*nothing was posted/);
    expect(posts).toEqual([]);
  });

  it('refuses a case answered in two parts before posting anything, naming both rows', async () => {
    // Prepare: the API would see each row in a post of its own and never compare them.
    const file = generated(ROWS);
    const row = file.results.results[1100] as Row;
    row.metadata = { caseId: 'pf-10' };
    row.vars.caseId = 'pf-10';

    // Act
    const run = await submit(file);

    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/results\.results\.10 and results\.results\.1100 both answer case pf-10/);
    expect(posts).toEqual([]);
  });

  it("refuses a row the API's contract refuses in the last part before posting anything, naming it in the file", async () => {
    // Prepare
    const file = generated(ROWS);
    (file.results.results[1100] as Row).score = 'high';

    // Act
    const run = await submit(file);

    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/results\.results\.1100\.score/);
    expect(posts).toEqual([]);
  });

  it('says, when the API refuses the second part, that the first was recorded and how to go on', async () => {
    // Prepare: the API knows no case pf-700 (only it can tell), and names the part's row 200.
    const file = generated(ROWS);
    answerTo = (n) =>
      n === 0
        ? { status: 202, body: { id: RUN, status: 'running', casesDone: 500, totalCases: ROWS } }
        : {
            status: 400,
            body: {
              type: 'about:blank',
              title: 'Bad Request',
              status: 400,
              detail: 'results.results.200 names case pf-700, which the candidate datasets do not hold',
              errors: [{ path: 'results.results.200', message: 'no such case' }],
            },
          };

    // Act
    const run = await submit(file);

    // Assess
    expect(run.code).toBe(EXIT.usage);
    expect(posts.map((p) => p.rows.length)).toEqual([500, 500]);
    expect(run.stderr).toMatch(/part 2\/3: .*results\.results\.700 names case pf-700/);
    expect(run.stderr).toMatch(/results\.results\.700: no such case/);
    expect(run.stderr).toMatch(
      /part 1 \(rows 0 to 499\) was recorded and is kept; part 2 \(rows 500 to 999\) and after were not/,
    );
    expect(run.stderr).toMatch(/run the same command again: cases already posted keep their results/);
  });
});
