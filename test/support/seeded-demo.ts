// The demo, seeded once per test run and restored per test file. The global setup (test/global-setup.ts) starts a
// local stack on an empty template table, lets it seed the demo, and dumps what the seed produced: every table
// item and every evidence object of its eval runs. A file restores that dump into a fresh table before its own
// stack starts, so the stack sees a seeded table as `npm start` would (tokens for the seeded systems, live gates of
// waiting rounds, the audit archive filled from the table's stream), in a fraction of a seed's time.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, BatchWriteItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../functions/store/client.js';
import { createS3Client } from '../../local/s3-standin.js';
import { ensureTable, type LocalStack, type LocalStackOptions, startLocalStack } from '../../local/stack.js';
import type { DemoSummary } from '../../seed/demo.js';
import { dumpFile, failureFile, seedSettled } from './seed-settled.js';

type Item = Record<string, AttributeValue>;

/** What the demo seed wrote: its summary, table items in scan order, and evidence objects (base64 bodies). */
export interface SeededDemoDump {
  summary: DemoSummary;
  items: Item[];
  evidence: { key: string; body: string; contentType?: string }[];
}

// Binary attributes survive JSON as base64.
const replacer = (_key: string, value: unknown) =>
  value instanceof Uint8Array ? { $base64: Buffer.from(value).toString('base64') } : value;
const reviver = (_key: string, value: unknown) =>
  value !== null && typeof value === 'object' && '$base64' in value
    ? new Uint8Array(Buffer.from((value as { $base64: string }).$base64, 'base64'))
    : value;

/** Seeds the demo through a local stack on an empty table and writes everything it produced to `dir`. */
export async function seedTemplate(dynamoEndpoint: string, dir: string): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gov-seed-template-'));
  try {
    // No live gates or resumed runs: those belong to each file's own stack, started on the restored copy.
    const stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint,
      tableName: `seed-template-${Date.now()}-${process.pid}`,
      seed: true,
      resumeGates: false,
      resumeEvalRuns: false,
      auditDigestIntervalMs: 3_600_000,
    });
    try {
      if (!stack.seedSummary) throw new Error('the local stack did not seed its empty template table');
      const dump: SeededDemoDump = {
        summary: stack.seedSummary,
        items: await scanAll(stack.doc, stack.tableName),
        evidence: await dumpBucket(stack.evidenceEndpoint, stack.evidenceBucket),
      };
      await writeFile(`${dumpFile(dir)}.tmp`, JSON.stringify(dump, replacer));
      // Renamed into place, so a reader never sees half a file.
      await rename(`${dumpFile(dir)}.tmp`, dumpFile(dir));
    } finally {
      await stack.stop();
    }
  } catch (error) {
    await writeFile(failureFile(dir), (error as Error).stack ?? String(error));
    throw error;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function scanAll(doc: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  // Scan order is by partition, and by sort key within one: each system's audit chain is written back in seq order.
  return items;
}

async function dumpBucket(endpoint: string, bucket: string): Promise<SeededDemoDump['evidence']> {
  const s3 = createS3Client(endpoint);
  const objects: SeededDemoDump['evidence'] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      if (!Key) continue;
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const bytes = await got.Body?.transformToByteArray();
      objects.push({
        key: Key,
        body: Buffer.from(bytes ?? new Uint8Array()).toString('base64'),
        ...(got.ContentType ? { contentType: got.ContentType } : {}),
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  return objects;
}

let cached: Promise<SeededDemoDump> | undefined;

/** The dump of this run's seed; waits (bounded) while the global setup is still seeding. */
export function seededDemoDump(dir: string, timeoutMs = 240_000): Promise<SeededDemoDump> {
  cached ??= (async () => {
    if (await seedSettled(dir, timeoutMs)) return JSON.parse(await readFile(dumpFile(dir), 'utf8'), reviver);
    throw new Error(`the shared demo seed failed:\n${await readFile(failureFile(dir), 'utf8')}`);
  })();
  return cached;
}

/** Writes the seeded items into `tableName` (created from the shared definition if missing), in dump order. */
export async function restoreSeededItems(
  doc: DynamoDBDocumentClient,
  tableName: string,
  dump: SeededDemoDump,
): Promise<void> {
  await ensureTable(doc, tableName);
  for (let i = 0; i < dump.items.length; i += 25) {
    let requests = dump.items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`restoring ${tableName}: DynamoDB Local kept items unprocessed`);
      const out = await doc.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      if (requests.length > 0) await new Promise((r) => setTimeout(r, 10 * (attempt + 1)));
    }
  }
}

/** Puts the seed's evidence objects into a stack's evidence bucket (with Content-MD5, as S3 asks). */
async function restoreSeededEvidence(stack: LocalStack, dump: SeededDemoDump): Promise<void> {
  const s3 = createS3Client(stack.evidenceEndpoint);
  for (const object of dump.evidence) {
    const body = Buffer.from(object.body, 'base64');
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.evidenceBucket,
        Key: object.key,
        Body: body,
        ContentMD5: createHash('md5').update(body).digest('base64'),
        ...(object.contentType ? { ContentType: object.contentType } : {}),
      }),
    );
  }
}

export interface SeededStack {
  stack: LocalStack;
  dataDir: string;
  /** Items restored into the stack's table. */
  restoredItems: number;
  /** Stops the stack and removes its data folder. */
  stop: () => Promise<void>;
}

/** A local stack on a fresh copy of the seeded demo in `seedDir` (test/support/seeded-stack.ts wraps it). */
export async function startStackOnSeededCopy(
  seedDir: string,
  dynamoEndpoint: string,
  options: Omit<LocalStackOptions, 'port' | 'dynamoEndpoint' | 'seed'> & { name?: string } = {},
): Promise<SeededStack> {
  const { name = 'seeded', ...stackOptions } = options;
  const dump = await seededDemoDump(seedDir);
  const dataDir = stackOptions.dataDir ?? (await mkdtemp(join(tmpdir(), `gov-e2e-${name}-`)));
  const tableName = stackOptions.tableName ?? `e2e-${name}-${Date.now()}-${process.pid}`;
  await restoreSeededItems(createDocumentClient({ endpoint: dynamoEndpoint }), tableName, dump);
  const stack = await startLocalStack({ ...stackOptions, port: 0, dataDir, dynamoEndpoint, tableName });
  await restoreSeededEvidence(stack, dump);
  return {
    stack,
    dataDir,
    restoredItems: dump.items.length,
    stop: async () => {
      await stack.stop();
      if (!stackOptions.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
