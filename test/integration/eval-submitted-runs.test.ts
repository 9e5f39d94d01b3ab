// Submitted runs posted in pages against DynamoDB Local: each post reads only the cases it names, an atomic counter
// in the posts' own transactions counts every case once under racing posts, the last post hands the run to a
// background aggregation (by key-range batches) whose verdict equals today's inline aggregate, and a run's distinct
// slices are capped before anything is written.
//
// AWS rules the counter's transactions follow (DynamoDB Local holds them too): TransactWriteItems "groups up to 100
// action requests" and no two actions may target the same item, and a condition not met cancels the whole
// transaction with a reason per action (Amazon DynamoDB API Reference, "TransactWriteItems" and
// "TransactionCanceledException", docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
// hence 99 conditional puts plus the run's ADD a transaction, and puts refused by their condition retried without.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../functions/domain/errors.js';
import type { Submission } from '../../functions/domain/eval/index.js';
import { addResult, emptyAggregate, finishMetrics, MAX_SLICES_PER_RUN } from '../../functions/domain/eval/index.js';
import type { CaseResult, EvalCase } from '../../functions/domain/types.js';
import type { GovernanceStore, RequestMeter } from '../../functions/store/index.js';
import { allPages } from '../../functions/store/pagination.js';
import { aggregateSubmittedRunInProcess, submitEvalResults } from '../../functions/workflows/eval-steps.js';
import { cases } from '../support/fixtures.js';
import { draftCandidate, type GovernedSystem, governedSystem, owner } from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

const meter: RequestMeter = { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 };
let store: GovernanceStore;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ store, drop } = await createTestStore({ meter }));
});
afterAll(async () => drop?.());

/** An output for a case: right for two of three cases, so the metrics are not all ones. */
function outputFor(c: EvalCase, i: number): Submission {
  const label = i % 3 === 2 ? 'account-wrong' : c.expectedLabel;
  return { caseId: c.caseId, output: { label, confidence: 0.8 }, latencyMs: 100 + (i % 17), costUsd: 0.0001 * (i % 5) };
}

/** A second dataset of the system with case ids of its own. */
async function extraDataset(base: GovernedSystem, n: number, prefix: string) {
  return store.datasets.createDataset(owner, {
    systemId: base.system.id,
    name: `extra-${prefix}`,
    kind: 'regression',
    description: 'more cases',
    cases: cases(n).map((c) => ({ ...c, caseId: `${prefix}-${c.caseId}`, tags: [...c.tags, `segment:${prefix}`] })),
  });
}

/** A submitted run over the given datasets of a fresh system (the first holds `n` cases). */
async function submittedRun(n: number, extra: number[] = []) {
  const base = await governedSystem(store, { cases: n });
  const more = [];
  for (const [k, size] of extra.entries()) more.push(await extraDataset(base, size, `x${k}`));
  const draft = await draftCandidate(store, base, { datasetIds: [base.dataset.id, ...more.map((d) => d.id)] });
  await store.candidates.submitCandidate(owner, draft.id);
  const { run } = await store.evalRuns.createEvalRun(owner, draft.id, 'submitted');
  const all: EvalCase[] = [];
  for (const id of [base.dataset.id, ...more.map((d) => d.id)]) all.push(...(await store.datasets.allDatasetCases(id)));
  return { base, run, cases: all, submissions: all.map(outputFor) };
}

describe('a submitted run posted in pages', () => {
  it('reads only the cases a post names: ten cases of a 150-case run cost what ten of a 20-case run cost', async () => {
    // Prepare
    const small = await submittedRun(20);
    const large = await submittedRun(150);
    const measure = async (run: { id: string }, posted: Submission[]) => {
      Object.assign(meter, { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 });
      await submitEvalResults(store, owner, run.id, posted, { startAggregation: () => undefined });
      return { reads: meter.reads, readCapacity: meter.readCapacity };
    };
    // The first post also starts the run: measure a second post of ten cases.
    await measure(small.run, small.submissions.slice(0, 1));
    await measure(large.run, large.submissions.slice(0, 1));

    // Act
    const smallPost = await measure(small.run, small.submissions.slice(10, 20));
    const largePost = await measure(large.run, large.submissions.slice(10, 20));

    // Assess
    expect(largePost.reads).toBe(smallPost.reads);
    expect(largePost.readCapacity).toBe(smallPost.readCapacity);
    expect((await store.evalRuns.getEvalRun(large.run.id)).casesDone).toBe(11);
  });

  it('counts every case exactly once when pages race and one page is posted twice at the same time', async () => {
    // Prepare
    // Six racing pages of ten (each its own transaction, as a page of twenty was): the race needs pages, not cases.
    const { base, run, submissions } = await submittedRun(60);
    const pages = Array.from({ length: 6 }, (_, p) => submissions.slice(p * 10, (p + 1) * 10));
    const posts = [...pages, pages[2] as Submission[]];

    // Act
    const outcomes = await Promise.allSettled(posts.map((page) => submitEvalResults(store, owner, run.id, page)));

    // Assess: the duplicate page either lost the race for each case (already posted) or came after the run closed.
    const answered = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(refused.map((e) => (e as ConflictError).detail?.code)).toEqual(refused.map(() => 'INVALID_STATE'));
    expect(answered.reduce((n, o) => n + o.recorded, 0)).toBe(60);
    const done = await store.evalRuns.getEvalRun(run.id);
    expect(done.casesDone).toBe(60);
    expect(done.status).toBe('passed');
    expect(await store.evalRuns.scoredCaseCount(run.id)).toBe(60);
    // The post that completed the run handed it over once, and the audit chain says so.
    const events = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    expect(events.filter((e) => e.action === 'eval_run.aggregating').map((e) => e.entityId)).toEqual([run.id]);
  });

  it("aggregates in key-range batches to exactly today's inline aggregate of the same results, over three datasets", async () => {
    // Prepare
    const { run, submissions } = await submittedRun(60, [45, 20]);
    let handedOver: string | null = null;
    for (let i = 0; i < submissions.length; i += 35) {
      await submitEvalResults(store, owner, run.id, submissions.slice(i, i + 35), {
        startAggregation: (runId) => {
          handedOver = runId;
        },
      });
    }
    const waiting = await store.evalRuns.getEvalRun(run.id);

    // Act
    await aggregateSubmittedRunInProcess(store, run.id);

    // Assess: the inline aggregate of today, every stored result added one by one in case order.
    const inline = emptyAggregate();
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof store.evalRuns.listCaseResults>> = await store.evalRuns.listCaseResults(
        run.id,
        { limit: 100, cursor },
      );
      for (const r of page.items) addResult(inline, r as CaseResult);
      cursor = page.nextCursor;
    } while (cursor);
    const expected = finishMetrics(inline);
    const done = await store.evalRuns.getEvalRun(run.id);
    expect(handedOver).toBe(run.id);
    expect(waiting).toMatchObject({ status: 'aggregating', casesDone: 125 });
    expect(done.status === 'passed' || done.status === 'failed').toBe(true);
    expect(done.metrics).toEqual(expected.metrics);
    expect(done.slices).toEqual(expected.slices);
    expect(done.slices.map((s) => s.slice)).toContain('segment:x1');
    expect(inline.cases).toBe(125);
  });

  it('refuses a post to a run that is aggregating and writes nothing of it', async () => {
    // Prepare
    const { run, submissions } = await submittedRun(20);
    await submitEvalResults(store, owner, run.id, submissions, { startAggregation: () => undefined });

    // Act
    const error = await submitEvalResults(store, owner, run.id, submissions.slice(0, 3)).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).detail.code).toBe('INVALID_STATE');
    expect(await store.evalRuns.getEvalRun(run.id)).toMatchObject({ status: 'aggregating', casesDone: 20 });
  });

  it('reads a batch of cases by key range across the boundary of two datasets', async () => {
    // Prepare
    const { run } = await submittedRun(30, [10]);
    const candidate = await store.candidates.getCandidate(run.candidateId);
    const spans = await store.evalRuns.runDatasetSpans(candidate.datasetIds);

    // Act
    const batch = await store.evalRuns.runCasesInRange(spans, 25, 35);

    // Assess
    expect(batch.map((c) => c.caseId)).toEqual([
      'case-25',
      'case-26',
      'case-27',
      'case-28',
      'case-29',
      'x0-case-0',
      'x0-case-1',
      'x0-case-2',
      'x0-case-3',
      'x0-case-4',
    ]);
  });
});

describe('the cap on distinct slices', () => {
  const tagged = (n: number, prefix: string) =>
    cases(n).map((c, i) => ({ ...c, caseId: `${prefix}-${i}`, tags: [`segment:${prefix}-${i}`] }));

  it(`refuses a dataset whose cases carry more than ${MAX_SLICES_PER_RUN} distinct slices, naming the field, and writes nothing`, async () => {
    // Prepare
    const base = await governedSystem(store, { cases: 2 });

    // Act
    const error = await store.datasets
      .createDataset(owner, {
        systemId: base.system.id,
        name: 'too-sliced',
        kind: 'baseline',
        description: 'one slice a case',
        cases: tagged(MAX_SLICES_PER_RUN + 1, 's'),
      })
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).detail).toMatchObject({ code: 'TOO_MANY_SLICES', field: 'cases' });
    const listed = await store.datasets.listDatasets({ systemId: base.system.id }, {});
    expect(listed.items.map((d) => d.name)).toEqual(['baseline']);
  });

  it('refuses a run whose datasets together carry more distinct slices than the cap, before it is queued', async () => {
    // Prepare
    const base = await governedSystem(store, { cases: 2 });
    const half = Math.ceil((MAX_SLICES_PER_RUN + 1) / 2);
    const datasets = [];
    for (const prefix of ['a', 'b']) {
      datasets.push(
        await store.datasets.createDataset(owner, {
          systemId: base.system.id,
          name: `half-${prefix}`,
          kind: 'regression',
          description: 'half the slices',
          cases: tagged(half, prefix),
        }),
      );
    }
    const draft = await draftCandidate(store, base, { datasetIds: datasets.map((d) => d.id) });
    await store.candidates.submitCandidate(owner, draft.id);

    // Act
    const error = await store.evalRuns.createEvalRun(owner, draft.id, 'simulated').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).detail).toMatchObject({ code: 'TOO_MANY_SLICES', field: 'datasetIds' });
    expect(await store.candidates.getCandidate(draft.id)).toMatchObject({ status: 'submitted', latestEvalRunId: null });
  });
});
