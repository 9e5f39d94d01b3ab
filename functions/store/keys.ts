// Pure key builders of the single table. Every key the store writes or reads is made here.

const META = 'META';

/** Zero-pads a number so that lexical order equals numeric order. */
export function pad(n: number, width = 10): string {
  return String(n).padStart(width, '0');
}

/** The sort key of a system's day in a p95 month index: highest p95 last in key order. */
const p95SortKey = (day: string, latencyP95Ms: number, systemId: string) =>
  `${pad(Math.min(Math.round(latencyP95Ms), 9_999_999_999))}#${day}#${systemId}`;

/** A list the store reads with a Query: the index, the partition key value and, optionally, a sort key prefix. */
export interface IndexQuery {
  index?: 'gsi1' | 'gsi2';
  partition: string;
  prefix?: string;
}

/** The type tag of a versioned kind's index partitions and per-name version counter (PV, MC, JC, DS; a new kind adds its own). */
export type VersionedTag = 'PV' | 'MC' | 'JC' | 'DS';

/** A list read from several index partitions (shards), merged in sort key order (functions/store/fan-out.ts). */
export interface ShardedQuery {
  index: 'gsi1' | 'gsi2';
  shards: readonly string[];
  prefix?: string;
}

/**
 * How many shards each organisation-wide index partition is split into (docs/adr/0020-sharded-index-partitions.md).
 * Fixed: a different count puts items in other partitions, so changing it needs a migration like 0001.
 */
export const INDEX_SHARDS = 8;

/** The shard of an id (FNV-1a, 32 bits, over its UTF-16 code units, modulo INDEX_SHARDS): stable everywhere. */
export function shardOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % INDEX_SHARDS;
}

/** The shard of an organisation-wide partition that an item of this id belongs to: `<base>#<n>`. */
export function shardedPartition(base: string, id: string): string {
  return `${base}#${shardOf(id)}`;
}

/** An organisation-wide partition split by the id of what the item is (its system for the audit timeline). */
function sharded(base: string) {
  return {
    /** The shard an item of this id is written to. */
    of: (id: string) => shardedPartition(base, id),
    /** Every shard, for the read side. */
    all: (): string[] => Array.from({ length: INDEX_SHARDS }, (_, n) => `${base}#${n}`),
  };
}

/**
 * Index partitions, one per list: the write-side index keys below and the read-side queries share them. Lists of the
 * whole organisation are sharded (one busy system would otherwise throttle everyone: a GSI partition takes about
 * 1,000 writes a second); lists under one parent stay whole, their parent bounds them.
 */
const partitions = {
  systems: sharded('SYSTEMS'),
  ofSystem: (systemId: string, kind: VersionedTag | 'RC' | 'INC' | 'RLX') => `SYS#${systemId}#${kind}`,
  ofType: (type: VersionedTag | 'RC' | 'RUN') => sharded(type),
  runsOfCandidate: (candidateId: string) => `RC#${candidateId}#RUN`,
  unfinishedRuns: sharded('RUNQ#unfinished'),
  approvalQueue: (status: string) => sharded(`APRQ#${status}`),
  incidentsByStatus: (status: string) => sharded(`INC#${status}`),
  openReportingClocks: sharded('INCCLOCK#open'),
  relaxationsByStatus: (status: string) => sharded(`RLXQ#${status}`),
  audit: sharded('AUDIT'),
  webhooks: 'WEBHOOKS',
} as const;

/** The read side of the index keys: what each list queries. Pure, tested as data. */
export const queries = {
  /** Systems by name. */
  systems: (): ShardedQuery => ({ index: 'gsi1', shards: partitions.systems.all() }),
  /** Prompt versions, model configs or datasets of one system, by name then version (optionally of one name). */
  versionsOfSystem: (systemId: string, kind: VersionedTag, name?: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, kind),
    ...(name ? { prefix: `${name}#` } : {}),
  }),
  /** Every item of one type, in id (time) order: prompt versions, model configs, datasets, candidates, runs. */
  allOfType: (type: VersionedTag | 'RC' | 'RUN'): ShardedQuery => ({
    index: 'gsi2',
    shards: partitions.ofType(type).all(),
  }),
  candidatesOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, 'RC'),
  }),
  runsOfCandidate: (candidateId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.runsOfCandidate(candidateId),
  }),
  unfinishedRuns: (): ShardedQuery => ({ index: 'gsi2', shards: partitions.unfinishedRuns.all() }),
  /** The approval queue of one status, optionally of one reviewer role, oldest first. */
  approvalQueue: (status: string, role?: string): ShardedQuery => ({
    index: 'gsi2',
    shards: partitions.approvalQueue(status).all(),
    ...(role ? { prefix: `${role}#` } : {}),
  }),
  incidentsOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, 'INC'),
  }),
  /** Incidents of one status, by severity rank. */
  incidentsByStatus: (status: string): ShardedQuery => ({
    index: 'gsi2',
    shards: partitions.incidentsByStatus(status).all(),
  }),
  /** Open Art. 73 reporting clocks, by deadline. */
  openReportingClocks: (): ShardedQuery => ({ index: 'gsi2', shards: partitions.openReportingClocks.all() }),
  /** The global audit timeline (every system), by time. */
  auditTimeline: (): ShardedQuery => ({ index: 'gsi1', shards: partitions.audit.all() }),
  /** The shard of the audit timeline that holds one chain's events, by time (filtered to the chain by the reader). */
  auditTimelineOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.audit.of(systemId),
  }),
  webhooks: (): IndexQuery => ({ index: 'gsi1', partition: partitions.webhooks }),
  /** Relaxation requests of one system, in id (time) order. */
  relaxationsOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, 'RLX'),
  }),
  /** Relaxation requests of one stored status across the organisation, oldest first. */
  relaxationsByStatus: (status: string): ShardedQuery => ({
    index: 'gsi2',
    shards: partitions.relaxationsByStatus(status).all(),
  }),
} as const;

export const keys = {
  system: (systemId: string) => ({ pk: `SYS#${systemId}`, sk: META }),
  systemName: (name: string) => ({ pk: `SYSNAME#${name.trim().toLowerCase()}`, sk: 'UNIQUE' }),
  systemsIndex: (name: string, systemId: string) => ({
    gsi1pk: partitions.systems.of(systemId),
    gsi1sk: `${name.trim().toLowerCase()}#${systemId}`,
  }),

  prompt: (id: string) => ({ pk: `PV#${id}`, sk: META }),
  promptIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'PV'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: partitions.ofType('PV').of(id),
    gsi2sk: id,
  }),

  modelConfig: (id: string) => ({ pk: `MC#${id}`, sk: META }),
  modelConfigIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'MC'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: partitions.ofType('MC').of(id),
    gsi2sk: id,
  }),

  judgeConfig: (id: string) => ({ pk: `JC#${id}`, sk: META }),
  judgeConfigIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'JC'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: partitions.ofType('JC').of(id),
    gsi2sk: id,
  }),

  dataset: (id: string) => ({ pk: `DS#${id}`, sk: META }),
  datasetCase: (id: string, index: number) => ({ pk: `DS#${id}`, sk: `CASE#${pad(index, 8)}` }),
  datasetCasePrefix: (id: string) => ({ pk: `DS#${id}`, skPrefix: 'CASE#' }),
  /** Where a case id sits in its dataset (`index`): a submitted run's post reads only the cases it names. */
  datasetCaseId: (id: string, caseId: string) => ({ pk: `DS#${id}`, sk: `CID#${caseId}` }),
  /** What a dataset's cases hold beyond the META (labels, slice tags), written once at creation. */
  datasetFacts: (id: string) => ({ pk: `DS#${id}`, sk: 'FACTS' }),
  datasetIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'DS'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: partitions.ofType('DS').of(id),
    gsi2sk: id,
  }),

  candidate: (id: string) => ({ pk: `RC#${id}`, sk: META }),
  candidateIndexes: (systemId: string, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'RC'),
    gsi1sk: id,
    gsi2pk: partitions.ofType('RC').of(id),
    gsi2sk: id,
  }),

  evalRun: (id: string) => ({ pk: `RUN#${id}`, sk: META }),
  evalRunIndexes: (candidateId: string, id: string) => ({
    gsi1pk: partitions.runsOfCandidate(candidateId),
    gsi1sk: id,
    gsi2pk: partitions.ofType('RUN').of(id),
    gsi2sk: id,
  }),
  evalCaseResult: (runId: string, index: number) => ({ pk: `RUN#${runId}`, sk: `CASE#${pad(index, 8)}` }),
  evalCaseResultPrefix: (runId: string) => ({ pk: `RUN#${runId}`, skPrefix: 'CASE#' }),
  evalBatchAggregate: (runId: string, batchIndex: number) => ({ pk: `RUN#${runId}`, sk: `AGG#${pad(batchIndex, 6)}` }),
  evalBatchAggregatePrefix: (runId: string) => ({ pk: `RUN#${runId}`, skPrefix: 'AGG#' }),
  /** A run not finished yet, listed on gsi2 (sparse: the keys are removed when the run ends), for resumption. */
  evalRunUnfinished: (id: string) => ({ pk: `RUN#${id}`, sk: 'UNFINISHED' }),
  evalRunUnfinishedIndex: (id: string) => ({ gsi2pk: partitions.unfinishedRuns.of(id), gsi2sk: id }),

  approval: (id: string) => ({ pk: `APR#${id}`, sk: META }),
  /** The approval queue of its status (no list reads approvals by time alone, so they have no gsi1 keys). */
  approvalIndexes: (status: string, role: string, requestedAt: string, id: string) => ({
    gsi2pk: partitions.approvalQueue(status).of(id),
    gsi2sk: `${role}#${requestedAt}#${id}`,
  }),
  /** A pending record of a closed round leaves the approval queue (its status stays pending; no list reads it). */
  approvalLeavesQueue: ['gsi2pk', 'gsi2sk'] as const,

  incident: (id: string) => ({ pk: `INC#${id}`, sk: META }),
  incidentIndexes: (systemId: string, status: string, severityRank: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'INC'),
    gsi1sk: id,
    gsi2pk: partitions.incidentsByStatus(status).of(id),
    gsi2sk: `${severityRank}#${id}`,
  }),
  /** A serious incident's Art. 73 reporting clock, beside its incident; on gsi2 only while open (sparse). */
  incidentClock: (id: string) => ({ pk: `INC#${id}`, sk: 'CLOCK' }),
  incidentClockIndex: (reportingDeadline: string, id: string) => ({
    gsi2pk: partitions.openReportingClocks.of(id),
    gsi2sk: `${reportingDeadline}#${id}`,
  }),

  promotion: (systemId: string, id: string) => ({ pk: `SYS#${systemId}`, sk: `PROMO#${id}` }),
  promotionPrefix: (systemId: string) => ({ pk: `SYS#${systemId}`, skPrefix: 'PROMO#' }),
  rollback: (systemId: string, id: string) => ({ pk: `SYS#${systemId}`, sk: `ROLLBACK#${id}` }),
  rollbackPrefix: (systemId: string) => ({ pk: `SYS#${systemId}`, skPrefix: 'ROLLBACK#' }),
  /** A rollback request (ADR 0032): validating, then settled by its validation run's continuation. */
  rollbackRequest: (id: string) => ({ pk: `RRQ#${id}`, sk: META }),
  /**
   * A release's latest rollback request and whether it is still validating: a second request while one is pending is
   * refused (ROLLBACK_PENDING), read and written inside the system's unit of work.
   */
  rollbackGuard: (candidateId: string) => ({ pk: `RC#${candidateId}`, sk: 'ROLLBACK#LATEST' }),
  /** Names the incident monitoring opened for one release and cause, so a second failing run finds it (idempotency). */
  monitoringIncidentGuard: (systemId: string, candidateId: string, cause: string) => ({
    pk: `SYS#${systemId}`,
    sk: `MONITOR#${candidateId}#${cause}`,
  }),

  /**
   * A production sample (ADR 0042), in its system's sample partition, by release then the time it was served: a
   * monitoring window of one release is one Query. Expires through the table's TTL attribute; never audited.
   */
  sample: (systemId: string, releaseId: string, at: string, id: string) => ({
    pk: `SYS#${systemId}#SMP`,
    sk: `${releaseId}#${at}#${id}`,
  }),
  samplesPartition: (systemId: string) => `SYS#${systemId}#SMP`,
  /** A system's redaction rules and retention of samples; absent: the defaults (functions/domain/samples.ts). */
  sampleSettings: (systemId: string) => ({ pk: `SYS#${systemId}`, sk: 'SAMPLES#SETTINGS' }),

  auditEvent: (systemId: string, seq: number) => ({ pk: `SYS#${systemId}#AUDIT`, sk: `SEQ#${pad(seq)}` }),
  auditPartition: (systemId: string) => `SYS#${systemId}#AUDIT`,
  auditIndexes: (at: string, systemId: string, seq: number) => ({
    gsi1pk: partitions.audit.of(systemId),
    gsi1sk: `${at}#${systemId}#${pad(seq)}`,
  }),

  relaxation: (id: string) => ({ pk: `RLX#${id}`, sk: META }),
  relaxationIndexes: (systemId: string, status: string, requestedAt: string, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'RLX'),
    gsi1sk: id,
    gsi2pk: partitions.relaxationsByStatus(status).of(id),
    gsi2sk: `${requestedAt}#${id}`,
  }),
  /** An approved waiver beside its candidate, so that the gate finds the candidate's waivers with one Query. */
  waiver: (candidateId: string, requestId: string) => ({ pk: `RC#${candidateId}`, sk: `WAIVER#${requestId}` }),
  waiverPrefix: (candidateId: string) => ({ pk: `RC#${candidateId}`, skPrefix: 'WAIVER#' }),

  policy: (version: number) => ({ pk: 'POLICY', sk: `V#${pad(version, 6)}` }),
  policyVersionPrefix: { pk: 'POLICY', skPrefix: 'V#' },
  /** The pointer to the policy version in force: `{ version, document }` (functions/store/policies.ts). */
  policyActive: { pk: 'POLICY', sk: 'ACTIVE' },

  /** A policy dry run: its request, progress and summary; its result items share the partition (ITEM#...). */
  policyDryRun: (id: string) => ({ pk: `PDR#${id}`, sk: META }),
  /** One result of a dry run, keyed by what it judged, so that a step run twice writes the same item again. */
  policyDryRunItem: (id: string, systemId: string, environment: string, subject: string, candidateId: string) => ({
    pk: `PDR#${id}`,
    sk: `ITEM#${systemId}#${environment}#${subject}#${candidateId}`,
  }),
  policyDryRunItems: (id: string): IndexQuery => ({ partition: `PDR#${id}`, prefix: 'ITEM#' }),

  /** An audit export job (ADR 0044): its filter, progress and objects; nothing beside it. */
  auditExport: (id: string) => ({ pk: `AEX#${id}`, sk: META }),

  webhook: (id: string) => ({ pk: `WHK#${id}`, sk: META }),
  webhooksIndex: (id: string) => ({ gsi1pk: partitions.webhooks, gsi1sk: id }),
  /** One attempt of one delivery; sort keys are ULIDs, so the log reads newest first. */
  webhookDelivery: (webhookId: string, deliveryUlid: string) => ({ pk: `WHK#${webhookId}`, sk: `DLV#${deliveryUlid}` }),
  webhookDeliveryPrefix: (webhookId: string) => ({ pk: `WHK#${webhookId}`, skPrefix: 'DLV#' }),
  /** Marks an event delivered to a subscription, so a redelivered stream record is not sent twice. */
  webhookSent: (webhookId: string, eventId: string) => ({ pk: `WHK#${webhookId}`, sk: `SENT#${eventId}` }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEMP#${scope}#${key}`, sk: 'IDEMP' }),

  /**
   * Dedup items of refused promotions (ADR 0037), in the candidate's own partition of them: one per caller and reason
   * set (`fingerprint`) per hour, and one per caller and Idempotency-Key. Written with the refusal's audit event.
   */
  refusalOfHour: (candidateId: string, hour: string, fingerprint: string) => ({
    pk: `REFUSAL#${candidateId}`,
    sk: `HOUR#${hour}#${fingerprint}`,
  }),
  refusalOfKey: (candidateId: string, fingerprint: string) => ({
    pk: `REFUSAL#${candidateId}`,
    sk: `KEY#${fingerprint}`,
  }),
  /** A refusal whose record could not be written at once, oldest first, until the outbox drain writes it. */
  refusalOutbox: (refusedAt: string, id: string) => ({ pk: 'REFUSAL_OUTBOX', sk: `${refusedAt}#${id}` }),
  refusalOutboxPartition: 'REFUSAL_OUTBOX',

  // Daily metric rollups (functions/store/rollups.ts, ADR 0043): derived from the audit chain after the fact.
  /** A system's day: its counters and its eval runs' worst p95 and summed mean costs. */
  rollupSystemDay: (systemId: string, day: string) => ({ pk: `ROLLUP#SYS#${systemId}`, sk: `DAY#${day}` }),
  rollupSystemPartition: (systemId: string) => `ROLLUP#SYS#${systemId}`,
  /** One shard of a scope's day (the organisation, a team, a tier, a team and tier): a busy day is 8 items. */
  rollupScopeDay: (scope: string, shard: number, day: string) => ({ pk: `ROLLUP#${scope}#${shard}`, sk: `DAY#${day}` }),
  rollupScopePartition: (scope: string, shard: number) => `ROLLUP#${scope}#${shard}`,
  /**
   * The month indexes of systems' days by their worst p95 latency (highest last in key order): the organisation's
   * on gsi1, the owner team's on gsi2. A month, not a day, so that a range of up to 92 days is at most 4 Queries.
   */
  rollupLatencyIndex: (day: string, latencyP95Ms: number, systemId: string, ownerTeam: string) => {
    const sk = p95SortKey(day, latencyP95Ms, systemId);
    return {
      gsi1pk: `ROLLUP#P95#${day.slice(0, 7)}`,
      gsi1sk: sk,
      gsi2pk: `ROLLUP#P95#${ownerTeam}#${day.slice(0, 7)}`,
      gsi2sk: sk,
    };
  },
  rollupLatencyPartition: (month: string, ownerTeam?: string) =>
    ownerTeam === undefined ? `ROLLUP#P95#${month}` : `ROLLUP#P95#${ownerTeam}#${month}`,
  /**
   * A system's day in the risk tier's month index (gsi1) and the team-and-tier's (gsi2): a second item per day with
   * a p95, so a tier filter reads its own index from the highest p95 down instead of filtering the organisation's.
   */
  rollupTierLatencyItem: (systemId: string, day: string) => ({ pk: `ROLLUP#P95TIER#${systemId}`, sk: `DAY#${day}` }),
  rollupTierLatencyIndex: (
    day: string,
    latencyP95Ms: number,
    systemId: string,
    ownerTeam: string,
    riskTier: string,
  ) => {
    const sk = p95SortKey(day, latencyP95Ms, systemId);
    return {
      gsi1pk: `ROLLUP#P95T#${riskTier}#${day.slice(0, 7)}`,
      gsi1sk: sk,
      gsi2pk: `ROLLUP#P95TT#${ownerTeam}#${riskTier}#${day.slice(0, 7)}`,
      gsi2sk: sk,
    };
  },
  rollupTierLatencyPartition: (month: string, riskTier: string, ownerTeam?: string) =>
    ownerTeam === undefined ? `ROLLUP#P95T#${riskTier}#${month}` : `ROLLUP#P95TT#${ownerTeam}#${riskTier}#${month}`,
  /** The mark that an audit event's contribution was applied (at most once, whoever applies it). */
  rollupApplied: (systemId: string, seq: number) => ({ pk: `ROLLUP#APPLIED#${systemId}`, sk: `SEQ#${pad(seq)}` }),
  /** How far the back-fill has read a system's chain (its last seq applied). */
  rollupBackfill: (systemId: string) => ({ pk: 'ROLLUP#BACKFILL', sk: `SYS#${systemId}` }),
} as const;

/** Attributes that belong to the table layout, not to the entity. */
export const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'itemType', 'ttl'] as const;

/** Strips layout attributes from an item, giving the entity back. */
export function toEntity<T>(item: Record<string, unknown>): T {
  const entity: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete entity[key];
  delete entity.auditSeq;
  delete entity.auditHash;
  delete entity.counters;
  // A system's copy of the policy document in force: the gate reads it from the META item (policyOf), no API shows it.
  delete entity.policy;
  delete entity.siblingIds;
  delete entity.roundClosed;
  // The release gate's callback token of a pending approval: a credential for the gate, never an API field.
  delete entity.taskToken;
  delete entity.taskTokenAt;
  return entity as T;
}
