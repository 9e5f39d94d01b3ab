// The eval-run state machine (statemachines/eval-run.asl.json) executed by the local interpreter against DynamoDB
// Local and the evidence store in the S3 stand-in, with the task handlers the Lambda functions run: verdicts,
// baselines, Retry and Catch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseCandidate } from '../../functions/domain/types.js';
import { createEvidenceStore, type EvidenceStore } from '../../functions/store/evidence-store.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { createInProcessEvalRunner } from '../../functions/workflows/eval-runner.js';
import { createEvalTaskEntry, type EvalTaskHandlers } from '../../functions/workflows/eval-tasks.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';
import { createSfnEvalRunner, type SfnEvalRunnerOptions } from '../../local/sfn-eval-runner.js';
import { cases, modelConfigInput } from '../support/fixtures.js';
import {
  activeCandidate,
  approveArtefact,
  draftCandidate,
  FAILING_THRESHOLDS,
  type GovernedSystem,
  governedSystem,
  owner,
} from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let s3: S3StandInHandle;
let evidence: EvidenceStore;
/** The governed system of every case that needs no release of its own: each case adds a dataset of its size. */
let shared: GovernedSystem;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  shared = await governedSystem(store);
  s3 = await startS3StandIn({ buckets: ['evidence'] });
  // Every runner of this file (in-process, state machine, Lambda entry point) is given this evidence store.
  evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'evidence' });
});
afterAll(async () => {
  await s3?.stop();
  await drop?.();
});

/** Queues a simulated run of a submitted candidate and executes it through the local state machine. */
async function runThroughStateMachine(candidateId: string, options: Partial<SfnEvalRunnerOptions> = {}) {
  const reports: Parameters<NonNullable<SfnEvalRunnerOptions['onFinished']>>[0][] = [];
  const runner = createSfnEvalRunner(store, {
    evidence,
    batchSize: 5,
    retryIntervalMs: 5,
    ...options,
    onFinished: (report) => reports.push(report),
  });
  const { run } = await store.evalRuns.createEvalRun(owner, candidateId, 'simulated');
  runner.start(run.id);
  await runner.idle();
  return {
    run: await store.evalRuns.getEvalRun(run.id),
    candidate: await store.candidates.getCandidate(candidateId),
    report: reports[0],
  };
}

/**
 * The shared system with a baseline dataset of `n` cases of its own (a case's candidate gates on it alone): cheaper
 * than a governed system per case, and as good for cases that read only their own candidate and run.
 */
async function withCases(n: number): Promise<GovernedSystem> {
  const dataset = await store.datasets.createDataset(owner, {
    systemId: shared.system.id,
    name: `baseline-${n}-${Math.random().toString(36).slice(2, 8)}`,
    kind: 'baseline',
    description: `${n} cases`,
    cases: cases(n),
  });
  return { ...shared, dataset };
}

async function submittedCandidate(base: GovernedSystem, options: Parameters<typeof draftCandidate>[2] = {}) {
  const draft = await draftCandidate(store, base, options);
  return store.candidates.submitCandidate(owner, draft.id);
}

describe('the eval-run state machine, run locally', () => {
  it('passes a run whose metrics meet the thresholds and records the verdict on the run and the candidate', async () => {
    const base = await withCases(23);
    const rc = await submittedCandidate(base);
    const { run, candidate, report } = await runThroughStateMachine(rc.id);
    expect(run.status).toBe('passed');
    expect(run.casesDone).toBe(23);
    expect(run.metrics?.accuracy).toBeGreaterThan(0);
    expect(candidate.status).toBe('eval_passed');
    expect(report?.ok).toBe(true);
    // Prepare, IsSimulated, ExecuteBatches, 5 batches × ExecuteBatch, Aggregate, Done.
    expect(report?.transitions).toBe(5 + 5);
  });

  it('fails a run below a threshold with the failing verdict', async () => {
    const base = await withCases(10);
    const rc = await submittedCandidate(base, { thresholds: FAILING_THRESHOLDS });
    const { run, candidate } = await runThroughStateMachine(rc.id);
    expect(run.status).toBe('failed');
    expect(candidate.status).toBe('eval_failed');
    expect(run.thresholdVerdicts).toContainEqual(
      expect.objectContaining({ metric: 'accuracy', direction: 'min', threshold: 1.5, passed: false }),
    );
    expect(run.failureReasons.length).toBeGreaterThan(0);
  });

  it('fails a candidate that regresses against the active release beyond the tolerance', async () => {
    const base = await governedSystem(store, { cases: 40 });
    const thresholds = [
      { metric: 'accuracy' as const, direction: 'min' as const, value: 0, regressionTolerance: 0.05 },
    ];
    const active: ReleaseCandidate = await activeCandidate(store, base, { thresholds });
    expect(active.status).toBe('active');
    // A 100 ms timeout under a model whose median latency is ~300 ms: nearly every case times out, and so does the
    // fallback, so accuracy collapses whatever the seed.
    const worse = await store.artefacts.createModelConfig(
      owner,
      modelConfigInput(base.system.id, { timeoutMs: 100, changeSummary: 'a much tighter timeout' }),
    );
    await approveArtefact(store, 'model_config', worse.id);
    const rc = await submittedCandidate(base, { modelConfigId: worse.id, thresholds, name: 'rc-hot' });
    const { run, candidate } = await runThroughStateMachine(rc.id);
    expect(run.status).toBe('failed');
    expect(candidate.status).toBe('eval_failed');
    const comparison = run.comparisons.find((c) => c.baseline === 'active');
    expect(comparison?.candidateId).toBe(active.id);
    expect(comparison?.passed).toBe(false);
    expect(comparison?.deltas).toContainEqual(expect.objectContaining({ metric: 'accuracy', passed: false }));
    expect(run.metrics?.timeoutRate).toBeGreaterThan(0.9);
  });

  it('absorbs a transient batch error with the Retry and passes the run', async () => {
    const base = await withCases(12);
    const rc = await submittedCandidate(base);
    let thrown = 0;
    const wrapTasks = (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      executeBatch: async (event) => {
        if (event.batch.batchIndex === 1 && thrown === 0) {
          thrown++;
          const error = new Error('throttled, try again');
          error.name = 'TooManyRequestsException';
          throw error;
        }
        return tasks.executeBatch(event);
      },
    });
    const { run, candidate, report } = await runThroughStateMachine(rc.id, { wrapTasks });
    expect(thrown).toBe(1);
    expect(report?.retries).toBe(1);
    expect(run.status).toBe('passed');
    expect(run.casesDone).toBe(12);
    expect(candidate.status).toBe('eval_passed');
  });

  it('records a permanent error caught by the Catch: the run is error with the message, the candidate submitted again', async () => {
    const base = await withCases(12);
    const rc = await submittedCandidate(base);
    let calls = 0;
    const wrapTasks = (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      executeBatch: async (event) => {
        if (event.batch.batchIndex === 2) {
          calls++;
          const error = new Error('the dataset object is corrupt');
          error.name = 'ValidationError';
          throw error;
        }
        return tasks.executeBatch(event);
      },
    });
    const { run, candidate, report } = await runThroughStateMachine(rc.id, { wrapTasks });
    expect(calls).toBe(1);
    expect(report?.ok).toBe(false);
    expect(run.status).toBe('error');
    expect(run.error).toContain('the dataset object is corrupt');
    expect(candidate.status).toBe('submitted');
  });

  it('ends a run of four batches with the same metrics, verdict and evidence as the in-process runner on the same candidate', async () => {
    // The equality needs several batches, not volume (1,000 cases took a third of the file's time; the volume is
    // bench/eval-state-machine.ts): 200 cases in batches of 50.
    const base = await withCases(200);
    const rc = await submittedCandidate(base);
    const inProcess = createInProcessEvalRunner(store, { batchSize: 50, evidence });
    const { run: first } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
    inProcess.start(first.id);
    await inProcess.idle();
    const reference = await store.evalRuns.getEvalRun(first.id);
    expect(reference.status).toBe('passed');
    const { run, report } = await runThroughStateMachine(rc.id, { batchSize: 50 });
    expect(run.snapshotHash).toBe(reference.snapshotHash);
    expect(run.status).toBe(reference.status);
    expect(run.totalCases).toBe(200);
    expect(run.metrics).toEqual(reference.metrics);
    expect(run.slices).toEqual(reference.slices);
    expect(run.thresholdVerdicts).toEqual(reference.thresholdVerdicts);
    expect(report?.transitions).toBe(5 + 4);
    // Both runs left their evidence in the S3 stand-in, one object per batch of 50, the same lines in both.
    expect((await evidence.listBatches(run.id)).map((b) => b.batchIndex)).toEqual([0, 1, 2, 3]);
    const last = await evidence.readBatch(run.id, 3);
    expect(last?.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
    expect(last).toEqual(await evidence.readBatch(first.id, 3));
  });

  it('runs the same steps through the Lambda entry point, told its task by EVAL_TASK, and unwraps a Lambda error cause', async () => {
    const base = await withCases(7);
    const rc = await submittedCandidate(base);
    const evalTaskHandler = createEvalTaskEntry({ store: () => store, evidence: () => evidence });
    const invoke = async (task: string, event: unknown) => {
      process.env.EVAL_TASK = task;
      try {
        return (await evalTaskHandler(event as never)) as Record<string, unknown>;
      } finally {
        delete process.env.EVAL_TASK;
      }
    };
    const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
    const plan = (await invoke('prepare', { runId: run.id })) as { batches: unknown[] };
    expect(plan.batches).toHaveLength(1);
    expect(await invoke('executeBatch', { runId: run.id, batch: plan.batches[0] })).toEqual({
      runId: run.id,
      batchIndex: 0,
    });
    const cause = JSON.stringify({ errorType: 'Error', errorMessage: 'the model endpoint refused', trace: [] });
    expect(await invoke('recordFailure', { runId: run.id, error: cause })).toEqual({ runId: run.id, status: 'error' });
    const failed = await store.evalRuns.getEvalRun(run.id);
    expect(failed.status).toBe('error');
    expect(failed.error).toBe('the model endpoint refused');
    await expect(invoke('deleteEverything', {})).rejects.toThrow(/EVAL_TASK/);
  });

  it("does not retry a step's own permanent error: a run missing a batch's evidence is caught once at Aggregate", async () => {
    const base = await withCases(12);
    const rc = await submittedCandidate(base);
    let aggregations = 0;
    const wrapTasks = (tasks: EvalTaskHandlers): EvalTaskHandlers => ({
      ...tasks,
      // Batch 1 reports success without recording its evidence: Aggregate then refuses with a ConflictError.
      executeBatch: async (event) =>
        event.batch.batchIndex === 1 ? { runId: event.runId, batchIndex: 1 } : tasks.executeBatch(event),
      aggregate: async (event) => {
        aggregations++;
        return tasks.aggregate(event);
      },
    });
    const { run, candidate, report } = await runThroughStateMachine(rc.id, { wrapTasks });
    expect(aggregations).toBe(1);
    expect(report?.retries).toBe(0);
    expect(run.status).toBe('error');
    expect(run.error).toMatch(/scored 7 of 12 cases/);
    expect(candidate.status).toBe('submitted');
  });
});
