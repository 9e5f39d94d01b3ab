// A fixture built once per file and given back to each test as it was: the table's items are taken after the
// fixture is built, and before each test every item the previous test wrote is deleted and every fixture item put
// back. Cheaper than building a governed system again per test (a few batch writes instead of a score of audited
// transactions), and each test still starts from the same state, in any order.
// Items are copied as DynamoDB wrote them (attribute values, not documents), so numbers and sets come back exact.
// Only what differs is written back: an item a test left as it was is not put again, so a file whose fixture holds
// several systems pays per test for the items that test changed, not for the whole fixture.
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

/** An item's attribute values as text, independent of the order of their keys (scans need not keep it). */
function canonical(value: unknown): string {
  if (value instanceof Uint8Array) return JSON.stringify({ $bytes: Buffer.from(value).toString('base64') });
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

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
  const kept = new Map(items.map((item) => [keyText(item), canonical(item)]));
  return {
    size: items.length,
    async restore() {
      const now = new Map((await scanAll(doc, tableName)).map((item) => [keyText(item), item]));
      const deletes: WriteRequest[] = [...now]
        .filter(([key]) => !kept.has(key))
        .map(([, item]) => ({ DeleteRequest: { Key: keyOf(item) } }));
      const puts: WriteRequest[] = items
        .filter((item) => {
          const current = now.get(keyText(item));
          return current === undefined || canonical(current) !== kept.get(keyText(item));
        })
        .map((Item) => ({ PutRequest: { Item } }));
      await batchWrite(doc, tableName, [...deletes, ...puts]);
    },
  };
}
