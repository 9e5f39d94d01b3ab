import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import {
  batchKey,
  createEvidenceStore,
  type EvidenceRecord,
  type EvidenceStore,
  encodeEvidenceCursor,
} from '../../functions/store/evidence-store.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';

const BUCKET = 'evidence';

function record(n: number): EvidenceRecord {
  const caseId = `case-${String(n).padStart(6, '0')}`;
  return {
    index: n,
    caseId,
    tags: n % 7 === 0 ? ['edge'] : [],
    expectedLabel: 'billing',
    predictedLabel: n % 10 === 0 ? 'technical' : 'billing',
    output: { label: n % 10 === 0 ? 'technical' : 'billing', confidence: 0.9 },
    correct: n % 10 !== 0,
    schemaValid: true,
    latencyMs: 100 + (n % 50),
    costUsd: 0.000123,
    timedOut: false,
    fallbackUsed: n % 100 === 0,
    fallbackSucceeded: n % 100 === 0,
    error: null,
    execution: { route: 'http://127.0.0.1:9/model', attempts: 1, tokensIn: 120, tokensOut: 40, error: null },
  };
}

describe('the evidence store of eval runs', () => {
  let standIn: S3StandInHandle;
  let s3: S3Client;
  let store: EvidenceStore;

  beforeAll(async () => {
    standIn = await startS3StandIn({ buckets: [BUCKET] });
    s3 = createS3Client(standIn.endpoint);
    store = createEvidenceStore({ s3, bucket: BUCKET });
  });

  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
  });

  it('reads a 20,000-case run written in 40 batches page by page to the last page, each record once and in order', async () => {
    const runId = 'run-large';
    const total = 20_000;
    const perBatch = total / 40;
    const indexes = Array.from({ length: 40 }, (_, b) => b);
    // Written out of order and eight at a time, as parallel Map iterations would.
    for (let start = 0; start < indexes.length; start += 8) {
      const group = indexes.slice(start, start + 8).reverse();
      const results = await Promise.all(
        group.map((b) =>
          store.putBatch(
            runId,
            b,
            Array.from({ length: perBatch }, (_, i) => record(b * perBatch + i)),
          ),
        ),
      );
      expect(results.every((r) => r.written)).toBe(true);
    }
    expect((await store.listBatches(runId)).map((b) => b.batchIndex)).toEqual(indexes);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    let lastPageSize = 0;
    for (let guard = 0; guard < 100; guard++) {
      const page: { records: EvidenceRecord[]; nextCursor: string | null } = await store.readPage(runId, {
        limit: 700,
        cursor,
      });
      pages++;
      lastPageSize = page.records.length;
      for (const r of page.records) seen.push(r.caseId);
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(pages).toBe(Math.ceil(total / 700));
    expect(lastPageSize).toBe(total % 700);
    expect(seen).toHaveLength(total);
    expect(seen).toEqual(Array.from({ length: total }, (_, n) => record(n).caseId));
  });

  it('ends with a null cursor when the last page fills exactly at the end of the last batch', async () => {
    const runId = 'run-exact';
    await store.putBatch(runId, 0, [record(0), record(1)]);
    await store.putBatch(runId, 1, [record(2), record(3)]);
    const first = await store.readPage(runId, { limit: 2 });
    expect(first.records.map((r) => r.caseId)).toEqual(['case-000000', 'case-000001']);
    const second = await store.readPage(runId, { limit: 2, cursor: first.nextCursor });
    expect(second.records.map((r) => r.caseId)).toEqual(['case-000002', 'case-000003']);
    expect(second.nextCursor).toBeNull();
  });

  it('keeps the first write when a batch is put again, so a retried task is idempotent', async () => {
    const runId = 'run-retry';
    const first = await store.putBatch(runId, 3, [record(1), record(2)]);
    const retry = await store.putBatch(runId, 3, [record(1), record(2)]);
    expect(first).toEqual({ key: batchKey(runId, 3), written: true });
    expect(retry).toEqual({ key: batchKey(runId, 3), written: false });
    // The stand-in really refuses the overwrite: a different body does not replace the stored batch.
    const differing = await store.putBatch(runId, 3, [record(9)]);
    expect(differing.written).toBe(false);
    const page = await store.readPage(runId, { limit: 10 });
    expect(page.records.map((r) => r.caseId)).toEqual(['case-000001', 'case-000002']);
    expect(page.nextCursor).toBeNull();
  });

  it('stores each batch as a JSONL object under the run', async () => {
    await store.putBatch('run-layout', 12, [record(5), record(6)]);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'runs/run-layout/batches/000012.jsonl' }));
    const lines = (await object.Body?.transformToString('utf8'))?.trimEnd().split('\n') ?? [];
    expect(lines.map((line) => (JSON.parse(line) as EvidenceRecord).caseId)).toEqual(['case-000005', 'case-000006']);
  });

  it('returns an empty last page for a run without evidence', async () => {
    expect(await store.readPage('run-empty')).toEqual({ records: [], nextCursor: null });
  });

  it('rejects a garbage cursor, a forged offset and a bad limit with a ValidationError', async () => {
    const runId = 'run-cursor';
    await store.putBatch(runId, 0, [record(1)]);
    for (const cursor of [
      'not a cursor!',
      Buffer.from('{"batchIndex":"0","offset":0}').toString('base64url'),
      Buffer.from('{"batchIndex":0,"offset":-1}').toString('base64url'),
      Buffer.from('{"batchIndex":0,"offset":0,"x":1}').toString('base64url'),
      Buffer.from('[0,0]').toString('base64url'),
      'e30',
      encodeEvidenceCursor({ batchIndex: 0, offset: 5 }),
    ]) {
      await expect(store.readPage(runId, { cursor })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(store.readPage(runId, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.readPage('../escape')).rejects.toBeInstanceOf(ValidationError);
  });

  it('ignores objects under the run prefix that are not batch objects', async () => {
    const runId = 'run-stray';
    await store.putBatch(runId, 0, [record(1)]);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `runs/${runId}/batches/notes.txt`, Body: 'x' }));
    expect((await store.listBatches(runId)).map((b) => b.batchIndex)).toEqual([0]);
    expect((await store.readPage(runId)).records).toHaveLength(1);
  });
});
