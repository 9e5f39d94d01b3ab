// Incidents: operational issues linked to a system and the release they happened on. The system's META counts its
// unresolved incidents per severity (`openIncidents`), kept in the same transaction as each incident's change; the
// policy says which severities block, per tier and environment, and the promotion conditions on those counters.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { canonicalJson } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import {
  applySeriousIncident,
  clockIsOpen,
  type ReportingClockEntry,
  reportingClockEntry,
  type SeriousIncidentInput,
} from '../domain/incident-clock.js';
import { assertTransition } from '../domain/lifecycle.js';
import type { Actor, Incident, IncidentStatus, Severity } from '../domain/types.js';
import { buildKeyCondition } from './expressions.js';
import { compareSortKeys } from './fan-out.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { meterRead, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

const SEVERITY_RANK: Record<Severity, number> = { critical: 1, high: 2, medium: 3, low: 4 };

export interface IncidentInput {
  systemId: string;
  candidateId?: string | null;
  title: string;
  description: string;
  severity: Severity;
  /** Declares a serious incident (EU AI Act Art. 73); the store computes its reporting deadline. */
  seriousIncident?: SeriousIncidentInput;
}

export type IncidentPatch = Partial<Pick<Incident, 'title' | 'description' | 'severity'>> & {
  status?: Extract<IncidentStatus, 'open' | 'mitigating'>;
  /** Declares a serious incident or changes its clock (records the reports); fields left out keep their value. */
  seriousIncident?: SeriousIncidentInput;
};

/**
 * Counts a change of an incident in the system's per-severity counters of unresolved incidents (`before` null: it is
 * new). ADD commits with the transaction, so concurrent changes of several incidents all count. A META written before
 * the counters has none until migration 0003 recounts it; ADD on a member of a missing map is refused by DynamoDB, so
 * the change is refused as a conflict rather than counted wrongly.
 */
export function countIncidentChange(
  tx: SystemTx,
  before: Pick<Incident, 'severity' | 'status'> | null,
  after: Pick<Incident, 'severity' | 'status'>,
) {
  const delta = new Map<Severity, number>();
  if (before && before.status !== 'resolved') delta.set(before.severity, -1);
  if (after.status !== 'resolved') delta.set(after.severity, (delta.get(after.severity) ?? 0) + 1);
  const changes = [...delta].filter(([, by]) => by !== 0);
  if (changes.length === 0) return;
  if (!isRecord(tx.meta.openIncidents)) {
    throw new ConflictError(
      `the open incidents of system ${String(tx.meta.id)} are not yet counted by severity: run the data migrations (0003-open-incidents-by-severity)`,
    );
  }
  for (const [severity, by] of changes) {
    const path = `openIncidents.${severity}`;
    tx.metaSpec.add[path] = (tx.metaSpec.add[path] ?? 0) + by;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Items read back from DynamoDB do not keep the key order of nested maps: compare canonical JSON.
const same = (a: unknown, b: unknown) =>
  a === b || (a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b));

/** The table item of an incident with its indexes (also written by monitoring, in its own unit of work). */
export function incidentItem(incident: Incident) {
  return {
    ...keys.incident(incident.id),
    ...keys.incidentIndexes(incident.systemId, incident.status, SEVERITY_RANK[incident.severity], incident.id),
    itemType: 'incident',
    ...incident,
  };
}

/**
 * The reporting clock item of a serious incident (none for other incidents). It sits beside the incident and is
 * rewritten with it in the same transaction; while no initial report was sent it is on gsi2 `INCCLOCK#open`, sorted
 * by deadline, so the overview reads the deadlines coming due with one bounded Query (docs/architecture/incidents.md).
 */
function putReportingClock(tx: SystemTx, incident: Incident) {
  const entry = reportingClockEntry(incident);
  if (!entry) return;
  tx.put(
    {
      ...keys.incidentClock(incident.id),
      ...(clockIsOpen(entry) ? keys.incidentClockIndex(entry.reportingDeadline, incident.id) : {}),
      itemType: 'incident_clock',
      ...entry,
    },
    [],
  );
}

/**
 * Open reporting clocks whose deadline is at or before `until` (overdue ones first), at most `max` of them: each
 * shard of the open clocks is read in deadline order up to `max`, and the earliest `max` of them all are kept.
 */
export async function openReportingClocks(
  ctx: StoreContext,
  until: Date,
  max = 500,
): Promise<{ items: ReportingClockEntry[]; complete: boolean }> {
  const { index, shards } = queries.openReportingClocks();
  const perShard = await Promise.all(
    shards.map(async (partition) => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await ctx.doc.send(
          new QueryCommand({
            TableName: ctx.tableName,
            IndexName: index,
            // '~' sorts after every character of an id, so a deadline equal to `until` is included.
            ...buildKeyCondition({ index, partition, upTo: `${until.toISOString()}#~` }),
            Limit: Math.min(100, max - items.length),
            ExclusiveStartKey: start,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        meterRead(ctx, out.ConsumedCapacity?.CapacityUnits);
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start && items.length < max);
      return { items, complete: start === undefined };
    }),
  );
  const all = perShard
    .flatMap((shard) => shard.items)
    .sort((a, b) => compareSortKeys(String(a.gsi2sk), String(b.gsi2sk)));
  return {
    items: all.slice(0, max).map((i) => toEntity<ReportingClockEntry>(i)),
    complete: all.length <= max && perShard.every((shard) => shard.complete),
  };
}

/** Opens an incident; the system's count of open incidents of its severity rises in the same transaction. */
export async function openIncident(ctx: StoreContext, actor: Actor, input: IncidentInput): Promise<Incident> {
  const preload = input.candidateId ? [keys.candidate(input.candidateId)] : [];
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, preload, (tx) => {
    if (input.candidateId && tx.get(keys.candidate(input.candidateId))?.systemId !== input.systemId) {
      throw new ValidationError('candidateId does not name a release of this system', { field: 'candidateId' });
    }
    const incident: Incident = {
      id: newId('inc'),
      systemId: input.systemId,
      candidateId: input.candidateId ?? null,
      title: input.title,
      description: input.description,
      severity: input.severity,
      status: 'open',
      resolution: null,
      createdAt: tx.now,
      createdBy: actor.userId,
      updatedAt: tx.now,
      resolvedAt: null,
      version: 1,
      ...(input.seriousIncident
        ? { seriousIncident: applySeriousIncident(undefined, input.seriousIncident, new Date(tx.now)) }
        : {}),
    };
    countIncidentChange(tx, null, incident);
    tx.put(incidentItem(incident));
    putReportingClock(tx, incident);
    tx.audit({
      action: 'incident.opened',
      entityType: 'incident',
      entityId: incident.id,
      after: {
        severity: incident.severity,
        status: 'open',
        candidateId: incident.candidateId,
        title: incident.title,
        ...(incident.seriousIncident ? { seriousIncident: incident.seriousIncident } : {}),
      },
    });
    return incident;
  });
  return result;
}

/** One incident, or a 404. */
export async function getIncident(ctx: StoreContext, id: string): Promise<Incident> {
  const item = await getItem(ctx, keys.incident(id));
  if (!item) throw new NotFoundError(`incident ${id} not found`, { id });
  return toEntity<Incident>(item);
}

/** Incidents of a system (newest first), or every incident of one status ordered by severity. */
export function listIncidents(
  ctx: StoreContext,
  filter: { systemId?: string; status?: IncidentStatus },
  page: PageRequest,
): Promise<Page<Incident>> {
  if (filter.systemId) {
    return queryPage(ctx, {
      ...queries.incidentsOfSystem(filter.systemId),
      newestFirst: true,
      ...(filter.status ? { filters: [{ path: 'status', op: '=', value: filter.status }] } : {}),
      ...page,
    });
  }
  return queryPage(ctx, { ...queries.incidentsByStatus(filter.status ?? 'open'), ...page });
}

/** A change of an incident as computed from its current state: the incident after, the audit action and reason. */
export interface IncidentChangeOutcome {
  next: Incident;
  action: string;
  reason?: string | null;
}

/**
 * Writes a change of an incident into a unit of work: its counters, the item (conditioned on its version), its
 * reporting clock and the audit event naming the fields that changed. The incident as it will be.
 */
export function writeIncidentChange(tx: SystemTx, incident: Incident, change: IncidentChangeOutcome): Incident {
  const { next, action, reason } = change;
  countIncidentChange(tx, incident, next);
  const updated = { ...next, updatedAt: tx.now, version: incident.version + 1 };
  tx.put(incidentItem(updated), [{ path: 'version', op: '=', value: incident.version }]);
  putReportingClock(tx, updated);
  const changed = (Object.keys(next) as (keyof Incident)[]).filter((k) => !same(next[k], incident[k]));
  tx.audit({
    action,
    entityType: 'incident',
    entityId: incident.id,
    before: Object.fromEntries(changed.map((k) => [k, incident[k]])),
    after: Object.fromEntries(changed.map((k) => [k, next[k]])),
    reason: reason ?? null,
  });
  return updated;
}

async function changeIncident(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  change: (incident: Incident, tx: SystemTx) => IncidentChangeOutcome,
): Promise<Incident> {
  const first = await getIncident(ctx, id);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.incident(id)], (tx) => {
    const item = tx.get(keys.incident(id));
    if (!item) throw new NotFoundError(`incident ${id} not found`, { id });
    const incident = toEntity<Incident>(item);
    return writeIncidentChange(tx, incident, change(incident, tx));
  });
  return result;
}

/** The outcome of a patch of `incident` at `now` (validated: a transition it allows, a patch that changes something). */
export function patchOutcome(incident: Incident, patch: IncidentPatch, now: string): IncidentChangeOutcome {
  const { seriousIncident, ...fields } = patch;
  const clockOnly = seriousIncident !== undefined && Object.values(fields).every((v) => v === undefined);
  if (incident.status === 'resolved' && !clockOnly) assertTransition('incident', 'resolved', patch.status ?? 'open');
  if (patch.status && patch.status !== incident.status) assertTransition('incident', incident.status, patch.status);
  const next: Incident = {
    ...incident,
    ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
    ...(seriousIncident
      ? { seriousIncident: applySeriousIncident(incident.seriousIncident, seriousIncident, new Date(now)) }
      : {}),
  };
  if (same(next, incident)) throw new ValidationError('the patch changes nothing');
  return { next, action: patch.status === 'mitigating' ? 'incident.mitigating' : 'incident.updated' };
}

/** The outcome of resolving `incident` at `now` with `resolution`. */
export function resolveOutcome(incident: Incident, resolution: string, now: string): IncidentChangeOutcome {
  assertTransition('incident', incident.status, 'resolved');
  return {
    next: { ...incident, status: 'resolved', resolution, resolvedAt: now },
    action: 'incident.resolved',
    reason: resolution,
  };
}

/**
 * Updates an incident's fields, moves it between open and mitigating, or declares it a serious incident and records
 * its reports. The reporting clock may change on a resolved incident too: resolving the operational issue does not
 * discharge the duty to report it (Art. 73). The primitive: the API goes through `changeIncidentOrRequest`
 * (relaxations.ts), which turns a lowered blocking severity into a request for a second person.
 */
export function updateIncident(ctx: StoreContext, actor: Actor, id: string, patch: IncidentPatch): Promise<Incident> {
  return changeIncident(ctx, actor, id, (incident, tx) => patchOutcome(incident, patch, tx.now));
}

/**
 * Resolves an incident with a resolution note; it leaves its severity's count in the same transaction. The
 * primitive: the API goes through `changeIncidentOrRequest`, which makes resolving a blocking incident a request.
 */
export function resolveIncident(ctx: StoreContext, actor: Actor, id: string, resolution: string): Promise<Incident> {
  return changeIncident(ctx, actor, id, (incident, tx) => resolveOutcome(incident, resolution, tx.now));
}
