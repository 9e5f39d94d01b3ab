// The metrics overview as a pure summary of the registry's current state.
import { type ReportingClockEntry, reportingStatus } from './incident-clock.js';
import { type ApprovalPolicy, DEFAULT_POLICY, openBlockingIncidents } from './policy.js';
import { type ReviewStatus, reviewStatus } from './review.js';
import type { AiSystem, EvalRun, Incident, ReleaseCandidate } from './types.js';

export interface Overview {
  totals: { systems: number; candidates: number; evalRuns: number; openIncidents: number; pendingApprovals: number };
  systemsByRiskTier: Record<string, number>;
  systemsByStatus: Record<string, number>;
  candidatesByStatus: Record<string, number>;
  evalRunsByStatus: Record<string, number>;
  incidentsBySeverity: Record<string, number>;
  systems: {
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
  }[];
  /** Systems past their review due date, most overdue first. */
  overdueReviews: (ReviewStatus & { name: string; ownerTeam: string; riskTier: string })[];
  /**
   * Serious incidents whose Art. 73 report is overdue or due within REPORTING_WINDOW_DAYS, soonest deadline first
   * (at most REPORTING_DEADLINES_LIMIT).
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

const count = <T>(items: T[], key: (item: T) => string) =>
  items.reduce<Record<string, number>>((acc, item) => {
    const k = key(item);
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

/** What of a policy the overview applies: review intervals and which incidents block. */
type OverviewPolicy = Pick<ApprovalPolicy, 'reviewIntervalDays' | 'blockingSeverities' | 'incidentBlocking'>;

/**
 * Summarises systems, candidates, runs and incidents by risk tier, status and system, each system under its policy
 * in force.
 */
export function summariseOverview(input: {
  systems: AiSystem[];
  candidates: ReleaseCandidate[];
  runs: EvalRun[];
  incidents: Incident[];
  pendingApprovals: number;
  /** Open serious-incident reporting clocks (the store reads those due within the window or overdue). */
  reportingClocks?: readonly ReportingClockEntry[];
  /** The instant review due dates are judged at. */
  now: Date;
  /** Every system's policy unless `policies` names its version (tests); DEFAULT_POLICY when absent. */
  policy?: OverviewPolicy;
  /** The policy versions systems are judged under, by version (a system's `policyVersion`, its META's copy). */
  policies?: ReadonlyMap<number, OverviewPolicy>;
}): Overview {
  const open = input.incidents.filter((i) => i.status !== 'resolved');
  const policyOf = (s: AiSystem): OverviewPolicy =>
    (s.policyVersion === undefined ? undefined : input.policies?.get(s.policyVersion)) ??
    input.policy ??
    DEFAULT_POLICY;
  const reviews = new Map(input.systems.map((s) => [s.id, reviewStatus(s, input.candidates, input.now, policyOf(s))]));
  const overdueReviews = input.systems
    .flatMap((s) => {
      const r = reviews.get(s.id);
      return r?.overdue ? [{ ...r, name: s.name, ownerTeam: s.ownerTeam, riskTier: s.riskTier }] : [];
    })
    .sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : a.systemId < b.systemId ? -1 : 1));
  return {
    totals: {
      systems: input.systems.length,
      candidates: input.candidates.length,
      evalRuns: input.runs.length,
      openIncidents: open.length,
      pendingApprovals: input.pendingApprovals,
    },
    systemsByRiskTier: count(input.systems, (s) => s.riskTier),
    systemsByStatus: count(input.systems, (s) => s.status),
    candidatesByStatus: count(input.candidates, (c) => c.status),
    evalRunsByStatus: count(input.runs, (r) => r.status),
    incidentsBySeverity: count(open, (i) => i.severity),
    systems: input.systems.map((s) => {
      const mine = input.candidates.filter((c) => c.systemId === s.id);
      return {
        id: s.id,
        name: s.name,
        ownerTeam: s.ownerTeam,
        riskTier: s.riskTier,
        status: s.status,
        activeReleases: s.activeReleases,
        openIncidents: open.filter((i) => i.systemId === s.id).length,
        openBlockingIncidents: openBlockingIncidents(s, 'production', policyOf(s)),
        candidates: mine.length,
        failedEvals: mine.filter((c) => c.status === 'eval_failed').length,
        awaitingApproval: mine.filter((c) => c.status === 'awaiting_approval').length,
        review: withoutId(reviews.get(s.id) ?? null),
      };
    }),
    overdueReviews,
    reportingDeadlines: reportingDeadlinesComingDue(
      input.reportingClocks ?? [],
      new Map(input.systems.map((s) => [s.id, s.name])),
      input.now,
    ),
  };
}

function withoutId(r: ReviewStatus | null): Omit<ReviewStatus, 'systemId'> | null {
  if (!r) return null;
  const { systemId: _, ...rest } = r;
  return rest;
}
