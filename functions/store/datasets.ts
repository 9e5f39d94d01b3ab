// Eval datasets: named, versioned, immutable sets of cases of one kind.
import { ciAuthorsForAudit, ciAuthorsOf } from '../domain/authorship.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { assertSliceCap, inputJsonChars, labelsOf, sliceTagsOf } from '../domain/eval/index.js';
import { contentHash } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import type { Actor, AiSystem, DatasetKind, EvalCase, EvalDataset } from '../domain/types.js';
import { batchPut } from './batch-write.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

export interface DatasetInput {
  systemId: string;
  name: string;
  kind: DatasetKind;
  description: string;
  cases: EvalCase[];
}

/** Creates the next version of a dataset: its cases first (invisible until the META item commits), then META. */
export async function createDataset(ctx: StoreContext, actor: Actor, input: DatasetInput): Promise<EvalDataset> {
  const ids = new Set(input.cases.map((c) => c.caseId));
  if (ids.size !== input.cases.length) throw new ConflictError('case ids must be unique within a dataset');
  const id = newId('ds');
  const hash = contentHash({ name: input.name, kind: input.kind, cases: input.cases });
  // Refused before anything is written: a run over these cases could not hold its slices' aggregate.
  const sliceTags = sliceTagsOf(input.cases);
  assertSliceCap(sliceTags, 'cases');
  await batchPut(ctx, [
    ...input.cases.map((c, index) => ({ ...keys.datasetCase(id, index), itemType: 'dataset_case', index, ...c })),
    ...input.cases.map((c, index) => ({ ...keys.datasetCaseId(id, c.caseId), itemType: 'dataset_case_id', index })),
    {
      ...keys.datasetFacts(id),
      itemType: 'dataset_facts',
      labels: labelsOf(input.cases),
      sliceTags,
      // What a run's cost estimate needs of the cases (functions/store/run-costs.ts), so it reads no case.
      inputJsonChars: inputJsonChars(input.cases),
    },
  ]);
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, [], (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    if (system.status === 'retired') throw new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' });
    const counterName = `DS:${input.name}`;
    const version = (((tx.meta.counters ?? {}) as Record<string, number>)[counterName] ?? 0) + 1;
    const dataset: EvalDataset = {
      id,
      systemId: input.systemId,
      name: input.name,
      version,
      kind: input.kind,
      description: input.description,
      caseCount: input.cases.length,
      contentHash: hash,
      createdAt: tx.now,
      createdBy: actor.userId,
      ciAuthors: ciAuthorsOf(actor, 'created'),
    };
    tx.metaSpec.set[`counters.${counterName}`] = version;
    tx.put({
      ...keys.dataset(id),
      ...keys.datasetIndexes(input.systemId, input.name, version, id),
      itemType: 'dataset',
      ...dataset,
    });
    tx.audit({
      action: 'dataset.created',
      entityType: 'dataset',
      entityId: id,
      after: {
        name: input.name,
        version,
        kind: input.kind,
        caseCount: input.cases.length,
        contentHash: hash,
        ...ciAuthorsForAudit(actor, 'created'),
      },
    });
    return dataset;
  });
  return result;
}

/** One dataset (without its cases), or a 404. */
export async function getDataset(ctx: StoreContext, id: string): Promise<EvalDataset> {
  const item = await getItem(ctx, keys.dataset(id));
  if (!item) throw new NotFoundError(`dataset ${id} not found`, { id });
  return toEntity<EvalDataset>(item);
}

/** Datasets of a system, or of every system. */
export function listDatasets(
  ctx: StoreContext,
  filter: { systemId?: string },
  page: PageRequest,
): Promise<Page<EvalDataset>> {
  if (filter.systemId) return queryPage(ctx, { ...queries.versionsOfSystem(filter.systemId, 'DS'), ...page });
  return queryPage(ctx, { ...queries.allOfType('DS'), newestFirst: true, ...page });
}

const stripCase = (c: EvalCase & { index?: number }): EvalCase => ({
  caseId: c.caseId,
  input: c.input,
  expectedLabel: c.expectedLabel ?? null,
  expectedOutput: c.expectedOutput ?? null,
  tags: c.tags ?? [],
});

/** A page of a dataset's cases, in their original order. */
export async function listDatasetCases(ctx: StoreContext, id: string, page: PageRequest): Promise<Page<EvalCase>> {
  const p = keys.datasetCasePrefix(id);
  const out = await queryPage<EvalCase>(ctx, { partition: p.pk, prefix: p.skPrefix, ...page });
  return { items: out.items.map(stripCase), nextCursor: out.nextCursor };
}

export interface DatasetFacts {
  labels: string[];
  sliceTags: string[];
}

/** Labels and slice tags of a dataset's cases; undefined for a dataset written before they were recorded. */
export async function datasetFacts(ctx: StoreContext, id: string): Promise<DatasetFacts | undefined> {
  const item = await getItem(ctx, keys.datasetFacts(id));
  return item ? { labels: item.labels as string[], sliceTags: item.sliceTags as string[] } : undefined;
}

/** Every case of a dataset (for evaluation). */
export async function allDatasetCases(ctx: StoreContext, id: string): Promise<EvalCase[]> {
  const p = keys.datasetCasePrefix(id);
  return (await queryAll<EvalCase>(ctx, { partition: p.pk, prefix: p.skPrefix })).map(stripCase);
}
