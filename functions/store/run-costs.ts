// What an eval run costs (ADR 0031): the facts its estimate needs, and its spend counter. The counter lives on the
// run item and moves by atomic ADDs, because the Map's batches run in separate Lambda invocations in AWS: no
// process can hold it. Each ADD answers the new total, so every process learns what all of them spent.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CaseSizes } from '../domain/eval/cost-estimate.js';
import { inputJsonChars } from '../domain/eval/cost-estimate.js';
import { allDatasetCases } from './datasets.js';
import { buildCondition } from './expressions.js';
import { keys } from './keys.js';
import { batchGet, type StoreContext } from './unit-of-work.js';

/**
 * The case count and input size of datasets, from their recorded facts (one BatchGetItem); a dataset written
 * before its facts held the size is read whole, once.
 */
export async function caseSizes(ctx: StoreContext, datasetIds: readonly string[]): Promise<CaseSizes> {
  const found = await batchGet(ctx, [...datasetIds.map(keys.datasetFacts), ...datasetIds.map(keys.dataset)]);
  let cases = 0;
  let chars = 0;
  for (const id of datasetIds) {
    const facts = found.get(`${keys.datasetFacts(id).pk}|FACTS`);
    const dataset = found.get(`${keys.dataset(id).pk}|${keys.dataset(id).sk}`);
    if (typeof facts?.inputJsonChars === 'number' && typeof dataset?.caseCount === 'number') {
      cases += dataset.caseCount;
      chars += facts.inputJsonChars;
      continue;
    }
    const all = await allDatasetCases(ctx, id);
    cases += all.length;
    chars += inputJsonChars(all);
  }
  return { cases, inputJsonChars: chars };
}

/**
 * Adds what a finished call billed to the run's spend and answers the new total (every process's calls included).
 * The condition keeps a stray ADD from creating a run item that does not exist.
 */
export async function addRunSpend(ctx: StoreContext, runId: string, usd: number): Promise<number> {
  const condition = buildCondition([{ path: 'pk', op: 'exists' }]);
  const out = await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: keys.evalRun(runId),
      UpdateExpression: 'ADD #spent :usd',
      ConditionExpression: condition.ConditionExpression,
      ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#spent': 'spentUsd' },
      ExpressionAttributeValues: { ':usd': usd },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  if (ctx.meter) ctx.meter.writes += 1;
  return Number(out.Attributes?.spentUsd ?? usd);
}

/** What the run has spent so far (a consistent read of its counter). */
export async function runSpend(ctx: StoreContext, runId: string): Promise<number> {
  const out = await ctx.doc.send(
    new GetCommand({
      TableName: ctx.tableName,
      Key: keys.evalRun(runId),
      ProjectionExpression: '#spent',
      ExpressionAttributeNames: { '#spent': 'spentUsd' },
      ConsistentRead: true,
    }),
  );
  return Number(out.Item?.spentUsd ?? 0);
}
