// A fixture built once per file and given back to each test as it was: the table's items are taken after the
// fixture is built, and before each test every item the previous test wrote is deleted and every fixture item put
// back. Cheaper than building a governed system again per test (a few batch writes instead of a score of audited
// transactions), and each test still starts from the same state, in any order.
// Items are copied as DynamoDB wrote them (attribute values, not documents), so numbers and sets come back exact.
import { type AttributeValue, BatchWriteItemCommand, ScanCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

type Item = Record<string, AttributeValue>;

export interface TableSnapshot {
  /** Puts the table back to the items it held when the snapshot was taken. */
  restore(): Promise<void>;
  /** How many items the snapshot holds. */
  size: number;
}

async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...((out.Items ?? []) as Item[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The table's key attributes (functions/store/table-definition.ts). */
const keyOf = (item: Item): Item => ({ pk: item.pk as AttributeValue, sk: item.sk as AttributeValue });
const keyText = (item: Item) => JSON.stringify([item.pk, item.sk]);

async function batchWrite(doc: DynamoDBDocumentClient, tableName: string, all: WriteRequest[]): Promise<void> {
  for (let i = 0; i < all.length; i += 25) {
    let requests = all.slice(i, i + 25);
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`restoring ${tableName}: DynamoDB Local kept items unprocessed`);
      const out = await doc.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = out.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

/** Takes the table's items now; `restore()` deletes whatever was written since and puts every item back. */
export async function snapshotTable(doc: DynamoDBDocumentClient, tableName: string): Promise<TableSnapshot> {
  const items = await scanAll(doc, tableName);
  const kept = new Set(items.map(keyText));
  return {
    size: items.length,
    async restore() {
      const now = await scanAll(doc, tableName);
      const deletes: WriteRequest[] = now
        .filter((item) => !kept.has(keyText(item)))
        .map((item) => ({ DeleteRequest: { Key: keyOf(item) } }));
      const puts: WriteRequest[] = items.map((Item) => ({ PutRequest: { Item } }));
      await batchWrite(doc, tableName, [...deletes, ...puts]);
    },
  };
}
