// The verifier's fast batch check must give checkBatch's verdict, byte for byte, on sound batches and on every
// mutation (the fast path only ever accepts, and hands anything else to checkBatch); and FastMerkle must give
// MerkleAccumulator's roots.
import { describe, expect, it } from 'vitest';
import { checkBatch, encodeBatch } from '../../../functions/audit/batch-codec.js';
import { MerkleAccumulator } from '../../../functions/audit/merkle.js';
import { verifyBatch } from '../../../functions/audit/verify/fast-batch.js';
import { FastMerkle, fastLeafHash } from '../../../functions/audit/verify/fast-merkle.js';
import { type AuditEventFields, buildAuditEvent, GENESIS_HASH } from '../../../functions/domain/audit-chain.js';
import { makeEvents, random, systemIds } from './fixture.js';

const [systemId] = systemIds(1) as [string];
const events = makeEvents([systemId], 60, 7);
const sound = encodeBatch(events);
const expect60 = { systemId, firstSeq: 1, lastSeq: 60 };

describe('verifyBatch (the fast path)', () => {
  it('accepts a sound batch with the hashes, leaves and root checkBatch gives', () => {
    const fast = verifyBatch(sound, expect60);
    expect(fast.ok).toBe(true);
    expect(fast).toEqual(checkBatch(sound, expect60));
  });

  it('accepts escapes and non-ASCII in the reason, and a null reason, as checkBatch does', () => {
    let head = { seq: 0, hash: GENESIS_HASH };
    const odd = ['say "no" \\ then\nstop', null, 'é ✓ — fine', ''].map((reason) => {
      const event = buildAuditEvent(head, { ...events[0], systemId, reason } as AuditEventFields);
      head = { seq: event.seq, hash: event.hash };
      return event;
    });
    const bytes = encodeBatch(odd);
    const expectation = { systemId, firstSeq: 1, lastSeq: odd.length };
    const fast = verifyBatch(bytes, expectation);
    expect(fast.ok).toBe(true);
    expect(fast).toEqual(checkBatch(bytes, expectation));
  });

  it('gives checkBatch verdict on 1,000 random byte mutations, cuts and wrong expectations', () => {
    const rand = random(4242);
    let rejected = 0;
    for (let n = 0; n < 1000; n++) {
      const bytes = Buffer.from(sound);
      let expectation = expect60;
      const kind = n % 5;
      if (kind === 0) {
        const at = Math.floor(rand() * bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << Math.floor(rand() * 8));
      } else if (kind === 1) bytes[Math.floor(rand() * bytes.length)] = pickByte(rand);
      else if (kind === 2) {
        const at = Math.floor(rand() * bytes.length);
        const cut = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + Math.floor(rand() * 80))]);
        compare(cut, expectation);
        continue;
      } else if (kind === 3) expectation = { ...expect60, lastSeq: 59 + Math.floor(rand() * 3) };
      else expectation = { ...expect60, systemId: `${systemId}x` };
      const result = compare(bytes, expectation);
      if (!result.ok) rejected++;
    }
    expect(rejected).toBeGreaterThan(500);
  });

  it('rejects in strict mode as checkBatch does', () => {
    expect(verifyBatch(sound, expect60, true)).toEqual(checkBatch(sound, expect60, true));
  });
});

function pickByte(rand: () => number): number {
  const bytes = [0x22, 0x5c, 0x0a, 0x2c, 0x7b, 0x7d, 0x30, 0x39, 0x61, 0x66, 0x20];
  return bytes[Math.floor(rand() * bytes.length)] as number;
}

function compare(bytes: Buffer, expectation: typeof expect60) {
  const fast = verifyBatch(bytes, expectation);
  expect(fast).toEqual(checkBatch(bytes, expectation));
  return fast;
}

describe('FastMerkle', () => {
  it('gives MerkleAccumulator roots for 0 to 70 leaves', () => {
    const fast = new FastMerkle();
    const slow = new MerkleAccumulator();
    expect(fast.root().equals(slow.root())).toBe(true);
    for (let i = 0; i < 70; i++) {
      const data = Buffer.alloc(32, i);
      const leaf = fastLeafHash(data);
      fast.push(leaf);
      slow.pushEntry(data);
      expect(fast.root().toString('hex')).toBe(slow.root().toString('hex'));
    }
  });
});
