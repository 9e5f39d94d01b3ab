// Idempotency-Key records: the first response of a POST is kept for 24 hours and replayed for the same key.
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { buildCondition, updateParams } from './expressions.js';
import { keys } from './keys.js';
import type { StoreContext } from './unit-of-work.js';

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim =
  | { state: 'new' }
  | { state: 'replay'; response: StoredResponse }
  | { state: 'mismatch' }
  | { state: 'in_progress' };

const DAY_SECONDS = 24 * 60 * 60;

/**
 * When a key may be claimed at `nowSeconds`: it has no record, its record expired (DynamoDB deletes expired items
 * lazily, DynamoDB Local never does), or its claim was abandoned a minute ago (the request's process died).
 */
export function claimCondition(nowSeconds: number) {
  return buildCondition([
    {
      anyOf: [
        [{ path: 'pk', op: 'not_exists' }],
        [{ path: 'ttl', op: '<', value: nowSeconds }],
        [
          { path: 'state', op: '=', value: 'in_progress' },
          { path: 'claimedAt', op: '<', value: nowSeconds - 60 },
        ],
      ],
    },
  ]);
}

/** Claims a key for a request; a second request with the key gets the first one's fate. */
export async function claimIdempotencyKey(
  ctx: StoreContext,
  scope: string,
  key: string,
  requestHash: string,
): Promise<Claim> {
  const itemKey = keys.idempotency(scope, key);
  const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: {
          ...itemKey,
          itemType: 'idempotency',
          requestHash,
          state: 'in_progress',
          claimedAt: nowSeconds,
          ttl: nowSeconds + DAY_SECONDS,
        },
        ...claimCondition(nowSeconds),
      }),
    );
    return { state: 'new' };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
  const out = await ctx.doc.send(new GetCommand({ TableName: ctx.tableName, Key: itemKey, ConsistentRead: true }));
  const item = out.Item;
  if (!item || (item.ttl as number) < nowSeconds) return { state: 'in_progress' };
  if (item.requestHash !== requestHash) return { state: 'mismatch' };
  if (item.state !== 'done') return { state: 'in_progress' };
  return { state: 'replay', response: item.response as StoredResponse };
}

/** Stores the response of a claimed key (or releases the claim when the request failed on the server). */
export async function completeIdempotencyKey(
  ctx: StoreContext,
  scope: string,
  key: string,
  response: StoredResponse | null,
): Promise<void> {
  const itemKey = keys.idempotency(scope, key);
  if (!response) {
    // A server-side failure releases the key, so the client's retry runs the request again.
    await ctx.doc.send(new DeleteCommand({ TableName: ctx.tableName, Key: itemKey }));
    return;
  }
  await ctx.doc.send(
    new UpdateCommand({
      TableName: ctx.tableName,
      Key: itemKey,
      ...updateParams({ set: { state: 'done', response } }),
    }),
  );
}
