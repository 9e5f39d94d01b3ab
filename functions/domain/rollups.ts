// Daily metric rollups (issue 18, item 5; ADR 0043): what one committed audit event adds to its day, and how the
// days of a range are summed. Rollups are derived after the fact from the audit chain (the event bus's consumer and
// the back-fill apply the same contribution), never inside a governed transaction. Pure: the store turns a
// contribution into conditional writes keyed by the event's chain position, so an event applied twice counts once.

import { ValidationError } from './errors.js';

/** The counters of one day (of a system, or summed over the systems of a scope). Absent members are zero. */
export interface DayCounts {
  promotions: number;
  rollbacks: number;
  evalRunsPassed: number;
  evalRunsFailed: number;
  refusedPromotions: number;
  incidentsOpened: number;
  /** Refused promotions and rollbacks by reason code (a refusal with two reasons counts under each). */
  refusedByReason: Record<string, number>;
  incidentsBySeverity: Record<string, number>;
}

/** What one audit event adds to its day. */
export interface Contribution {
  systemId: string;
  /** `YYYY-MM-DD` (UTC) of the event's commit. */
  day: string;
  /** The counters to add (only the non-zero ones). */
  counts: Partial<Omit<DayCounts, 'refusedByReason' | 'incidentsBySeverity'>>;
  refusedByReason?: Record<string, number>;
  incidentsBySeverity?: Record<string, number>;
  /** A finished eval run's p95 latency and mean cost per case: per system only, never summed across systems. */
  run?: { latencyP95Ms: number | null; costMeanUsd: number | null };
}

/** The audit actions rollups count; every other action contributes nothing (and is never marked as applied). */
export const ROLLUP_ACTIONS = [
  'release.promoted',
  'release.rolled_back',
  'eval_run.passed',
  'eval_run.failed',
  'release.promotion_refused',
  'incident.opened',
] as const;

/** The fields of a committed audit event (or of its governance event) a contribution is computed from. */
export interface RollupSource {
  systemId: string | null;
  action: string;
  at: string;
  after: Record<string, unknown> | null;
}

/** The UTC day of an instant, `YYYY-MM-DD`. */
export function dayOf(instant: string): string {
  return new Date(instant).toISOString().slice(0, 10);
}

const finite = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;

/** Codes are bounded and key-safe before they become attribute names (a writer's typo cannot grow a day's item). */
/** The bucket of a refusal reason without a well-formed code: a rollup key, not an error code anyone answers. */
const UNNAMED_REASON = 'OTHER';
const CODE = /^[A-Za-z0-9_]{1,64}$/;

/** What an audit event adds to its day's rollup, or null when rollups do not count it. */
export function contributionOf(source: RollupSource): Contribution | null {
  if (source.systemId === null || !(ROLLUP_ACTIONS as readonly string[]).includes(source.action)) return null;
  const base = { systemId: source.systemId, day: dayOf(source.at) };
  const after = source.after ?? {};
  switch (source.action) {
    case 'release.promoted':
      return { ...base, counts: { promotions: 1 } };
    case 'release.rolled_back':
      return { ...base, counts: { rollbacks: 1 } };
    case 'eval_run.passed':
    case 'eval_run.failed': {
      const metrics = (after.metrics ?? {}) as Record<string, unknown>;
      return {
        ...base,
        counts: source.action === 'eval_run.passed' ? { evalRunsPassed: 1 } : { evalRunsFailed: 1 },
        run: { latencyP95Ms: finite(metrics.latencyP95Ms), costMeanUsd: finite(metrics.costMeanUsd) },
      };
    }
    case 'release.promotion_refused': {
      const reasons = Array.isArray(after.reasons) ? (after.reasons as { code?: unknown }[]) : [];
      const codes = new Set(
        reasons.map((r) => (typeof r?.code === 'string' && CODE.test(r.code) ? r.code : UNNAMED_REASON)),
      );
      if (codes.size === 0) codes.add(UNNAMED_REASON);
      return {
        ...base,
        counts: { refusedPromotions: 1 },
        refusedByReason: Object.fromEntries([...codes].sort().map((c) => [c, 1])),
      };
    }
    case 'incident.opened': {
      const severity = typeof after.severity === 'string' && CODE.test(after.severity) ? after.severity : 'unknown';
      return { ...base, counts: { incidentsOpened: 1 }, incidentsBySeverity: { [severity]: 1 } };
    }
    default:
      return null;
  }
}

/** Zero counters. */
export function emptyDay(): DayCounts {
  return {
    promotions: 0,
    rollbacks: 0,
    evalRunsPassed: 0,
    evalRunsFailed: 0,
    refusedPromotions: 0,
    incidentsOpened: 0,
    refusedByReason: {},
    incidentsBySeverity: {},
  };
}

const COUNTERS = [
  'promotions',
  'rollbacks',
  'evalRunsPassed',
  'evalRunsFailed',
  'refusedPromotions',
  'incidentsOpened',
] as const;

const addMap = (into: Record<string, number>, from: Record<string, number> | undefined) => {
  for (const [k, v] of Object.entries(from ?? {})) into[k] = (into[k] ?? 0) + v;
};

/** The sum of day counters (of several shards of one day, or of several days). */
export function addDays(into: DayCounts, from: Partial<DayCounts>): DayCounts {
  for (const c of COUNTERS) into[c] += from[c] ?? 0;
  addMap(into.refusedByReason, from.refusedByReason);
  addMap(into.incidentsBySeverity, from.incidentsBySeverity);
  return into;
}

/** Every day from `from` to `to`, both included (`YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000)
    out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

/** A day of the overview's series: counters, or null on a day nothing was recorded (a gap, never a zero). */
export type SeriesDay = { date: string } & (Omit<DayCounts, 'refusedByReason' | 'incidentsBySeverity'> | GapOf);
type GapOf = { [K in (typeof COUNTERS)[number]]: null };

/**
 * The series of a range: one entry per day, counters where some shard recorded the day, nulls where none did; and
 * the range's totals (by reason and by severity included).
 */
export function summariseDays(
  days: readonly string[],
  recorded: ReadonlyMap<string, DayCounts>,
): { series: SeriesDay[]; totals: DayCounts } {
  const totals = emptyDay();
  const series = days.map((date): SeriesDay => {
    const day = recorded.get(date);
    if (!day) return { date, ...(Object.fromEntries(COUNTERS.map((c) => [c, null])) as GapOf) };
    addDays(totals, day);
    const { refusedByReason: _r, incidentsBySeverity: _s, ...counts } = day;
    return { date, ...counts };
  });
  return { series, totals };
}

/** One system's day of eval-run results: the worst p95 of its runs and the mean of their mean costs per case. */
export interface SystemRunDay {
  date: string;
  /** The highest p95 latency of the day's finished runs (null: no run, or none reported latency). */
  latencyP95Ms: number | null;
  /** The mean of the day's runs' mean cost per case (null: no run reported cost). */
  costMeanUsd: number | null;
}

/** The run figures a system's day item holds. */
export interface StoredRunFigures {
  latencyP95MaxMs?: number;
  costSumUsd?: number;
  costRuns?: number;
}

/** A system's run figures of one day (null members where the day has none). */
export function runDay(date: string, stored: StoredRunFigures | undefined): SystemRunDay {
  return {
    date,
    latencyP95Ms: stored?.latencyP95MaxMs ?? null,
    costMeanUsd: stored?.costRuns ? roundUsd((stored.costSumUsd ?? 0) / stored.costRuns) : null,
  };
}

const roundUsd = (usd: number) => Math.round(usd * 1e6) / 1e6;

/** The range when none is asked for: the 30 days up to today. */
const DEFAULT_RANGE_DAYS = 30;

/** The range of a request: `to` defaults to today, `from` to 29 days before `to`. */
export function rangeOf(query: { from?: string; to?: string }, now: Date): { from: string; to: string } {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const from =
    query.from ??
    new Date(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * 86_400_000).toISOString().slice(0, 10);
  return { from, to };
}

/** Rejects a cursor of the slowest-systems list that is not one this list gave out. */
export function decodeRankCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const match = /^r(\d{1,6})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1]) throw new ValidationError('cursor is not valid for this list', { field: 'cursor' });
  return Number(match[1]);
}

/** The cursor of the slowest-systems list from rank `offset` on. */
export function encodeRankCursor(offset: number): string {
  return Buffer.from(`r${offset}`, 'utf8').toString('base64url');
}
