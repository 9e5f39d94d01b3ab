// Fault injection: 2,000 events over 10 systems delivered with Lambda's stream semantics (checkpoint at the lowest
// reported failure, retries, bisect on error, a dead-letter queue after bounded retries) to the archiver over the
// local S3 stand-in, with the archiver failing on a share of invocations and S3 puts failing intermittently. After
// the retries and one reconciler pass, the archive holds every event exactly once as far as the verifier can tell
// (0 missing, 0 conflicting duplicates); raw duplicates are counted; the stand-in's 412 path is taken.
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiverStats, createArchiver } from '../../../functions/audit/archiver.js';
import { writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { parseBatchKey } from '../../../functions/audit/layout.js';
import type { ArchiveStore } from '../../../functions/audit/ports.js';
import { reconcile } from '../../../functions/audit/reconciler.js';
import { S3Archive } from '../../../functions/audit/s3-archive.js';
import { createTableSource } from '../../../functions/audit/table-source.js';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { batchPut } from '../../../functions/store/batch-write.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { createTestStore } from '../../support/store.js';
import { makeEvents, random, streamRecord, systemIds } from '../../unit/audit/fixture.js';

export interface FaultRunResult {
  deadLettered: number;
  invocations: number;
  failedInvocations: number;
  injectedPutFailures: number;
  stats: ArchiverStats[];
}

/** Lambda's delivery of one shard's records to the archiver, with injected faults. */
export async function deliverWithFaults(
  records: DynamoDBRecord[],
  archive: ArchiveStore,
  options: {
    seed: number;
    invocationFailure: number;
    putFailure: number;
    batchSize: number;
    maxRetries: number;
    /** Events whose batch can never be written (poison records): they end in the dead-letter queue. */
    poison?: (systemId: string, firstSeq: number, lastSeq: number) => boolean;
  },
): Promise<FaultRunResult> {
  const rand = random(options.seed);
  const result: FaultRunResult = { deadLettered: 0, invocations: 0, failedInvocations: 0, injectedPutFailures: 0, stats: [] };
  const flaky: ArchiveStore = {
    get: (k) => archive.get(k),
    list: (p, s) => archive.list(p, s),
    listFolders: (p) => archive.listFolders(p),
    putIfAbsent: async (key, body, type) => {
      const ref = parseBatchKey(key);
      if (ref && options.poison?.(ref.systemId, ref.firstSeq, ref.lastSeq)) throw new Error('injected: poison record');
      if (rand() < options.putFailure) {
        result.injectedPutFailures++;
        throw new Error('injected: S3 answered 503 SlowDown');
      }
      return archive.putIfAbsent(key, body, type);
    },
  };
  const archiver = createArchiver({ archive: flaky, onStats: (s) => result.stats.push(s) });
  const invoke = async (batch: DynamoDBRecord[]) => {
    result.invocations++;
    const roll = rand();
    if (roll < options.invocationFailure / 2) throw new Error('injected: the function crashed before writing');
    const out = await archiver({ Records: batch });
    if (roll < options.invocationFailure) throw new Error('injected: the function timed out after writing');
    return out;
  };

  let at = 0;
  let attempts = 0;
  let size = options.batchSize;
  while (at < records.length) {
    const batch = records.slice(at, at + size);
    let failedIndex: number | undefined;
    try {
      const out = await invoke(batch);
      const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
      const index = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber as string));
      failedIndex = index >= 0 ? index : undefined;
    } catch {
      result.failedInvocations++;
      failedIndex = 0;
      // Bisect on function error: retry the first half of the batch.
      size = Math.max(1, Math.ceil(batch.length / 2));
    }
    if (failedIndex === undefined) {
      at += batch.length;
      attempts = 0;
      size = options.batchSize;
      continue;
    }
    at += failedIndex;
    attempts = failedIndex > 0 ? 1 : attempts + 1;
    if (attempts > options.maxRetries) {
      // The poison record goes to the dead-letter queue; the reconciler back-fills it from the table.
      result.deadLettered++;
      at += 1;
      attempts = 0;
      size = options.batchSize;
    }
  }
  return result;
}

/** The table items of the events, with each system's META carrying its audit head. */
export function tableItems(events: AuditEvent[]): Record<string, unknown>[] {
  const heads = new Map<string, AuditEvent>();
  for (const e of events) heads.set(e.systemId, e);
  const items: Record<string, unknown>[] = events.map((e) => ({
    ...keys.auditEvent(e.systemId, e.seq),
    ...keys.auditIndexes(e.at, e.systemId, e.seq),
    itemType: 'audit',
    ...e,
  }));
  for (const [systemId, head] of heads) {
    items.push({
      ...keys.system(systemId),
      ...keys.systemsIndex(systemId, systemId),
      itemType: 'system',
      id: systemId,
      name: systemId,
      auditSeq: head.seq,
      auditHash: head.hash,
    });
  }
  return items;
}

describe('the archive under injected faults', () => {
  let standIn: S3StandInHandle;
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  const bucket = 'audit-faults';

  beforeAll(async () => {
    standIn = await startS3StandIn({ buckets: [bucket] });
    ({ store, tableName, drop } = await createTestStore());
  });
  afterAll(async () => {
    await standIn?.stop();
    await drop?.();
  });

  it('ends with 0 missing and 0 duplicate events after retries and one reconciler pass', { timeout: 120_000 }, async () => {
    const events = makeEvents(systemIds(10), 200, 5);
    await batchPut(store.ctx, tableItems(events));
    const archive = new S3Archive(createS3Client(standIn.endpoint), bucket);
    const records = events.map((e, i) => streamRecord(e, i + 1));
    const poisoned = new Set(systemIds(2));

    const run = await deliverWithFaults(records, archive, {
      seed: 42,
      invocationFailure: 0.15,
      putFailure: 0.08,
      batchSize: 200,
      maxRetries: 2,
      // Seq 77 of the first two systems: always refused, so only the reconciler can archive them.
      poison: (systemId, first, last) => poisoned.has(systemId) && first <= 77 && 77 <= last,
    });
    const pass = await reconcile({ archive, table: createTableSource(store.ctx.doc, tableName) });
    const after = await reconcile({ archive, table: createTableSource(store.ctx.doc, tableName), dryRun: true });
    const signer = createKeySigner(generateSigningKeyPem());
    const digest = await writeDigest({ archive, signer });
    const report = await verifyArchive({ archive, publicKeys: [await signer.publicKeyPem()] });

    // Faults happened, and took every path.
    expect(run.failedInvocations).toBeGreaterThan(10);
    expect(run.injectedPutFailures).toBeGreaterThan(5);
    expect(run.stats.reduce((n, s) => n + s.batchesAlreadyArchived, 0)).toBeGreaterThan(0);
    // What the stream left missing, the reconciler found and back-filled; nothing is missing afterwards.
    expect(run.deadLettered).toBeGreaterThanOrEqual(2);
    expect(pass.missing).toBeGreaterThanOrEqual(2);
    expect(pass.backFilled).toBe(pass.missing);
    expect(after.missing).toBe(0);
    expect(after.conflicts).toBe(0);
    expect(after.checked).toBe(2000);
    // The verifier: every event exactly once (overlaps identical), the digest seals all 2,000.
    expect(report.brokenAt).toBeNull();
    expect(report.events).toBe(2000);
    expect(digest.events).toBe(2000);
    expect(report.perSystem.every((s) => s.archivedHead === 200 && s.sealedHead === 200)).toBe(true);
    // Raw duplicates (the same event in overlapping batch objects) are counted alike by the reconciler and the verifier.
    expect(after.rawDuplicates).toBe(report.rawDuplicateEvents);
  });
});
