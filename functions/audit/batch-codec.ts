// Batch objects: each event's canonical bytes (RFC 8785) and a newline. Verification is bound by hashing, not by
// re-serialising: an event's hash covers the canonical JSON of every member but `hash`, and in canonical JSON that is
// the stored line with its top-level `"hash":"<hex>",` member cut out (members are sorted, so `hash` sits between
// `entityType` and `prevHash`, and nothing after it can hold an object). Hashing the two slices around it checks the
// bytes exactly as stored; the Merkle roots in the signed digests are computed over these hashes, so an accepted
// line is the very line the archiver wrote.
import { createHash } from 'node:crypto';
import { auditEventHash, chainLabel } from '../domain/audit-chain.js';
import { canonicalJson } from '../domain/hashing.js';
import type { AuditEvent } from '../domain/types.js';
import { leafHash, MerkleAccumulator } from './merkle.js';

const NEWLINE = 0x0a;
const HASH_MEMBER = Buffer.from('"hash":"');
const HEX64 = /^[0-9a-f]{64}$/;

/** The archived form of one event: its canonical JSON and a newline. */
function encodeEventLine(event: AuditEvent): Buffer {
  return Buffer.from(`${canonicalJson(event)}\n`, 'utf8');
}

/** A batch object's bytes: the events' lines in seq order. */
export function encodeBatch(events: readonly AuditEvent[]): Buffer {
  return Buffer.concat(events.map(encodeEventLine));
}

type BatchBreakReason =
  | 'malformed'
  | 'not_canonical'
  | 'hash_mismatch'
  | 'broken_link'
  | 'wrong_system'
  | 'seq_gap'
  | 'seq_out_of_order'
  | 'truncated'
  | 'beyond_range';

export interface BatchExpectation {
  systemId: string;
  firstSeq: number;
  lastSeq: number;
}

export type BatchCheck =
  | {
      ok: true;
      count: number;
      /** prevHash of the first event. */
      firstPrevHash: string;
      lastHash: string;
      /** The events' hashes, 32 bytes each, in seq order. */
      hashes: Buffer;
      /** Their RFC 6962 leaf hashes, 32 bytes each. */
      leaves: Buffer;
      /** RFC 6962 root over the events' hashes, hex. */
      root: string;
    }
  | { ok: false; seq: number; reason: BatchBreakReason; message: string };

interface LineTail {
  hash: string;
  prevHash: string;
  seq: number;
  systemId: string;
}

/** Reads the members after `"hash":` of a canonical event line; undefined when they are not what they must be. */
function readTail(line: Buffer, hashAt: number): LineTail | undefined {
  let tail: Record<string, unknown>;
  try {
    tail = JSON.parse(`{${line.toString('utf8', hashAt)}`) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { hash, prevHash, seq, systemId } = tail;
  if (typeof hash !== 'string' || !HEX64.test(hash) || typeof prevHash !== 'string' || !HEX64.test(prevHash))
    return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || typeof systemId !== 'string') return undefined;
  const keys = Object.keys(tail);
  if (keys.length !== 5 || keys[2] !== 'reason' || (tail.reason !== null && typeof tail.reason !== 'string'))
    return undefined;
  return { hash, prevHash, seq, systemId };
}

/**
 * Checks a batch object against where its key says it belongs: one line per seq firstSeq..lastSeq, each line's hash
 * over its own bytes, each link to the line before, all of one system. `strict` also re-serialises every line and
 * requires it to be byte-for-byte canonical (slower; the hashes already bind the bytes).
 */
export function checkBatch(bytes: Uint8Array, expect: BatchExpectation, strict = false): BatchCheck {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = expect.lastSeq - expect.firstSeq + 1;
  const hashes = Buffer.allocUnsafe(total * 32);
  const leaves = Buffer.allocUnsafe(total * 32);
  const tree = new MerkleAccumulator();
  let previousHash: string | undefined;
  let firstPrevHash = '';
  let count = 0;
  let at = 0;
  const broken = (reason: BatchBreakReason, message: string, seq = expect.firstSeq + count): BatchCheck => ({
    ok: false,
    seq,
    reason,
    message: `${chainLabel(expect.systemId)} seq ${seq}: ${message}`,
  });

  while (at < data.length) {
    const end = data.indexOf(NEWLINE, at);
    const seq = expect.firstSeq + count;
    if (end < 0) return broken('truncated', 'the last line has no newline (the batch is cut short)');
    const line = data.subarray(at, end);
    const hashAt = line.lastIndexOf(HASH_MEMBER);
    const tail = hashAt > 0 ? readTail(line, hashAt) : undefined;
    if (!tail || line[0] !== 0x7b || line[hashAt - 1] !== 0x2c)
      return broken('malformed', 'the line is not an audit event');
    // The hashed bytes: the line without `"hash":"<64 hex>",` (8 + 64 + 2 bytes).
    const cut = hashAt + HASH_MEMBER.length + 64 + 2;
    const digest = createHash('sha256').update(line.subarray(0, hashAt)).update(line.subarray(cut)).digest();
    if (digest.toString('hex') !== tail.hash) return broken('hash_mismatch', 'the event does not match its hash');
    if (seq > expect.lastSeq) {
      return tail.seq >= expect.firstSeq && tail.seq <= expect.lastSeq
        ? broken('seq_out_of_order', `seq ${tail.seq} appears again after the batch's last seq`, tail.seq)
        : broken('beyond_range', `the batch holds more than seqs ${expect.firstSeq}-${expect.lastSeq}`);
    }
    if (tail.systemId !== expect.systemId)
      return broken('wrong_system', `the line belongs to ${chainLabel(tail.systemId)}`);
    if (tail.seq !== seq) {
      return tail.seq > seq
        ? broken('seq_gap', `found seq ${tail.seq} where seq ${seq} belongs: seq ${seq} is missing`)
        : broken(
            'seq_out_of_order',
            `seq ${tail.seq} appears again where seq ${seq} belongs`,
            tail.seq >= expect.firstSeq ? tail.seq : seq,
          );
    }
    if (previousHash === undefined) firstPrevHash = tail.prevHash;
    else if (tail.prevHash !== previousHash) return broken('broken_link', `the event does not link to seq ${seq - 1}`);
    if (strict) {
      let parsed: AuditEvent;
      try {
        parsed = JSON.parse(line.toString('utf8')) as AuditEvent;
      } catch {
        return broken('malformed', 'the line is not JSON');
      }
      if (canonicalJson(parsed) !== line.toString('utf8') || auditEventHash(parsed) !== tail.hash)
        return broken('not_canonical', 'the line is not the canonical JSON of its event');
    }
    digest.copy(hashes, count * 32);
    const leaf = leafHash(digest);
    leaf.copy(leaves, count * 32);
    tree.pushLeafHash(leaf);
    previousHash = tail.hash;
    count++;
    at = end + 1;
  }
  if (count < total)
    return broken('truncated', `the batch ends at seq ${expect.firstSeq + count - 1}, its key says ${expect.lastSeq}`);
  return {
    ok: true,
    count,
    firstPrevHash,
    lastHash: previousHash as string,
    hashes,
    leaves,
    root: tree.root().toString('hex'),
  };
}
