// Full verification as a background job (docs/adr/0013-incremental-verification.md): the whole archive from digest 1,
// every system, as `npm run audit:verify` does offline; its signed result is kept beside the checkpoints, which it
// advances for every system when nothing is broken. The verify route answers the last result with its time and can
// ask for a new one (an asynchronous invocation in AWS, a run in the local stack's process).

import { GENESIS_HASH } from '../../domain/audit-chain.js';
import type { ArchiveReader, DigestSigner } from '../ports.js';
import {
  CHECKPOINT_FORMAT,
  type CheckpointStore,
  FULL_RESULT_FORMAT,
  type FullVerificationResult,
  readStatement,
  signStatement,
} from './checkpoint.js';
import { storeCheckpoint } from './incremental.js';
import type { BatchChecker } from './pool.js';
import { type BrokenPlace, trustedKeys, verifyArchive } from './verifier.js';

export interface FullVerificationOptions {
  archive: ArchiveReader;
  checkpoints: CheckpointStore;
  signer: DigestSigner;
  publicKeys?: readonly string[];
  checker?: BatchChecker;
  now?: () => Date;
}

/** The last full verification as the route shows it; `untrusted` when its statement does not verify. */
export type FullVerificationSummary =
  | {
      status: 'ok' | 'broken';
      startedAt: string;
      finishedAt: string;
      digests: number;
      lastDigest: { digestSeq: number; intervalEnd: string } | null;
      brokenAt: PlaceShown | null;
    }
  | { status: 'untrusted'; reason: string };

/** A broken place as the route shows it (the key stays in the offline report). */
type PlaceShown = Pick<BrokenPlace, 'systemId' | 'seq' | 'digestSeq' | 'reason' | 'message'> & { kind: string };

function shown(place: BrokenPlace | null): PlaceShown | null {
  if (!place) return null;
  const { key: _key, ...rest } = place;
  return rest;
}

async function trustedFullResult(
  archive: ArchiveReader,
  checkpoints: CheckpointStore,
  publicKeys?: readonly string[],
): Promise<FullVerificationResult | { untrusted: string } | undefined> {
  const text = await checkpoints.getFullResult();
  if (text === undefined) return undefined;
  const keys = await trustedKeys(archive, publicKeys);
  if (!keys) return { untrusted: 'keys_broken' };
  const read = readStatement<FullVerificationResult>(text, FULL_RESULT_FORMAT, keys);
  return read.trusted ? read.statement : { untrusted: read.reason };
}

/** Verifies the whole archive, stores the signed result, and advances every system's checkpoint when it holds. */
export async function runFullVerification(options: FullVerificationOptions): Promise<FullVerificationResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const previous = await trustedFullResult(options.archive, options.checkpoints, options.publicKeys);
  const seen = previous && 'format' in previous ? previous.lastDigest?.digestSeq : undefined;
  const report = await verifyArchive({
    archive: options.archive,
    ...(options.publicKeys ? { publicKeys: options.publicKeys } : {}),
    ...(options.checker ? { checker: options.checker } : {}),
    // A digest an earlier full run saw must still be there.
    ...(seen ? { minDigestSeq: seen } : {}),
  });
  const unsigned = {
    format: FULL_RESULT_FORMAT,
    status: report.ok ? 'ok' : 'broken',
    startedAt,
    finishedAt: now().toISOString(),
    digests: report.digests,
    lastDigest: report.lastDigest,
    systems: report.systems,
    events: report.events,
    brokenAt: report.brokenAt,
  } as const;
  const text = await signStatement<FullVerificationResult>(unsigned, options.signer);
  await options.checkpoints.putFullResult(text);
  const last = report.lastDigest;
  if (report.ok && last && report.lastDigestHash) {
    for (const system of report.perSystem) {
      await storeCheckpoint(options.checkpoints, options.signer, {
        format: CHECKPOINT_FORMAT,
        systemId: system.systemId,
        digestSeq: last.digestSeq,
        digestHash: report.lastDigestHash,
        intervalEnd: last.intervalEnd,
        heads: report.sealedHeads,
        head: report.sealedHeads[system.systemId] ?? { seq: 0, hash: GENESIS_HASH },
        rawDuplicateEvents: system.sealedDuplicates,
        verifiedAt: unsigned.finishedAt,
      });
    }
  }
  return JSON.parse(text) as FullVerificationResult;
}

/** The last full verification's result, or null when none ran. */
export async function lastFullVerification(
  archive: ArchiveReader,
  checkpoints: CheckpointStore,
  publicKeys?: readonly string[],
): Promise<FullVerificationSummary | null> {
  const result = await trustedFullResult(archive, checkpoints, publicKeys);
  if (!result) return null;
  if ('untrusted' in result) return { status: 'untrusted', reason: result.untrusted };
  return {
    status: result.status,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    digests: result.digests,
    lastDigest: result.lastDigest,
    brokenAt: shown(result.brokenAt),
  };
}
