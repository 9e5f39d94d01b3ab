// `http` eval runs through the local eval-run state machine against a model server this test starts on 127.0.0.1,
// with the evidence in the S3 stand-in: calls per case, timeouts and fallback, refused hosts, and a batch delivered
// twice that is executed and counted once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FallbackPolicy, RoutingPolicy } from '../../functions/domain/types.js';
import { createEvidenceStore, type EvidenceStore } from '../../functions/store/evidence-store.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { failEvalRunStep, listCaseEvidence, prepareEvalRun } from '../../functions/workflows/eval-steps.js';
import type { EvalTaskHandlers } from '../../functions/workflows/eval-tasks.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';
import { createSfnEvalRunner, type SfnEvalRunnerOptions } from '../../local/sfn-eval-runner.js';
import { modelConfigInput } from '../support/fixtures.js';
import { approveArtefact, draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { type ModelServer, startModelServer } from '../support/model-server.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let s3: S3StandInHandle;
let evidence: EvidenceStore;
let server: ModelServer;

beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  s3 = await startS3StandIn({ buckets: ['evidence'] });
  evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'evidence' });
  server = await startModelServer({
    '/ok': { kind: 'label', label: 'billing', inputTokens: 120, outputTokens: 30 },
    '/slow': { kind: 'slow', delayMs: 1_000, label: 'technical' },
    '/down': { kind: 'status', status: 503 },
  });
});
afterAll(async () => {
  await server?.stop();
  await s3?.stop();
  await drop?.();
});

const NO_FALLBACK: FallbackPolicy = { enabled: false, fallbackModel: null, maxRetries: 0 };

/** A submitted candidate whose model config calls `routingPolicy`'s endpoints. */
async function httpCandidate(
  cases: number,
  routingPolicy: RoutingPolicy,
  extra: { timeoutMs?: number; fallbackPolicy?: FallbackPolicy } = {},
) {
  const base = await governedSystem(store, { cases });
  const config = await store.artefacts.createModelConfig(
    owner,
    modelConfigInput(base.system.id, {
      routingPolicy,
      fallbackPolicy: extra.fallbackPolicy ?? NO_FALLBACK,
      timeoutMs: extra.timeoutMs ?? 2_000,
      changeSummary: 'the team endpoint',
    }),
  );
  await approveArtefact(store, 'model_config', config.id);
  const draft = await draftCandidate(store, base, { modelConfigId: config.id });
  return store.candidates.submitCandidate(owner, draft.id);
}

async function runHttp(candidateId: string, options: Partial<SfnEvalRunnerOptions> = {}) {
  const reports: Parameters<NonNullable<SfnEvalRunnerOptions['onFinished']>>[0][] = [];
  const runner = createSfnEvalRunner(store, {
    batchSize: 5,
    retryIntervalMs: 5,
    evidence,
    allowedHosts: [server.host],
    ...options,
    onFinished: (report) => reports.push(report),
  });
  const { run } = await store.evalRuns.createEvalRun(owner, candidateId, 'http');
  runner.start(run.id);
  await runner.idle();
  return { run: await store.evalRuns.getEvalRun(run.id), report: reports[0] };
}

describe('the http executor in the eval-run state machine', () => {
  it('calls the endpoint once per case and leaves each case its result and execution record in the evidence store', async () => {
    const rc = await httpCandidate(12, { strategy: 'single', routes: [{ target: server.url('/ok'), weight: 1 }] });
    const before = server.requestsTo('/ok').length;

    const { run, report } = await runHttp(rc.id);

    expect(run.status).toBe('passed');
    expect(run.casesDone).toBe(12);
    expect(server.requestsTo('/ok').length - before).toBe(12);
    // The server always answers billing; a third of the fixture's cases expect it.
    expect(run.metrics?.accuracy).toBeCloseTo(4 / 12, 10);
    expect(run.metrics?.schemaValidRate).toBe(1);
    expect(report?.transitions).toBe(5 + 3);
    const page = await listCaseEvidence(store, run, { limit: 100 }, { evidence });
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((r) => r.index)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(page.items[0]).toMatchObject({
      caseId: 'case-0',
      predictedLabel: 'billing',
      fallbackUsed: false,
      error: null,
      execution: { route: server.url('/ok'), attempts: 1, tokensIn: 120, tokensOut: 30, error: null },
    });
    expect(page.items[0]?.costUsd).toBeCloseTo((120 * 0.00015 + 30 * 0.0006) / 1000, 12);
    expect((await evidence.listBatches(run.id)).map((b) => b.batchIndex)).toEqual([0, 1, 2]);
  });

  it('times out a slow primary and falls back along the chain, recording the timeout and the fallback per case', async () => {
    const rc = await httpCandidate(
      4,
      {
        strategy: 'fallback_chain',
        routes: [
          { target: server.url('/slow'), weight: 1 },
          { target: server.url('/ok'), weight: 1 },
        ],
      },
      { timeoutMs: 150 },
    );

    const { run } = await runHttp(rc.id);

    expect(run.status).toBe('passed');
    expect(run.metrics?.timeoutRate).toBe(1);
    expect(run.metrics?.fallbackSuccessRate).toBe(1);
    const { items } = await listCaseEvidence(store, run, { limit: 10 }, { evidence });
    expect(items).toHaveLength(4);
    for (const record of items) {
      expect(record).toMatchObject({
        timedOut: true,
        fallbackUsed: true,
        fallbackSucceeded: true,
        predictedLabel: 'billing',
      });
      expect(record.execution).toMatchObject({ route: server.url('/ok'), attempts: 2 });
      expect(record.execution?.error).toMatch(/timed out after 150 ms/);
    }
  });

  it('records a failed call as the case error when every route fails, and still ends the run with a verdict', async () => {
    const rc = await httpCandidate(3, { strategy: 'single', routes: [{ target: server.url('/down'), weight: 1 }] });
    const { run } = await runHttp(rc.id);
    expect(run.status).toBe('passed');
    expect(run.metrics?.accuracy).toBe(0);
    const { items } = await listCaseEvidence(store, run, {}, { evidence });
    expect(items.map((r) => r.error)).toEqual(Array(3).fill(`${server.url('/down')} answered 503`));
  });

  it('fails the run before any call when a route names a host that is not allowed, with the refused host as the reason', async () => {
    const rc = await httpCandidate(3, {
      strategy: 'fallback_chain',
      routes: [
        { target: server.url('/ok'), weight: 1 },
        { target: 'http://169.254.169.254/latest/meta-data', weight: 1 },
      ],
    });
    const before = server.requestCount();

    const { run, report } = await runHttp(rc.id);

    expect(run.status).toBe('error');
    expect(run.error).toContain('http executor refused: 169.254.169.254:80 is not an allowed host');
    expect(server.requestCount()).toBe(before);
    expect(report?.retries).toBe(0);
    expect(await store.candidates.getCandidate(rc.id)).toMatchObject({ status: 'submitted' });
    expect(await evidence.listBatches(run.id)).toEqual([]);
  });

  it('plans an http run in batches of 50 cases unless told otherwise, so a batch fits one task invocation', async () => {
    const rc = await httpCandidate(120, { strategy: 'single', routes: [{ target: server.url('/ok'), weight: 1 }] });
    const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'http');
    const plan = await prepareEvalRun(store, { runId: run.id }, { allowedHosts: [server.host] });
    expect(plan.batches.map((b) => b.end - b.start)).toEqual([50, 50, 20]);
    await failEvalRunStep(store, { runId: run.id, error: 'planned only' });
  });

  it('allows no host at all when none is configured', async () => {
    const rc = await httpCandidate(2, { strategy: 'single', routes: [{ target: server.url('/ok'), weight: 1 }] });
    const { run } = await runHttp(rc.id, { allowedHosts: [] });
    expect(run.status).toBe('error');
    expect(run.error).toContain('allowed hosts: none configured');
  });

  it('executes and counts a batch delivered twice only once: the progress counter matches the cases', async () => {
    const rc = await httpCandidate(10, { strategy: 'single', routes: [{ target: server.url('/ok'), weight: 1 }] });
    const before = server.requestsTo('/ok').length;
    const wrapTasks = (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      // An at-least-once redelivery: the same batch's task runs again after it succeeded.
      executeBatch: async (event) => {
        const out = await tasks.executeBatch(event);
        if (event.batch.batchIndex === 0) await tasks.executeBatch(event);
        return out;
      },
    });

    const { run } = await runHttp(rc.id, { wrapTasks });

    expect(run.status).toBe('passed');
    expect(run.casesDone).toBe(10);
    expect(server.requestsTo('/ok').length - before).toBe(10);
  });

  it('aggregates a retried batch from the object already stored, so evidence and aggregate agree', async () => {
    const rc = await httpCandidate(5, { strategy: 'single', routes: [{ target: server.url('/ok'), weight: 1 }] });
    const wrapTasks = (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      // The first attempt stored its object, then "crashed" before recording the aggregate: simulated by writing a
      // different object for the batch first (every answer correct), which the retry must not overwrite.
      executeBatch: async (event) => {
        const cases = await listCaseEvidence(store, { id: event.runId, executor: 'http' }, {}, { evidence });
        if (cases.items.length === 0) {
          const correct = Array.from({ length: 5 }, (_, i) => ({
            index: i,
            caseId: `case-${i}`,
            tags: [],
            expectedLabel: 'billing',
            predictedLabel: 'billing',
            output: { label: 'billing', confidence: 1 },
            correct: true,
            schemaValid: true,
            latencyMs: 1,
            costUsd: 0,
            timedOut: false,
            fallbackUsed: false,
            fallbackSucceeded: false,
            error: null,
            execution: { route: server.url('/ok'), attempts: 1, tokensIn: 1, tokensOut: 1, error: null },
          }));
          await evidence.putBatch(event.runId, 0, correct);
        }
        return tasks.executeBatch(event);
      },
    });

    const { run } = await runHttp(rc.id, { wrapTasks });

    expect(run.status).toBe('passed');
    expect(run.casesDone).toBe(5);
    expect(run.metrics?.accuracy).toBe(1);
    const { items } = await listCaseEvidence(store, run, {}, { evidence });
    expect(items.every((r) => r.correct && r.latencyMs === 1)).toBe(true);
  });
});
