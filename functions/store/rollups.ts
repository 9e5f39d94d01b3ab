// Daily metric rollups (issue 18, item 5; ADR 0043), written after the fact from committed audit events: by the
// consumer on the event bus and by the back-fill over the audit chains, never inside a governed transaction. An
// event's contribution is one transaction: the mark `ROLLUP#APPLIED#<systemId>/SEQ#<seq>` (put only if absent) and
// the ADDs to its system's day and to one shard of each scope's day (organisation, team, tier, team and tier). A
// redelivered event, or one the back-fill meets after the consumer applied it, fails the mark's condition and the
// whole transaction with it: an event counts once, whoever applies it and however often. The worst p95 of a
// system's day is a conditional SET of a maximum, idempotent on its own, written before the mark.
import { QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  addDays,
  type Contribution,
  contributionOf,
  type DayCounts,
  daysBetween,
  emptyDay,
  type RollupSource,
  runDay,
  type SeriesDay,
  type StoredRunFigures,
  type SystemRunDay,
  summariseDays,
} from '../domain/rollups.js';
import type { AiSystem, AuditEvent } from '../domain/types.js';
import { batchPut } from './batch-write.js';
import { buildKeyCondition, type Condition, updateParams } from './expressions.js';
import { INDEX_SHARDS, keys, queries, shardOf } from './keys.js';
import { getItem, queryAll } from './query.js';
import { batchGet, type Key, type StoreContext } from './unit-of-work.js';

/** The scope a system's events are also counted in: its team and risk tier when the event is applied. */
export interface RollupScope {
  name: string;
  ownerTeam: string;
  riskTier: string;
}

/** A committed audit event as rollups need it: its place in its chain and what it recorded. */
export type RollupEvent = RollupSource & { seq: number };

export type ApplyOutcome = 'applied' | 'duplicate' | 'ignored';

const COUNTER_NAMES = [
  'promotions',
  'rollbacks',
  'evalRunsPassed',
  'evalRunsFailed',
  'refusedPromotions',
  'incidentsOpened',
] as const;
const REASON_PREFIX = 'refused_';
const SEVERITY_PREFIX = 'severity_';

/** The ADDs of a contribution, flat (a nested map member cannot be added to before the map exists). */
function addsOf(c: Contribution): Record<string, number> {
  const add: Record<string, number> = {};
  for (const [name, n] of Object.entries(c.counts)) if (n) add[name] = n;
  for (const [code, n] of Object.entries(c.refusedByReason ?? {})) add[`${REASON_PREFIX}${code}`] = n;
  for (const [sev, n] of Object.entries(c.incidentsBySeverity ?? {})) add[`${SEVERITY_PREFIX}${sev}`] = n;
  return add;
}

/** The day counters of a stored rollup item. */
function countsOfItem(item: Record<string, unknown>): DayCounts {
  const day = emptyDay();
  for (const name of COUNTER_NAMES) day[name] = Number(item[name] ?? 0);
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(REASON_PREFIX)) day.refusedByReason[name.slice(REASON_PREFIX.length)] = Number(value);
    if (name.startsWith(SEVERITY_PREFIX)) day.incidentsBySeverity[name.slice(SEVERITY_PREFIX.length)] = Number(value);
  }
  return day;
}

/** The scopes a system's day is summed into, by partition base. */
function scopesOf(scope: RollupScope): string[] {
  return ['ORG', `TEAM#${scope.ownerTeam}`, `TIER#${scope.riskTier}`, `TT#${scope.ownerTeam}#${scope.riskTier}`];
}

/** The scope partition base of a filter without a system (the organisation when neither team nor tier). */
function scopeOfFilter(filter: { team?: string; tier?: string }): string {
  if (filter.team && filter.tier) return `TT#${filter.team}#${filter.tier}`;
  if (filter.team) return `TEAM#${filter.team}`;
  if (filter.tier) return `TIER#${filter.tier}`;
  return 'ORG';
}

/** The team and tier of a system as its META holds them now (a system no longer found counts as `unknown`). */
export async function scopeOfSystem(ctx: StoreContext, systemId: string): Promise<RollupScope> {
  const meta = (await getItem(ctx, keys.system(systemId))) as Partial<AiSystem> | undefined;
  return {
    name: meta?.name ?? systemId,
    ownerTeam: meta?.ownerTeam ?? 'unknown',
    riskTier: meta?.riskTier ?? 'unknown',
  };
}

const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

/** Sets a day's worst p95 (and `set`) unless the item already holds one as high. */
async function raiseP95(ctx: StoreContext, key: Key, p95: number, set: Record<string, unknown>): Promise<void> {
  try {
    await ctx.doc.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: key,
        ...updateParams({
          set: { ...set, latencyP95MaxMs: p95 },
          conditions: [
            {
              anyOf: [
                [{ path: 'latencyP95MaxMs', op: 'not_exists' }],
                [{ path: 'latencyP95MaxMs', op: '<', value: p95 }],
              ],
            },
          ],
        }),
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Applies one committed audit event to the rollups, at most once: 'applied', 'duplicate' (its mark was there) or
 * 'ignored' (rollups do not count its action). `scope` is read from the system's META when not given.
 */
export async function applyRollupEvent(
  ctx: StoreContext,
  event: RollupEvent,
  scope?: RollupScope,
): Promise<ApplyOutcome> {
  const c = contributionOf(event);
  if (!c) return 'ignored';
  const s = scope ?? (await scopeOfSystem(ctx, c.systemId));
  const described = { systemId: c.systemId, day: c.day, name: s.name, ownerTeam: s.ownerTeam, riskTier: s.riskTier };
  const p95 = c.run?.latencyP95Ms;
  if (p95 !== null && p95 !== undefined) {
    // Maxima: applying one twice changes nothing, so they need no mark (and they go first, before the mark). The
    // system's day carries the organisation's and the team's index keys; a second item the tier's and the pair's.
    await raiseP95(ctx, keys.rollupSystemDay(c.systemId, c.day), p95, {
      ...described,
      ...keys.rollupLatencyIndex(c.day, p95, c.systemId, s.ownerTeam),
    });
    await raiseP95(ctx, keys.rollupTierLatencyItem(c.systemId, c.day), p95, {
      ...described,
      itemType: 'rollup',
      ...keys.rollupTierLatencyIndex(c.day, p95, c.systemId, s.ownerTeam, s.riskTier),
    });
  }
  const add = addsOf(c);
  const cost = c.run?.costMeanUsd;
  const systemAdd = cost === null || cost === undefined ? add : { ...add, costSumUsd: cost, costRuns: 1 };
  const shard = shardOf(`${c.systemId}:${event.seq}`);
  const transactItems = [
    {
      Put: {
        TableName: ctx.tableName,
        Item: { ...keys.rollupApplied(c.systemId, event.seq), itemType: 'rollup_mark', action: event.action },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Update: {
        TableName: ctx.tableName,
        Key: keys.rollupSystemDay(c.systemId, c.day),
        ...updateParams({ set: { ...described, itemType: 'rollup' }, add: systemAdd }),
      },
    },
    ...scopesOf(s).map((base) => ({
      Update: {
        TableName: ctx.tableName,
        Key: keys.rollupScopeDay(base, shard, c.day),
        ...updateParams({ set: { day: c.day, itemType: 'rollup' }, add }),
      },
    })),
  ];
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.doc.send(new TransactWriteCommand({ TransactItems: transactItems }));
      return 'applied';
    } catch (error) {
      if ((error as Error).name !== 'TransactionCanceledException') throw error;
      const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
      if (reasons[0]?.Code === 'ConditionalCheckFailed') return 'duplicate';
      // TransactionConflict on a busy day's item: try again a few times, then let the caller's retry take over.
      if (attempt >= 5) throw error;
      await new Promise((done) => setTimeout(done, Math.floor(Math.random() * 20 * 2 ** attempt)));
    }
  }
}

/** Items of one partition in a day range (every page). */
async function daysOf(ctx: StoreContext, partition: string, from: string, to: string) {
  return queryAll<Record<string, unknown>>(ctx, { partition, between: [`DAY#${from}`, `DAY#${to}`] });
}

/** What the overview asks of the rollups. */
export interface RollupQuery {
  from: string;
  to: string;
  systemId?: string;
  team?: string;
  tier?: string;
  /** Top systems by worst p95: how many, from which rank. */
  limit: number;
  offset: number;
}

export interface SystemLatencyRow {
  systemId: string;
  name: string;
  ownerTeam: string;
  riskTier: string;
  /** The system's worst daily p95 latency in the range. */
  latencyP95Ms: number;
  /** The day of that worst p95. */
  worstDay: string;
  /** The mean of its runs' mean cost per case on that day (null: no run reported cost). */
  costMeanUsd: number | null;
}

export interface RollupOverview {
  series: SeriesDay[];
  totals: DayCounts;
  /** One system's runs day by day (when the query names a system). */
  systemRuns: SystemRunDay[] | null;
  slowest: { items: SystemLatencyRow[]; more: boolean };
}

/**
 * The rollups of a range: the series of the scope (a system's own days, or the 8 shards of the organisation's,
 * a team's, a tier's, or a team-and-tier's days, summed per day), and the systems with the worst p95 (from the
 * month indexes: each month of the range read from its highest p95 down until enough distinct systems are seen).
 */
export async function rollupOverview(ctx: StoreContext, q: RollupQuery): Promise<RollupOverview> {
  const days = daysBetween(q.from, q.to);
  const recorded = new Map<string, DayCounts>();
  let systemRuns: SystemRunDay[] | null = null;
  const own = q.systemId ? daysOf(ctx, keys.rollupSystemPartition(q.systemId), q.from, q.to) : undefined;
  const slowest = slowestSystems(ctx, q, own);
  if (own) {
    const items = await own;
    const byDay = new Map(items.map((i) => [String(i.day), i]));
    for (const [day, item] of byDay)
      if (COUNTER_NAMES.some((n) => item[n] !== undefined)) recorded.set(day, countsOfItem(item));
    systemRuns = days.map((d) => runDay(d, byDay.get(d) as StoredRunFigures | undefined));
  } else {
    const base = scopeOfFilter(q);
    const shards = await Promise.all(
      Array.from({ length: INDEX_SHARDS }, (_, n) => daysOf(ctx, keys.rollupScopePartition(base, n), q.from, q.to)),
    );
    for (const item of shards.flat()) {
      const day = String(item.day);
      recorded.set(day, addDays(recorded.get(day) ?? emptyDay(), countsOfItem(item)));
    }
  }
  const { series, totals } = summariseDays(days, recorded);
  return { series, totals, systemRuns, slowest: await slowest };
}

/** The months (`YYYY-MM`) a range touches, each with the share of its days the range holds. */
function monthsOf(days: readonly string[]): { month: string; share: number }[] {
  const inRange = new Map<string, number>();
  for (const d of days) inRange.set(d.slice(0, 7), (inRange.get(d.slice(0, 7)) ?? 0) + 1);
  return [...inRange].map(([month, n]) => {
    const [y, m] = month.split('-').map(Number) as [number, number];
    const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return { month, share: n / daysInMonth };
  });
}

/** A day of a system as the slowest-systems list ranks it: the index item's copy of the system's figures. */
type LatencyDay = Record<string, unknown>;

/**
 * The systems with the worst p95 of the range, a page at a time. One system: its own days (already read for the
 * series), no index. Otherwise the month indexes of the scope (the organisation's or the team's on the system-day
 * items; the tier's or the team-and-tier's on the tier items), read from the highest p95 down until enough distinct
 * systems are seen: what is read depends on the page asked for and the range, not on how many systems there are.
 */
async function slowestSystems(
  ctx: StoreContext,
  q: RollupQuery,
  ownDays?: Promise<LatencyDay[]>,
): Promise<{ items: SystemLatencyRow[]; more: boolean }> {
  let candidates: LatencyDay[];
  if (ownDays) {
    candidates = (await ownDays).filter((i) => i.latencyP95MaxMs !== undefined);
  } else {
    const want = q.offset + q.limit + 1;
    const perMonth = await Promise.all(
      monthsOf(daysBetween(q.from, q.to)).map(({ month, share }) => topOfMonth(ctx, q, month, share, want)),
    );
    candidates = perMonth.flat();
    // The tier items carry the p95 and the system's names; the day's cost lives on the system's day item.
    if (q.tier) candidates = await withCosts(ctx, worstPerSystem(candidates).slice(q.offset, q.offset + q.limit + 1));
  }
  const ranked = worstPerSystem(candidates);
  const items = ranked.slice(q.offset, q.offset + q.limit).map(
    (item): SystemLatencyRow => ({
      systemId: String(item.systemId),
      name: String(item.name ?? item.systemId),
      ownerTeam: String(item.ownerTeam ?? 'unknown'),
      riskTier: String(item.riskTier ?? 'unknown'),
      latencyP95Ms: Number(item.latencyP95MaxMs),
      worstDay: String(item.day),
      costMeanUsd: runDay(String(item.day), item as StoredRunFigures).costMeanUsd,
    }),
  );
  return { items, more: ranked.length > q.offset + q.limit };
}

/** Each system's worst day, worst first (ties by system id). */
function worstPerSystem(days: readonly LatencyDay[]): LatencyDay[] {
  const worst = new Map<string, LatencyDay>();
  for (const item of days) {
    const seen = worst.get(String(item.systemId));
    if (!seen || Number(item.latencyP95MaxMs) > Number(seen.latencyP95MaxMs)) worst.set(String(item.systemId), item);
  }
  return [...worst.values()].sort(
    (a, b) =>
      Number(b.latencyP95MaxMs) - Number(a.latencyP95MaxMs) || String(a.systemId).localeCompare(String(b.systemId)),
  );
}

/** The ranked tier items with the cost figures of the system days they stand for (one BatchGet of a page). */
async function withCosts(ctx: StoreContext, ranked: LatencyDay[]): Promise<LatencyDay[]> {
  if (ranked.length === 0) return ranked;
  const wanted = ranked.map((i) => keys.rollupSystemDay(String(i.systemId), String(i.day)));
  const days = await batchGet(ctx, wanted);
  return ranked.map((i, n) => {
    const key = wanted[n];
    const day = key ? days.get(`${key.pk}|${key.sk}`) : undefined;
    return day ? { ...i, costSumUsd: day.costSumUsd, costRuns: day.costRuns } : i;
  });
}

/**
 * Days of one month's index of the query's scope from the highest p95 down, until `want` distinct systems. A page
 * reads enough items for `want` systems of the range's share of the month (items outside the range are read and
 * dropped by the filter), at most 1,000.
 */
async function topOfMonth(
  ctx: StoreContext,
  q: RollupQuery,
  month: string,
  share: number,
  want: number,
): Promise<LatencyDay[]> {
  const index = q.team === undefined ? 'gsi1' : 'gsi2';
  const partition = q.tier
    ? keys.rollupTierLatencyPartition(month, q.tier, q.team)
    : keys.rollupLatencyPartition(month, q.team);
  const filters: Condition[] = [
    { path: 'day', op: '>=', value: q.from },
    { path: 'day', op: '<=', value: q.to },
  ];
  const out: LatencyDay[] = [];
  const systems = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ctx.doc.send(
      new QueryCommand({
        TableName: ctx.tableName,
        IndexName: index,
        ...buildKeyCondition({ index, partition, filters }),
        ScanIndexForward: false,
        // Twice the systems wanted (a system slow on many days takes several places), over the range's share.
        Limit: Math.min(1000, Math.ceil((want * 2) / share)),
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of (page.Items ?? []) as LatencyDay[]) {
      out.push(item);
      systems.add(String(item.systemId));
    }
    start = page.LastEvaluatedKey;
  } while (start && systems.size < want);
  return out;
}

/** How far a back-fill got: events applied now, events already applied (by the consumer or an earlier run). */
export interface BackfillProgress {
  systems: number;
  events: number;
  applied: number;
  duplicates: number;
  /** False when the run stopped at its deadline: running it again resumes from each system's checkpoint. */
  done: boolean;
}

/**
 * Builds the rollups from the audit chains, existing history included: every system's chain in seq order from its
 * checkpoint (`ROLLUP#BACKFILL`), each event through applyRollupEvent, so running it beside the consumer, or again,
 * never counts an event twice. Stops between pages once `deadline` (epoch ms) has passed.
 */
export async function backfillRollups(
  ctx: StoreContext,
  options: { deadline?: number; systemIds?: readonly string[]; log?: (line: string) => void } = {},
): Promise<BackfillProgress> {
  const progress: BackfillProgress = { systems: 0, events: 0, applied: 0, duplicates: 0, done: false };
  const systems = options.systemIds?.map((id) => ({ id })) ?? (await queryAll<{ id: string }>(ctx, queries.systems()));
  for (const { id } of systems) {
    const scope = await scopeOfSystem(ctx, id);
    const checkpoint = await getItem(ctx, keys.rollupBackfill(id));
    let after = Number(checkpoint?.seq ?? 0);
    for (;;) {
      if (options.deadline !== undefined && Date.now() > options.deadline) return progress;
      const page = await ctx.doc.send(
        new QueryCommand({
          TableName: ctx.tableName,
          ...buildKeyCondition({
            partition: keys.auditPartition(id),
            between: [keys.auditEvent(id, after + 1).sk, keys.auditEvent(id, Number.MAX_SAFE_INTEGER).sk],
          }),
          Limit: 200,
        }),
      );
      const events = (page.Items ?? []) as unknown as AuditEvent[];
      if (events.length === 0) break;
      for (const e of events) {
        const outcome = await applyRollupEvent(ctx, e, scope);
        progress.events += 1;
        if (outcome === 'applied') progress.applied += 1;
        if (outcome === 'duplicate') progress.duplicates += 1;
      }
      after = events[events.length - 1]?.seq ?? after;
      await ctx.doc.send(
        new UpdateCommand({
          TableName: ctx.tableName,
          Key: keys.rollupBackfill(id),
          ...updateParams({ set: { seq: after, at: ctx.now().toISOString() } }),
        }),
      );
      if (!page.LastEvaluatedKey) break;
    }
    progress.systems += 1;
    options.log?.(`back-fill: ${id} read to seq ${after}`);
  }
  progress.done = true;
  return progress;
}

/** Writes seeded rollup items as they are (the benchmark's 10,000 systems); never used by the API. */
export async function putRollupItems(ctx: StoreContext, items: Record<string, unknown>[]): Promise<void> {
  await batchPut(ctx, items);
}
