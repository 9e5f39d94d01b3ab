// The archive's state of one system, for GET /api/audit-events/verify and the EU AI Act report: the digest chain and
// the system's archived events verified in this process (no workers), summarised beside the table's chain. With a
// checkpoint store, only what is newer than the system's signed checkpoint is read (verify/incremental.ts), and the
// last full verification (verify/full-job.ts) is answered beside it; without one, everything is read every time.
import type { ArchiveReader, DigestSigner } from './ports.js';
import type { CheckpointStore } from './verify/checkpoint.js';
import { type FullVerificationSummary, lastFullVerification } from './verify/full-job.js';
import { type SystemVerification, verifySystemIncrementally } from './verify/incremental.js';
import { verifyArchive } from './verify/verifier.js';

export type ArchiveStatus = {
  status: 'ok' | 'broken';
  digests: number;
  lastDigest: { digestSeq: number; intervalEnd: string } | null;
  archivedHead: number;
  sealedHead: number;
  pendingEvents: number;
  rawDuplicateEvents: number;
  keySource: 'pinned' | 'archive';
  brokenAt: {
    kind: string;
    systemId?: string;
    seq?: number;
    digestSeq?: number;
    reason: string;
    message: string;
  } | null;
  /** How this answer was reached: from the system's checkpoint, or in full (and why not from the checkpoint). */
  verification: {
    mode: 'incremental' | 'full';
    fromDigestSeq: number;
    fallback: string | null;
    /** The digest the system's checkpoint names after this answer (null: none stored). */
    checkpointDigestSeq: number | null;
  };
  /** The last full verification of the whole archive (background job), null when none ran or none is kept. */
  fullVerification: FullVerificationSummary | null;
  /** Present when the request asked for a new full verification: whether it was started. */
  fullVerificationRequested?: boolean;
};

export interface ArchiveStatusOptions {
  /** Where checkpoints and the full result are kept; absent, every answer verifies in full. */
  checkpoints?: CheckpointStore;
  /** Signs advanced checkpoints (the digests' signer); absent, checkpoints are only read. */
  signer?: DigestSigner;
  /** Starts a full verification in the background (an async Lambda invocation, or a local run). */
  requestFull?: () => Promise<void>;
}

export function createArchiveStatusReader(
  archive: ArchiveReader,
  publicKeys?: string[],
  options: ArchiveStatusOptions = {},
) {
  const { checkpoints } = options;
  return async (systemId: string, request: { requestFull?: boolean } = {}): Promise<ArchiveStatus> => {
    const verified: SystemVerification = checkpoints
      ? await verifySystemIncrementally({
          archive,
          systemId,
          checkpoints,
          ...(publicKeys ? { publicKeys } : {}),
          ...(options.signer ? { signer: options.signer } : {}),
        })
      : await verifyInFull(archive, systemId, publicKeys);
    const { report } = verified;
    const system = report.perSystem.find((s) => s.systemId === systemId);
    let requested: boolean | undefined;
    if (request.requestFull) {
      requested = options.requestFull !== undefined;
      await options.requestFull?.();
    }
    return {
      status: report.ok ? 'ok' : 'broken',
      digests: report.digests,
      lastDigest: report.lastDigest,
      archivedHead: system?.archivedHead ?? verified.fromHead,
      sealedHead: system?.sealedHead ?? report.sealedHeads[systemId]?.seq ?? 0,
      pendingEvents: report.pendingEvents,
      rawDuplicateEvents: verified.rawDuplicateEvents,
      keySource: report.keySource,
      brokenAt: report.brokenAt,
      verification: {
        mode: verified.mode,
        fromDigestSeq: verified.fromDigestSeq,
        fallback: verified.fallback,
        checkpointDigestSeq: verified.advancedTo ?? (verified.mode === 'incremental' ? verified.fromDigestSeq : null),
      },
      fullVerification: checkpoints ? await lastFullVerification(archive, checkpoints, publicKeys) : null,
      ...(requested !== undefined ? { fullVerificationRequested: requested } : {}),
    };
  };
}

async function verifyInFull(archive: ArchiveReader, systemId: string, publicKeys?: string[]) {
  const report = await verifyArchive({ archive, systems: [systemId], ...(publicKeys ? { publicKeys } : {}) });
  return {
    report,
    mode: 'full',
    fallback: 'no_checkpoint_store',
    fromDigestSeq: 0,
    fromHead: 0,
    rawDuplicateEvents: report.rawDuplicateEvents,
    advancedTo: null,
  } as const;
}

export type ArchiveStatusReader = ReturnType<typeof createArchiveStatusReader>;
