// The evidence store of eval runs: per-case results with their execution records, as JSONL objects in S3, one
// object per batch (`runs/<runId>/batches/<6-digit index>.jsonl`), read back page by page with an opaque cursor.
// Aggregates live in DynamoDB; this store holds what a run of up to 100,000 cases leaves case by case.
//
// Beside the batches, a submitted run keeps the posted texts its model-graded assertions (llm-rubric, similar) judge
// until the eval worker grades them (`runs/<runId>/texts/<name>.json`, one object per post, ADR 0050).
//
// Batches are written once: every put carries `If-None-Match: *`, and a 412 means the batch is already there, so a
// retried task (Step Functions Retry, an at-least-once redelivery) is idempotent. A batch's content is a pure
// function of the run and the batch index, so the object already stored is the one the retry would have written.
// Immutability also makes a read-through cache of parsed batches safe.

import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ValidationError } from '../domain/errors.js';
import type { CaseResult } from '../domain/types.js';
import { type Env, evidenceBucketFromEnv } from './config.js';

/** How one case was executed: the call behind a CaseResult. */
export interface ExecutionRecord {
  /** The endpoint (or simulated model) that answered, or the last one tried. */
  route: string;
  /** Requests made for the case, fallbacks included; 0 when none was allowed. */
  attempts: number;
  tokensIn: number;
  tokensOut: number;
  error: string | null;
  /** True when the run's cost ceiling kept the case from being executed (in full): not a model failure. */
  notExecuted?: boolean;
  /** `provider` runs: the rendered prompt, as sent. */
  prompt?: string;
  /** `provider` runs: the generation parameters and the timeout of each call. */
  parameters?: Record<string, number>;
  /** `provider` runs: the answering call's text (the message, or the structured tool input as JSON). */
  outputText?: string | null;
  /** `provider` runs: every call, in order. */
  calls?: ProviderCallRecord[];
}

/** One call of a `provider` run's case: where it went, what came back, how long it took. */
export interface ProviderCallRecord {
  /** The route's target (its name). */
  route: string;
  /** `<connection id>@<version>`, or null when the route names none. */
  connection: string | null;
  provider: string | null;
  model: string;
  /** Whether this call was on a fallback route (not the case's primary route). */
  fallback: boolean;
  /** HTTP status; null for a timeout or a cut connection; 0 when no request was made. */
  status: number | null;
  latencyMs: number;
  /** What the provider's Retry-After asked for before the next attempt. */
  retryAfterMs: number | null;
  error: string | null;
}

/**
 * One line of a batch object: a case's position in the run, its result (latency, cost, fallback, error) and its
 * execution record.
 */
export type EvidenceRecord = CaseResult & { index: number; execution: ExecutionRecord };

interface BatchInfo {
  batchIndex: number;
  key: string;
  size: number;
}

interface PutBatchResult {
  key: string;
  /** False when the batch was already stored (a retry): the stored object was left as it was. */
  written: boolean;
}

interface EvidencePage<T> {
  records: T[];
  /** Cursor of the next page; null after the last record. */
  nextCursor: string | null;
}

interface ReadPageOptions {
  /** Records per page, 1..1000 (default 100). */
  limit?: number;
  cursor?: string | null;
}

export interface EvidenceStore<T extends object = EvidenceRecord> {
  putBatch(runId: string, batchIndex: number, records: readonly T[]): Promise<PutBatchResult>;
  /** One stored batch, or null when it was never written. */
  readBatch(runId: string, batchIndex: number): Promise<T[] | null>;
  readPage(runId: string, options?: ReadPageOptions): Promise<EvidencePage<T>>;
  listBatches(runId: string): Promise<BatchInfo[]>;
  /**
   * Keeps the posted texts of a submitted run's cases (by run index) that model-graded assertions judge later, under
   * `name` (written once: a second put of the name leaves the first).
   */
  putTexts(runId: string, name: string, texts: Readonly<Record<string, string>>): Promise<void>;
  /** The texts kept under `name`, or null when there are none. */
  readTexts(runId: string, name: string): Promise<Record<string, string> | null>;
  /** Where the evidence lives, for people (`s3://bucket/runs/` or `memory`). */
  describe(): string;
}

export interface EvidenceStoreOptions {
  s3: S3Client;
  bucket: string;
  /** Parsed batches kept in memory (default 4); batches never change, so the cache cannot go stale. */
  cachedBatches?: number;
}

const MAX_BATCH_INDEX = 999_999;
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;
const RUN_ID = /^[A-Za-z0-9_-]{1,128}$/;
const BATCH_KEY = /\/batches\/(\d{6})\.jsonl$/;
// A page spans at most this many batch objects: bounded work per request even over empty batches.
const MAX_BATCHES_PER_PAGE = 1_000;

function batchPrefix(runId: string): string {
  return `runs/${runId}/batches/`;
}

const TEXTS_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Where a submitted run's posted texts wait for their model-graded assertions. */
export function textsKey(runId: string, name: string): string {
  assertRunId(runId);
  if (!TEXTS_NAME.test(name)) throw new ValidationError('invalid texts name', { name: String(name).slice(0, 64) });
  return `runs/${runId}/texts/${name}.json`;
}

export function batchKey(runId: string, batchIndex: number): string {
  return `${batchPrefix(runId)}${String(batchIndex).padStart(6, '0')}.jsonl`;
}

interface Cursor {
  batchIndex: number;
  offset: number;
}

export function encodeEvidenceCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ batchIndex: cursor.batchIndex, offset: cursor.offset }), 'utf8').toString(
    'base64url',
  );
}

/** Decodes a cursor, or throws a ValidationError for anything that is not one this store made. */
export function decodeEvidenceCursor(cursor: string): Cursor {
  const invalid = () => new ValidationError('invalid cursor', { cursor: cursor.slice(0, 64) });
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const keys = Object.keys(value).sort();
  if (keys.length !== 2 || keys[0] !== 'batchIndex' || keys[1] !== 'offset') throw invalid();
  const { batchIndex, offset } = value as Record<string, unknown>;
  if (!Number.isSafeInteger(batchIndex) || (batchIndex as number) < 0 || (batchIndex as number) > MAX_BATCH_INDEX) {
    throw invalid();
  }
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) throw invalid();
  return { batchIndex: batchIndex as number, offset: offset as number };
}

export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new ValidationError('invalid run id', { runId: String(runId).slice(0, 64) });
}

export function assertBatchIndex(batchIndex: number): void {
  if (!Number.isSafeInteger(batchIndex) || batchIndex < 0 || batchIndex > MAX_BATCH_INDEX) {
    throw new ValidationError(`batch index must be an integer from 0 to ${MAX_BATCH_INDEX}`, { batchIndex });
  }
}

function isPreconditionFailed(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.$metadata?.httpStatusCode === 412 || e?.name === 'PreconditionFailed';
}

function isNoSuchKey(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export function createEvidenceStore<T extends object = EvidenceRecord>(
  options: EvidenceStoreOptions,
): EvidenceStore<T> {
  const { s3, bucket } = options;
  const cacheSize = Math.max(0, Math.floor(options.cachedBatches ?? 4));
  const cache = new Map<string, T[]>();

  async function readBatch(key: string): Promise<T[] | null> {
    const cached = cache.get(key);
    if (cached) return cached;
    let text: string;
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      text = (await object.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isNoSuchKey(error)) return null;
      throw error;
    }
    const records: T[] = [];
    for (const line of text.split('\n')) {
      if (line.length > 0) records.push(JSON.parse(line) as T);
    }
    if (cacheSize > 0) {
      if (cache.size >= cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(key, records);
    }
    return records;
  }

  /** Batches of the run from `fromIndex` on, in index order, at most `max` of them. */
  async function batchesFrom(runId: string, fromIndex: number, max: number): Promise<BatchInfo[]> {
    const prefix = batchPrefix(runId);
    const found: BatchInfo[] = [];
    let token: string | undefined;
    // Keys sort by their zero-padded index, so StartAfter the previous index's key starts at fromIndex.
    const startAfter = fromIndex > 0 ? batchKey(runId, fromIndex - 1) : undefined;
    for (let call = 0; call < 1_000 && found.length < max; call++) {
      const page: ListObjectsV2CommandOutput = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: Math.min(1_000, max - found.length),
          ...(token === undefined ? (startAfter === undefined ? {} : { StartAfter: startAfter }) : {}),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const object of page.Contents ?? []) {
        const match = object.Key === undefined ? null : BATCH_KEY.exec(object.Key);
        if (match?.[1] === undefined || object.Key !== batchKey(runId, Number(match[1]))) continue;
        found.push({ batchIndex: Number(match[1]), key: object.Key, size: object.Size ?? 0 });
      }
      if (!page.IsTruncated || page.NextContinuationToken === undefined) break;
      token = page.NextContinuationToken;
    }
    return found.slice(0, max);
  }

  return {
    async putBatch(runId, batchIndex, records) {
      assertRunId(runId);
      assertBatchIndex(batchIndex);
      const key = batchKey(runId, batchIndex);
      const body = records.map((record) => `${JSON.stringify(record)}\n`).join('');
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentType: 'application/x-ndjson',
            IfNoneMatch: '*',
          }),
        );
        return { key, written: true };
      } catch (error) {
        if (isPreconditionFailed(error)) return { key, written: false };
        throw error;
      }
    },

    async readBatch(runId, batchIndex) {
      assertRunId(runId);
      assertBatchIndex(batchIndex);
      return readBatch(batchKey(runId, batchIndex));
    },

    async listBatches(runId) {
      assertRunId(runId);
      return batchesFrom(runId, 0, MAX_BATCH_INDEX + 1);
    },

    describe: () => `s3://${bucket}/runs/`,

    async putTexts(runId, name, texts) {
      const key = textsKey(runId, name);
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: JSON.stringify(texts),
            ContentType: 'application/json',
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
      }
    },

    async readTexts(runId, name) {
      const key = textsKey(runId, name);
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return JSON.parse((await object.Body?.transformToString('utf8')) ?? '{}') as Record<string, string>;
      } catch (error) {
        if (isNoSuchKey(error)) return null;
        throw error;
      }
    },

    async readPage(runId, readOptions = {}) {
      assertRunId(runId);
      const limit = readOptions.limit ?? DEFAULT_PAGE_LIMIT;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
        throw new ValidationError(`limit must be an integer from 1 to ${MAX_PAGE_LIMIT}`, { limit });
      }
      const start =
        readOptions.cursor === undefined || readOptions.cursor === null
          ? { batchIndex: 0, offset: 0 }
          : decodeEvidenceCursor(readOptions.cursor);

      const records: T[] = [];
      let offset = start.offset;
      const batches = await batchesFrom(runId, start.batchIndex, MAX_BATCHES_PER_PAGE);
      if (start.offset > 0 && batches[0]?.batchIndex !== start.batchIndex) {
        throw new ValidationError('invalid cursor', { reason: 'no such batch' });
      }
      for (let i = 0; i < batches.length; i++) {
        const batch = batches[i] as BatchInfo;
        const lines = (await readBatch(batch.key)) ?? [];
        if (offset > lines.length) throw new ValidationError('invalid cursor', { reason: 'offset past the batch' });
        const take = Math.min(limit - records.length, lines.length - offset);
        for (let j = 0; j < take; j++) records.push(lines[offset + j] as T);
        offset += take;
        if (records.length === limit) {
          if (offset < lines.length) {
            return { records, nextCursor: encodeEvidenceCursor({ batchIndex: batch.batchIndex, offset }) };
          }
          const next = batches[i + 1] ?? (await batchesFrom(runId, batch.batchIndex + 1, 1))[0];
          return {
            records,
            nextCursor: next === undefined ? null : encodeEvidenceCursor({ batchIndex: next.batchIndex, offset: 0 }),
          };
        }
        offset = 0;
      }
      // Fewer than `limit` records left in the batches looked at: either the end, or the per-page batch bound.
      const last = batches.at(-1);
      if (last !== undefined && batches.length === MAX_BATCHES_PER_PAGE) {
        const next = (await batchesFrom(runId, last.batchIndex + 1, 1))[0];
        if (next !== undefined) {
          return { records, nextCursor: encodeEvidenceCursor({ batchIndex: next.batchIndex, offset: 0 }) };
        }
      }
      return { records, nextCursor: null };
    },
  };
}

/**
 * The evidence store of a Lambda container: the bucket EVIDENCE_BUCKET names, over one S3 client. A missing
 * EVIDENCE_BUCKET fails with a ConfigurationError naming it: evidence never falls back to a container's memory.
 */
export function evidenceStoreFromEnv(env: Env): EvidenceStore {
  return createEvidenceStore({ s3: new S3Client({}), bucket: evidenceBucketFromEnv(env) });
}
