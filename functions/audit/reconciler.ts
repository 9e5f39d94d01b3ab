// The reconciler: compares each system's chain in the table with the archive and back-fills what the stream did
// not deliver (a record sent to the dead-letter queue, an archiver outage longer than the stream's retention).
// It checks the unsealed tail: events after the newest digest's head (everything with `full`), by Query per system.
import { chainLabel, GENESIS_HASH } from '../domain/audit-chain.js';
import type { AuditEvent } from '../domain/types.js';
import { checkBatch, encodeBatch } from './batch-codec.js';
import { latestDigest } from './digest.js';
import { batchKey, batchListStart, MAX_BATCH_EVENTS, parseBatchKey, systemPrefix } from './layout.js';
import type { ArchiveStore } from './ports.js';
import type { AuditTableSource } from './table-source.js';

interface SystemReconciliation {
  systemId: string;
  tableHead: number;
  sealedHead: number;
  checked: number;
  missing: number;
  backFilled: number;
  rawDuplicates: number;
  /** Archived events whose hash differs from the table's (cannot be repaired: the archive is immutable). */
  conflicts: number;
  /** Batch objects that fail their own check (named by the verifier). */
  badBatches: number;
}

export interface ReconcileReport {
  systems: number;
  checked: number;
  missing: number;
  backFilled: number;
  rawDuplicates: number;
  conflicts: number;
  badBatches: number;
  perSystem: SystemReconciliation[];
}

export interface ReconcileOptions {
  archive: ArchiveStore;
  table: AuditTableSource;
  /** Check every event, not only those after the newest digest. */
  full?: boolean;
  /** Report without writing. */
  dryRun?: boolean;
  log?: (line: string) => void;
}

async function reconcileSystem(
  options: ReconcileOptions,
  systemId: string,
  sealed: { seq: number; hash: string },
): Promise<SystemReconciliation | undefined> {
  const { archive, table } = options;
  const head = await table.head(systemId);
  const fromSeq = options.full ? 1 : sealed.seq + 1;
  const report: SystemReconciliation = {
    systemId,
    tableHead: head?.seq ?? 0,
    sealedHead: sealed.seq,
    checked: 0,
    missing: 0,
    backFilled: 0,
    rawDuplicates: 0,
    conflicts: 0,
    badBatches: 0,
  };
  if (!head) return report;

  // What the archive holds from fromSeq on: seq -> hash.
  const archived = new Map<number, string>();
  const start = batchListStart(systemId, Math.max(1, fromSeq + 1 - MAX_BATCH_EVENTS));
  for await (const key of archive.list(systemPrefix(systemId), start)) {
    const ref = parseBatchKey(key);
    if (!ref || ref.lastSeq < fromSeq) continue;
    const bytes = await archive.get(key);
    const check = bytes ? checkBatch(bytes, ref) : undefined;
    if (!check?.ok) {
      report.badBatches++;
      continue;
    }
    for (let i = 0; i < check.count; i++) {
      const seq = ref.firstSeq + i;
      if (seq < fromSeq) continue;
      const hash = check.hashes.toString('hex', i * 32, i * 32 + 32);
      const known = archived.get(seq);
      if (known === undefined) archived.set(seq, hash);
      else if (known === hash) report.rawDuplicates++;
      else report.conflicts++;
    }
  }

  const missing: AuditEvent[] = [];
  for await (const event of table.events(systemId, fromSeq, head.seq)) {
    report.checked++;
    const hash = archived.get(event.seq);
    if (hash === undefined) missing.push(event);
    else if (hash !== event.hash) report.conflicts++;
  }
  report.missing = missing.length;

  if (!options.dryRun && missing.length) {
    let run: AuditEvent[] = [];
    const flush = async () => {
      if (!run.length) return;
      const first = (run[0] as AuditEvent).seq;
      const last = (run.at(-1) as AuditEvent).seq;
      await archive.putIfAbsent(batchKey(systemId, first, last), encodeBatch(run), 'application/x-ndjson');
      report.backFilled += run.length;
      run = [];
    };
    for (const event of missing) {
      const last = run.at(-1);
      if (last && (event.seq !== last.seq + 1 || run.length >= MAX_BATCH_EVENTS)) await flush();
      run.push(event);
    }
    await flush();
  }
  if (report.missing || report.conflicts || report.badBatches) {
    options.log?.(
      `audit reconcile: ${chainLabel(systemId)}: ${report.missing} missing, ${report.backFilled} back-filled, ${report.conflicts} conflicts, ${report.badBatches} bad batches`,
    );
  }
  return report;
}

/** One pass over every system of the table. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const digest = await latestDigest(options.archive);
  const heads = digest?.digest.heads ?? {};
  const perSystem: SystemReconciliation[] = [];
  for await (const systemId of options.table.systemIds()) {
    const result = await reconcileSystem(options, systemId, heads[systemId] ?? { seq: 0, hash: GENESIS_HASH });
    if (result) perSystem.push(result);
  }
  const sum = (field: keyof Omit<SystemReconciliation, 'systemId'>) => perSystem.reduce((n, s) => n + s[field], 0);
  return {
    systems: perSystem.length,
    checked: sum('checked'),
    missing: sum('missing'),
    backFilled: sum('backFilled'),
    rawDuplicates: sum('rawDuplicates'),
    conflicts: sum('conflicts'),
    badBatches: sum('badBatches'),
    perSystem,
  };
}
