// promptfoo's results as evidence, over HTTP and through the CLI on the local stack (docs/promptfoo.md, ADR 0041):
// the committed fixture, written by the real promptfoo 0.121.20 from the tests `govern datasets export` writes
// (test/fixtures/promptfoo/README.md has the command), imports and gates a candidate; another results version and a
// case id the candidate's datasets do not hold are 400s naming them, with nothing written. A submitted run's llm-rubric
// assertions are graded after the last post by the eval worker (the ExecuteBatch task of the real ASL), through the
// local model server, by the judge the candidate pins (ADR 0050); the key is nowhere in the table, an event or a log.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCaptured } from '../../cli/in-process.js';
import { DEFAULT_JUDGE_OUTPUT_SCHEMA, DEFAULT_RUBRIC_PROMPT } from '../../functions/domain/types.js';
import type { DatasetInput } from '../../functions/store/datasets.js';
import { type ModelServer, startModelServer } from '../../local/model-server.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { approveArtefact, draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

vi.setConfig({ testTimeout: 60_000 });

type Json = Record<string, unknown>;
/** Rows in the file posted in parts: more than two parts of 500 (ADR 0041). */
const LARGE = 1201;
const FIXTURES = fileURLToPath(new URL('../fixtures/promptfoo/', import.meta.url));
const readFixture = async (name: string) => JSON.parse(await readFile(join(FIXTURES, name), 'utf8'));

describe("promptfoo's results file as evidence of a submitted run", () => {
  let stack: LocalStack;
  let dataDir: string;
  /** The stack's log lines. */
  const logLines: string[] = [];
  const ownerApi = () => apiClient(stack.url, stack.tokens['omar.owner']?.token);
  const govern = (argv: string[]) =>
    runCaptured(
      argv,
      { GOVERN_API_URL: stack.url, GOVERN_TOKEN: stack.tokens['omar.owner']?.token, GOVERN_BACKOFF_MS: '5' },
      dataDir,
    );

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-promptfoo-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: `e2e-promptfoo-${Date.now()}`,
      seed: false,
      log: (line) => logLines.push(line),
      evalRunnerOptions: { batchSize: 5, retryIntervalMs: 5 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A submitted candidate judged by the fixture's dataset, and a queued submitted run of it. */
  async function submittedRun() {
    const base = await governedSystem(stack.store);
    const fixture = (await readFixture('dataset.json')) as Omit<DatasetInput, 'systemId'>;
    const dataset = await stack.store.datasets.createDataset(owner, { ...fixture, systemId: base.system.id });
    const draft = await draftCandidate(stack.store, base, {
      datasetIds: [dataset.id],
      thresholds: [
        { metric: 'accuracy', direction: 'min', value: 0.9, regressionTolerance: null },
        { metric: 'assert.pass_rate', direction: 'min', value: 0.8, regressionTolerance: null },
        { metric: 'assert.label-named', direction: 'min', value: 1, regressionTolerance: null },
      ],
    });
    const rc = await stack.store.candidates.submitCandidate(owner, draft.id);
    const queued = await ownerApi().post<Json & { id: string }>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'submitted',
    });
    expect(queued.status).toBe(202);
    return { rc, dataset, runId: queued.body.id };
  }

  it('exports the dataset as the tests promptfoo ran, imports its results file and gates the candidate', async () => {
    // Prepare
    const { rc, dataset, runId } = await submittedRun();

    // Act
    const exported = await govern(['datasets', 'export', dataset.id, '--format', 'promptfoo', '-o', 'tests.json']);
    const submitted = await govern([
      'evals',
      'submit',
      runId,
      '--promptfoo',
      join(FIXTURES, 'results.json'),
      '--wait',
      '--interval',
      '100',
    ]);

    // Assess
    expect(exported.code).toBe(0);
    expect(JSON.parse(await readFile(join(dataDir, 'tests.json'), 'utf8'))).toEqual(await readFixture('tests.json'));
    expect(submitted.code, submitted.stderr).toBe(0);
    const api = ownerApi();
    const run = await api.get<Json & { metrics: Json }>(`/api/eval-runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'passed', casesDone: 6, totalCases: 6 });
    expect(run.body.metrics).toMatchObject({ accuracy: 1, 'assert.label-named': 1, 'assert.json': 1 });
    // Our levenshtein fails pf-account-2 as promptfoo's did: 5 of 6 cases pass every assertion.
    expect(run.body.metrics['assert.pass_rate']).toBeCloseTo(5 / 6, 6);
    const gate = await api.get<{ reasons: { code: string }[] }>(`/api/release-candidates/${rc.id}/gate`);
    expect(gate.body.reasons.map((r) => r.code)).not.toContain('EVAL_FAILED');
    expect(gate.body.reasons.map((r) => r.code)).not.toContain('EVAL_MISSING');
    const evidence = await api.get<{ items: (Json & { caseId: string; promptfoo?: Json; assertions?: Json[] })[] }>(
      `/api/eval-runs/${runId}/cases`,
    );
    const account2 = evidence.body.items.find((c) => c.caseId === 'pf-account-2');
    expect(account2?.promptfoo).toMatchObject({ pass: false, reason: expect.stringMatching(/Levenshtein distance/) });
    expect(account2?.assertions?.find((a) => a.type === 'levenshtein')).toMatchObject({ pass: false });
    expect(evidence.body.items.every((c) => c.promptfoo !== undefined)).toBe(true);
  });

  it('imports a file of 1,201 rows in three parts: a case the datasets lack refuses the second, a rerun of the fixed file records the rest and grades the run once', async () => {
    // Prepare: 1,201 cases, and promptfoo's file for them generated from the fixture's first row (not committed).
    const base = await governedSystem(stack.store);
    const ids = Array.from({ length: LARGE }, (_, i) => `pf-${i}`);
    const dataset = await stack.store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'large',
      kind: 'baseline',
      description: '',
      cases: ids.map((caseId) => ({
        caseId,
        input: { ticket: `ticket ${caseId}` },
        expectedLabel: 'billing',
        expectedOutput: null,
        tags: ['lang:en'],
      })),
    });
    const draft = await draftCandidate(stack.store, base, {
      datasetIds: [dataset.id],
      thresholds: [{ metric: 'accuracy', direction: 'min', value: 0.9, regressionTolerance: null }],
    });
    const rc = await stack.store.candidates.submitCandidate(owner, draft.id);
    const runId = (
      await ownerApi().post<Json & { id: string }>(`/api/release-candidates/${rc.id}/run-evals`, {
        executor: 'submitted',
      })
    ).body.id;
    const fixture = await readFixture('results.json');
    const row = (caseId: string) => {
      const r = structuredClone(fixture.results.results[0]);
      r.vars.caseId = caseId;
      r.testCase.vars.caseId = caseId;
      r.testCase.metadata.caseId = caseId;
      r.metadata = { ...r.metadata, caseId };
      return r;
    };
    const fileWith = (rows: unknown[]) => ({ ...fixture, results: { ...fixture.results, results: rows } });
    const submit = async (rows: unknown[], wait: string[] = []) => {
      await writeFile(join(dataDir, 'large.json'), JSON.stringify(fileWith(rows)));
      return govern(['evals', 'submit', runId, '--promptfoo', 'large.json', ...wait]);
    };

    // Act: row 700 (the second part's) names a case only the API can tell is not there; then the fixed file.
    const refused = await submit(ids.map((id, i) => row(i === 700 ? 'pf-nobody' : id)));
    const between = await ownerApi().get<Json>(`/api/eval-runs/${runId}`);
    const rerun = await submit(ids.map(row), ['--wait', '--interval', '100']);

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/part 2\/3: .*pf-nobody/);
    expect(refused.stderr).toMatch(/part 1 \(rows 0 to 499\) was recorded and is kept/);
    expect(between.body).toMatchObject({ status: 'running', casesDone: 500, totalCases: LARGE });
    expect(rerun.code, rerun.stderr).toBe(0);
    const run = await ownerApi().get<Json & { metrics: Json }>(`/api/eval-runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'passed', casesDone: LARGE, totalCases: LARGE });
    expect(run.body.metrics).toMatchObject({ accuracy: 1 });
    const events = await stack.store.audit.listAuditEvents(
      { systemId: base.system.id, entityId: runId, order: 'asc' },
      { limit: 50 },
    );
    expect(events.items.map((e) => e.action)).toEqual([
      'eval_run.queued',
      'eval_run.started',
      'eval_run.aggregating',
      'eval_run.passed',
    ]);
    // 1,201 cases written, posted twice and aggregated in batches of 5: minutes on a loaded machine, not wrong.
  }, 300_000);

  it('refuses another results version with a 400 naming it, and records nothing', async () => {
    // Prepare
    const { runId } = await submittedRun();
    const file = await readFixture('results.json');
    file.results.version = 2;

    // Act
    const answer = await ownerApi().post<Json & { errors: { path: string; message: string }[] }>(
      `/api/eval-runs/${runId}/promptfoo-results`,
      file,
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { path: 'results.version', message: expect.stringMatching(/version 2 is not supported.*version 3/) },
    ]);
    const run = await ownerApi().get<Json>(`/api/eval-runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'queued', casesDone: 0 });
  });

  it('refuses outputs for a case the datasets do not hold with a 400 naming it, and records nothing', async () => {
    // Prepare
    const { runId } = await submittedRun();
    const file = await readFixture('results.json');
    const stray = structuredClone(file.results.results[0]);
    stray.metadata.caseId = 'pf-nobody';
    stray.vars.caseId = 'pf-nobody';
    file.results.results.push(stray);

    // Act
    const answer = await ownerApi().post<Json & { detail: string }>(`/api/eval-runs/${runId}/promptfoo-results`, file);

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(/pf-nobody/);
    const run = await ownerApi().get<Json>(`/api/eval-runs/${runId}`);
    expect(run.body).toMatchObject({ status: 'queued', casesDone: 0 });
  });

  it("grades a submitted run's llm-rubric in the eval worker by the pinned judge, with its key nowhere in the table, an event or a log line", async () => {
    // Prepare: a judge on a model server of its own, its key in the data folder (Secrets Manager in AWS)
    const secret = `sk-e2e-judge-${Date.now().toString(36)}`;
    await mkdir(join(dataDir, 'provider-secrets'), { recursive: true });
    await writeFile(join(dataDir, 'provider-secrets', 'e2e-judge'), secret);
    const server: ModelServer = await startModelServer({ apiKey: secret });
    const written: string[] = [];
    const capture = (stream: NodeJS.WriteStream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
    const spies = [capture(process.stdout), capture(process.stderr)];
    try {
      const base = await governedSystem(stack.store);
      const connection = await stack.store.providerConnections.registerConnection(owner, {
        name: 'e2e judge server',
        provider: 'openai',
        baseUrl: server.baseUrl('openai'),
        region: null,
        secretRef: 'file:e2e-judge',
        concurrencyLimit: 4,
        changeSummary: 'the judge model',
      });
      const model = await stack.store.artefacts.createModelConfig(
        owner,
        modelConfigInput(base.system.id, {
          name: 'judge-model',
          routingPolicy: {
            strategy: 'single',
            routes: [{ target: 'local', weight: 1, connection: { id: connection.id, version: connection.version } }],
          },
          fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
        }),
      );
      await approveArtefact(stack.store, 'model_config', model.id);
      const judge = await stack.store.artefacts.createArtefact(owner, 'judge_config', {
        systemId: base.system.id,
        name: 'no-legal-advice',
        modelConfigId: model.id,
        rubricPrompt: DEFAULT_RUBRIC_PROMPT,
        outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA,
        passThreshold: null,
        changeSummary: 'the legal-advice judge',
      });
      await approveArtefact(stack.store, 'judge_config', judge.id);
      const rubric = 'The answer gives no legal advice: it never says "lawyer".';
      const dataset = await stack.store.datasets.createDataset(owner, {
        systemId: base.system.id,
        name: 'judged',
        kind: 'regression',
        description: 'judged by a governed judge',
        defaultAssert: [{ type: 'llm-rubric', value: rubric, judge: judge.id, name: 'no-legal-advice' }],
        cases: cases(4),
      });
      const draft = await draftCandidate(stack.store, base, {
        datasetIds: [dataset.id],
        thresholds: [{ metric: 'assert.no-legal-advice', direction: 'min', value: 1, regressionTolerance: null }],
      });
      const rc = await stack.store.candidates.submitCandidate(owner, draft.id);
      const queued = await ownerApi().post<Json & { id: string }>(`/api/release-candidates/${rc.id}/run-evals`, {
        executor: 'submitted',
      });
      const results = cases(4).map((c, i) => ({
        caseId: c.caseId,
        output: { label: c.expectedLabel },
        outputText: i === 3 ? 'You should ask a lawyer.' : 'Your refund is on its way.',
        latencyMs: 12,
      }));

      // Act: the post answers at once; the eval worker grades once the run aggregates
      const posted = await ownerApi().post<Json>(`/api/eval-runs/${queued.body.id}/results`, { results });
      await stack.evalRunner.idle();
      const run = await ownerApi().get<Json & { metrics: Json }>(`/api/eval-runs/${queued.body.id}`);
      const evidence = await ownerApi().get<{ items: (Json & { caseId: string; assertions?: Json[] })[] }>(
        `/api/eval-runs/${queued.body.id}/cases`,
      );
      await stack.events.settle();
      const table = await stack.doc.send(new ScanCommand({ TableName: stack.tableName }));

      // Assess
      expect(rc.judgeConfigs?.map((j) => j.id)).toEqual([judge.id]);
      expect(posted.status).toBe(202);
      expect(posted.body).toMatchObject({ casesToGrade: 4, recorded: 4 });
      expect(run.body).toMatchObject({ status: 'failed', casesDone: 4, casesToGrade: 4 });
      expect(run.body.metrics['assert.no-legal-advice']).toBe(0.75);
      const verdicts = Object.fromEntries(evidence.body.items.map((c) => [c.caseId, c.assertions?.[0]]));
      expect(verdicts['case-3']).toMatchObject({
        type: 'llm-rubric',
        pass: false,
        reason: 'the output contains "lawyer"',
      });
      expect(verdicts['case-0']).toMatchObject({ type: 'llm-rubric', pass: true });
      expect(JSON.stringify(table.Items)).not.toContain(secret);
      expect(JSON.stringify(stack.events.bus.recent)).not.toContain(secret);
      expect([...logLines, ...written].filter((line) => line.includes(secret))).toEqual([]);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await server.stop();
    }
  });
});
