// A fixture built once per file and given back to each test as it was: the table's items are taken after the
// fixture is built, and before each test every item the previous test wrote is deleted and every fixture item put
// back. Cheaper than building a governed system again per test (a few batch writes instead of a score of audited
// transactions), and each test still starts from the same state, in any order.
// Items are copied as DynamoDB wrote them (attribute values, not documents), so numbers and sets come back exact.
// Only what differs is written back: an item a test left as it was is not put again, so a file whose fixture holds
// several systems pays per test for the items that test changed, not for the whole fixture.
// With `trackWrites`, the snapshot also notes the key of every item written through `doc` to the table since it was
// taken (a middleware on the client's stack), and `restore()` puts back or deletes just those, with no scan and no
// compare: for a fixture whose scan is most of a restore. Only for files whose every write to the table goes through
// `doc` (the store over it, its peers, the workflows given that store): a write through another client (a Lambda
// entry that makes its own) would not be put back.
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

type TargetOf = { TableName?: string; Item?: Item; Key?: Item };

/** The keys of the items a write command changes in `tableName` (input in attribute values, as at the build step). */
function writtenKeys(commandName: string | undefined, input: Record<string, unknown>, tableName: string): Item[] {
  const out: Item[] = [];
  const take = (item: unknown) => item && out.push(keyOf(item as Item));
  switch (commandName) {
    case 'PutItemCommand':
      if (input.TableName === tableName) take(input.Item);
      break;
    case 'UpdateItemCommand':
    case 'DeleteItemCommand':
      if (input.TableName === tableName) take(input.Key);
      break;
    case 'TransactWriteItemsCommand':
      for (const action of (input.TransactItems ?? []) as Record<string, TargetOf | undefined>[]) {
        if (action.Put?.TableName === tableName) take(action.Put.Item);
        if (action.Update?.TableName === tableName) take(action.Update.Key);
        if (action.Delete?.TableName === tableName) take(action.Delete.Key);
      }
      break;
    case 'BatchWriteItemCommand':
      for (const request of ((input.RequestItems as Record<string, WriteRequest[]> | undefined)?.[tableName] ??
        []) as WriteRequest[]) {
        take(request.PutRequest?.Item ?? request.DeleteRequest?.Key);
      }
      break;
    case 'ExecuteStatementCommand':
    case 'BatchExecuteStatementCommand':
    case 'ExecuteTransactionCommand':
      throw new Error(`a table snapshot that tracks writes cannot follow ${commandName}`);
  }
  return out;
}

/** Takes the table's items now; `restore()` deletes whatever was written since and puts every item back. */
export async function snapshotTable(
  doc: DynamoDBDocumentClient,
  tableName: string,
  options: { trackWrites?: boolean } = {},
): Promise<TableSnapshot> {
  const items = await scanAll(doc, tableName);
  const kept = new Map(items.map((item) => [keyText(item), canonical(item)]));
  if (options.trackWrites) {
    const byKey = new Map(items.map((item) => [keyText(item), item]));
    const written = new Map<string, Item>();
    let restoring = false;
    doc.middlewareStack.add(
      (next, context) => async (args) => {
        if (!restoring) {
          const input = args.input as Record<string, unknown>;
          for (const key of writtenKeys(context.commandName, input, tableName)) written.set(keyText(key), key);
        }
        return next(args);
      },
      { step: 'build', name: `snapshot-writes-${tableName}` },
    );
    return {
      size: items.length,
      async restore() {
        const requests: WriteRequest[] = [...written].map(([text, key]) => {
          const item = byKey.get(text);
          return item ? { PutRequest: { Item: item } } : { DeleteRequest: { Key: key } };
        });
        restoring = true;
        try {
          await batchWrite(doc, tableName, requests);
        } finally {
          restoring = false;
        }
        written.clear();
        // TABLE_SNAPSHOT_VERIFY=1 checks the tracked restore against a scan (how it was checked: testing.md).
        if (process.env.TABLE_SNAPSHOT_VERIFY === '1') {
          const now = await scanAll(doc, tableName);
          const differs = now.filter((item) => kept.get(keyText(item)) !== canonical(item));
          if (differs.length > 0 || now.length !== items.length) {
            throw new Error(`restoring ${tableName}: ${differs.length} items differ, ${now.length} of ${items.length}`);
          }
        }
      },
    };
  }
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
