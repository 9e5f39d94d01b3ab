// The verifier on intact archives built by the real archiver and digest writer.
import { describe, expect, it } from 'vitest';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { buildArchive, makeEvents, systemIds } from './fixture.js';

describe('the archive verifier on an intact archive', () => {
  it('accepts every event, digest and signature, and counts the raw duplicates of re-delivered batches', async () => {
    const events = makeEvents(systemIds(4), 100);
    const fixture = await buildArchive(events);

    const report = await verifyArchive({ archive: fixture.archive, publicKeys: [fixture.publicKeyPem] });

    expect(report.brokenAt).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.events).toBe(400);
    expect(report.sealedEvents).toBe(400);
    expect(report.pendingEvents).toBe(0);
    expect(report.digests).toBe(fixture.digests);
    expect(report.rawDuplicateEvents).toBeGreaterThan(0);
    expect(report.perSystem.map((s) => s.archivedHead)).toEqual([100, 100, 100, 100]);
  });
});
