import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { reconcile } from '../../../functions/audit/reconciler.js';
import { S3Archive } from '../../../functions/audit/s3-archive.js';
import { createTableSource } from '../../../functions/audit/table-source.js';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { batchPut } from '../../../functions/store/batch-write.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { createTestStore } from '../../support/store.js';
import { makeEvents, streamRecord, systemIds } from '../../unit/audit/fixture.js';
import { deliverWithFaults, tableItems } from './faults.js';

// Sized to prove the property (every fault path taken, nothing missing or duplicated in the end) in seconds; the
// volume (10,000 events) is `npm run bench -- auditArchive`.
const SYSTEMS = 4;
const PER_SYSTEM = 100;
const EVENTS = SYSTEMS * PER_SYSTEM;

describe('the archive under injected faults', () => {
  let standIn: S3StandInHandle;
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  const bucket = 'audit-faults';

  beforeAll(async () => {
    // Under Object Lock, as the archive bucket is in AWS: every put must carry a checksum, deletes are refused.
    standIn = await startS3StandIn({ objectLockBuckets: [bucket] });
    ({ store, tableName, drop } = await createTestStore());
  });
  afterAll(async () => {
    await standIn?.stop();
    await drop?.();
  });

  it('ends with 0 missing and 0 duplicate events after retries and one reconciler pass', {
    timeout: 120_000,
  }, async () => {
    const events = makeEvents(systemIds(SYSTEMS), PER_SYSTEM, 5);
    await batchPut(store.ctx, tableItems(events));
    const archive = new S3Archive(createS3Client(standIn.endpoint), bucket);
    const records = events.map((e, i) => streamRecord(e, i + 1));
    const poisoned = new Set(systemIds(2));

    const run = await deliverWithFaults(records, archive, {
      seed: 42,
      invocationFailure: 0.15,
      putFailure: 0.08,
      batchSize: 25,
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
    expect(run.failedInvocations).toBeGreaterThan(2);
    expect(run.injectedPutFailures).toBeGreaterThan(2);
    expect(run.stats.reduce((n, s) => n + s.batchesAlreadyArchived, 0)).toBeGreaterThan(0);
    // What the stream left missing, the reconciler found and back-filled; nothing is missing afterwards.
    expect(run.deadLettered).toBeGreaterThanOrEqual(2);
    expect(pass.missing).toBeGreaterThanOrEqual(2);
    expect(pass.backFilled).toBe(pass.missing);
    expect(after.missing).toBe(0);
    expect(after.conflicts).toBe(0);
    expect(after.checked).toBe(EVENTS);
    // The verifier: every event exactly once (overlaps identical), the digest seals all of them.
    expect(report.brokenAt).toBeNull();
    expect(report.events).toBe(EVENTS);
    expect(digest.events).toBe(EVENTS);
    expect(report.perSystem).toHaveLength(SYSTEMS);
    expect(report.perSystem.every((s) => s.archivedHead === PER_SYSTEM && s.sealedHead === PER_SYSTEM)).toBe(true);
    // Raw duplicates (the same event in overlapping batch objects) are counted alike by the reconciler and the verifier.
    expect(after.rawDuplicates).toBe(report.rawDuplicateEvents);
  });
});
