import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../domain/errors.js';
import { buildKeyCondition, type Condition } from './expressions.js';
import { toEntity } from './keys.js';
import { allPages, decodeCursor, encodeCursor, type Page, pageSize } from './pagination.js';
import { type Item, type Key, meterRead, type StoreContext } from './unit-of-work.js';

export interface PageRequest {
  limit?: number;
  cursor?: string | null;
}

export interface QuerySpec extends PageRequest {
  index?: 'gsi1' | 'gsi2';
  partition: string;
  /** Sort keys that begin with this prefix. */
  prefix?: string;
  /** Sort keys in this inclusive range. */
  between?: readonly [string, string];
  /** Newest first when sort keys are time-ordered ids. */
  newestFirst?: boolean;
  /** Filters applied after the key condition (a page may hold fewer items than the limit). */
  filters?: Condition[];
}

/** One page of a Query (never a Scan), with an opaque cursor for the next. */
export async function queryPage<T>(ctx: StoreContext, spec: QuerySpec): Promise<Page<T>> {
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

/** Every item of a partition (paging internally): for bounded sets such as a system's promotion history. */
export function queryAll<T>(ctx: StoreContext, spec: Omit<QuerySpec, 'limit' | 'cursor'>): Promise<T[]> {
  return allPages((page) => queryPage<T>(ctx, { ...spec, ...page }));
}

/** A strongly consistent GetItem; undefined when absent. */
export async function getItem(ctx: StoreContext, key: Key): Promise<Item | undefined> {
  const out = await ctx.doc.send(
    new GetCommand({ TableName: ctx.tableName, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' }),
  );
  meterRead(ctx, out.ConsumedCapacity?.CapacityUnits);
  return out.Item;
}
