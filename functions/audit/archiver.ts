// The audit archiver: a Lambda on the table's stream (filtered to itemType = audit in the event source mapping, and
// checked again here) that writes each system's events as batch objects of canonical bytes.
//
// Delivery is at-least-once and a retry may cut the records differently, so every write is idempotent: the key is
// the system and the first and last seq, the body is a function of those events, and the put is conditional; a 412
// means "already archived". Overlapping batches hold identical bytes for the same seq (raw duplicates, which the
// verifier counts), never conflicting ones. A failed put reports its records (ReportBatchItemFailures); Lambda
// retries from the lowest, bisects on errors and sends poison records to the dead-letter queue after bounded retries.
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { AUDIT_HASHED_FIELDS, auditEventHash } from '../domain/audit-chain.js';
import type { AuditEvent } from '../domain/types.js';
import { AUDIT_ENTITY_TYPE, ITEM_TYPE_ATTRIBUTE } from '../store/table-definition.js';
import { encodeBatch } from './batch-codec.js';
import { batchKey, MAX_BATCH_EVENTS } from './layout.js';
import type { ArchiveWriter } from './ports.js';

export interface ArchiverStats {
  records: number;
  ignored: number;
  events: number;
  batchesWritten: number;
  /** Batches whose key existed (412): re-deliveries. */
  batchesAlreadyArchived: number;
  batchesFailed: number;
  /** Events whose stored hash does not match their content (archived as they are; the verifier names them). */
  badHashes: number;
}

export interface ArchiverOptions {
  archive: ArchiveWriter;
  log?: (line: string) => void;
  onStats?: (stats: ArchiverStats) => void;
}

interface Pending {
  event: AuditEvent;
  sequenceNumber: string;
}

/**
 * The audit event of a stream record, or undefined for anything that is not a new audit item. Audit items are
 * append-only: a MODIFY of one is a data migration re-keying its index attributes, never a new event.
 */
export function auditEventOfRecord(record: DynamoDBRecord): AuditEvent | undefined {
  if (record.eventName !== 'INSERT') return undefined;
  const image = record.dynamodb?.NewImage;
  if (!image || image[ITEM_TYPE_ATTRIBUTE]?.S !== AUDIT_ENTITY_TYPE) return undefined;
  const item = unmarshall(image as Parameters<typeof unmarshall>[0]) as Record<string, unknown>;
  const event: Record<string, unknown> = {};
  for (const field of AUDIT_HASHED_FIELDS) event[field] = item[field] ?? null;
  event.hash = item.hash;
  return event as unknown as AuditEvent;
}

/**
 * How long after the oldest audit event of a batch it reached the archiver, in milliseconds (the archive lag
 * metric): `now` minus the event's own time. Undefined when the batch holds no audit event.
 */
export function archiveLagMs(event: DynamoDBStreamEvent, now: number): number | undefined {
  let oldest: number | undefined;
  for (const record of event.Records) {
    const at = Date.parse(auditEventOfRecord(record)?.at ?? '');
    if (!Number.isNaN(at) && (oldest === undefined || at < oldest)) oldest = at;
  }
  return oldest === undefined ? undefined : Math.max(0, now - oldest);
}

/** Cuts one system's events (sorted, deduplicated) into runs of consecutive seqs of at most MAX_BATCH_EVENTS. */
function contiguousRuns<T extends { event: AuditEvent }>(items: readonly T[]): T[][] {
  const sorted = [...items].sort((a, b) => a.event.seq - b.event.seq);
  const runs: T[][] = [];
  let run: T[] = [];
  for (const item of sorted) {
    const last = run.at(-1);
    if (last && last.event.seq === item.event.seq) continue;
    if (last && (item.event.seq !== last.event.seq + 1 || run.length >= MAX_BATCH_EVENTS)) {
      runs.push(run);
      run = [];
    }
    run.push(item);
  }
  if (run.length) runs.push(run);
  return runs;
}

/** Builds the stream handler over an archive. */
export function createArchiver(options: ArchiverOptions) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const stats: ArchiverStats = {
      records: event.Records.length,
      ignored: 0,
      events: 0,
      batchesWritten: 0,
      batchesAlreadyArchived: 0,
      batchesFailed: 0,
      badHashes: 0,
    };
    const bySystem = new Map<string, Pending[]>();
    const failures: string[] = [];
    for (const record of event.Records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? record.eventID ?? '';
      let audit: AuditEvent | undefined;
      try {
        audit = auditEventOfRecord(record);
      } catch (error) {
        options.log?.(`audit archiver: record ${sequenceNumber} is unreadable: ${(error as Error).message}`);
        failures.push(sequenceNumber);
        continue;
      }
      if (!audit) {
        stats.ignored++;
        continue;
      }
      if (
        typeof audit.systemId !== 'string' ||
        !Number.isSafeInteger(audit.seq) ||
        audit.seq < 1 ||
        typeof audit.hash !== 'string'
      ) {
        options.log?.(`audit archiver: record ${sequenceNumber} is not an audit event`);
        failures.push(sequenceNumber);
        continue;
      }
      if (auditEventHash(audit) !== audit.hash) stats.badHashes++;
      stats.events++;
      const list = bySystem.get(audit.systemId) ?? [];
      list.push({ event: audit, sequenceNumber });
      bySystem.set(audit.systemId, list);
    }

    const writes: Promise<void>[] = [];
    for (const [systemId, items] of bySystem) {
      for (const run of contiguousRuns(items)) {
        const first = (run[0] as Pending).event.seq;
        const last = (run.at(-1) as Pending).event.seq;
        const key = batchKey(systemId, first, last);
        writes.push(
          options.archive.putIfAbsent(key, encodeBatch(run.map((p) => p.event)), 'application/x-ndjson').then(
            (outcome) => {
              if (outcome === 'created') stats.batchesWritten++;
              else stats.batchesAlreadyArchived++;
            },
            (error: unknown) => {
              stats.batchesFailed++;
              options.log?.(`audit archiver: ${key} failed: ${(error as Error).message}`);
              // Every record of the run, including duplicates of its seqs, is reported.
              for (const item of items)
                if (item.event.seq >= first && item.event.seq <= last) failures.push(item.sequenceNumber);
            },
          ),
        );
      }
    }
    await Promise.all(writes);
    options.onStats?.(stats);
    return { batchItemFailures: [...new Set(failures)].map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
