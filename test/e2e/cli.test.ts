// `govern` against the local stack: every command in-process, and the bundled CLI spawned for the exit codes a
// pipeline branches on (blocked gate, bad credentials, unreachable API) and for a retried write in a new process.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../cli/build.js';
import { runCaptured } from '../../cli/in-process.js';
import { EXIT } from '../../cli/program.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };

// Tests here evaluate candidates and spawn Node processes: a minute each, as the machines running them are shared.
vi.setConfig({ testTimeout: 60_000 });

let stack: LocalStack;
let dataDir: string;
let bundle: string;
let systemId: string;
let datasetId: string;
let pipelineToken: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const env = (extra: Record<string, string> = {}) => ({
  GOVERN_API_URL: stack.url,
  GOVERN_TOKEN: pipelineToken,
  GOVERN_BACKOFF_MS: '5',
  ...extra,
});
const govern = (argv: string[], extra: Record<string, string> = {}) => runCaptured(argv, env(extra), dataDir);

/** Runs a Node script as its own process: the bundle, or the repository's `govern` shim. */
function spawn(file: string, argv: string[], processEnv: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [file, ...argv],
      { env: { PATH: process.env.PATH ?? '', ...processEnv }, cwd: dataDir, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-cli-'));
  const built = buildCli(join(dataDir, 'govern.mjs'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-cli-${Date.now()}`,
    seed: false,
  });
  bundle = (await built).file;
  const system = await as('omar.owner').post<Json>('/api/systems', systemInput({ riskTier: 'medium' }));
  expect(system.status).toBe(201);
  systemId = system.body.id;
  const dataset = await as('omar.owner').post<Json>('/api/eval-datasets', {
    systemId,
    name: 'baseline',
    kind: 'baseline',
    cases: cases(12),
  });
  expect(dataset.status).toBe(201);
  datasetId = dataset.body.id;
  pipelineToken = await stack.mint({
    userId: 'ci.pipeline',
    name: 'CI Pipeline',
    roles: ['pipeline'],
    teams: [],
    systems: [systemId],
  });
  const { systemId: _p, ...prompt } = promptInput(systemId);
  const { systemId: _m, ...config } = modelConfigInput(systemId);
  await writeFile(join(dataDir, 'prompt.json'), JSON.stringify(prompt));
  await writeFile(join(dataDir, 'model-config.json'), JSON.stringify(config));
  await writeFile(
    join(dataDir, 'thresholds.json'),
    JSON.stringify({
      thresholds: [
        { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
        { metric: 'timeoutRate', direction: 'max', value: 1, regressionTolerance: null },
      ],
    }),
  );
  await writeFile(
    join(dataDir, 'failing-thresholds.json'),
    JSON.stringify([{ metric: 'accuracy', direction: 'min', value: 1.5, regressionTolerance: null }]),
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Reviewers approve an artefact (technical) and every pending approval of a candidate (by role). */
async function approveArtefacts(promptId: string, configId: string) {
  for (const [kind, id] of [
    ['prompts', promptId],
    ['model-configs', configId],
  ] as const) {
    expect((await as('tessa.technical').post(`/api/${kind}/${id}/approve`, { comment: 'reviewed' })).status).toBe(200);
  }
}
async function approveRound(approvals: { id: string; role: string }[]) {
  const reviewer: Record<string, string> = {
    technical: 'tessa.technical',
    product: 'priya.product',
    risk: 'rahul.risk',
  };
  for (const approval of approvals) {
    const res = await as(reviewer[approval.role] ?? 'x').post(`/api/approvals/${approval.id}/approve`, {
      comment: 'ok',
    });
    expect(res.status).toBe(200);
  }
}

/** prompt + model config from files, approved; a submitted candidate with an eval run that passed. */
async function evaluatedCandidate(scope: string, thresholds = 'thresholds.json') {
  const prompt = await govern(['prompt', 'create', '--system', systemId, '--file', 'prompt.json', '--submit'], {
    GOVERN_IDEMPOTENCY_SCOPE: scope,
  });
  const config = await govern(['model-config', 'create', '--system', systemId, '-f', 'model-config.json'], {
    GOVERN_IDEMPOTENCY_SCOPE: scope,
  });
  expect([prompt.code, config.code]).toEqual([0, 0]);
  const submitted = await govern(['model-config', 'submit', config.stdout.trim()], { GOVERN_IDEMPOTENCY_SCOPE: scope });
  expect(submitted.code).toBe(0);
  expect(submitted.stdout).toContain('in_review');
  const candidate = await govern(
    [
      'candidate',
      'create',
      '--system',
      systemId,
      '--prompt-version',
      prompt.stdout.trim(),
      '--model-config',
      config.stdout.trim(),
      '--dataset',
      datasetId,
      '--thresholds',
      thresholds,
      '--name',
      `cli ${scope}`,
    ],
    { GOVERN_IDEMPOTENCY_SCOPE: scope },
  );
  expect(candidate.code, candidate.stderr).toBe(0);
  const rc = candidate.stdout.trim();
  expect(rc).toMatch(/^rc_/);
  expect((await govern(['candidate', 'submit', rc])).code).toBe(0);
  const evals = await govern(['evals', 'run', rc, '--wait', '--interval', '100']);
  return { promptId: prompt.stdout.trim(), configId: config.stdout.trim(), rc, evals };
}

/** The first and the second release the tests promote, in order. */
let first: string;
let second: string;
let incidentId: string;

describe('govern against the local stack', () => {
  it('registers versions from files, builds, submits and evaluates a candidate, with progress on stderr', async () => {
    const { promptId, configId, rc, evals } = await evaluatedCandidate('first');
    expect(evals.code, evals.stderr).toBe(0);
    expect(evals.stdout).toMatch(/passed/);
    expect(evals.stderr).toMatch(/12\/12 cases/);
    const candidate = await as('omar.owner').get<Json>(`/api/release-candidates/${rc}`);
    expect(candidate.body.status).toBe('eval_passed');
    expect(candidate.body.promptVersionId).toBe(promptId);
    expect(candidate.body.datasetIds).toEqual([datasetId]);
    await approveArtefacts(promptId, configId);
    first = rc;
  });

  it('gates: exit 3 with every reason while approvals are missing, exit 0 once approved, then promotes', async () => {
    const blocked = await govern(['gate', first]);
    expect(blocked.code).toBe(EXIT.blocked);
    expect(blocked.stderr).toMatch(/^APPROVALS_INCOMPLETE: /m);

    const json = await govern(['--json', 'gate', first]);
    expect(json.code).toBe(EXIT.blocked);
    const answer = JSON.parse(json.stdout) as { promotable: boolean; reasons: { code: string }[] };
    expect(answer.promotable).toBe(false);
    expect(answer.reasons.map((r) => r.code)).toContain('APPROVALS_INCOMPLETE');

    const refused = await govern(['promote', first, '--expected-active', 'none']);
    expect(refused.code).toBe(EXIT.blocked);
    expect(refused.stderr).toMatch(/409 Conflict/);
    expect(refused.stderr).toMatch(/^ {2}APPROVALS_INCOMPLETE: /m);

    const requested = await govern(['--json', 'request-approval', first]);
    expect(requested.code, requested.stderr).toBe(0);
    const round = JSON.parse(requested.stdout) as { approvals: { id: string; role: string }[] };
    expect(round.approvals.map((a) => a.role).sort()).toEqual(['product', 'technical']);
    await approveRound(round.approvals);

    const open = await govern(['gate', first, '--environment', 'production']);
    expect(open.code, open.stderr).toBe(0);
    expect(open.stdout).toContain('may be promoted to production');

    const promoted = await govern(['promote', first, '--expected-active', 'none', '--reason', 'first release']);
    expect(promoted.code, promoted.stderr).toBe(0);
    const system = await as('omar.owner').get<{ activeReleases: Record<string, string | null> }>(
      `/api/systems/${systemId}`,
    );
    expect(system.body.activeReleases.production).toBe(first);
  });

  it('promotes a second release against the current one and rolls it back to the first', async () => {
    const { promptId, configId, rc, evals } = await evaluatedCandidate('second');
    expect(evals.code).toBe(0);
    await approveArtefacts(promptId, configId);
    const requested = await govern(['--json', 'request-approval', rc]);
    await approveRound((JSON.parse(requested.stdout) as { approvals: { id: string; role: string }[] }).approvals);

    const stale = await govern(['promote', rc, '--expected-active', 'none']);
    expect(stale.code).toBe(EXIT.rejected);
    expect(stale.stderr).toMatch(/ACTIVE_RELEASE_CHANGED/);

    const promoted = await govern(['promote', rc, '--expected-active', 'current']);
    expect(promoted.code, promoted.stderr).toBe(0);
    second = rc;

    const rolledBack = await govern(['rollback', second, '--reason', 'misrouted tickets', '--interval', '50']);
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect(rolledBack.stdout.trim()).toBe(first);
    expect(rolledBack.stderr).toMatch(/rollback request rrq_\w+: /);
    const system = await as('omar.owner').get<{ activeReleases: Record<string, string | null> }>(
      `/api/systems/${systemId}`,
    );
    expect(system.body.activeReleases.production).toBe(first);
  });

  it('exits 3 with the failure reasons when an eval run misses its thresholds', async () => {
    const { evals } = await evaluatedCandidate('failing', 'failing-thresholds.json');
    expect(evals.code).toBe(EXIT.blocked);
    expect(evals.stderr).toMatch(/failed/);
    expect(evals.stderr).toMatch(/FAIL accuracy min 1.5/);
  });

  it('opens an incident that then blocks the gate', async () => {
    const opened = await govern([
      'incident',
      'open',
      '--system',
      systemId,
      '--title',
      'Misrouting',
      '--severity',
      'high',
    ]);
    expect(opened.code, opened.stderr).toBe(0);
    incidentId = opened.stdout.trim();
    expect(incidentId).toMatch(/^inc_/);
    const incident = await as('omar.owner').get<Json>(`/api/incidents/${incidentId}`);
    expect(incident.body.severity).toBe('high');
    const gate = await govern(['gate', second]);
    expect(gate.code).toBe(EXIT.blocked);
    expect(gate.stderr).toMatch(/^BLOCKING_INCIDENT_OPEN: /m);
  });

  it('finds a system by name', async () => {
    const system = await as('omar.owner').get<Json & { name: string }>(`/api/systems/${systemId}`);
    const found = await govern(['systems', 'list', '--search', system.body.name]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout.split('\n')).toEqual([`${systemId}\t${system.body.name}`]);
  });

  it('lists dataset ids of a system by kind', async () => {
    expect((await govern(['datasets', 'list', '--system', systemId, '--kind', 'baseline'])).stdout.trim()).toBe(
      datasetId,
    );
    expect((await govern(['datasets', 'list', '--system', systemId, '--kind', 'adversarial'])).stdout.trim()).toBe('');
  });

  it('downloads the model card of a candidate and of the system', async () => {
    const out = join(dataDir, 'card.json');
    const byCandidate = await govern(['model-card', first, '-o', 'card.json']);
    expect(byCandidate.code, byCandidate.stderr).toBe(0);
    const card = JSON.parse(await readFile(out, 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(card)).toContain(first);
    const bySystem = await govern(['model-card', '--system', systemId]);
    expect(bySystem.code, bySystem.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(bySystem.stdout))).toContain(systemId);
  });

  it('downloads the EU AI Act report as a PDF', async () => {
    const run = await govern(['report', 'eu-ai-act', '--system', systemId, '-o', 'report.pdf']);
    expect(run.code, run.stderr).toBe(0);
    const pdf = await readFile(join(dataDir, 'report.pdf'));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('refuses a file that does not match the contract before sending anything (exit 2)', async () => {
    await writeFile(join(dataDir, 'bad-prompt.json'), JSON.stringify({ name: 'Bad Name!', template: '' }));
    const run = await govern(['prompt', 'create', '--system', systemId, '--file', 'bad-prompt.json']);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/does not match the API contract/);
    expect(run.stderr).toMatch(/name: /);
    expect((await govern(['gate', 'not-an-id'])).code).toBe(EXIT.usage);
    expect((await govern(['promote'])).code).toBe(EXIT.usage);
  });
});

describe('a retried pipeline step', () => {
  it('replays the first write in a new process instead of creating a second version', async () => {
    const scope = { GOVERN_IDEMPOTENCY_SCOPE: 'org/repo:run-77' };
    await writeFile(
      join(dataDir, 'retried.json'),
      JSON.stringify({ ...promptInput(systemId, { name: 'retried' }), systemId: undefined }),
    );
    const args = ['prompt', 'create', '--system', systemId, '--file', 'retried.json'];
    const inProcess = await govern(args, scope);
    const spawned = await spawn(bundle, args, env(scope));
    expect([inProcess.code, spawned.code]).toEqual([0, 0]);
    expect(spawned.stdout.trim()).toBe(inProcess.stdout.trim());
    expect(spawned.stderr).toMatch(/replayed prompt version/);
    const listed = await as('omar.owner').get<{ items: Json[] }>(`/api/prompts?systemId=${systemId}&name=retried`);
    expect(listed.body.items.map((p) => p.id)).toEqual([inProcess.stdout.trim()]);

    // Without a shared scope, each invocation is its own: a second version.
    const fresh = await govern(args);
    expect(fresh.stdout.trim()).not.toBe(inProcess.stdout.trim());
  });
});

describe('the bundled CLI as a process', () => {
  it('exits 3 on a blocked gate, with the reasons on stderr and the gate answer as --json', async () => {
    const human = await spawn(bundle, ['gate', second], env());
    expect(human.code, human.stderr).toBe(EXIT.blocked);
    expect(human.stderr).toMatch(/is blocked from production/);
    expect(human.stderr).toMatch(/^BLOCKING_INCIDENT_OPEN: /m);
    const machine = await spawn(bundle, ['--json', 'gate', second], env());
    expect(machine.code).toBe(EXIT.blocked);
    expect((JSON.parse(machine.stdout) as { promotable: boolean }).promotable).toBe(false);
  });

  it('exits 0 on a promotable gate', async () => {
    const asked = await as('omar.owner').post<Json>(`/api/incidents/${incidentId}/resolve`, { resolution: 'fixed' });
    expect(asked.status).toBe(202);
    const resolved = await as('rahul.risk').post(`/api/relaxation-requests/${asked.body.id}/approve`, {
      reason: 'verified',
    });
    expect(resolved.status).toBe(200);
    const { rc, evals, promptId, configId } = await evaluatedCandidate('spawned');
    expect(evals.code).toBe(0);
    await approveArtefacts(promptId, configId);
    const requested = await spawn(bundle, ['--json', 'request-approval', rc], env());
    expect(requested.code, requested.stderr).toBe(0);
    await approveRound((JSON.parse(requested.stdout) as { approvals: { id: string; role: string }[] }).approvals);
    const gate = await spawn(bundle, ['gate', rc], env());
    expect(gate.code, gate.stderr).toBe(EXIT.ok);
    expect(gate.stdout).toContain(`${rc} may be promoted to production`);
  });

  it('exits 4 with a clear message on bad credentials, and when there are none', async () => {
    const bad = await spawn(bundle, ['gate', first], env({ GOVERN_TOKEN: 'not-a-token' }));
    expect(bad.code).toBe(EXIT.auth);
    expect(bad.stderr).toMatch(/401 Unauthorized/);
    expect(bad.stderr).toMatch(/check GOVERN_TOKEN/);
    const none = await spawn(bundle, ['gate', first], { GOVERN_API_URL: stack.url });
    expect(none.code).toBe(EXIT.auth);
    expect(none.stderr).toMatch(/no credentials: set GOVERN_TOKEN/);
  });

  it('exits 4 when the principal may not take the action, and 7 for what it may not see', async () => {
    const reviewer = stack.tokens['tessa.technical']?.token ?? '';
    const forbidden = await spawn(
      bundle,
      ['promote', first, '--expected-active', 'none'],
      env({ GOVERN_TOKEN: reviewer }),
    );
    expect(forbidden.code).toBe(EXIT.auth);
    expect(forbidden.stderr).toMatch(/403 Forbidden/);
    // A pipeline of another system is not told the candidate exists (no BOLA): a 404.
    const stranger = await stack.mint({
      userId: 'other.pipeline',
      name: 'Other',
      roles: ['pipeline'],
      teams: [],
      systems: [],
    });
    const hidden = await spawn(bundle, ['gate', first], env({ GOVERN_TOKEN: stranger }));
    expect(hidden.code).toBe(EXIT.rejected);
    expect(hidden.stderr).toMatch(/404 Not Found/);
  });

  it('exits 5 naming the host when the API is unreachable, after its retries', async () => {
    const port = await closedPort();
    const run = await spawn(
      bundle,
      ['--retries', '1', 'gate', first],
      env({ GOVERN_API_URL: `http://127.0.0.1:${port}` }),
    );
    expect(run.code).toBe(EXIT.network);
    expect(run.stderr).toContain(`could not reach the API at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(run.stderr).toMatch(/retrying GET/);
    expect(run.stderr).toMatch(/gave up after 2 attempt/);
  });

  it('runs from source through the repository shim (npx govern)', async () => {
    const run = await spawn(join(REPO_ROOT, 'cli/bin/govern.mjs'), ['--version'], {});
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(JSON.parse(await readFile(join(REPO_ROOT, 'cli/package.json'), 'utf8')).version);
  });
});
