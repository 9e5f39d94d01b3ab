// The registry's state now, a bounded page of it (ADR 0048): a row per requested system, each from that system's own
// META and candidates, and the serious-incident reporting deadlines coming due. Pure.
import { type ReportingClockEntry, reportingStatus } from './incident-clock.js';
import { type ApprovalPolicy, countOpenIncidents, DEFAULT_POLICY, openBlockingIncidents } from './policy.js';
import { type ReviewStatus, reviewStatus } from './review.js';
import type { AiSystem, ReleaseCandidate } from './types.js';
import { SEVERITIES } from './types.js';

/** One system's row: what stands between it and its next release, and its periodic review. */
export interface RegistryRow {
  id: string;
  name: string;
  ownerTeam: string;
  riskTier: string;
  status: string;
  activeReleases: AiSystem['activeReleases'];
  openIncidents: number;
  openBlockingIncidents: number;
  candidates: number;
  failedEvals: number;
  awaitingApproval: number;
  /** The periodic governance review; null for a retired system. */
  review: Omit<ReviewStatus, 'systemId'> | null;
}

export interface RegistrySummary {
  /** The rows of the requested systems, in the order they were named. */
  systems: RegistryRow[];
  /**
   * Serious incidents whose Art. 73 report is overdue or due within REPORTING_WINDOW_DAYS, soonest deadline first
   * (at most REPORTING_DEADLINES_LIMIT), of the systems the caller may read.
   */
  reportingDeadlines: ReportingDeadline[];
}

/** One serious incident's open reporting clock, as the overview lists it. */
export type ReportingDeadline = Omit<ReportingClockEntry, 'initialReportAt'> & {
  systemName: string | null;
  status: 'due' | 'overdue';
};

/** How far ahead the overview looks for reporting deadlines coming due. */
export const REPORTING_WINDOW_DAYS = 7;
/** The most reporting deadlines the overview lists. */
const REPORTING_DEADLINES_LIMIT = 50;

/** Open clocks that are overdue or due within `windowDays` of `now`, soonest deadline first, at most `limit`. */
export function reportingDeadlinesComingDue(
  clocks: readonly ReportingClockEntry[],
  systemNames: ReadonlyMap<string, string>,
  now: Date,
  windowDays = REPORTING_WINDOW_DAYS,
  limit = REPORTING_DEADLINES_LIMIT,
): ReportingDeadline[] {
  const until = now.getTime() + windowDays * 86_400_000;
  return clocks
    .filter((c) => c.initialReportAt === null && Date.parse(c.reportingDeadline) <= until)
    .sort((a, b) =>
      a.reportingDeadline !== b.reportingDeadline
        ? a.reportingDeadline < b.reportingDeadline
          ? -1
          : 1
        : a.incidentId < b.incidentId
          ? -1
          : 1,
    )
    .slice(0, limit)
    .map(({ initialReportAt, ...c }) => ({
      ...c,
      systemName: systemNames.get(c.systemId) ?? null,
      status: reportingStatus({ ...c, initialReportAt, finalReportAt: null }, now) as 'due' | 'overdue',
    }));
}

/** What of a policy a row applies: review intervals and which incidents block. */
export type RowPolicy = Pick<ApprovalPolicy, 'reviewIntervalDays' | 'blockingSeverities' | 'incidentBlocking'>;

/**
 * One system's row from its META (active releases, per-severity counters of unresolved incidents) and its own
 * candidates (counts, and the newest activation for the review), judged under `policy` (its META's copy of the
 * policy in force; DEFAULT_POLICY before genesis). `candidates` may hold other systems' candidates: only its own count.
 */
export function registryRow(
  system: AiSystem,
  candidates: readonly Pick<ReleaseCandidate, 'systemId' | 'status' | 'activatedAt'>[],
  now: Date,
  policy: RowPolicy = DEFAULT_POLICY,
): RegistryRow {
  const mine = candidates.filter((c) => c.systemId === system.id);
  return {
    id: system.id,
    name: system.name,
    ownerTeam: system.ownerTeam,
    riskTier: system.riskTier,
    status: system.status,
    activeReleases: system.activeReleases,
    openIncidents: countOpenIncidents(system.openIncidents ?? {}, SEVERITIES),
    openBlockingIncidents: openBlockingIncidents(system, 'production', policy),
    candidates: mine.length,
    failedEvals: mine.filter((c) => c.status === 'eval_failed').length,
    awaitingApproval: mine.filter((c) => c.status === 'awaiting_approval').length,
    review: withoutId(reviewStatus(system, mine, now, policy)),
  };
}

/**
 * The ids a request names, each once, in the order first named; a ValidationError-free parse (the contract has
 * checked the shape): empty when none.
 */
export function requestedSystemIds(list: string | undefined): string[] {
  return [...new Set((list ?? '').split(',').filter((id) => id !== ''))];
}

function withoutId(r: ReviewStatus | null): Omit<ReviewStatus, 'systemId'> | null {
  if (!r) return null;
  const { systemId: _, ...rest } = r;
  return rest;
}
