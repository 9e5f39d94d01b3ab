// The tamper suite: 1,000 random mutations of an archive of 1,000 real events (4 systems, re-delivered batches,
// signed digests). The verifier must reject every one and name the mutated place: the system and seq for events and
// batches, the digest for digests. Mutations are seeded, so a failure names a replayable seed.
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuditDigest, encodeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { DIGEST_PREFIX, parseBatchKey, parseDigestKey } from '../../../functions/audit/layout.js';
import type { MemoryArchive } from '../../../functions/audit/memory-archive.js';
import { type BrokenPlace, verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { type ArchiveFixture, buildArchive, makeEvents, random, systemIds } from './fixture.js';

interface Expected {
  kind: 'event' | 'digest' | 'batch';
  systemId?: string;
  seq?: number;
  digestSeq?: number;
  key?: string;
}

type Mutation = (archive: MemoryArchive, rand: () => number) => Promise<Expected> | Expected;

let fixture: ArchiveFixture;
let batchKeys: string[];
let listedBatchKeys: string[];
let digestKeys: string[];

const pick = <T>(items: readonly T[], rand: () => number): T => items[Math.floor(rand() * items.length)] as T;

function lines(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    out.push(bytes.subarray(at, end + 1));
    at = end + 1;
  }
  return out;
}

function batchOf(archive: MemoryArchive, rand: () => number, keys = batchKeys) {
  const key = pick(keys, rand);
  const ref = parseBatchKey(key);
  if (!ref) throw new Error(key);
  return { key, ref, bytes: archive.objects.get(key) as Buffer };
}

function digestOf(archive: MemoryArchive, digestSeq: number): AuditDigest {
  return JSON.parse((archive.objects.get(digestKeys[digestSeq - 1] as string) as Buffer).toString('utf8'));
}

const mutations: Record<string, Mutation> = {
  flipEventByte: (archive, rand) => {
    const { key, ref, bytes } = batchOf(archive, rand);
    const all = lines(bytes);
    const index = Math.floor(rand() * all.length);
    const offset = all.slice(0, index).reduce((n, l) => n + l.length, 0);
    const inLine = Math.floor(rand() * ((all[index] as Buffer).length - 1));
    const copy = Buffer.from(bytes);
    copy[offset + inLine] = (copy[offset + inLine] as number) ^ (1 + Math.floor(rand() * 255));
    archive.objects.set(key, copy);
    return { kind: 'event', systemId: ref.systemId, seq: ref.firstSeq + index };
  },
  deleteEvent: (archive, rand) => {
    const { key, ref, bytes } = batchOf(archive, rand);
    const all = lines(bytes);
    const index = Math.floor(rand() * all.length);
    archive.objects.set(key, Buffer.concat(all.filter((_, i) => i !== index)));
    return { kind: 'event', systemId: ref.systemId, seq: ref.firstSeq + index };
  },
  reorderEvents: (archive, rand) => {
    const multi = batchKeys.filter((k) => {
      const r = parseBatchKey(k);
      return r && r.lastSeq > r.firstSeq;
    });
    const { key, ref, bytes } = batchOf(archive, rand, multi);
    const all = lines(bytes);
    const i = Math.floor(rand() * (all.length - 1));
    const j = i + 1 + Math.floor(rand() * (all.length - i - 1));
    [all[i], all[j]] = [all[j] as Buffer, all[i] as Buffer];
    archive.objects.set(key, Buffer.concat(all));
    return { kind: 'event', systemId: ref.systemId, seq: ref.firstSeq + i };
  },
  insertEvent: (archive, rand) => {
    // A copy of a genuine line of the batch, inserted after it: the seq that appears twice is the place.
    const { key, ref, bytes } = batchOf(archive, rand);
    const all = lines(bytes);
    const i = Math.floor(rand() * all.length);
    all.splice(i + 1, 0, all[i] as Buffer);
    archive.objects.set(key, Buffer.concat(all));
    return { kind: 'event', systemId: ref.systemId, seq: ref.firstSeq + i };
  },
  truncateBatch: (archive, rand) => {
    const { key, ref, bytes } = batchOf(archive, rand);
    const cut = Math.floor(rand() * bytes.length);
    archive.objects.set(key, bytes.subarray(0, cut));
    const index = lines(bytes).reduce((acc, l, i, arr) => {
      const start = arr.slice(0, i).reduce((n, x) => n + x.length, 0);
      return start <= cut && cut < start + l.length ? i : acc;
    }, 0);
    return { kind: 'event', systemId: ref.systemId, seq: ref.firstSeq + index };
  },
  deleteBatch: (archive, rand) => {
    const { key, ref } = batchOf(archive, rand, listedBatchKeys);
    archive.objects.delete(key);
    return { kind: 'batch', systemId: ref.systemId, key };
  },
  removeDigest: (archive, rand) => {
    const digestSeq = 1 + Math.floor(rand() * digestKeys.length);
    archive.objects.delete(digestKeys[digestSeq - 1] as string);
    return { kind: 'digest', digestSeq };
  },
  replaceDigest: (archive, rand) => {
    // Another digest's bytes in its place, or a re-signed forgery that drops a system's range.
    const digestSeq = 1 + Math.floor(rand() * digestKeys.length);
    const key = digestKeys[digestSeq - 1] as string;
    if (rand() < 0.5 && digestKeys.length > 1) {
      const other = pick(
        digestKeys.filter((k) => k !== key),
        rand,
      );
      archive.objects.set(key, archive.objects.get(other) as Buffer);
    } else {
      const forged = digestOf(archive, digestSeq);
      forged.systems = forged.systems.slice(1);
      forged.signature = Buffer.from(forged.signature, 'base64').reverse().toString('base64');
      archive.objects.set(key, encodeDigest(forged));
    }
    return { kind: 'digest', digestSeq };
  },
  flipDigestByte: (archive, rand) => {
    const digestSeq = 1 + Math.floor(rand() * digestKeys.length);
    const key = digestKeys[digestSeq - 1] as string;
    const copy = Buffer.from(archive.objects.get(key) as Buffer);
    const at = Math.floor(rand() * copy.length);
    copy[at] = (copy[at] as number) ^ (1 + Math.floor(rand() * 255));
    archive.objects.set(key, copy);
    return { kind: 'digest', digestSeq };
  },
  swapSignatures: (archive, rand) => {
    const a = 1 + Math.floor(rand() * digestKeys.length);
    let b = 1 + Math.floor(rand() * (digestKeys.length - 1));
    if (b >= a) b++;
    const da = digestOf(archive, a);
    const db = digestOf(archive, b);
    [da.signature, db.signature] = [db.signature, da.signature];
    archive.objects.set(digestKeys[a - 1] as string, encodeDigest(da));
    archive.objects.set(digestKeys[b - 1] as string, encodeDigest(db));
    return { kind: 'digest', digestSeq: Math.min(a, b) };
  },
  resignWithOtherKey: async (archive, rand) => {
    // A digest re-signed by a key the auditor does not trust (an operator rewriting history with a new key).
    const digestSeq = 1 + Math.floor(rand() * digestKeys.length);
    const forged = digestOf(archive, digestSeq);
    const other = createKeySigner(generateSigningKeyPem());
    const { signature: _drop, ...rest } = forged;
    const { signedBytes, publicKeyFingerprint } = await import('../../../functions/audit/digest.js');
    const unsigned = { ...rest, keyId: other.keyId, publicKeySha256: publicKeyFingerprint(await other.publicKeyPem()) };
    const signature = Buffer.from(await other.sign(signedBytes(unsigned))).toString('base64');
    archive.objects.set(digestKeys[digestSeq - 1] as string, encodeDigest({ ...unsigned, signature }));
    return { kind: 'digest', digestSeq };
  },
};

function assertNamed(place: BrokenPlace | null, expected: Expected, label: string): void {
  expect(place, label).not.toBeNull();
  const got = place as BrokenPlace;
  if (expected.kind === 'digest') {
    expect({ digestSeq: got.digestSeq }, `${label}: ${got.message}`).toEqual({ digestSeq: expected.digestSeq });
  } else if (expected.kind === 'batch') {
    expect({ systemId: got.systemId, key: got.key }, `${label}: ${got.message}`).toEqual({
      systemId: expected.systemId,
      key: expected.key,
    });
  } else {
    expect({ systemId: got.systemId, seq: got.seq }, `${label}: ${got.message}`).toEqual({
      systemId: expected.systemId,
      seq: expected.seq,
    });
  }
}

beforeAll(async () => {
  fixture = await buildArchive(makeEvents(systemIds(4), 250, 11), { seed: 13, digestEvery: 120 });
  batchKeys = [...fixture.archive.objects.keys()].filter((k) => parseBatchKey(k)).sort();
  digestKeys = [...fixture.archive.objects.keys()]
    .filter((k) => k.startsWith(DIGEST_PREFIX) && parseDigestKey(k))
    .sort();
  const listed = new Set<string>();
  for (const key of digestKeys) {
    const digest = JSON.parse((fixture.archive.objects.get(key) as Buffer).toString('utf8')) as AuditDigest;
    for (const s of digest.systems) for (const b of s.batches) listed.add(b.key);
  }
  listedBatchKeys = batchKeys.filter((k) => listed.has(k));
}, 60_000);

describe('the tamper suite', () => {
  it('starts from an archive that verifies, with overlapping batches and several digests', async () => {
    const report = await verifyArchive({ archive: fixture.archive, publicKeys: [fixture.publicKeyPem] });
    expect(report.ok).toBe(true);
    expect(report.events).toBe(1000);
    expect(report.digests).toBeGreaterThanOrEqual(6);
    expect(report.unlistedBatches + report.rawDuplicateEvents).toBeGreaterThan(0);
  });

  const names = Object.keys(mutations);
  // 300 mutations in all: each of the mutation kinds many times in every part (was 1,000; issue 12 sizes volumes).
  const PER_PART = 75;
  for (let part = 0; part < 4; part++) {
    it(`rejects ${PER_PART} random mutations (part ${part + 1} of 4) and names the mutated place`, {
      timeout: 120_000,
    }, async () => {
      const seen: Record<string, number> = {};
      for (let n = 0; n < PER_PART; n++) {
        const seed = part * 1000 + n;
        const rand = random(seed);
        const name = names[n % names.length] as string;
        const archive = fixture.archive.clone();
        const expected = await (mutations[name] as Mutation)(archive, rand);
        const report = await verifyArchive({
          archive,
          publicKeys: [fixture.publicKeyPem],
          minDigestSeq: fixture.digests,
        });
        expect(report.ok, `${name} seed ${seed} was accepted`).toBe(false);
        assertNamed(report.brokenAt, expected, `${name} seed ${seed}`);
        seen[name] = (seen[name] ?? 0) + 1;
      }
      expect(Object.keys(seen).sort()).toEqual([...names].sort());
    });
  }
});
