import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ContentionError } from '../domain/errors.js';
import { type Item, type StoreContext, sleep } from './unit-of-work.js';

/** Writes items in BatchWriteItem chunks of 25, retrying unprocessed items with backoff. */
export async function batchPut(ctx: StoreContext, items: Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let round = 0; pending.length > 0; round++) {
      if (round >= 10) throw new ContentionError('DynamoDB kept items unprocessed; try again');
      const out = await ctx.doc.send(new BatchWriteCommand({ RequestItems: { [ctx.tableName]: pending } }));
      if (ctx.meter) ctx.meter.writes++;
      pending = (out.UnprocessedItems?.[ctx.tableName] ?? []) as typeof pending;
      if (pending.length) await sleep(20 * 2 ** round);
    }
  }
}
