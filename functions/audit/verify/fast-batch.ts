// The verifier's batch check: the same verdict as checkBatch (../batch-codec.ts), found faster. Each line is matched
// byte for byte against the one layout a canonical event's tail can have,
//   `"hash":"<64 hex>","prevHash":"<64 hex>","reason":<null|"…">,"seq":<n>,"systemId":<JSON string>}`,
// with no JSON.parse, no strings and no per-line objects: the event hash is one SHA-256 over the line without its
// hash member (as checkBatch hashes it), compared with the stored hex in place, and each prevHash is compared with the
// previous line's digest. Whatever does not fit that layout or fails a check (escapes in the reason, a break, a short
// batch, strict mode) is handed to checkBatch itself, so every rejection and its named place are checkBatch's.
import { hash } from 'node:crypto';
import { type BatchCheck, type BatchExpectation, checkBatch } from '../batch-codec.js';
import { FastMerkle, fastLeafHash } from './fast-merkle.js';

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH_MEMBER = Buffer.from('"hash":"');
const PREV_MEMBER = Buffer.from('","prevHash":"');
const REASON_MEMBER = Buffer.from('","reason":');
const NULL = Buffer.from('null');
const SEQ_MEMBER = Buffer.from(',"seq":');
const HEX = Buffer.from('0123456789abcdef');

/** True when bytes[at..at+64) is the lowercase hex of digest[0..32). */
function hexEquals(bytes: Uint8Array, at: number, digest: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const b = digest[i] as number;
    if (bytes[at + 2 * i] !== HEX[b >> 4] || bytes[at + 2 * i + 1] !== HEX[b & 15]) return false;
  }
  return true;
}

/** True when bytes[at..) begins with prefix (callers check that what matched ends inside the line). */
function startsWith(bytes: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (at + prefix.length > bytes.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

const isHex64 = (s: string) => /^[0-9a-f]{64}$/.test(s);

/** checkBatch's verdict on a batch object; see the file comment. */
export function verifyBatch(bytes: Uint8Array, expect: BatchExpectation, strict = false): BatchCheck {
  if (strict) return checkBatch(bytes, expect, strict);
  return fastCheck(bytes, expect) ?? checkBatch(bytes, expect, strict);
}

/** The verdict when the batch is sound and every line has the plain layout; undefined for checkBatch to decide. */
function fastCheck(bytes: Uint8Array, expect: BatchExpectation): BatchCheck | undefined {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = expect.lastSeq - expect.firstSeq + 1;
  if (!(total > 0) || total > 1_000_000) return undefined;
  const systemTail = Buffer.from(`,"systemId":${JSON.stringify(expect.systemId)}}`);
  const hashes = Buffer.allocUnsafe(total * 32);
  const leaves = Buffer.allocUnsafe(total * 32);
  const tree = new FastMerkle();
  let scratch = Buffer.allocUnsafe(4096);
  let previous: Buffer | undefined;
  let firstPrevHash = '';
  let count = 0;
  let at = 0;
  while (at < data.length) {
    if (count >= total) return undefined;
    // Offsets are into `data` (no per-line views): the line is data[at..end).
    const end = data.indexOf(NEWLINE, at);
    if (end < 0) return undefined;
    // As line.lastIndexOf(HASH_MEMBER): the last occurrence that lies wholly inside the line, past its first byte.
    const hashAt = end - at >= HASH_MEMBER.length ? data.lastIndexOf(HASH_MEMBER, end - HASH_MEMBER.length) : -1;
    if (hashAt <= at || data[at] !== 0x7b || data[hashAt - 1] !== 0x2c) return undefined;
    // The tail, byte for byte.
    const hexAt = hashAt + HASH_MEMBER.length;
    const prevMemberAt = hexAt + 64;
    if (!startsWith(data, prevMemberAt, PREV_MEMBER)) return undefined;
    const prevAt = prevMemberAt + PREV_MEMBER.length;
    let p = prevAt + 64;
    if (!startsWith(data, p, REASON_MEMBER)) return undefined;
    p += REASON_MEMBER.length;
    if (data[p] === QUOTE) {
      p++;
      for (;;) {
        if (p >= end) return undefined;
        const c = data[p] as number;
        if (c === BACKSLASH || c < 0x20) return undefined;
        p++;
        if (c === QUOTE) break;
      }
    } else if (startsWith(data, p, NULL)) p += NULL.length;
    else return undefined;
    if (!startsWith(data, p, SEQ_MEMBER)) return undefined;
    p += SEQ_MEMBER.length;
    let seq = 0;
    const digitsAt = p;
    for (let c = data[p]; p < end && c !== undefined && c >= 0x30 && c <= 0x39; c = data[++p])
      seq = seq * 10 + (c - 0x30);
    const digits = p - digitsAt;
    if (digits === 0 || digits > 15 || (digits > 1 && data[digitsAt] === 0x30)) return undefined;
    if (seq !== expect.firstSeq + count) return undefined;
    if (p + systemTail.length !== end || !startsWith(data, p, systemTail)) return undefined;

    // The event hash over the line without `"hash":"<64 hex>",`, compared with the stored hex.
    const cut = prevMemberAt + 2;
    const headLength = hashAt - at;
    const hashedLength = headLength + (end - cut);
    if (scratch.length < hashedLength) scratch = Buffer.allocUnsafe(hashedLength * 2);
    data.copy(scratch, 0, at, hashAt);
    data.copy(scratch, headLength, cut, end);
    const digest = hash('sha256', scratch.subarray(0, hashedLength), 'buffer');
    if (!hexEquals(data, hexAt, digest)) return undefined;
    if (previous === undefined) {
      firstPrevHash = data.toString('latin1', prevAt, prevAt + 64);
      if (!isHex64(firstPrevHash)) return undefined;
    } else if (!hexEquals(data, prevAt, previous)) return undefined;

    digest.copy(hashes, count * 32);
    const leaf = fastLeafHash(digest);
    leaf.copy(leaves, count * 32);
    tree.push(leaf);
    previous = digest;
    count++;
    at = end + 1;
  }
  if (count < total || previous === undefined) return undefined;
  return {
    ok: true,
    count,
    firstPrevHash,
    lastHash: previous.toString('hex'),
    hashes,
    leaves,
    root: tree.root().toString('hex'),
  };
}
