// Digests: per interval (also when nothing arrived), one signed object that seals what the archive holds since the
// previous digest. Per system it names the range of seqs, the head before and after it, an RFC 6962 root over the
// events' hashes and the batch objects (with their own roots) that hold them; it carries every system's archive head,
// the previous digest's hash, the interval, the key id and algorithm, and an ECDSA P-256 signature over all of it.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { chainLabel, GENESIS_HASH } from '../domain/audit-chain.js';
import { canonicalJson } from '../domain/hashing.js';
import { checkBatch } from './batch-codec.js';
import {
  batchListStart,
  DIGEST_PREFIX,
  digestKey,
  MAX_BATCH_EVENTS,
  parseBatchKey,
  parseDigestKey,
  publicKeyKey,
  SYSTEMS_PREFIX,
  systemIdOfPrefix,
  systemPrefix,
} from './layout.js';
import { leafHash as leafOf, MerkleAccumulator, rootFromLeafHashes } from './merkle.js';
import type { ArchiveStore, DigestSigner } from './ports.js';

export const DIGEST_FORMAT = 'governance-audit-digest/1';
/** previousDigestHash of the first digest. */
export const GENESIS_DIGEST_HASH = GENESIS_HASH;

interface DigestBatch {
  key: string;
  firstSeq: number;
  lastSeq: number;
  /** RFC 6962 root over the batch's event hashes, hex. */
  root: string;
}

export interface DigestSystemEntry {
  systemId: string;
  fromSeq: number;
  toSeq: number;
  /** The hash of seq fromSeq - 1 (GENESIS_HASH when fromSeq is 1). */
  fromPrevHash: string;
  /** The hash of seq toSeq. */
  lastHash: string;
  eventCount: number;
  /** RFC 6962 root over the hashes of seqs fromSeq..toSeq (leaf data: the 32 hash bytes), hex. */
  eventsRoot: string;
  batches: DigestBatch[];
}

export interface AuditDigest {
  format: typeof DIGEST_FORMAT;
  digestSeq: number;
  /** Hex SHA-256 of the previous digest object's bytes. */
  previousDigestHash: string;
  intervalStart: string;
  intervalEnd: string;
  /** Systems with events sealed by this digest, by system id. */
  systems: DigestSystemEntry[];
  /** Every system's archive head after this digest (seq 0 absent), by system id. */
  heads: Record<string, { seq: number; hash: string }>;
  /** RFC 6962 root over the roots of the batches listed above, in order, hex. */
  batchesRoot: string;
  keyId: string;
  algorithm: 'ECDSA_SHA_256';
  /** Hex SHA-256 of the signing key's DER SubjectPublicKeyInfo; the PEM is at audit/keys/<this>.pem. */
  publicKeySha256: string;
  /** Base64 DER ECDSA signature over SHA-256 of the canonical JSON of every other member. */
  signature: string;
}

export type UnsignedDigest = Omit<AuditDigest, 'signature'>;

/** The bytes a digest's signature covers: the canonical JSON of every member but `signature`. */
export function signedBytes(digest: UnsignedDigest): Buffer {
  const { signature: _ignored, ...rest } = digest as AuditDigest;
  return Buffer.from(canonicalJson(rest), 'utf8');
}

/** The stored form of a digest: its canonical JSON. */
export function encodeDigest(digest: AuditDigest): Buffer {
  return Buffer.from(canonicalJson(digest), 'utf8');
}

function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Hex SHA-256 of a PEM public key's DER SubjectPublicKeyInfo. */
export function publicKeyFingerprint(pem: string): string {
  return sha256(createPublicKey(pem).export({ type: 'spki', format: 'der' })).toString('hex');
}

/** True when the digest's signature verifies under the public key (PEM). */
export function verifyDigestSignature(digest: AuditDigest, publicKeyPem: string): boolean {
  if (digest.algorithm !== 'ECDSA_SHA_256' || typeof digest.signature !== 'string') return false;
  try {
    return verifySignature(
      'sha256',
      signedBytes(digest),
      { key: publicKeyPem, dsaEncoding: 'der' },
      Buffer.from(digest.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

/** The newest digest in the archive (key, bytes, parsed), or undefined before the first. */
export async function latestDigest(
  archive: ArchiveStore,
): Promise<{ key: string; bytes: Buffer; digest: AuditDigest } | undefined> {
  let last: string | undefined;
  for await (const key of archive.list(DIGEST_PREFIX)) if (parseDigestKey(key) !== undefined) last = key;
  if (!last) return undefined;
  const bytes = await archive.get(last);
  if (!bytes) throw new Error(`digest ${last} vanished while reading it`);
  return { key: last, bytes: Buffer.from(bytes), digest: JSON.parse(Buffer.from(bytes).toString('utf8')) };
}

export interface DigestRunOptions {
  archive: ArchiveStore;
  signer: DigestSigner;
  now?: () => Date;
  log?: (line: string) => void;
}

export interface DigestRunResult {
  status: 'written' | 'raced';
  digestSeq: number;
  key: string;
  events: number;
  systems: number;
  /** Systems whose archive has a gap or a break after its head: the reconciler back-fills, the verifier names it. */
  stalled: { systemId: string; seq: number; reason: string }[];
}

/** Seals one system's archive after `head`: the contiguous, linked events batches hold beyond it. */
async function sealSystem(
  archive: ArchiveStore,
  systemId: string,
  head: { seq: number; hash: string },
): Promise<{ entry?: DigestSystemEntry; stalled?: { seq: number; reason: string } }> {
  let next = head.seq + 1;
  let lastHash = head.hash;
  const tree = new MerkleAccumulator();
  const batches: DigestBatch[] = [];
  const start = batchListStart(systemId, Math.max(1, next + 1 - MAX_BATCH_EVENTS));
  let stalled: { seq: number; reason: string } | undefined;
  for await (const key of archive.list(systemPrefix(systemId), start)) {
    const ref = parseBatchKey(key);
    if (!ref || ref.systemId !== systemId || ref.lastSeq < next) continue;
    if (ref.firstSeq > next) {
      stalled = { seq: next, reason: 'missing' };
      break;
    }
    const bytes = await archive.get(key);
    const check = bytes ? checkBatch(bytes, ref) : undefined;
    if (!check?.ok) {
      stalled = {
        seq: check && !check.ok ? check.seq : ref.firstSeq,
        reason: check && !check.ok ? check.reason : 'vanished',
      };
      break;
    }
    const offset = next - ref.firstSeq;
    const linkTo = offset === 0 ? check.firstPrevHash : check.hashes.toString('hex', (offset - 1) * 32, offset * 32);
    if (linkTo !== lastHash) {
      stalled = { seq: next, reason: 'broken_link' };
      break;
    }
    for (let i = offset; i < check.count; i++) tree.pushLeafHash(check.leaves.subarray(i * 32, i * 32 + 32));
    batches.push({ key, firstSeq: ref.firstSeq, lastSeq: ref.lastSeq, root: check.root });
    next = ref.lastSeq + 1;
    lastHash = check.lastHash;
  }
  if (batches.length === 0) return stalled ? { stalled } : {};
  const entry: DigestSystemEntry = {
    systemId,
    fromSeq: head.seq + 1,
    toSeq: next - 1,
    fromPrevHash: head.hash,
    lastHash,
    eventCount: next - 1 - head.seq,
    eventsRoot: tree.root().toString('hex'),
    batches,
  };
  return stalled ? { entry, stalled } : { entry };
}

/** Writes the next digest: seals every system's new events (or none) and signs. */
export async function writeDigest(options: DigestRunOptions): Promise<DigestRunResult> {
  const { archive, signer } = options;
  const now = (options.now ?? (() => new Date()))();
  const previous = await latestDigest(archive);
  const heads: Record<string, { seq: number; hash: string }> = { ...(previous?.digest.heads ?? {}) };
  const systemIds = new Set(Object.keys(heads));
  for (const folder of await archive.listFolders(SYSTEMS_PREFIX)) {
    const id = systemIdOfPrefix(folder);
    if (id) systemIds.add(id);
  }

  const systems: DigestSystemEntry[] = [];
  const stalled: DigestRunResult['stalled'] = [];
  for (const systemId of [...systemIds].sort()) {
    const head = heads[systemId] ?? { seq: 0, hash: GENESIS_HASH };
    const sealed = await sealSystem(archive, systemId, head);
    if (sealed.entry) {
      systems.push(sealed.entry);
      heads[systemId] = { seq: sealed.entry.toSeq, hash: sealed.entry.lastHash };
    }
    if (sealed.stalled) {
      stalled.push({ systemId, ...sealed.stalled });
      options.log?.(
        `audit digest: ${chainLabel(systemId)} stops at seq ${sealed.stalled.seq} (${sealed.stalled.reason})`,
      );
    }
  }

  const pem = await signer.publicKeyPem();
  const fingerprint = publicKeyFingerprint(pem);
  await archive.putIfAbsent(publicKeyKey(fingerprint), Buffer.from(pem, 'utf8'), 'application/x-pem-file');

  const digestSeq = (previous?.digest.digestSeq ?? 0) + 1;
  const batchRoots = systems.flatMap((s) => s.batches.map((b) => Buffer.from(b.root, 'hex')));
  const unsigned: UnsignedDigest = {
    format: DIGEST_FORMAT,
    digestSeq,
    previousDigestHash: previous ? sha256(previous.bytes).toString('hex') : GENESIS_DIGEST_HASH,
    intervalStart: previous?.digest.intervalEnd ?? now.toISOString(),
    intervalEnd: now.toISOString(),
    systems,
    heads: Object.fromEntries(Object.entries(heads).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    batchesRoot: rootFromLeafHashes(batchRoots.map((r) => leafOf(r))).toString('hex'),
    keyId: signer.keyId,
    algorithm: signer.algorithm,
    publicKeySha256: fingerprint,
  };
  const signature = await signer.sign(signedBytes(unsigned));
  const digest: AuditDigest = { ...unsigned, signature: Buffer.from(signature).toString('base64') };
  const key = digestKey(digestSeq);
  const outcome = await archive.putIfAbsent(key, encodeDigest(digest), 'application/json');
  const events = systems.reduce((sum, s) => sum + s.eventCount, 0);
  return {
    status: outcome === 'created' ? 'written' : 'raced',
    digestSeq,
    key,
    events,
    systems: systems.length,
    stalled,
  };
}
