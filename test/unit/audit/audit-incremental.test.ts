// Incremental verification from a signed checkpoint (docs/adr/0013-incremental-verification.md): what is newer than
// the checkpoint is verified as a full verification would, and a checkpoint that does not hold is never trusted.
import { beforeEach, describe, expect, it } from 'vitest';
import { type ArchiveStatus, createArchiveStatusReader } from '../../../functions/audit/archive-status.js';
import { createArchiver } from '../../../functions/audit/archiver.js';
import { writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { digestKey } from '../../../functions/audit/layout.js';
import { MemoryArchive } from '../../../functions/audit/memory-archive.js';
import type { DigestSigner } from '../../../functions/audit/ports.js';
import {
  CHECKPOINT_FORMAT,
  MemoryCheckpointStore,
  signStatement,
  type VerifyCheckpoint,
} from '../../../functions/audit/verify/checkpoint.js';
import { runFullVerification } from '../../../functions/audit/verify/full-job.js';
import { verifySystemIncrementally } from '../../../functions/audit/verify/incremental.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { makeEvents, streamEvent, streamRecord, systemIds } from './fixture.js';

const [SYS_A, SYS_B] = systemIds(2) as [string, string];

/** An archive fed in steps, as days pass: each step archives some events (re-delivering a few) and writes digests. */
class GrowingArchive {
  readonly archive = new MemoryArchive();
  readonly signer: DigestSigner = createKeySigner(generateSigningKeyPem());
  private readonly archiver = createArchiver({ archive: this.archive });
  private clock = Date.parse('2026-11-01T00:00:00.000Z');
  private delivered = 0;

  constructor(readonly events: AuditEvent[]) {}

  /** Archives the next `count` events in deliveries of 7 (each third one re-delivered), then `digests` digests. */
  async step(count: number, digests = 1): Promise<void> {
    const records = this.events.map((e, i) => streamRecord(e, i + 1));
    const end = Math.min(records.length, this.delivered + count);
    for (let at = this.delivered, n = 0; at < end; at += 7, n++) {
      await this.archiver(streamEvent(records.slice(at, Math.min(end, at + 7))));
      if (n % 3 === 2) await this.archiver(streamEvent(records.slice(Math.max(0, at - 3), Math.min(end, at + 4))));
    }
    this.delivered = end;
    for (let i = 0; i < digests; i++) await this.digest();
  }

  async digest(): Promise<void> {
    this.clock += 15 * 60_000;
    await writeDigest({ archive: this.archive, signer: this.signer, now: () => new Date(this.clock) });
  }

  async publicKeys(): Promise<string[]> {
    return [await this.signer.publicKeyPem()];
  }
}

/** The fields the route answered before checkpoints existed: incremental and full answers must agree on them. */
function routeFields(status: ArchiveStatus) {
  const { verification: _v, fullVerification: _f, fullVerificationRequested: _r, ...fields } = status;
  return fields;
}

/** Replaces a line of a batch object (one event's canonical bytes) with another event text. */
function tamperEvent(archive: MemoryArchive, systemId: string, seq: number): string {
  for (const [key, bytes] of archive.objects) {
    if (!key.includes(`/${systemId}/`)) continue;
    const lines = bytes.toString('utf8').split('\n');
    const index = lines.findIndex((line) => line.includes(`"seq":${seq},`));
    if (index < 0) continue;
    lines[index] = (lines[index] as string).replace('"Ada Admin"', '"Eve Admin"');
    archive.objects.set(key, Buffer.from(lines.join('\n'), 'utf8'));
    return key;
  }
  throw new Error(`no batch holds seq ${seq} of ${systemId}`);
}

describe('incremental verification from a signed checkpoint', () => {
  let grown: GrowingArchive;
  let checkpoints: MemoryCheckpointStore;

  beforeEach(async () => {
    grown = new GrowingArchive(makeEvents([SYS_A, SYS_B], 60, 3));
    checkpoints = new MemoryCheckpointStore();
    await grown.step(50, 3);
  });

  const verify = async (systemId = SYS_A) =>
    verifySystemIncrementally({
      archive: grown.archive,
      systemId,
      checkpoints,
      publicKeys: await grown.publicKeys(),
      signer: grown.signer,
    });

  it('verifies an archive without any checkpoint in full on the first run, then stores a checkpoint', async () => {
    const first = await verify();

    expect(first.report.ok).toBe(true);
    expect(first.mode).toBe('full');
    expect(first.fallback).toBe('no_checkpoint');
    expect(first.advancedTo).toBe(3);
    expect(await checkpoints.getCheckpoint(SYS_A)).toContain(CHECKPOINT_FORMAT);
  });

  it('then reads only the digests after the checkpoint, and advances it', async () => {
    await verify();
    await grown.step(30, 2);
    const read: string[] = [];
    const archive = grown.archive;
    const spying = {
      get: (key: string) => {
        read.push(key);
        return archive.get(key);
      },
      list: archive.list.bind(archive),
      listFolders: archive.listFolders.bind(archive),
    };

    const second = await verifySystemIncrementally({
      archive: spying,
      systemId: SYS_A,
      checkpoints,
      publicKeys: await grown.publicKeys(),
      signer: grown.signer,
    });

    expect(second.report.ok).toBe(true);
    expect(second.mode).toBe('incremental');
    expect(second.fromDigestSeq).toBe(3);
    expect(second.advancedTo).toBe(5);
    expect(read.filter((k) => k.startsWith('audit/digests/'))).toEqual([digestKey(3), digestKey(4), digestKey(5)]);
  });

  it('answers what a full verification answers on the same archive, step after step', async () => {
    const keys = await grown.publicKeys();
    const incremental = createArchiveStatusReader(grown.archive, keys, { checkpoints, signer: grown.signer });
    const full = createArchiveStatusReader(grown.archive, keys);
    for (const [events, digests] of [
      [0, 0],
      [17, 1],
      [0, 2],
      [40, 1],
      [13, 0],
    ] as const) {
      await grown.step(events, digests);
      for (const systemId of [SYS_A, SYS_B]) {
        const fromCheckpoint = await incremental(systemId);
        const everything = await full(systemId);
        expect(routeFields(fromCheckpoint)).toEqual(routeFields(everything));
        expect(fromCheckpoint.status).toBe('ok');
      }
    }
    const last = await incremental(SYS_A);
    expect(last.verification.mode).toBe('incremental');
    expect(last.rawDuplicateEvents).toBeGreaterThan(0);
    expect(last.pendingEvents).toBeGreaterThan(0);
  });

  it('detects a tampered event archived after the checkpoint', async () => {
    await verify();
    const head = (JSON.parse((await checkpoints.getCheckpoint(SYS_A)) as string) as VerifyCheckpoint).head.seq;
    await grown.step(40, 1);
    tamperEvent(grown.archive, SYS_A, head + 2);

    const after = await verify();

    expect(after.mode).toBe('incremental');
    expect(after.report.ok).toBe(false);
    expect(after.report.brokenAt).toMatchObject({ systemId: SYS_A, seq: head + 2 });
    expect(after.advancedTo).toBeNull();
  });

  it('detects a tampered digest after the checkpoint', async () => {
    await verify();
    await grown.step(20, 2);
    const key = digestKey(5);
    const text = (grown.archive.objects.get(key) as Buffer).toString('utf8');
    grown.archive.objects.set(key, Buffer.from(text.replace('"intervalEnd":"2026', '"intervalEnd":"2027')));

    const after = await verify();

    expect(after.mode).toBe('incremental');
    expect(after.report.ok).toBe(false);
    expect(after.report.brokenAt).toMatchObject({ kind: 'digest', digestSeq: 5 });
  });

  it('does not trust a checkpoint whose content was changed after signing, and finds the break before it', async () => {
    await verify();
    // Someone hides a tampered event behind a checkpoint moved past it without the key: the signature fails.
    tamperEvent(grown.archive, SYS_A, 3);
    const stored = JSON.parse((await checkpoints.getCheckpoint(SYS_A)) as string) as VerifyCheckpoint;
    await grown.step(10, 1);
    checkpoints.texts.set(`checkpoint:${SYS_A}`, JSON.stringify({ ...stored, rawDuplicateEvents: 0, digestSeq: 4 }));

    const after = await verify();

    expect(after.fallback).toBe('bad_signature');
    expect(after.mode).toBe('full');
    expect(after.report.ok).toBe(false);
    expect(after.report.brokenAt).toMatchObject({ systemId: SYS_A, seq: 3 });
  });

  it('does not trust a checkpoint signed by a key the verifier does not trust', async () => {
    await verify();
    const stored = JSON.parse((await checkpoints.getCheckpoint(SYS_A)) as string) as VerifyCheckpoint;
    const { keyId: _k, algorithm: _a, publicKeySha256: _p, signature: _s, ...content } = stored;
    const stranger = createKeySigner(generateSigningKeyPem());
    checkpoints.texts.set(`checkpoint:${SYS_A}`, await signStatement<VerifyCheckpoint>(content, stranger));

    const after = await verify();

    expect(after.fallback).toBe('unknown_key');
    expect(after.mode).toBe('full');
    expect(after.report.ok).toBe(true);
  });

  it('does not trust a signed checkpoint whose digest hash is not the stored digest', async () => {
    await verify();
    const stored = JSON.parse((await checkpoints.getCheckpoint(SYS_A)) as string) as VerifyCheckpoint;
    const { keyId: _k, algorithm: _a, publicKeySha256: _p, signature: _s, ...content } = stored;
    const wrong = { ...content, digestHash: 'f'.repeat(64) };
    checkpoints.texts.set(`checkpoint:${SYS_A}`, await signStatement<VerifyCheckpoint>(wrong, grown.signer));

    const after = await verify();

    expect(after.fallback).toBe('digest_mismatch');
    expect(after.mode).toBe('full');
    expect(after.report.ok).toBe(true);
  });

  it('reports the archive broken when a digest a trusted checkpoint names was removed', async () => {
    await grown.step(5, 1);
    await verify();
    grown.archive.objects.delete(digestKey(4));

    const after = await verify();

    expect(after.fallback).toBe('digest_missing');
    expect(after.report.ok).toBe(false);
    expect(after.report.brokenAt).toMatchObject({ kind: 'digest', reason: 'missing', digestSeq: 4 });
  });

  it('answers the verification when the checkpoint cannot be stored, and keeps the old one', async () => {
    await verify();
    const before = await checkpoints.getCheckpoint(SYS_A);
    await grown.step(10, 1);
    checkpoints.putCheckpoint = async () => {
      throw Object.assign(new Error('not authorized to perform dynamodb:PutItem'), { name: 'AccessDeniedException' });
    };

    const after = await verify();

    expect(after.report.ok).toBe(true);
    expect(after.mode).toBe('incremental');
    expect(after.advancedTo).toBeNull();
    expect(await checkpoints.getCheckpoint(SYS_A)).toBe(before);
  });

  it('does not advance or write a checkpoint without a signer', async () => {
    const readOnly = await verifySystemIncrementally({
      archive: grown.archive,
      systemId: SYS_A,
      checkpoints,
      publicKeys: await grown.publicKeys(),
    });

    expect(readOnly.report.ok).toBe(true);
    expect(readOnly.advancedTo).toBeNull();
    expect(await checkpoints.getCheckpoint(SYS_A)).toBeUndefined();
  });
});

describe('full verification as a background job', () => {
  it('finds a break hidden behind a valid checkpoint, and the route answers its result with its time', async () => {
    const grown = new GrowingArchive(makeEvents([SYS_A, SYS_B], 40, 5));
    await grown.step(60, 2);
    const checkpoints = new MemoryCheckpointStore();
    const keys = await grown.publicKeys();
    let requests = 0;
    const reader = createArchiveStatusReader(grown.archive, keys, {
      checkpoints,
      signer: grown.signer,
      requestFull: async () => {
        requests++;
      },
    });
    expect((await reader(SYS_A)).fullVerification).toBeNull();
    // An event before the checkpoint changes: the route, reading what is newer, cannot see it; the full job does.
    tamperEvent(grown.archive, SYS_A, 2);

    const asked = await reader(SYS_A, { requestFull: true });
    const result = await runFullVerification({
      archive: grown.archive,
      checkpoints,
      signer: grown.signer,
      publicKeys: keys,
      now: () => new Date('2026-12-01T10:00:00.000Z'),
    });
    const answered = await reader(SYS_A);

    expect(asked.status).toBe('ok');
    expect(asked.fullVerificationRequested).toBe(true);
    expect(requests).toBe(1);
    expect(result.status).toBe('broken');
    expect(answered.fullVerification).toMatchObject({
      status: 'broken',
      finishedAt: '2026-12-01T10:00:00.000Z',
      brokenAt: { systemId: SYS_A, seq: 2 },
    });
  });

  it('advances every system checkpoint when the archive holds, and a changed result is not trusted', async () => {
    const grown = new GrowingArchive(makeEvents([SYS_A, SYS_B], 30, 9));
    await grown.step(60, 2);
    const checkpoints = new MemoryCheckpointStore();
    const keys = await grown.publicKeys();

    await runFullVerification({ archive: grown.archive, checkpoints, signer: grown.signer, publicKeys: keys });
    const reader = createArchiveStatusReader(grown.archive, keys, { checkpoints, signer: grown.signer });
    const a = await reader(SYS_A);
    const b = await reader(SYS_B);
    checkpoints.texts.set(
      'full',
      (checkpoints.texts.get('full') as string).replace('"status":"ok"', '"status":"broken"'),
    );

    expect([a.verification.mode, b.verification.mode]).toEqual(['incremental', 'incremental']);
    expect(a.fullVerification).toMatchObject({ status: 'ok', digests: 2 });
    expect((await reader(SYS_A)).fullVerification).toEqual({ status: 'untrusted', reason: 'bad_signature' });
    expect(a.status).toBe('ok');
  });
});
