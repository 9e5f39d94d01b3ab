// Lambda's stream delivery with injected faults, and the table items of a set of events: shared by the fault
// injection test and its benchmark.
import type { DynamoDBRecord } from 'aws-lambda';
import { type ArchiverStats, createArchiver } from '../../../functions/audit/archiver.js';
import { parseBatchKey } from '../../../functions/audit/layout.js';
import type { ArchiveStore } from '../../../functions/audit/ports.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { keys } from '../../../functions/store/keys.js';
import { random } from '../../unit/audit/fixture.js';

export interface FaultRunResult {
  deadLettered: number;
  invocations: number;
  failedInvocations: number;
  injectedPutFailures: number;
  stats: ArchiverStats[];
}

/** Lambda's delivery of one shard's records to the archiver, with injected faults. */
export async function deliverWithFaults(
  records: DynamoDBRecord[],
  archive: ArchiveStore,
  options: {
    seed: number;
    invocationFailure: number;
    putFailure: number;
    batchSize: number;
    maxRetries: number;
    /** Events whose batch can never be written (poison records): they end in the dead-letter queue. */
    poison?: (systemId: string, firstSeq: number, lastSeq: number) => boolean;
  },
): Promise<FaultRunResult> {
  const rand = random(options.seed);
  const result: FaultRunResult = {
    deadLettered: 0,
    invocations: 0,
    failedInvocations: 0,
    injectedPutFailures: 0,
    stats: [],
  };
  const flaky: ArchiveStore = {
    get: (k) => archive.get(k),
    list: (p, s) => archive.list(p, s),
    listFolders: (p) => archive.listFolders(p),
    putIfAbsent: async (key, body, type) => {
      const ref = parseBatchKey(key);
      if (ref && options.poison?.(ref.systemId, ref.firstSeq, ref.lastSeq)) throw new Error('injected: poison record');
      if (rand() < options.putFailure) {
        result.injectedPutFailures++;
        throw new Error('injected: S3 answered 503 SlowDown');
      }
      return archive.putIfAbsent(key, body, type);
    },
  };
  const archiver = createArchiver({ archive: flaky, onStats: (s) => result.stats.push(s) });
  const invoke = async (batch: DynamoDBRecord[]) => {
    result.invocations++;
    const roll = rand();
    if (roll < options.invocationFailure / 2) throw new Error('injected: the function crashed before writing');
    const out = await archiver({ Records: batch });
    if (roll < options.invocationFailure) throw new Error('injected: the function timed out after writing');
    return out;
  };

  let at = 0;
  let attempts = 0;
  let size = options.batchSize;
  while (at < records.length) {
    const batch = records.slice(at, at + size);
    let failedIndex: number | undefined;
    try {
      const out = await invoke(batch);
      const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
      const index = batch.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber as string));
      failedIndex = index >= 0 ? index : undefined;
    } catch {
      result.failedInvocations++;
      failedIndex = 0;
      // Bisect on function error: retry the first half of the batch.
      size = Math.max(1, Math.ceil(batch.length / 2));
    }
    if (failedIndex === undefined) {
      at += batch.length;
      attempts = 0;
      size = options.batchSize;
      continue;
    }
    at += failedIndex;
    attempts = failedIndex > 0 ? 1 : attempts + 1;
    if (attempts > options.maxRetries) {
      // The poison record goes to the dead-letter queue; the reconciler back-fills it from the table.
      result.deadLettered++;
      at += 1;
      attempts = 0;
      size = options.batchSize;
    }
  }
  return result;
}

/** The table items of the events, with each system's META carrying its audit head. */
export function tableItems(events: AuditEvent[]): Record<string, unknown>[] {
  const heads = new Map<string, AuditEvent>();
  for (const e of events) heads.set(e.systemId, e);
  const items: Record<string, unknown>[] = events.map((e) => ({
    ...keys.auditEvent(e.systemId, e.seq),
    ...keys.auditIndexes(e.at, e.systemId, e.seq),
    itemType: 'audit',
    ...e,
  }));
  for (const [systemId, head] of heads) {
    items.push({
      ...keys.system(systemId),
      ...keys.systemsIndex(systemId, systemId),
      itemType: 'system',
      id: systemId,
      name: systemId,
      auditSeq: head.seq,
      auditHash: head.hash,
    });
  }
  return items;
}
