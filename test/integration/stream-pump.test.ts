// The local stream pump over DynamoDB Local's real stream: an item holding empty maps and lists reaches the handler
// as an image unmarshall accepts, equal to the item written (the Streams client reads `{"M":{}}` as `{}`).
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/store/client.js';
import { hasUntypedValue, type StreamPump, startStreamPump } from '../../local/stream-pump.js';
import { createTestStore, dynamoEndpoint } from '../support/store.js';

describe('the local stream pump', () => {
  let ctx: Awaited<ReturnType<typeof createTestStore>>;
  let pump: StreamPump;
  const seen: DynamoDBRecord[] = [];

  beforeAll(async () => {
    ctx = await createTestStore();
    pump = await startStreamPump({
      endpoint: dynamoEndpoint(),
      tableName: ctx.tableName,
      pollMs: 20,
      handler: async (event) => {
        seen.push(...event.Records);
        return undefined;
      },
    });
  });
  afterAll(async () => {
    await pump.stop();
    await ctx.drop();
  });

  it('hands over an item with empty maps and lists as it was written', async () => {
    const item = {
      pk: 'SYS#x#AUDIT',
      sk: 'SEQ#0001',
      itemType: 'audit',
      before: {},
      after: { seriousIncident: { category: 'death', initialReportAt: null }, tags: [], nested: { empty: {} } },
    };
    const doc = createDocumentClient({ endpoint: dynamoEndpoint() });
    await doc.send(new PutItemCommand({ TableName: ctx.tableName, Item: marshall(item) }));
    await pump.drain(10_000);
    const record = seen.find((r) => r.dynamodb?.Keys?.sk?.S === 'SEQ#0001');
    expect(record).toBeDefined();
    const image = record?.dynamodb?.NewImage as Parameters<typeof unmarshall>[0];
    expect(hasUntypedValue(image as Record<string, unknown>)).toBe(false);
    expect(unmarshall(image)).toEqual(item);
  });

  it('tells an untyped value from a typed empty map or list', () => {
    expect(hasUntypedValue({ a: { M: {} }, b: { L: [] }, c: { S: '' } })).toBe(false);
    expect(hasUntypedValue({ a: {} })).toBe(true);
    expect(hasUntypedValue({ a: { M: { b: { L: [{}] } } } })).toBe(true);
  });
});
