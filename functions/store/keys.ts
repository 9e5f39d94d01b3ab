// Pure key builders of the single table. Every key the store writes or reads is made here.

const META = 'META';

/** Zero-pads a number so that lexical order equals numeric order. */
export function pad(n: number, width = 10): string {
  return String(n).padStart(width, '0');
}

/** A list the store reads with a Query: the index, the partition key value and, optionally, a sort key prefix. */
export interface IndexQuery {
  index?: 'gsi1' | 'gsi2';
  partition: string;
  prefix?: string;
}

/** The type tag of a versioned kind's index partitions and per-name version counter (PV, MC, DS; a new kind adds its own). */
export type VersionedTag = 'PV' | 'MC' | 'DS';

/** Index partitions, one per list: the write-side index keys below and the read-side queries share them. */
const partitions = {
  systems: 'SYSTEMS',
  ofSystem: (systemId: string, kind: VersionedTag | 'RC' | 'INC') => `SYS#${systemId}#${kind}`,
  runsOfCandidate: (candidateId: string) => `RC#${candidateId}#RUN`,
  unfinishedRuns: 'RUNQ#unfinished',
  approvals: 'APPROVALS',
  approvalQueue: (status: string) => `APRQ#${status}`,
  incidentsByStatus: (status: string) => `INC#${status}`,
  openReportingClocks: 'INCCLOCK#open',
  audit: 'AUDIT',
  webhooks: 'WEBHOOKS',
} as const;

/** The read side of the index keys: what each list queries. Pure, tested as data. */
export const queries = {
  /** Systems by name. */
  systems: (): IndexQuery => ({ index: 'gsi1', partition: partitions.systems }),
  /** Prompt versions, model configs or datasets of one system, by name then version (optionally of one name). */
  versionsOfSystem: (systemId: string, kind: VersionedTag, name?: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, kind),
    ...(name ? { prefix: `${name}#` } : {}),
  }),
  /** Every item of one type, in id (time) order: prompt versions, model configs, datasets, candidates, runs. */
  allOfType: (type: VersionedTag | 'RC' | 'RUN'): IndexQuery => ({ index: 'gsi2', partition: type }),
  candidatesOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, 'RC'),
  }),
  runsOfCandidate: (candidateId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.runsOfCandidate(candidateId),
  }),
  unfinishedRuns: (): IndexQuery => ({ index: 'gsi2', partition: partitions.unfinishedRuns }),
  /** The approval queue of one status, optionally of one reviewer role, oldest first. */
  approvalQueue: (status: string, role?: string): IndexQuery => ({
    index: 'gsi2',
    partition: partitions.approvalQueue(status),
    ...(role ? { prefix: `${role}#` } : {}),
  }),
  incidentsOfSystem: (systemId: string): IndexQuery => ({
    index: 'gsi1',
    partition: partitions.ofSystem(systemId, 'INC'),
  }),
  /** Incidents of one status, by severity rank. */
  incidentsByStatus: (status: string): IndexQuery => ({
    index: 'gsi2',
    partition: partitions.incidentsByStatus(status),
  }),
  /** Open Art. 73 reporting clocks, by deadline. */
  openReportingClocks: (): IndexQuery => ({ index: 'gsi2', partition: partitions.openReportingClocks }),
  /** The global audit timeline (every system), by time. */
  auditTimeline: (): IndexQuery => ({ index: 'gsi1', partition: partitions.audit }),
  webhooks: (): IndexQuery => ({ index: 'gsi1', partition: partitions.webhooks }),
} as const;

export const keys = {
  system: (systemId: string) => ({ pk: `SYS#${systemId}`, sk: META }),
  systemName: (name: string) => ({ pk: `SYSNAME#${name.trim().toLowerCase()}`, sk: 'UNIQUE' }),
  systemsIndex: (name: string, systemId: string) => ({
    gsi1pk: partitions.systems,
    gsi1sk: `${name.trim().toLowerCase()}#${systemId}`,
  }),

  prompt: (id: string) => ({ pk: `PV#${id}`, sk: META }),
  promptIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'PV'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: 'PV',
    gsi2sk: id,
  }),

  modelConfig: (id: string) => ({ pk: `MC#${id}`, sk: META }),
  modelConfigIndexes: (systemId: string, name: string, version: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'MC'),
    gsi1sk: `${name}#${pad(version, 6)}`,
    gsi2pk: 'MC',
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
    gsi2pk: 'DS',
    gsi2sk: id,
  }),

  candidate: (id: string) => ({ pk: `RC#${id}`, sk: META }),
  candidateIndexes: (systemId: string, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'RC'),
    gsi1sk: id,
    gsi2pk: 'RC',
    gsi2sk: id,
  }),

  evalRun: (id: string) => ({ pk: `RUN#${id}`, sk: META }),
  evalRunIndexes: (candidateId: string, id: string) => ({
    gsi1pk: partitions.runsOfCandidate(candidateId),
    gsi1sk: id,
    gsi2pk: 'RUN',
    gsi2sk: id,
  }),
  evalCaseResult: (runId: string, index: number) => ({ pk: `RUN#${runId}`, sk: `CASE#${pad(index, 8)}` }),
  evalCaseResultPrefix: (runId: string) => ({ pk: `RUN#${runId}`, skPrefix: 'CASE#' }),
  evalBatchAggregate: (runId: string, batchIndex: number) => ({ pk: `RUN#${runId}`, sk: `AGG#${pad(batchIndex, 6)}` }),
  evalBatchAggregatePrefix: (runId: string) => ({ pk: `RUN#${runId}`, skPrefix: 'AGG#' }),
  /** A run not finished yet, listed on gsi2 (sparse: the keys are removed when the run ends), for resumption. */
  evalRunUnfinished: (id: string) => ({ pk: `RUN#${id}`, sk: 'UNFINISHED' }),
  evalRunUnfinishedIndex: (id: string) => ({ gsi2pk: partitions.unfinishedRuns, gsi2sk: id }),

  approval: (id: string) => ({ pk: `APR#${id}`, sk: META }),
  approvalIndexes: (status: string, role: string, requestedAt: string, id: string) => ({
    gsi1pk: partitions.approvals,
    gsi1sk: `${requestedAt}#${id}`,
    gsi2pk: partitions.approvalQueue(status),
    gsi2sk: `${role}#${requestedAt}#${id}`,
  }),
  /** A pending record of a closed round leaves the approval queue; its status stays pending (read by no route). */
  approvalRoundClosedIndex: () => ({ gsi2pk: partitions.approvalQueue('closed') }),

  incident: (id: string) => ({ pk: `INC#${id}`, sk: META }),
  incidentIndexes: (systemId: string, status: string, severityRank: number, id: string) => ({
    gsi1pk: partitions.ofSystem(systemId, 'INC'),
    gsi1sk: id,
    gsi2pk: partitions.incidentsByStatus(status),
    gsi2sk: `${severityRank}#${id}`,
  }),
  /** A serious incident's Art. 73 reporting clock, beside its incident; on gsi2 only while open (sparse). */
  incidentClock: (id: string) => ({ pk: `INC#${id}`, sk: 'CLOCK' }),
  incidentClockIndex: (reportingDeadline: string, id: string) => ({
    gsi2pk: partitions.openReportingClocks,
    gsi2sk: `${reportingDeadline}#${id}`,
  }),

  promotion: (systemId: string, id: string) => ({ pk: `SYS#${systemId}`, sk: `PROMO#${id}` }),
  promotionPrefix: (systemId: string) => ({ pk: `SYS#${systemId}`, skPrefix: 'PROMO#' }),
  rollback: (systemId: string, id: string) => ({ pk: `SYS#${systemId}`, sk: `ROLLBACK#${id}` }),
  rollbackPrefix: (systemId: string) => ({ pk: `SYS#${systemId}`, skPrefix: 'ROLLBACK#' }),
  /** Names the incident monitoring opened for one release and cause, so a second failing run finds it (idempotency). */
  monitoringIncidentGuard: (systemId: string, candidateId: string, cause: string) => ({
    pk: `SYS#${systemId}`,
    sk: `MONITOR#${candidateId}#${cause}`,
  }),

  auditEvent: (systemId: string, seq: number) => ({ pk: `SYS#${systemId}#AUDIT`, sk: `SEQ#${pad(seq)}` }),
  auditPartition: (systemId: string) => `SYS#${systemId}#AUDIT`,
  auditIndexes: (at: string, systemId: string, seq: number) => ({
    gsi1pk: partitions.audit,
    gsi1sk: `${at}#${systemId}#${pad(seq)}`,
  }),

  policy: (version: number) => ({ pk: 'POLICY', sk: `V#${pad(version, 6)}` }),

  webhook: (id: string) => ({ pk: `WHK#${id}`, sk: META }),
  webhooksIndex: (id: string) => ({ gsi1pk: partitions.webhooks, gsi1sk: id }),
  /** One attempt of one delivery; sort keys are ULIDs, so the log reads newest first. */
  webhookDelivery: (webhookId: string, deliveryUlid: string) => ({ pk: `WHK#${webhookId}`, sk: `DLV#${deliveryUlid}` }),
  webhookDeliveryPrefix: (webhookId: string) => ({ pk: `WHK#${webhookId}`, skPrefix: 'DLV#' }),
  /** Marks an event delivered to a subscription, so a redelivered stream record is not sent twice. */
  webhookSent: (webhookId: string, eventId: string) => ({ pk: `WHK#${webhookId}`, sk: `SENT#${eventId}` }),
  idempotency: (scope: string, key: string) => ({ pk: `IDEMP#${scope}#${key}`, sk: 'IDEMP' }),
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
  delete entity.siblingIds;
  delete entity.roundClosed;
  // The release gate's callback token of a pending approval: a credential for the gate, never an API field.
  delete entity.taskToken;
  delete entity.taskTokenAt;
  return entity as T;
}
