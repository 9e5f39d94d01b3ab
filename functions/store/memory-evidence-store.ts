// The in-memory evidence store: a test double passed in explicitly by whoever composes the steps without S3.
import { ValidationError } from '../domain/errors.js';
import {
  assertBatchIndex,
  assertRunId,
  batchKey,
  DEFAULT_PAGE_LIMIT,
  decodeEvidenceCursor,
  type EvidenceRecord,
  type EvidenceStore,
  encodeEvidenceCursor,
  MAX_PAGE_LIMIT,
  textsKey,
} from './evidence-store.js';

/**
 * A test double of the evidence store in this process's memory, with the same keys, write-once rule and cursors as
 * the S3 one, for tests and benchmarks over DynamoDB Local alone and the standalone seed. Nothing survives the
 * process, so no Lambda entry builds one: they pass the S3 store of EVIDENCE_BUCKET.
 */
export function createMemoryEvidenceStore<T extends object = EvidenceRecord>(): EvidenceStore<T> {
  const batches = new Map<string, Map<number, T[]>>();
  const texts = new Map<string, string>();
  const sorted = (runId: string) => [...(batches.get(runId)?.entries() ?? [])].sort((a, b) => a[0] - b[0]);
  return {
    async putBatch(runId, batchIndex, records) {
      assertRunId(runId);
      assertBatchIndex(batchIndex);
      const key = batchKey(runId, batchIndex);
      const run = batches.get(runId) ?? new Map<number, T[]>();
      batches.set(runId, run);
      if (run.has(batchIndex)) return { key, written: false };
      // A JSON round trip, as the S3 store's readers see the records.
      run.set(batchIndex, JSON.parse(JSON.stringify(records)) as T[]);
      return { key, written: true };
    },
    async readBatch(runId, batchIndex) {
      assertRunId(runId);
      assertBatchIndex(batchIndex);
      return batches.get(runId)?.get(batchIndex) ?? null;
    },
    async listBatches(runId) {
      assertRunId(runId);
      return sorted(runId).map(([batchIndex, records]) => ({
        batchIndex,
        key: batchKey(runId, batchIndex),
        size: records.reduce((n, r) => n + JSON.stringify(r).length + 1, 0),
      }));
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
      const all = sorted(runId).filter(([index]) => index >= start.batchIndex);
      if (start.offset > 0 && all[0]?.[0] !== start.batchIndex) {
        throw new ValidationError('invalid cursor', { reason: 'no such batch' });
      }
      const records: T[] = [];
      let offset = start.offset;
      for (let i = 0; i < all.length; i++) {
        const [batchIndex, lines] = all[i] as [number, T[]];
        if (offset > lines.length) throw new ValidationError('invalid cursor', { reason: 'offset past the batch' });
        const take = Math.min(limit - records.length, lines.length - offset);
        for (let j = 0; j < take; j++) records.push(lines[offset + j] as T);
        offset += take;
        if (records.length === limit) {
          if (offset < lines.length) return { records, nextCursor: encodeEvidenceCursor({ batchIndex, offset }) };
          const next = all[i + 1];
          return {
            records,
            nextCursor: next === undefined ? null : encodeEvidenceCursor({ batchIndex: next[0], offset: 0 }),
          };
        }
        offset = 0;
      }
      return { records, nextCursor: null };
    },
    async putTexts(runId, name, posted) {
      const key = textsKey(runId, name);
      if (!texts.has(key)) texts.set(key, JSON.stringify(posted));
    },
    async readTexts(runId, name) {
      const stored = texts.get(textsKey(runId, name));
      return stored === undefined ? null : (JSON.parse(stored) as Record<string, string>);
    },
    describe: () => 'memory',
  };
}
