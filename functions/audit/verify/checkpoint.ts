// Signed verification statements (docs/adr/0013-incremental-verification.md): a checkpoint says "the digest chain up
// to digest N (whose bytes hash to H) and this system's events up to head (seq, hash) verified"; a full result says
// what the last verification of the whole archive found, and when. Both are signed with the digests' signer (KMS in
// AWS, the key file locally) over their canonical JSON, whose `format` member keeps either from passing for a digest.
// They live in the table (table-checkpoints.ts), which is not the archive: a statement that is missing, malformed,
// signed by a key the verifier does not trust, or naming a digest whose bytes differ makes the route verify
// everything again; it never makes anything verified.
import { verify as verifySignature } from 'node:crypto';
import { GENESIS_HASH } from '../../domain/audit-chain.js';
import { canonicalJson } from '../../domain/hashing.js';
import { publicKeyFingerprint } from '../digest.js';
import type { DigestSigner } from '../ports.js';
import type { BrokenPlace, VerifiedPoint } from './verifier.js';

export const CHECKPOINT_FORMAT = 'governance-audit-checkpoint/1';
export const FULL_RESULT_FORMAT = 'governance-audit-full-verification/1';

type Head = { seq: number; hash: string };

interface Signed {
  keyId: string;
  algorithm: 'ECDSA_SHA_256';
  /** Hex SHA-256 of the signing key's DER SubjectPublicKeyInfo, as in a digest. */
  publicKeySha256: string;
  /** Base64 DER ECDSA signature over SHA-256 of the canonical JSON of every other member. */
  signature: string;
}

export interface VerifyCheckpoint extends Signed {
  format: typeof CHECKPOINT_FORMAT;
  systemId: string;
  digestSeq: number;
  /** Hex SHA-256 of digest `digestSeq`'s bytes: the next digest must link to it. */
  digestHash: string;
  intervalEnd: string;
  /** Every system's sealed head after digest `digestSeq` (the next digest's ranges resume after them). */
  heads: Record<string, Head>;
  /** This system's events verified up to here: its sealed head after digest `digestSeq`. */
  head: Head;
  /** Raw duplicate events in the batches that end at or before `head`. */
  rawDuplicateEvents: number;
  verifiedAt: string;
}

export interface FullVerificationResult extends Signed {
  format: typeof FULL_RESULT_FORMAT;
  status: 'ok' | 'broken';
  startedAt: string;
  finishedAt: string;
  digests: number;
  lastDigest: { digestSeq: number; intervalEnd: string } | null;
  systems: number;
  events: number;
  brokenAt: BrokenPlace | null;
}

type Unsigned<T> = Omit<T, keyof Signed>;

/** Where the statements are kept: one checkpoint per system, one full result per archive. */
export interface CheckpointStore {
  /** The stored checkpoint's text, or undefined. */
  getCheckpoint(systemId: string): Promise<string | undefined>;
  /** Stores a checkpoint unless a later one (higher digestSeq) is stored already. */
  putCheckpoint(systemId: string, digestSeq: number, text: string): Promise<void>;
  getFullResult(): Promise<string | undefined>;
  putFullResult(text: string): Promise<void>;
}

/** Statements in memory: tests and benchmarks; `texts` may be tampered with. */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly texts = new Map<string, string>();
  private readonly seqs = new Map<string, number>();

  async getCheckpoint(systemId: string) {
    return this.texts.get(`checkpoint:${systemId}`);
  }
  async putCheckpoint(systemId: string, digestSeq: number, text: string) {
    if ((this.seqs.get(systemId) ?? 0) > digestSeq) return;
    this.seqs.set(systemId, digestSeq);
    this.texts.set(`checkpoint:${systemId}`, text);
  }
  async getFullResult() {
    return this.texts.get('full');
  }
  async putFullResult(text: string) {
    this.texts.set('full', text);
  }
}

function bytesOf(statement: object): Buffer {
  const { signature: _ignored, ...rest } = statement as Signed;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** Signs a statement with the digests' signer; returns its stored text (canonical JSON). */
export async function signStatement<T extends Signed>(unsigned: Unsigned<T>, signer: DigestSigner): Promise<string> {
  const pem = await signer.publicKeyPem();
  const withKey = {
    ...unsigned,
    keyId: signer.keyId,
    algorithm: signer.algorithm,
    publicKeySha256: publicKeyFingerprint(pem),
  };
  const signature = Buffer.from(await signer.sign(bytesOf(withKey))).toString('base64');
  return canonicalJson({ ...withKey, signature });
}

export type Untrusted = { trusted: false; reason: 'malformed' | 'unknown_key' | 'bad_signature' };

/** Parses a stored statement of `format` and checks its signature against the trusted keys (fingerprint -> PEM). */
export function readStatement<T extends Signed & { format: string }>(
  text: string,
  format: T['format'],
  keys: ReadonlyMap<string, string>,
): { trusted: true; statement: T } | Untrusted {
  let statement: T;
  try {
    statement = JSON.parse(text) as T;
  } catch {
    return { trusted: false, reason: 'malformed' };
  }
  if (typeof statement !== 'object' || statement === null || statement.format !== format)
    return { trusted: false, reason: 'malformed' };
  const pem = keys.get(statement.publicKeySha256);
  if (!pem) return { trusted: false, reason: 'unknown_key' };
  if (statement.algorithm !== 'ECDSA_SHA_256' || typeof statement.signature !== 'string')
    return { trusted: false, reason: 'bad_signature' };
  let valid = false;
  try {
    valid = verifySignature(
      'sha256',
      bytesOf(statement),
      { key: pem, dsaEncoding: 'der' },
      Buffer.from(statement.signature, 'base64'),
    );
  } catch {
    valid = false;
  }
  return valid ? { trusted: true, statement } : { trusted: false, reason: 'bad_signature' };
}

/** A checkpoint's content as it must be shaped to be used (signed is not enough: a signer could be wrong too). */
export function isWellFormedCheckpoint(c: VerifyCheckpoint, systemId: string): boolean {
  const isHead = (h: unknown): h is Head =>
    typeof h === 'object' &&
    h !== null &&
    Number.isSafeInteger((h as Head).seq) &&
    (h as Head).seq >= 0 &&
    /^[0-9a-f]{64}$/.test(String((h as Head).hash));
  return (
    c.systemId === systemId &&
    Number.isSafeInteger(c.digestSeq) &&
    c.digestSeq >= 1 &&
    /^[0-9a-f]{64}$/.test(String(c.digestHash)) &&
    typeof c.intervalEnd === 'string' &&
    isHead(c.head) &&
    typeof c.heads === 'object' &&
    c.heads !== null &&
    Object.values(c.heads).every(isHead) &&
    (c.heads[systemId]?.seq ?? 0) === c.head.seq &&
    (c.head.seq > 0 || c.head.hash === GENESIS_HASH) &&
    Number.isSafeInteger(c.rawDuplicateEvents) &&
    c.rawDuplicateEvents >= 0
  );
}

/** The point a checkpoint proves, as the verifier resumes from it. */
export function pointOf(c: VerifyCheckpoint): VerifiedPoint {
  return {
    digestSeq: c.digestSeq,
    digestHash: c.digestHash,
    intervalEnd: c.intervalEnd,
    heads: c.heads,
    systems: { [c.systemId]: c.head },
  };
}
