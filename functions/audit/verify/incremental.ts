// Verification of one system from its signed checkpoint (docs/adr/0013-incremental-verification.md): only the digests
// after the checkpoint's digest and the system's events after its head are read, so the cost follows what is new, not
// the archive's age. Whatever about the checkpoint does not hold (missing, not signed by a trusted key, not shaped as a
// checkpoint, naming a digest whose bytes differ or that is gone) makes this a full verification from digest 1; a
// checkpoint that verifies but whose digest is gone also makes the archive broken (it was seen, so it was removed).
// A verification that found nothing broken advances the checkpoint to the newest digest when a signer is given.
import { createHash } from 'node:crypto';
import { GENESIS_HASH } from '../../domain/audit-chain.js';
import { digestKey } from '../layout.js';
import type { ArchiveReader, DigestSigner } from '../ports.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointStore,
  isWellFormedCheckpoint,
  pointOf,
  readStatement,
  signStatement,
  type VerifyCheckpoint,
} from './checkpoint.js';
import { trustedKeys, type VerifyReport, verifyArchive } from './verifier.js';

type FallbackReason =
  | 'no_checkpoint'
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'digest_mismatch'
  | 'digest_missing'
  | 'keys_broken'
  | 'no_checkpoint_store';

export interface SystemVerification {
  report: VerifyReport;
  /** incremental: resumed from a trusted checkpoint; full: verified from digest 1. */
  mode: 'incremental' | 'full';
  /** Why the checkpoint was not used (null when it was). */
  fallback: FallbackReason | null;
  /** The digest the verification resumed after (0 when full). */
  fromDigestSeq: number;
  /** The system's head the verification resumed after (0 when full). */
  fromHead: number;
  /** Raw duplicates of the whole archive of the system: the checkpoint's plus those read now. */
  rawDuplicateEvents: number;
  /** The digest the stored checkpoint now names, when this run advanced it. */
  advancedTo: number | null;
}

export interface IncrementalOptions {
  archive: ArchiveReader;
  systemId: string;
  checkpoints: CheckpointStore;
  publicKeys?: readonly string[];
  /** Signs the advanced checkpoint; without it the checkpoint is read, never written. */
  signer?: DigestSigner;
  now?: () => Date;
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

type Trust = { checkpoint: VerifyCheckpoint } | { fallback: FallbackReason; seenDigestSeq?: number };

async function trustCheckpoint(options: IncrementalOptions): Promise<Trust> {
  const text = await options.checkpoints.getCheckpoint(options.systemId);
  if (text === undefined) return { fallback: 'no_checkpoint' };
  const keys = await trustedKeys(options.archive, options.publicKeys);
  if (!keys) return { fallback: 'keys_broken' };
  const read = readStatement<VerifyCheckpoint>(text, CHECKPOINT_FORMAT, keys);
  if (!read.trusted) return { fallback: read.reason };
  const checkpoint = read.statement;
  if (!isWellFormedCheckpoint(checkpoint, options.systemId)) return { fallback: 'malformed' };
  // The checkpoint names a digest by its hash: the digest must still be there, with those bytes.
  const bytes = await options.archive.get(digestKey(checkpoint.digestSeq));
  if (!bytes) return { fallback: 'digest_missing', seenDigestSeq: checkpoint.digestSeq };
  if (sha256Hex(bytes) !== checkpoint.digestHash) return { fallback: 'digest_mismatch' };
  return { checkpoint };
}

/** Verifies one system's archive from its checkpoint (or in full), and advances the checkpoint when nothing broke. */
export async function verifySystemIncrementally(options: IncrementalOptions): Promise<SystemVerification> {
  const { archive, systemId } = options;
  const trust = await trustCheckpoint(options);
  const checkpoint = 'checkpoint' in trust ? trust.checkpoint : undefined;
  const report = await verifyArchive({
    archive,
    systems: [systemId],
    ...(options.publicKeys ? { publicKeys: options.publicKeys } : {}),
    ...(checkpoint ? { from: pointOf(checkpoint) } : {}),
    // A trusted checkpoint proves its digest existed: an archive that ends before it lost its newest digests.
    ...('seenDigestSeq' in trust && trust.seenDigestSeq ? { minDigestSeq: trust.seenDigestSeq } : {}),
  });
  const base = checkpoint?.rawDuplicateEvents ?? 0;
  const result: SystemVerification = {
    report,
    mode: checkpoint ? 'incremental' : 'full',
    fallback: 'fallback' in trust ? trust.fallback : null,
    fromDigestSeq: checkpoint?.digestSeq ?? 0,
    fromHead: checkpoint?.head.seq ?? 0,
    rawDuplicateEvents: base + report.rawDuplicateEvents,
    advancedTo: null,
  };
  const last = report.lastDigest;
  if (!report.ok || !options.signer || !last || !report.lastDigestHash) return result;
  if (checkpoint && checkpoint.digestSeq >= last.digestSeq) return result;
  const summary = report.perSystem.find((s) => s.systemId === systemId);
  const stored = storeCheckpoint(options.checkpoints, options.signer, {
    format: CHECKPOINT_FORMAT,
    systemId,
    digestSeq: last.digestSeq,
    digestHash: report.lastDigestHash,
    intervalEnd: last.intervalEnd,
    heads: report.sealedHeads,
    head: report.sealedHeads[systemId] ?? { seq: 0, hash: GENESIS_HASH },
    rawDuplicateEvents: base + (summary?.sealedDuplicates ?? 0),
    verifiedAt: (options.now ?? (() => new Date()))().toISOString(),
  });
  // An answer does not depend on advancing: a checkpoint that cannot be signed or stored leaves the old one (the
  // next answer reads a little more), and the verification's result stands.
  result.advancedTo = await stored.then(
    () => last.digestSeq,
    () => null,
  );
  return result;
}

/** Signs and stores a checkpoint (a later stored one wins). */
export async function storeCheckpoint(
  store: CheckpointStore,
  signer: DigestSigner,
  checkpoint: Omit<VerifyCheckpoint, 'keyId' | 'algorithm' | 'publicKeySha256' | 'signature'>,
): Promise<void> {
  const text = await signStatement<VerifyCheckpoint>(checkpoint, signer);
  await store.putCheckpoint(checkpoint.systemId, checkpoint.digestSeq, text);
}
