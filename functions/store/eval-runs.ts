// Eval runs: queued by run-evals, executed in batches (the Step Functions steps), finished with a verdict that
// moves the candidate to eval_passed or eval_failed in the same transaction.
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { newEvalRun } from '../domain/eval-run.js';
import { assertTransition } from '../domain/lifecycle.js';
import type {
  Actor,
  AiSystem,
  BaselineComparison,
  CaseResult,
  Environment,
  EvalDataset,
  EvalRun,
  ExecutorKind,
  Metrics,
  ReleaseCandidate,
  SliceMetric,
  ThresholdVerdict,
} from '../domain/types.js';
import { batchPut } from './batch-write.js';
import { getCandidate, loadCandidate, promotionHistory, setCandidate } from './candidates.js';
import { buildCondition, buildKeyCondition, updateParams } from './expressions.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { batchGet, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

/** Queues an eval run of the candidate's current snapshot; the candidate moves to evaluating. */
export async function createEvalRun(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  executor: ExecutorKind,
): Promise<{ run: EvalRun; candidate: ReleaseCandidate }> {
  const current = await getCandidate(ctx, candidateId);
  const preload = [keys.candidate(candidateId), ...current.datasetIds.map(keys.dataset)];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
    const candidate = loadCandidate(tx, candidateId);
    assertTransition('candidate', candidate.status, 'evaluating');
    const datasets = candidate.datasetIds.map((id) => tx.get<EvalDataset>(keys.dataset(id)));
    if (datasets.some((d) => !d)) throw new ConflictError('a dataset of the candidate is missing');
    const totalCases = datasets.reduce((sum, d) => sum + (d?.caseCount ?? 0), 0);
    if (totalCases === 0)
      throw new ConflictError('the candidate has no cases to evaluate; add datasets', { code: 'EVAL_MISSING' });
    const run = newEvalRun(candidate, actor, tx.now, { executor, status: 'queued', totalCases, startedAt: null });
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
      after: { candidateStatus: 'evaluating', executor, totalCases, snapshotHash: candidate.snapshotHash },
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
 * retry, a resumed run): the counter moves only when the batch's aggregate item is new.
 */
export async function recordBatch(
  ctx: StoreContext,
  runId: string,
  batch: { batchIndex: number; count: number; aggregate: unknown },
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
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.evalRun(runId),
      ...updateParams({ add: { casesDone: batch.count } }),
    }),
  );
  if (ctx.meter) ctx.meter.writes += 2;
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
  return queryPage(ctx, { partition: p.pk, prefix: p.skPrefix, ...page });
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
export async function failEvalRun(ctx: StoreContext, actor: Actor, id: string, error: string): Promise<EvalRun> {
  return changeRun(ctx, actor, id, (tx, run, candidate) => {
    assertTransition('eval_run', run.status, 'error');
    tx.update(keys.evalRun(id), {
      set: { status: 'error', error, finishedAt: tx.now },
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
      after: { status: 'error' },
      reason: error,
    });
    return { ...run, status: 'error' as const, error, finishedAt: tx.now };
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
