// The archive's state of one system, for GET /api/audit-events/verify: the digest chain and the system's archived
// events verified in this process (no workers), summarised beside the table's chain.
import type { ArchiveReader } from './ports.js';
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
};

export function createArchiveStatusReader(archive: ArchiveReader, publicKeys?: string[]) {
  return async (systemId: string): Promise<ArchiveStatus> => {
    const report = await verifyArchive({ archive, systems: [systemId], ...(publicKeys ? { publicKeys } : {}) });
    const system = report.perSystem.find((s) => s.systemId === systemId);
    return {
      status: report.ok ? 'ok' : 'broken',
      digests: report.digests,
      lastDigest: report.lastDigest,
      archivedHead: system?.archivedHead ?? 0,
      sealedHead: system?.sealedHead ?? 0,
      pendingEvents: report.pendingEvents,
      rawDuplicateEvents: report.rawDuplicateEvents,
      keySource: report.keySource,
      brokenAt: report.brokenAt,
    };
  };
}

export type ArchiveStatusReader = ReturnType<typeof createArchiveStatusReader>;
