// Eval runs: queued by run-evals, executed in batches (the Step Functions steps), finished with a verdict that
// moves the candidate to eval_passed or eval_failed in the same transaction.
import { PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, ContentionError, NotFoundError, ValidationError } from '../domain/errors.js';
import { assertSliceCap } from '../domain/eval/sizing.js';
import { newEvalRun } from '../domain/eval-run.js';
import { assertTransition } from '../domain/lifecycle.js';
import type {
  Actor,
  AiSystem,
  BaselineComparison,
  CaseResult,
  Environment,
  EvalCase,
  EvalDataset,
  EvalRun,
  EvalRunErrorCode,
  ExecutorKind,
  Metrics,
  ReleaseCandidate,
  SliceMetric,
  ThresholdVerdict,
} from '../domain/types.js';
import { batchPut } from './batch-write.js';
import { getCandidate, loadCandidate, promotionHistory, setCandidate } from './candidates.js';
import { allDatasetCases } from './datasets.js';
import { buildCondition, buildKeyCondition, updateParams } from './expressions.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { batchGet, type Item, runUnitOfWork, type StoreContext, type SystemTx, sleep } from './unit-of-work.js';

/** Queues an eval run of the candidate's current snapshot; the candidate moves to evaluating. */
export async function createEvalRun(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  executor: ExecutorKind,
  cost: Pick<EvalRun, 'costEstimate' | 'maxCost'> = {},
): Promise<{ run: EvalRun; candidate: ReleaseCandidate }> {
  const current = await getCandidate(ctx, candidateId);
  const preload = [
    keys.candidate(candidateId),
    ...current.datasetIds.map(keys.dataset),
    ...current.datasetIds.map(keys.datasetFacts),
  ];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
    const candidate = loadCandidate(tx, candidateId);
    assertTransition('candidate', candidate.status, 'evaluating');
    const datasets = candidate.datasetIds.map((id) => tx.get<EvalDataset>(keys.dataset(id)));
    if (datasets.some((d) => !d)) throw new ConflictError('a dataset of the candidate is missing');
    // The run's slices are the union of its datasets' (a dataset written before they were recorded counts none).
    const sliceTags = new Set(
      candidate.datasetIds.flatMap((id) => tx.get<{ sliceTags?: string[] }>(keys.datasetFacts(id))?.sliceTags ?? []),
    );
    assertSliceCap([...sliceTags], 'datasetIds');
    const totalCases = datasets.reduce((sum, d) => sum + (d?.caseCount ?? 0), 0);
    if (totalCases === 0)
      throw new ConflictError('the candidate has no cases to evaluate; add datasets', { code: 'EVAL_MISSING' });
    const run: EvalRun = {
      ...newEvalRun(candidate, actor, tx.now, { executor, status: 'queued', totalCases, startedAt: null }),
      ...(cost.costEstimate ? { costEstimate: cost.costEstimate } : {}),
      ...(cost.maxCost !== undefined ? { maxCost: cost.maxCost, spentUsd: 0 } : {}),
    };
    tx.put({ ...keys.evalRun(run.id), ...keys.evalRunIndexes(candidateId, run.id), itemType: 'eval_run', ...run });
    tx.put({
      ...keys.evalRunUnfinished(run.id),
      ...keys.evalRunUnfinishedIndex(run.id),
      itemType: 'eval_run_unfinished',
      runId: run.id,
      executor,
    });
    const set = { status: 'evaluating' as const, latestEvalRunId: run.id, latestEvalStatus: 'queued' as const };
    setCandidate(tx, candidate, set);
    tx.audit({
      action: 'eval_run.queued',
      entityType: 'eval_run',
      entityId: run.id,
      before: { candidateStatus: candidate.status },
      after: {
        candidateStatus: 'evaluating',
        executor,
        totalCases,
        snapshotHash: candidate.snapshotHash,
        ...(cost.costEstimate ? { estimatedCost: cost.costEstimate.cost } : {}),
        ...(cost.maxCost !== undefined ? { maxCost: cost.maxCost } : {}),
      },
    });
    return { run, candidate: { ...candidate, ...set, version: candidate.version + 1 } };
  });
  return result;
}

/** One eval run, or a 404. */
export async function getEvalRun(ctx: StoreContext, id: string): Promise<EvalRun> {
  const item = await getItem(ctx, keys.evalRun(id));
  if (!item) throw new NotFoundError(`eval run ${id} not found`, { id });
  return toEntity<EvalRun>(item);
}

/** Runs of a candidate (newest first), or every run. */
export function listEvalRuns(
  ctx: StoreContext,
  filter: { candidateId?: string },
  page: PageRequest,
): Promise<Page<EvalRun>> {
  if (filter.candidateId) {
    return queryPage(ctx, { ...queries.runsOfCandidate(filter.candidateId), newestFirst: true, ...page });
  }
  return queryPage(ctx, { ...queries.allOfType('RUN'), newestFirst: true, ...page });
}

/** One transition of a run and its candidate in one unit of work, with both freshly read inside it. */
async function changeRun<T>(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  change: (tx: SystemTx, run: EvalRun, candidate: ReleaseCandidate) => T,
): Promise<T> {
  const first = await getEvalRun(ctx, id);
  const { result } = await runUnitOfWork(
    ctx,
    first.systemId,
    actor,
    [keys.evalRun(id), keys.candidate(first.candidateId)],
    (tx) => change(tx, toEntity<EvalRun>(tx.get(keys.evalRun(id)) ?? {}), loadCandidate(tx, first.candidateId)),
  );
  return result;
}

/** queued → running, audited. */
export async function startEvalRun(ctx: StoreContext, actor: Actor, id: string): Promise<EvalRun> {
  return changeRun(ctx, actor, id, (tx, run, candidate) => {
    assertTransition('eval_run', run.status, 'running');
    tx.update(keys.evalRun(id), {
      set: { status: 'running', startedAt: tx.now },
      conditions: [{ path: 'status', op: '=', value: 'queued' }],
    });
    setCandidate(tx, candidate, { latestEvalStatus: 'running' });
    tx.audit({
      action: 'eval_run.started',
      entityType: 'eval_run',
      entityId: id,
      before: { status: 'queued' },
      after: { status: 'running' },
    });
    return { ...run, status: 'running' as const, startedAt: tx.now };
  });
}

/**
 * Records a scored batch: its serialisable aggregate, and advances the progress counter. The batch's per-case
 * evidence is in the evidence store already (functions/store/evidence-store.ts). Safe to repeat (a Step Functions
 * retry, a resumed run): the counter moves only when the batch's aggregate item is new, and not at all for a
 * submitted run (`advanceProgress: false`), whose posts counted its cases.
 */
export async function recordBatch(
  ctx: StoreContext,
  runId: string,
  batch: { batchIndex: number; count: number; aggregate: unknown; notExecuted?: number },
  options: { advanceProgress?: boolean } = {},
): Promise<{ recorded: boolean }> {
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: {
          ...keys.evalBatchAggregate(runId, batch.batchIndex),
          itemType: 'eval_aggregate',
          batchIndex: batch.batchIndex,
          aggregate: batch.aggregate,
          count: batch.count,
        },
        ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return { recorded: false };
    throw error;
  }
  if (ctx.meter) ctx.meter.writes += 1;
  // A submitted run's cases were counted as they were posted: its batches only aggregate them.
  if (options.advanceProgress === false) return { recorded: true };
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.evalRun(runId),
      // Cases the cost ceiling kept from running are counted apart: the aggregate step ends such a run in error.
      ...updateParams({
        add: { casesDone: batch.count, ...(batch.notExecuted ? { casesNotExecuted: batch.notExecuted } : {}) },
      }),
    }),
  );
  if (ctx.meter) ctx.meter.writes += 1;
  return { recorded: true };
}

/** Whether a batch of the run has its aggregate recorded (so a resumed or retried run does not score it again). */
export async function batchRecorded(ctx: StoreContext, runId: string, batchIndex: number): Promise<boolean> {
  return (await getItem(ctx, keys.evalBatchAggregate(runId, batchIndex))) !== undefined;
}

/**
 * Ids of the runs left queued or running (oldest first), from the sparse gsi2 partition their unfinished marker
 * sits in: a Query, never a Scan. The local stack resumes them on start.
 */
export async function unfinishedEvalRunIds(ctx: StoreContext): Promise<string[]> {
  const items = await queryAll<{ runId: string }>(ctx, queries.unfinishedRuns());
  return items.map((i) => i.runId);
}

/** Stores per-case results at their case index (deterministic keys, so a repeat overwrites, never duplicates). */
export async function recordCaseResults(
  ctx: StoreContext,
  runId: string,
  results: { index: number; result: CaseResult }[],
): Promise<void> {
  await batchPut(
    ctx,
    results.map(({ index, result }) => ({
      ...keys.evalCaseResult(runId, index),
      itemType: 'eval_case',
      index,
      ...result,
    })),
  );
}

/** Sets the progress counter of a run whose cases arrive from a pipeline. */
export async function setCasesDone(ctx: StoreContext, runId: string, casesDone: number): Promise<void> {
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.evalRun(runId),
      ...updateParams({ set: { casesDone } }),
    }),
  );
}

/** The stored batch aggregates of a run, in batch order. */
export async function batchAggregates(ctx: StoreContext, runId: string): Promise<unknown[]> {
  const p = keys.evalBatchAggregatePrefix(runId);
  const items = await queryAll<{ aggregate: unknown }>(ctx, { partition: p.pk, prefix: p.skPrefix });
  return items.map((i) => i.aggregate);
}

/** Indexes of cases that already have a stored result (for submitted outputs arriving in several posts). */
export async function scoredCaseCount(ctx: StoreContext, runId: string): Promise<number> {
  const p = keys.evalCaseResultPrefix(runId);
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tableName,
        ...buildKeyCondition({ partition: p.pk, prefix: p.skPrefix }),
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

/** A page of a run's per-case evidence, in case order. */
export async function listCaseResults(
  ctx: StoreContext,
  runId: string,
  page: PageRequest,
): Promise<Page<CaseResult & { index: number }>> {
  const p = keys.evalCaseResultPrefix(runId);
  const found = await queryPage<CaseResultItem>(ctx, { partition: p.pk, prefix: p.skPrefix, ...page });
  // Whether a case waits for the eval worker, and where its posted text is kept, are the worker's business: a waiting
  // case reads as one without verdicts until it is graded (the run is aggregating meanwhile).
  return { ...found, items: found.items.map(({ texts: _texts, awaitingGrading: _waiting, ...item }) => item) };
}

/** A finished run leaves the sparse index of unfinished runs (its marker keeps no index keys). */
const FINISHED_MARKER = { set: { finished: true }, remove: ['gsi2pk', 'gsi2sk'] };

export interface EvalOutcome {
  passed: boolean;
  metrics: Metrics;
  slices: SliceMetric[];
  thresholdVerdicts: ThresholdVerdict[];
  comparisons: BaselineComparison[];
  failureReasons: string[];
}

/** running → passed | failed with the verdict; the candidate moves to eval_passed | eval_failed atomically. */
export async function completeEvalRun(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  outcome: EvalOutcome,
): Promise<EvalRun> {
  return changeRun(ctx, actor, id, (tx, run, candidate) => {
    const status = outcome.passed ? 'passed' : 'failed';
    assertTransition('eval_run', run.status, status);
    if (candidate.latestEvalRunId !== id)
      throw new ConflictError('a newer eval run replaced this one', { code: 'EVAL_STALE' });
    const set = { ...outcome, status, finishedAt: tx.now };
    delete (set as Partial<typeof set>).passed;
    tx.update(keys.evalRun(id), { set, conditions: [{ path: 'status', op: '=', value: run.status }] });
    tx.update(keys.evalRunUnfinished(id), FINISHED_MARKER);
    const candidateStatus = outcome.passed ? 'eval_passed' : 'eval_failed';
    setCandidate(tx, candidate, { status: candidateStatus, latestEvalStatus: status });
    tx.audit({
      action: `eval_run.${status}`,
      entityType: 'eval_run',
      entityId: id,
      before: { status: run.status, candidateStatus: candidate.status },
      after: { status, candidateStatus, metrics: outcome.metrics, failureReasons: outcome.failureReasons },
    });
    return { ...run, ...set } as EvalRun;
  });
}

/** Marks a run as error (an executor or infrastructure failure, not a verdict); the candidate can be re-evaluated. */
export async function failEvalRun(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  error: string,
  errorCode?: EvalRunErrorCode,
): Promise<EvalRun> {
  return changeRun(ctx, actor, id, (tx, run, candidate) => {
    assertTransition('eval_run', run.status, 'error');
    tx.update(keys.evalRun(id), {
      set: { status: 'error', error, finishedAt: tx.now, ...(errorCode ? { errorCode } : {}) },
      conditions: [{ path: 'status', op: '=', value: run.status }],
    });
    tx.update(keys.evalRunUnfinished(id), FINISHED_MARKER);
    if (candidate.latestEvalRunId === id && candidate.status === 'evaluating') {
      setCandidate(tx, candidate, { status: 'submitted', latestEvalStatus: 'error' });
    }
    tx.audit({
      action: 'eval_run.error',
      entityType: 'eval_run',
      entityId: id,
      before: { status: run.status },
      after: { status: 'error', ...(errorCode ? { errorCode } : {}) },
      reason: error,
    });
    return { ...run, status: 'error' as const, error, finishedAt: tx.now, ...(errorCode ? { errorCode } : {}) };
  });
}

export interface Baseline {
  kind: 'active' | 'last_known_good';
  candidateId: string;
  run: EvalRun;
}

/** The runs a new candidate is compared with: the active release's and the last-known-good release's latest passed run. */
export async function baselinesFor(
  ctx: StoreContext,
  systemId: string,
  environment: Environment,
  excludeCandidateId: string,
): Promise<Baseline[]> {
  const systemItem = await getItem(ctx, keys.system(systemId));
  if (!systemItem) return [];
  const system = toEntity<AiSystem>(systemItem);
  const activeId = system.activeReleases[environment];
  const history = (await promotionHistory(ctx, systemId)).filter((h) => h.environment === environment).reverse();
  const ids = [
    ...new Set(
      [activeId, ...history.map((h) => h.candidateId)].filter((x): x is string => !!x && x !== excludeCandidateId),
    ),
  ];
  const loaded = await batchGet(ctx, ids.map(keys.candidate));
  const candidates = ids
    .map((id) => loaded.get(`${keys.candidate(id).pk}|META`))
    .filter(Boolean)
    .map((i) => toEntity<ReleaseCandidate>(i as Record<string, unknown>));
  const lkg = candidates.find((c) => c.id !== activeId && c.status === 'superseded');
  const picks: { kind: Baseline['kind']; candidate: ReleaseCandidate | undefined }[] = [
    { kind: 'active', candidate: candidates.find((c) => c.id === activeId) },
    { kind: 'last_known_good', candidate: lkg },
  ];
  const baselines: Baseline[] = [];
  for (const pick of picks) {
    if (!pick.candidate?.latestEvalRunId) continue;
    const run = await getEvalRun(ctx, pick.candidate.latestEvalRunId).catch(() => null);
    if (run?.status === 'passed') baselines.push({ kind: pick.kind, candidateId: pick.candidate.id, run });
  }
  return baselines;
}

/** Where one dataset's cases sit in a run's case order: run indexes [offset, offset + count). */
export interface RunDatasetSpan {
  datasetId: string;
  offset: number;
  count: number;
  /** The dataset's default assertions (applied to each of its cases before their own); absent when none. */
  defaultAssert?: NonNullable<EvalDataset['defaultAssert']>;
}

/** The spans of a run's datasets, in the candidate's order (one BatchGetItem of their META items). */
export async function runDatasetSpans(ctx: StoreContext, datasetIds: readonly string[]): Promise<RunDatasetSpan[]> {
  const found = await batchGet(ctx, datasetIds.map(keys.dataset));
  const spans: RunDatasetSpan[] = [];
  let offset = 0;
  for (const datasetId of datasetIds) {
    const item = found.get(`${keys.dataset(datasetId).pk}|META`);
    if (!item) throw new ConflictError(`dataset ${datasetId} of the run is missing`);
    const count = (item.caseCount as number) ?? 0;
    const defaultAssert = item.defaultAssert as EvalDataset['defaultAssert'];
    spans.push({ datasetId, offset, count, ...(defaultAssert?.length ? { defaultAssert } : {}) });
    offset += count;
  }
  return spans;
}

const stripCase = (c: Item): EvalCase => ({
  caseId: c.caseId as string,
  input: c.input as EvalCase['input'],
  expectedLabel: (c.expectedLabel as string | null | undefined) ?? null,
  expectedOutput: (c.expectedOutput as EvalCase['expectedOutput'] | undefined) ?? null,
  tags: (c.tags as string[] | undefined) ?? [],
  ...(Array.isArray(c.assert) && c.assert.length ? { assert: c.assert as NonNullable<EvalCase['assert']> } : {}),
});

/**
 * The cases of a run at indexes [start, end), in order: each dataset's part read by one sort-key range
 * (`CASE#<from>` BETWEEN `CASE#<to>`), so a batch reads its own cases and nothing else of the run.
 */
export async function runCasesInRange(
  ctx: StoreContext,
  spans: readonly RunDatasetSpan[],
  start: number,
  end: number,
): Promise<EvalCase[]> {
  const cases: EvalCase[] = [];
  for (const span of spans) {
    const from = Math.max(start, span.offset) - span.offset;
    const to = Math.min(end, span.offset + span.count) - span.offset;
    if (from >= to) continue;
    const items = await queryAll<Item>(ctx, {
      partition: keys.dataset(span.datasetId).pk,
      between: [keys.datasetCase(span.datasetId, from).sk, keys.datasetCase(span.datasetId, to - 1).sk],
    });
    cases.push(...items.map(stripCase));
  }
  return cases;
}

/** The stored results of a run at indexes [start, end), by one sort-key range. */
export async function caseResultsInRange(
  ctx: StoreContext,
  runId: string,
  start: number,
  end: number,
): Promise<CaseResultItem[]> {
  if (start >= end) return [];
  return queryAll<CaseResultItem>(ctx, {
    partition: keys.evalRun(runId).pk,
    between: [keys.evalCaseResult(runId, start).sk, keys.evalCaseResult(runId, end - 1).sk],
  });
}

/** Labels and slice tags of the run's datasets; null when a dataset predates them (then its cases must be read). */
export async function runDatasetFacts(
  ctx: StoreContext,
  datasetIds: readonly string[],
): Promise<{ labels: string[]; sliceTags: string[] } | null> {
  const found = await batchGet(ctx, datasetIds.map(keys.datasetFacts));
  const labels = new Set<string>();
  const sliceTags = new Set<string>();
  for (const id of datasetIds) {
    const facts = found.get(`${keys.datasetFacts(id).pk}|FACTS`);
    if (!facts) return null;
    for (const label of facts.labels as string[]) labels.add(label);
    for (const tag of facts.sliceTags as string[]) sliceTags.add(tag);
  }
  return { labels: [...labels].sort(), sliceTags: [...sliceTags].sort() };
}

/** A posted case located in the run: its index in the run's case order and the case itself. */
export interface PostedCase {
  index: number;
  evalCase: EvalCase;
}

/**
 * Finds the cases a post names, reading only those: the case-id entries (`CID#<caseId>`) of the datasets that hold
 * them, then the cases they point at. A dataset written before it had case-id entries is read whole, as every post
 * did before. Unknown ids are refused, and so are ids that two datasets share where a probe meets them (a shared id
 * elsewhere is matched to the first dataset that holds it); nothing is written.
 */
export async function findPostedCases(
  ctx: StoreContext,
  spans: readonly RunDatasetSpan[],
  caseIds: readonly string[],
): Promise<Map<string, PostedCase>> {
  const facts = await batchGet(
    ctx,
    spans.map((s) => keys.datasetFacts(s.datasetId)),
  );
  const located = new Map<string, { span: RunDatasetSpan; local: number }[]>();
  const note = (caseId: string, span: RunDatasetSpan, local: number) => {
    const list = located.get(caseId) ?? [];
    list.push({ span, local });
    located.set(caseId, list);
  };
  const preloaded = new Map<string, EvalCase>();
  const indexed = spans.filter((s) => facts.has(`${keys.datasetFacts(s.datasetId).pk}|FACTS`));
  for (const span of spans) {
    if (indexed.includes(span)) continue;
    const all = await allDatasetCases(ctx, span.datasetId);
    const wanted = new Set(caseIds);
    all.forEach((c, local) => {
      if (!wanted.has(c.caseId)) return;
      note(c.caseId, span, local);
      preloaded.set(`${span.datasetId}|${local}`, c);
    });
  }
  // Each round probes the first id not yet located in every dataset left (one small BatchGetItem), then looks up all
  // ids not yet located in the dataset that holds it: a page from one dataset costs one probe and its own lookups,
  // whatever the number of datasets.
  let remaining = caseIds.filter((id) => !located.has(id));
  let left = [...indexed];
  while (remaining.length > 0 && left.length > 0) {
    const probe = remaining[0] as string;
    const probed = await batchGet(
      ctx,
      left.map((span) => keys.datasetCaseId(span.datasetId, probe)),
    );
    const holders = left.filter((span) => probed.has(`${keys.datasetCaseId(span.datasetId, probe).pk}|CID#${probe}`));
    if (holders.length === 0) {
      remaining = remaining.slice(1);
      continue;
    }
    for (const span of holders) {
      const entries = await batchGet(
        ctx,
        remaining.map((caseId) => keys.datasetCaseId(span.datasetId, caseId)),
      );
      for (const caseId of remaining) {
        const entry = entries.get(`${keys.datasetCaseId(span.datasetId, caseId).pk}|CID#${caseId}`);
        if (entry) note(caseId, span, entry.index as number);
      }
    }
    left = left.filter((span) => !holders.includes(span));
    remaining = remaining.filter((id) => !located.has(id));
  }
  const unknown = caseIds.filter((id) => !located.has(id));
  if (unknown.length)
    throw new ValidationError(`unknown case ids: ${unknown.slice(0, 10).join(', ')}`, { field: 'results' });
  const shared = caseIds.filter((id) => (located.get(id)?.length ?? 0) > 1);
  if (shared.length) {
    throw new ConflictError(
      `the candidate's datasets share case ids (${shared.slice(0, 10).join(', ')}), so submitted outputs cannot be matched to cases; use datasets with distinct case ids`,
      { code: 'INVALID_STATE' },
    );
  }
  const toRead = caseIds
    .map((id) => (located.get(id) ?? [])[0] as { span: RunDatasetSpan; local: number })
    .filter(({ span, local }) => !preloaded.has(`${span.datasetId}|${local}`));
  const read = await batchGet(
    ctx,
    toRead.map(({ span, local }) => keys.datasetCase(span.datasetId, local)),
  );
  const out = new Map<string, PostedCase>();
  for (const caseId of caseIds) {
    const { span, local } = (located.get(caseId) ?? [])[0] as { span: RunDatasetSpan; local: number };
    const key = keys.datasetCase(span.datasetId, local);
    const item = read.get(`${key.pk}|${key.sk}`);
    const evalCase = preloaded.get(`${span.datasetId}|${local}`) ?? (item ? stripCase(item) : undefined);
    if (!evalCase) throw new ConflictError(`case ${caseId} of dataset ${span.datasetId} is missing`);
    out.set(caseId, { index: span.offset + local, evalCase });
  }
  return out;
}

/**
 * A posted case's result as it is recorded. `grading`: its assertions include model-graded ones (llm-rubric,
 * similar), which the eval worker grades once every case is posted (ADR 0050); `texts` names the evidence object
 * that keeps the posted text they judge (absent when the case posted none: the output object is judged).
 */
export interface PostedResult {
  index: number;
  result: CaseResult;
  grading?: { texts: string | null };
}

/** A recorded case result that waits for the eval worker to grade its model-graded assertions. */
export type CaseResultItem = CaseResult & { index: number; awaitingGrading?: true; texts?: string };

/**
 * Records the eval worker's verdicts on cases that waited for grading: each item gets its assertions and stops
 * waiting, on condition that it still waits, so a retried batch never replaces a verdict already recorded (a judge
 * may answer differently twice). Answers the indexes another attempt had graded first.
 */
export async function recordGradedResults(
  ctx: StoreContext,
  runId: string,
  graded: readonly { index: number; assertions: NonNullable<CaseResult['assertions']> }[],
): Promise<{ gradedBefore: number[] }> {
  const gradedBefore: number[] = [];
  for (const g of graded) {
    try {
      await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.tableName,
          Key: keys.evalCaseResult(runId, g.index),
          ...updateParams({
            set: { assertions: g.assertions },
            remove: ['awaitingGrading', 'texts'],
            conditions: [{ path: 'awaitingGrading', op: 'exists' }],
          }),
        }),
      );
      if (ctx.meter) ctx.meter.writes += 1;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      gradedBefore.push(g.index);
    }
  }
  return { gradedBefore };
}

/** Results per TransactWriteItems: 99 puts and the run's counter (DynamoDB takes 100 actions a transaction). */
const RESULTS_PER_TRANSACTION = 99;
const TRANSACTION_ATTEMPTS = 12;

/**
 * Records posted results and counts them on the run with an atomic counter, in the same transactions: each result
 * is put only if its case has none yet, and `casesDone` is ADDed the number of puts, on condition that the run is
 * still running. A case posted twice (a retried request, two racing pipelines) keeps its first result and is
 * counted once, so the counter is exact under concurrent posts. Answers how many were new.
 */
export async function recordPostedResults(
  ctx: StoreContext,
  runId: string,
  results: readonly PostedResult[],
): Promise<{ recorded: number; alreadyPosted: number }> {
  let recorded = 0;
  let alreadyPosted = 0;
  for (let i = 0; i < results.length; i += RESULTS_PER_TRANSACTION) {
    let chunk = results.slice(i, i + RESULTS_PER_TRANSACTION);
    for (let attempt = 0; chunk.length > 0; attempt++) {
      if (attempt >= TRANSACTION_ATTEMPTS) throw new ContentionError('results of this run kept colliding; try again');
      const put = (r: (typeof chunk)[number]) => ({
        Put: {
          TableName: ctx.tableName,
          Item: {
            ...keys.evalCaseResult(runId, r.index),
            itemType: 'eval_case',
            index: r.index,
            ...r.result,
            ...(r.grading ? { awaitingGrading: true, ...(r.grading.texts ? { texts: r.grading.texts } : {}) } : {}),
          },
          ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
        },
      });
      const counter = {
        Update: {
          TableName: ctx.tableName,
          Key: keys.evalRun(runId),
          ...updateParams({
            add: {
              casesDone: chunk.length,
              ...(chunk.some((r) => r.grading) ? { casesToGrade: chunk.filter((r) => r.grading).length } : {}),
            },
            conditions: [{ path: 'status', op: '=', value: 'running' }],
          }),
        },
      };
      try {
        await ctx.doc.send(new TransactWriteCommand({ TransactItems: [...chunk.map(put), counter] }));
        if (ctx.meter) ctx.meter.writes += 1;
        recorded += chunk.length;
        chunk = [];
      } catch (error) {
        if ((error as Error).name !== 'TransactionCanceledException') throw error;
        const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
        if (reasons[chunk.length]?.Code === 'ConditionalCheckFailed')
          throw new ConflictError(`eval run ${runId} no longer takes results`, { code: 'INVALID_STATE' });
        const posted = new Set(chunk.filter((_, k) => reasons[k]?.Code === 'ConditionalCheckFailed'));
        if (posted.size > 0) {
          alreadyPosted += posted.size;
          chunk = chunk.filter((r) => !posted.has(r));
        } else {
          // TransactionConflict: another post changed the counter at the same time. Back off and try again.
          await sleep(Math.floor(Math.random() * 20 * 2 ** Math.min(attempt, 5)));
        }
      }
    }
  }
  return { recorded, alreadyPosted };
}

/**
 * running → aggregating once every case of a submitted run is posted, audited; the candidate's latest status
 * follows. Only one post wins (`started`); the others find the run aggregating already and start nothing.
 */
export async function beginAggregation(
  ctx: StoreContext,
  actor: Actor,
  id: string,
): Promise<{ started: boolean; run: EvalRun }> {
  try {
    return await changeRun(ctx, actor, id, (tx, run, candidate) => {
      // Another post won (or the run is not complete): a unit of work must write, so leave by a throw.
      if (run.status !== 'running' || run.casesDone < run.totalCases) throw new NotAggregating(run);
      return aggregate(tx, run, candidate);
    });
  } catch (error) {
    if (error instanceof NotAggregating) return { started: false, run: error.run };
    throw error;
  }

  function aggregate(tx: SystemTx, run: EvalRun, candidate: ReleaseCandidate) {
    assertTransition('eval_run', run.status, 'aggregating');
    tx.update(keys.evalRun(id), {
      set: { status: 'aggregating' },
      conditions: [{ path: 'status', op: '=', value: 'running' }],
    });
    if (candidate.latestEvalRunId === id) setCandidate(tx, candidate, { latestEvalStatus: 'aggregating' });
    tx.audit({
      action: 'eval_run.aggregating',
      entityType: 'eval_run',
      entityId: id,
      before: { status: 'running' },
      after: { status: 'aggregating', casesDone: run.casesDone },
    });
    return { started: true, run: { ...run, status: 'aggregating' as const } };
  }
}

/** The run a post found already aggregating, or not complete: beginAggregation's loser starts nothing. */
class NotAggregating extends Error {
  constructor(readonly run: EvalRun) {
    super(`eval run ${run.id} is ${run.status}`);
  }
}
