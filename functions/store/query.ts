import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../domain/errors.js';
import { buildKeyCondition, type Condition } from './expressions.js';
import { compareSortKeys, mergeShardReads, type ShardRead } from './fan-out.js';
import { toEntity } from './keys.js';
import {
  allPages,
  type CursorShape,
  decodeCursor,
  decodeShardCursor,
  encodeCursor,
  encodeShardCursor,
  type Page,
  pageSize,
  type ShardCursorPosition,
} from './pagination.js';
import { type Item, type Key, meterRead, type StoreContext } from './unit-of-work.js';

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

/** The key condition and options of a list, over one partition or over the shards of an organisation-wide one. */
export type ListSpec = ListOptions &
  ({ index?: 'gsi1' | 'gsi2'; partition: string } | { index: 'gsi1' | 'gsi2'; shards: readonly string[] });

export type QuerySpec = ListSpec & PageRequest;

interface ListOptions {
  /** Sort keys that begin with this prefix. */
  prefix?: string;
  /** Sort keys in this inclusive range. */
  between?: readonly [string, string];
  /** Newest first when sort keys are time-ordered ids. */
  newestFirst?: boolean;
  /** Filters applied after the key condition (a page may hold fewer items than the limit). */
  filters?: Condition[];
}

/** One page of a Query (never a Scan), with an opaque cursor for the next; a sharded list reads every shard. */
export async function queryPage<T>(ctx: StoreContext, spec: QuerySpec): Promise<Page<T>> {
  if ('shards' in spec) return fanOutPage<T>(ctx, spec);
  const pkName = spec.index ? `${spec.index}pk` : 'pk';
  const skName = spec.index ? `${spec.index}sk` : 'sk';
  const expression = buildKeyCondition(spec);
  // The key is asked for only when a cursor is opened or sealed: a list that fits one page reads no secret.
  let key: Buffer | undefined;
  const cursorKey = async () => {
    key ??= await ctx.cursorKey?.();
    return key;
  };
  const exclusiveStartKey = decodeCursor(
    spec.cursor,
    {
      keyNames: spec.index ? ['pk', 'sk', pkName, skName] : ['pk', 'sk'],
      partitionName: pkName,
      partition: spec.partition,
      sortName: skName,
      ...(spec.prefix ? { prefix: spec.prefix } : {}),
    },
    spec.cursor ? await cursorKey() : undefined,
  );
  const out = await sendQuery(
    ctx,
    new QueryCommand({
      TableName: ctx.tableName,
      ...(spec.index ? { IndexName: spec.index } : { ConsistentRead: true }),
      ...expression,
      Limit: pageSize(spec.limit),
      ScanIndexForward: !spec.newestFirst,
      ExclusiveStartKey: exclusiveStartKey,
      ReturnConsumedCapacity: 'TOTAL',
    }),
    exclusiveStartKey !== undefined,
  );
  meterRead(ctx, out.ConsumedCapacity?.CapacityUnits);
  return {
    items: (out.Items ?? []).map((item) => toEntity<T>(item)),
    nextCursor: encodeCursor(out.LastEvaluatedKey, out.LastEvaluatedKey ? await cursorKey() : undefined),
  };
}

/** Sends a Query; DynamoDB's refusal of a start key it did not issue is the caller's bad cursor, not a 500. */
async function sendQuery(ctx: StoreContext, command: QueryCommand, withCursor: boolean) {
  try {
    return await ctx.doc.send(command);
  } catch (error) {
    if (withCursor && (error as Error).name === 'ValidationException') {
      throw new ValidationError('cursor is not valid for this list', { field: 'cursor' });
    }
    throw error;
  }
}

/**
 * One page of a sharded list: a Query of each shard not yet read through, from the position the cursor carries for
 * it, merged in sort key order (functions/store/fan-out.ts); the next cursor carries every shard's new position.
 */
async function fanOutPage<T>(
  ctx: StoreContext,
  spec: ListOptions & PageRequest & { index: 'gsi1' | 'gsi2'; shards: readonly string[] },
): Promise<Page<T>> {
  const pkName = `${spec.index}pk`;
  const skName = `${spec.index}sk`;
  const keyNames = ['pk', 'sk', pkName, skName];
  const shapes: CursorShape[] = spec.shards.map((partition) => ({
    keyNames,
    partitionName: pkName,
    partition,
    sortName: skName,
    ...(spec.prefix ? { prefix: spec.prefix } : {}),
  }));
  // The sealing key is read (from Secrets Manager in AWS) only when a cursor is opened or sealed.
  const positions: ShardCursorPosition[] =
    decodeShardCursor(spec.cursor, shapes, spec.cursor ? await ctx.cursorKey?.() : undefined) ??
    spec.shards.map(() => 'start');
  const limit = pageSize(spec.limit);
  const reads = await Promise.all(
    spec.shards.map((partition, i) => {
      const position = positions[i];
      if (position === 'done' || position === undefined) return undefined;
      return readShard(ctx, { ...spec, partition }, limit, position === 'start' ? undefined : position);
    }),
  );
  const page = mergeShardReads({ positions, reads, limit, descending: !!spec.newestFirst, sortName: skName, keyNames });
  return {
    items: page.items.map((item) => toEntity<T>(item)),
    nextCursor: encodeShardCursor(
      page.positions,
      page.positions.every((p) => p === 'done') ? undefined : await ctx.cursorKey?.(),
    ),
  };
}

/** One Query of one shard from a start key. */
async function readShard(
  ctx: StoreContext,
  spec: ListOptions & { index: 'gsi1' | 'gsi2'; partition: string },
  limit: number,
  start: Record<string, string> | undefined,
): Promise<ShardRead> {
  const out = await sendQuery(
    ctx,
    new QueryCommand({
      TableName: ctx.tableName,
      IndexName: spec.index,
      ...buildKeyCondition(spec),
      Limit: limit,
      ScanIndexForward: !spec.newestFirst,
      ExclusiveStartKey: start,
      ReturnConsumedCapacity: 'TOTAL',
    }),
    start !== undefined,
  );
  meterRead(ctx, out.ConsumedCapacity?.CapacityUnits);
  return { items: out.Items ?? [], ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey } : {}) };
}

/**
 * Every item of a list (paging internally): for bounded sets such as a system's promotion history. A sharded list
 * reads each shard through on its own and sorts once, rather than merging page by page.
 */
export async function queryAll<T>(ctx: StoreContext, spec: ListSpec): Promise<T[]> {
  if (!('shards' in spec)) return allPages((page) => queryPage<T>(ctx, { ...spec, ...page }));
  const skName = `${spec.index}sk`;
  const perShard = await Promise.all(
    spec.shards.map(async (partition) => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, string> | undefined;
      do {
        const read = await readShard(ctx, { ...spec, partition }, MAX_QUERY_PAGE, start);
        items.push(...read.items);
        start = read.lastKey as Record<string, string> | undefined;
      } while (start);
      return items;
    }),
  );
  const sign = spec.newestFirst ? -1 : 1;
  return perShard
    .flat()
    .sort((a, b) => sign * compareSortKeys(String(a[skName]), String(b[skName])))
    .map((item) => toEntity<T>(item));
}

/** Items a Query of queryAll asks for at once (DynamoDB still stops at 1 MB). */
const MAX_QUERY_PAGE = 1000;

/** A strongly consistent GetItem; undefined when absent. */
export async function getItem(ctx: StoreContext, key: Key): Promise<Item | undefined> {
  const out = await ctx.doc.send(
    new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  meterRead(ctx, out.ConsumedCapacity?.CapacityUnits);
  return out.Item;
}
