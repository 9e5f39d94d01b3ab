// The verifier on intact archives built by the real archiver and digest writer.
import { describe, expect, it } from 'vitest';
import { type BatchRef, parseBatchKey } from '../../../functions/audit/layout.js';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { buildAuditEvent, GENESIS_HASH, ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import { refusalAuditFields } from '../../../functions/domain/promotion-refusal.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
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

describe('the archive verifier on the organisation chain', () => {
  it('verifies it beside the systems and names it "organisation chain" where an event of it was changed', async () => {
    // Prepare: the organisation chain (id `org`) archived and sealed like a system's, then one of its lines changed.
    const [system] = systemIds(1) as [string];
    const fixture = await buildArchive(makeEvents([system, ORGANISATION_CHAIN_ID], 30), { digestEvery: 20 });
    const intact = await verifyArchive({ archive: fixture.archive, publicKeys: [fixture.publicKeyPem] });
    const key = [...fixture.archive.objects.keys()]
      .sort()
      .find((k) => parseBatchKey(k)?.systemId === ORGANISATION_CHAIN_ID);
    const ref = parseBatchKey(key as string) as BatchRef;
    const bytes = fixture.archive.objects.get(key as string) as Buffer;
    const at = bytes.indexOf('"entityId":"');
    fixture.archive.objects.set(
      ref.key,
      Buffer.concat([bytes.subarray(0, at), Buffer.from('"entityId":"X'), bytes.subarray(at + 13)]),
    );

    // Act
    const tampered = await verifyArchive({ archive: fixture.archive, publicKeys: [fixture.publicKeyPem] });

    // Assess
    expect(intact.brokenAt).toBeNull();
    expect(intact.perSystem.find((s) => s.systemId === ORGANISATION_CHAIN_ID)).toMatchObject({ archivedHead: 30 });
    expect(tampered.brokenAt).toMatchObject({ kind: 'event', systemId: ORGANISATION_CHAIN_ID, seq: ref.firstSeq });
    expect(tampered.brokenAt?.message).toMatch(new RegExp(`^organisation chain seq ${ref.firstSeq}: `));
  });
});

describe('the archive verifier on refused promotions', () => {
  it('archives and verifies release.promotion_refused events as any other action (ADR 0037)', async () => {
    // Prepare: a chain of transitions and refusals, built as the store builds them
    const [system] = systemIds(1) as [string];
    const events: AuditEvent[] = [];
    let head = { seq: 0, hash: GENESIS_HASH };
    for (let i = 0; i < 6; i++) {
      const fields = refusalAuditFields({
        systemId: system,
        candidateId: `rc_${i}`,
        environment: 'production',
        kind: i % 2 ? 'rollback' : 'promote',
        reasons: [{ code: 'EVAL_MISSING', message: 'no eval run' }],
        refusedAt: `2026-12-07T1${i}:00:00.000Z`,
      });
      const event = buildAuditEvent(head, {
        systemId: system,
        ...fields,
        actor: { userId: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'] },
        at: `2026-12-07T1${i}:00:01.000Z`,
        before: fields.before,
        after: { ...fields.after, reasons: [...fields.after.reasons] },
      });
      events.push(event);
      head = { seq: event.seq, hash: event.hash };
    }
    const fixture = await buildArchive(events, { digestEvery: 4 });

    // Act
    const report = await verifyArchive({ archive: fixture.archive, publicKeys: [fixture.publicKeyPem] });

    // Assess
    expect(report.brokenAt).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.events).toBe(6);
  });
});
