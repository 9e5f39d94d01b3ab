// Audit archives for tests and benchmarks: real hash-chained events (buildAuditEvent), delivered to the real
// archiver as DynamoDB stream records, sealed by the real digest writer.
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createArchiver } from '../../../functions/audit/archiver.js';
import { writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { MemoryArchive } from '../../../functions/audit/memory-archive.js';
import type { ArchiveStore, DigestSigner } from '../../../functions/audit/ports.js';
import { buildAuditEvent, GENESIS_HASH } from '../../../functions/domain/audit-chain.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { keys } from '../../../functions/store/keys.js';

/** A deterministic PRNG (mulberry32), so a failing mutation can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACTIONS = [
  'candidate.created',
  'eval_run.completed',
  'approval.recorded',
  'candidate.promoted',
  'incident.opened',
];

export function systemIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sys_01JTEST${String(i).padStart(18, '0')}`);
}

/** `perSystem` chained events for each system, about 600 bytes each, interleaved in commit order. */
export function makeEvents(ids: readonly string[], perSystem: number, seed = 1): AuditEvent[] {
  const rand = random(seed);
  const heads = new Map(ids.map((id) => [id, { seq: 0, hash: GENESIS_HASH }]));
  const remaining = new Map(ids.map((id) => [id, perSystem]));
  const out: AuditEvent[] = [];
  const start = Date.parse('2026-11-01T00:00:00.000Z');
  while (out.length < ids.length * perSystem) {
    const live = ids.filter((id) => (remaining.get(id) ?? 0) > 0);
    const systemId = live[Math.floor(rand() * live.length)] as string;
    remaining.set(systemId, (remaining.get(systemId) ?? 0) - 1);
    const head = heads.get(systemId) as { seq: number; hash: string };
    const n = out.length;
    const event = buildAuditEvent(head, {
      systemId,
      action: ACTIONS[n % ACTIONS.length] as string,
      entityType: 'candidate',
      entityId: `rc_01JTEST${String(n).padStart(18, '0')}`,
      actor: { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin', 'reviewer:governance'] },
      at: new Date(start + n * 1000).toISOString(),
      before: { status: 'approved', environment: 'staging', version: n },
      after: { status: 'promoted', environment: 'production', releaseId: `rel_${n}`, note: 'é ✓ "quoted"' },
      reason: n % 7 === 0 ? null : 'all gates passed and the required approvals are recorded',
    });
    heads.set(systemId, { seq: event.seq, hash: event.hash });
    out.push(event);
  }
  return out;
}

/** The stream record DynamoDB emits for an audit item (NEW_IMAGE). */
export function streamRecord(event: AuditEvent, sequenceNumber: number): DynamoDBRecord {
  const item = {
    ...keys.auditEvent(event.systemId, event.seq),
    ...keys.auditIndexes(event.at, event.systemId, event.seq),
    itemType: 'audit',
    ...event,
  };
  return {
    eventID: `ev-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: marshall(keys.auditEvent(event.systemId, event.seq)) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequenceNumber).padStart(21, '0'),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

export function streamEvent(records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

export interface ArchiveFixture {
  archive: MemoryArchive;
  signer: DigestSigner;
  publicKeyPem: string;
  events: AuditEvent[];
  digests: number;
}

/**
 * Archives `events` through the archiver in random deliveries (1..maxBatch records, some delivered twice with other
 * boundaries, as retries do), writing a digest every `digestEvery` records and a final one.
 */
export async function buildArchive(
  events: AuditEvent[],
  options: {
    seed?: number;
    maxBatch?: number;
    digestEvery?: number;
    archive?: ArchiveStore;
    signer?: DigestSigner;
  } = {},
): Promise<ArchiveFixture> {
  const rand = random(options.seed ?? 7);
  const archive = (options.archive as MemoryArchive | undefined) ?? new MemoryArchive();
  const signer = options.signer ?? createKeySigner(generateSigningKeyPem());
  const archiver = createArchiver({ archive });
  const records = events.map((e, i) => streamRecord(e, i + 1));
  const maxBatch = options.maxBatch ?? 40;
  const digestEvery = options.digestEvery ?? 150;
  let clock = Date.parse('2026-11-01T00:00:00.000Z');
  const now = () => {
    clock += 60_000;
    return new Date(clock);
  };
  let digests = 0;
  let sinceDigest = 0;
  for (let at = 0; at < records.length; ) {
    const size = 1 + Math.floor(rand() * maxBatch);
    const out = await archiver(streamEvent(records.slice(at, at + size)));
    if (out.batchItemFailures.length) throw new Error('the archiver failed without faults');
    // A retry that re-cuts the records: overlapping batches with identical bytes.
    if (rand() < 0.15 && at > 5) {
      const back = Math.floor(rand() * 5) + 1;
      await archiver(streamEvent(records.slice(at - back, at + Math.floor(size / 2))));
    }
    at += size;
    sinceDigest += size;
    if (sinceDigest >= digestEvery) {
      await writeDigest({ archive, signer, now });
      digests++;
      sinceDigest = 0;
    }
  }
  await writeDigest({ archive, signer, now });
  digests++;
  return { archive, signer, publicKeyPem: await signer.publicKeyPem(), events, digests };
}
