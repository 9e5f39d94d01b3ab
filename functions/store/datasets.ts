// Eval datasets: named, versioned, immutable sets of cases of one kind.
import { ciAuthorsForAudit, ciAuthorsOf } from '../domain/authorship.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import {
  type AssertionInput,
  checkDatasetAssertions,
  judgeIdsOfAssertions,
  type SchemaProblem,
} from '../domain/eval/assertion-checks.js';
import { inputJsonChars } from '../domain/eval/cost-estimate.js';
import { datasetContentHash } from '../domain/eval/dataset-hash.js';
import { labelsOf } from '../domain/eval/outcome.js';
import { assertSliceCap, sliceTagsOf } from '../domain/eval/sizing.js';
import { newId } from '../domain/ids.js';
import type { Actor, AiSystem, Assertion, DatasetKind, EvalCase, EvalDataset } from '../domain/types.js';
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
  /** Cases as the request carries them: their assertions are checked (checkDatasetAssertions) before any write. */
  cases: (Omit<EvalCase, 'assert'> & { assert?: AssertionInput[] })[];
  defaultAssert?: AssertionInput[];
}

/**
 * Which systems have a dataset defining an assertion name (`ASSERTNAME#<name>` / `SYS#<systemId>`): what a policy
 * floor or drift tolerance on `assert.<name>` is checked against. Kept here, like the provider connections' keys,
 * so the shared keys.ts is untouched.
 */
const assertionNameKey = (name: string, systemId: string) => ({ pk: `ASSERTNAME#${name}`, sk: `SYS#${systemId}` });

/** The distinct assertion names of a dataset's defaults and cases, sorted. */
function assertionNamesOf(cases: readonly EvalCase[], defaults: readonly Assertion[] | undefined): string[] {
  const names = new Set<string>();
  for (const a of defaults ?? []) if (a.name !== undefined) names.add(a.name);
  for (const c of cases) for (const a of c.assert ?? []) if (a.name !== undefined) names.add(a.name);
  return [...names].sort();
}

/** A case as hashed and stored: `assert` only when it has assertions, so cases without any keep their hash. */
function normalisedCase(c: DatasetInput['cases'][number]): EvalCase {
  const { assert, ...rest } = c;
  return assert?.length ? { ...rest, assert: assert as Assertion[] } : rest;
}

/** What the caller lends the dataset checks: the JSON Schema compiler (the datasets API lends ajv's). */
interface DatasetChecks {
  /**
   * Why a schema value of an assertion does not compile. Absent: the caller has checked its schema values or
   * trusts them (the seed, benchmarks, tests); the store does not import a JSON Schema compiler (ADR 0052).
   */
  schemaProblem?: SchemaProblem;
}

/** Creates the next version of a dataset: its cases first (invisible until the META item commits), then META. */
export async function createDataset(
  ctx: StoreContext,
  actor: Actor,
  input: DatasetInput,
  checks: DatasetChecks = {},
): Promise<EvalDataset> {
  const ids = new Set(input.cases.map((c) => c.caseId));
  if (ids.size !== input.cases.length) throw new ConflictError('case ids must be unique within a dataset');
  // A 400 naming the case and field, before anything is written.
  checkDatasetAssertions(input, checks.schemaProblem ?? null);
  const cases = input.cases.map(normalisedCase);
  const defaultAssert = input.defaultAssert?.length ? (input.defaultAssert as Assertion[]) : undefined;
  const id = newId('ds');
  // Assertions are hashed only when present: a dataset without any keeps the hash it always had.
  const hash = datasetContentHash({ name: input.name, kind: input.kind, cases, defaultAssert });
  const assertionNames = assertionNamesOf(cases, defaultAssert);
  // The judges its llm-rubric assertions name: a candidate gating on the dataset pins them (ADR 0039).
  const judgeConfigIds = judgeIdsOfAssertions(cases, defaultAssert);
  // Refused before anything is written: a run over these cases could not hold its slices' aggregate.
  const sliceTags = sliceTagsOf(cases);
  assertSliceCap(sliceTags, 'cases');
  await batchPut(ctx, [
    ...cases.map((c, index) => ({ ...keys.datasetCase(id, index), itemType: 'dataset_case', index, ...c })),
    ...cases.map((c, index) => ({ ...keys.datasetCaseId(id, c.caseId), itemType: 'dataset_case_id', index })),
    {
      ...keys.datasetFacts(id),
      itemType: 'dataset_facts',
      labels: labelsOf(cases),
      sliceTags,
      // What a run's cost estimate needs of the cases (functions/store/run-costs.ts), so it reads no case.
      inputJsonChars: inputJsonChars(cases),
      ...(assertionNames.length ? { assertionNames } : {}),
      ...(judgeConfigIds.length ? { judgeConfigIds } : {}),
    },
    // Written with the cases: an entry that outlives a failed create only lets a policy name an assertion that no
    // dataset of the system then has, which gates nothing.
    ...assertionNames.map((name) => ({
      ...assertionNameKey(name, input.systemId),
      itemType: 'assertion_name',
      name,
      systemId: input.systemId,
    })),
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
      ...(defaultAssert ? { defaultAssert } : {}),
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
  ...(c.assert?.length ? { assert: c.assert } : {}),
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

/**
 * The judge config versions the llm-rubric assertions of each dataset name (its facts item, ADR 0039), by dataset
 * id; a dataset without any (or written before facts were recorded, hence before assertions existed) names none.
 */
export async function judgesOfDatasets(ctx: StoreContext, ids: readonly string[]): Promise<Map<string, string[]>> {
  const facts = await Promise.all(ids.map((id) => getItem(ctx, keys.datasetFacts(id))));
  return new Map(ids.map((id, i) => [id, (facts[i]?.judgeConfigIds as string[] | undefined) ?? []]));
}

/** Every case of a dataset (for evaluation). */
export async function allDatasetCases(ctx: StoreContext, id: string): Promise<EvalCase[]> {
  const p = keys.datasetCasePrefix(id);
  return (await queryAll<EvalCase>(ctx, { partition: p.pk, prefix: p.skPrefix })).map(stripCase);
}

/** The systems that have a dataset defining the assertion `name` (one Query of its registry partition). */
export async function systemsDefiningAssertion(ctx: StoreContext, name: string): Promise<string[]> {
  const items = await queryAll<{ systemId: string }>(ctx, { partition: assertionNameKey(name, '').pk, prefix: 'SYS#' });
  return items.map((item) => item.systemId);
}
