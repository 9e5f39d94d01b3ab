// Eval runs over HTTP against the local stack: progress while a run is running, per-case evidence paged from the
// S3 stand-in, and a run left running by a stopped stack resumed by the next one without scoring a batch twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishMetrics, scoreBatch } from '../../functions/domain/eval/index.js';
import { executeEvalBatch, loadRunMaterial, prepareEvalRun } from '../../functions/workflows/eval-steps.js';
import type { EvalTaskHandlers } from '../../functions/workflows/eval-tasks.js';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import { apiClient, eventually } from '../support/http.js';
import { draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;
type RunBody = Json & { id: string; status: string; casesDone: number; totalCases: number; metrics: Json | null };

/** Batch 2 of every run waits for `release()` while holding is on: a run stays mid-way as long as the test needs. */
function batchHold() {
  let holding = false;
  let release: () => void = () => undefined;
  let gate = Promise.resolve();
  return {
    hold() {
      holding = true;
      gate = new Promise<void>((done) => {
        release = done;
      });
    },
    release: () => {
      holding = false;
      release();
    },
    wrapTasks: (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      executeBatch: async (event) => {
        if (holding && event.batch.batchIndex === 2) await gate;
        return tasks.executeBatch(event);
      },
    }),
  };
}

describe('eval runs over HTTP on the local stack', () => {
  let stack: LocalStack;
  let dataDir: string;
  const tableName = `e2e-evals-${Date.now()}`;
  const hold = batchHold();
  const options = (): LocalStackOptions => ({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName,
    seed: false,
    evalRunnerOptions: { batchSize: 5, retryIntervalMs: 5, wrapTasks: hold.wrapTasks },
  });
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-evals-'));
    stack = await startLocalStack(options());
  });
  afterAll(async () => {
    hold.release();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function submittedCandidate(cases: number) {
    const base = await governedSystem(stack.store, { cases });
    const draft = await draftCandidate(stack.store, base);
    return stack.store.candidates.submitCandidate(owner, draft.id);
  }

  it('shows progress strictly between 0 and the total while a batch is held, then the verdict', async () => {
    const rc = await submittedCandidate(20);
    const api = as('omar.owner');
    hold.hold();
    const queued = await api.post<RunBody>(`/api/release-candidates/${rc.id}/run-evals`, { executor: 'simulated' });
    expect(queued.status).toBe(202);
    const runId = queued.body.id;

    // Batches 0, 1 and 3 finish; batch 2 waits: the run is part-way and says so.
    const midway = await eventually(async () => {
      const { body } = await api.get<RunBody & { progress: Json }>(`/api/eval-runs/${runId}`);
      return body.casesDone === 15 ? body : undefined;
    });
    expect(midway.status).toBe('running');
    expect(midway.casesDone).toBeGreaterThan(0);
    expect(midway.casesDone).toBeLessThan(midway.totalCases);
    expect(midway.progress).toEqual({ casesDone: 15, totalCases: 20, percent: 75, phase: 'cases' });

    hold.release();
    const done = await eventually(async () => {
      const { body } = await api.get<RunBody>(`/api/eval-runs/${runId}`);
      return body.status === 'running' ? undefined : body;
    });
    expect(done.status).toBe('passed');
    expect(done.casesDone).toBe(20);
  });

  it('answers 202 with the progress to each page of a submitted run, and the runner gates it after the last page', async () => {
    const rc = await submittedCandidate(12);
    const api = as('omar.owner');
    const queued = await api.post<RunBody>(`/api/release-candidates/${rc.id}/run-evals`, { executor: 'submitted' });
    const runId = queued.body.id;
    const outputs = Array.from({ length: 12 }, (_, i) => ({
      caseId: `case-${i}`,
      output: { label: ['billing', 'technical', 'account'][i % 3], confidence: 0.9 },
      latencyMs: 50,
    }));
    type Accepted = RunBody & { accepted: number; recorded: number; alreadyPosted: number; progress: Json };

    const first = await api.post<Accepted>(`/api/eval-runs/${runId}/results`, { results: outputs.slice(0, 5) });
    const again = await api.post<Accepted>(`/api/eval-runs/${runId}/results`, { results: outputs.slice(0, 7) });
    const last = await api.post<Accepted>(`/api/eval-runs/${runId}/results`, { results: outputs.slice(7) });

    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'running', accepted: 5, recorded: 5, alreadyPosted: 0 });
    expect(first.body.progress).toEqual({ casesDone: 5, totalCases: 12, percent: 41, phase: 'cases' });
    expect(again.body).toMatchObject({ accepted: 7, recorded: 2, alreadyPosted: 5, casesDone: 7 });
    expect(last.status).toBe(202);
    expect(last.body.casesDone).toBe(12);
    expect(['aggregating', 'passed']).toContain(last.body.status);
    const done = await eventually(async () => {
      const { body } = await api.get<RunBody>(`/api/eval-runs/${runId}`);
      return body.status === 'aggregating' ? undefined : body;
    });
    expect(done).toMatchObject({ status: 'passed', casesDone: 12, progress: { phase: 'finished', percent: 100 } });
    expect(done.metrics).toMatchObject({ accuracy: 1 });
  });

  it('says per case why an output fails the output contract, and nothing for a valid one', async () => {
    // Prepare: three posted outputs, one valid, one without confidence, one with a mistyped confidence
    const rc = await submittedCandidate(3);
    const api = as('omar.owner');
    const { body: run } = await api.post<RunBody>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'submitted',
    });
    await api.post(`/api/eval-runs/${run.id}/results`, {
      results: [
        { caseId: 'case-0', output: { label: 'billing', confidence: 0.9 }, latencyMs: 50 },
        { caseId: 'case-1', output: { label: 'technical' }, latencyMs: 50 },
        { caseId: 'case-2', output: { label: 'account', confidence: 'high' }, latencyMs: 50 },
      ],
    });
    // Act
    const page = await api.get<{ items: (Json & { caseId: string })[] }>(`/api/eval-runs/${run.id}/cases`);
    // Assess
    expect(page.status).toBe(200);
    const reasons = Object.fromEntries(page.body.items.map((c) => [c.caseId, c.schemaReason]));
    expect(reasons).toEqual({
      'case-0': undefined,
      'case-1': "the output must have required property 'confidence'",
      'case-2': 'confidence must be number',
    });
  });

  it("pages through a run's per-case evidence in the S3 stand-in with an opaque cursor", async () => {
    const rc = await submittedCandidate(12);
    const api = as('omar.owner');
    const { body: run } = await api.post<RunBody>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'simulated',
    });
    await stack.evalRunner.idle();

    const seen: Json[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=5&cursor=${encodeURIComponent(cursor)}` : '?limit=5';
      const page = await api.get<{ items: Json[]; nextCursor: string | null }>(
        `/api/eval-runs/${run.id}/cases${query}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(seen[0]).toMatchObject({ caseId: 'case-0', execution: { route: 'simulated:gpt-4o-mini', attempts: 1 } });
    expect((await stack.evidence.listBatches(run.id)).length).toBe(3);
    expect(stack.evidence.describe()).toBe(`s3://${stack.evidenceBucket}/runs/`);

    const bad = await api.get(`/api/eval-runs/${run.id}/cases?cursor=not-a-cursor!`);
    expect(bad.status).toBe(400);
  });

  it('resumes a run a stopped stack left running: recorded batches are not scored again and the verdict is right', async () => {
    const rc = await submittedCandidate(20);
    const { run } = await stack.store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
    // The stack stops after the first batch of the run was recorded (prepared, batch 0 scored, the rest not).
    const plan = await prepareEvalRun(stack.store, { runId: run.id, batchSize: 5 });
    const [first] = plan.batches;
    if (!first) throw new Error('the run has no batches');
    await executeEvalBatch(stack.store, { runId: run.id, batch: first }, undefined, {
      evidence: stack.evidence,
    });
    const firstObject = await stack.evidence.readBatch(run.id, 0);
    expect((await stack.store.evalRuns.getEvalRun(run.id)).casesDone).toBe(5);
    await stack.stop();

    stack = await startLocalStack({ ...options(), evalRunnerOptions: { batchSize: 5, retryIntervalMs: 5 } });
    expect(stack.resumedEvalRuns).toEqual([run.id]);
    await stack.evalRunner.idle();

    const done = await stack.store.evalRuns.getEvalRun(run.id);
    expect(done.status).toBe('passed');
    expect(done.casesDone).toBe(20);
    expect(await stack.evidence.readBatch(run.id, 0)).toEqual(firstObject);
    expect((await stack.evidence.listBatches(run.id)).map((b) => b.batchIndex)).toEqual([0, 1, 2, 3]);
    // The verdict's metrics are those of scoring every case once, in this process, from the same snapshot.
    const m = await loadRunMaterial(stack.store, run.id);
    const cases = (
      await Promise.all(m.candidate.datasetIds.map((id) => stack.store.datasets.allDatasetCases(id)))
    ).flat();
    const reference = scoreBatch({
      executor: 'simulated',
      snapshotHash: m.run.snapshotHash,
      cases,
      labels: m.labels,
      prompt: m.prompt,
      modelConfig: m.modelConfig,
    });
    expect(done.metrics).toEqual(finishMetrics(reference.aggregate).metrics);
    expect(await stack.store.evalRuns.unfinishedEvalRunIds()).toEqual([]);
  }, 60_000);
});
