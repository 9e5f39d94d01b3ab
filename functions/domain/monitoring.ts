// Post-market monitoring rules: how a monitoring run of an active release is judged against the run that approved
// it (drift) and against the release's own thresholds, and what a failure opens. Pure: the workflow does the I/O.
import { formatNumber } from './eval/verdict.js';
import { DEFAULT_POLICY, type DriftThreshold, type MonitoringPolicy } from './policy.js';
import type { RollbackValidationOutcome } from './rollback.js';
import {
  type MetricName,
  type Metrics,
  type MonitoringCause,
  type MonitoringFailureAction,
  metricValue,
  type RiskTier,
  type Severity,
  type ThresholdVerdict,
} from './types.js';

// The same tolerance for floating-point noise as the eval verdicts: 0.9 - 0.85 must not fail a tolerance of 0.05.
const EPSILON = 1e-9;

export interface DriftFinding {
  metric: MetricName;
  direction: 'min' | 'max';
  /** The approval-time run's value. */
  baseline: number | null;
  actual: number | null;
  /** How much worse actual is than baseline in the threshold's direction (negative when better); null without data. */
  degradation: number | null;
  /** The largest degradation allowed, in the metric's unit (a relative tolerance times the baseline). */
  allowed: number;
  relative: boolean;
  passed: boolean;
}

/**
 * Compares a monitoring run's metrics with the approval-time run's, one finding per drift threshold: a min-metric
 * may drop, and a max-metric may rise, by at most its tolerance. A metric the baseline lacks passes (nothing to
 * drift from); one the monitoring run lacks while the baseline has it fails.
 */
export function compareDrift(
  baseline: Metrics,
  current: Metrics,
  thresholds: readonly DriftThreshold[],
): DriftFinding[] {
  return thresholds.map(({ metric, direction, tolerance, relative }) => {
    const before = metricValue(baseline, metric);
    const actual = metricValue(current, metric);
    const allowed = relative && before !== null ? tolerance * Math.abs(before) : tolerance;
    if (before === null) {
      return { metric, direction, baseline: null, actual, degradation: null, allowed, relative, passed: true };
    }
    if (actual === null) {
      return { metric, direction, baseline: before, actual: null, degradation: null, allowed, relative, passed: false };
    }
    const degradation = direction === 'min' ? before - actual : actual - before;
    return {
      metric,
      direction,
      baseline: before,
      actual,
      degradation,
      allowed,
      relative,
      passed: degradation <= allowed + EPSILON,
    };
  });
}

export interface MonitoringVerdict {
  /** False when the run had fewer cases than the policy's minimum: drift is then recorded, not judged. */
  driftJudged: boolean;
  drift: DriftFinding[];
  thresholdVerdicts: ThresholdVerdict[];
  /** What opens an incident, in a stable order; empty when the run is clean. */
  causes: MonitoringCause[];
  /** A human reason per failed check, per cause. */
  reasons: Record<MonitoringCause, string[]>;
  clean: boolean;
}

/** Judges a monitoring run: its static threshold verdicts, and drift against the approval-time metrics. */
export function judgeMonitoringRun(input: {
  metrics: Metrics;
  cases: number;
  thresholdVerdicts: readonly ThresholdVerdict[];
  /** The approval-time run's metrics; null when the release has no passed run to compare with. */
  baselineMetrics: Metrics | null;
  policy?: MonitoringPolicy;
}): MonitoringVerdict {
  const policy = input.policy ?? DEFAULT_POLICY.monitoring;
  const driftJudged = input.baselineMetrics !== null && input.cases >= policy.minCasesForDrift;
  const drift = input.baselineMetrics ? compareDrift(input.baselineMetrics, input.metrics, policy.driftThresholds) : [];
  const reasons: Record<MonitoringCause, string[]> = { drift: [], threshold: [] };
  if (driftJudged) {
    for (const d of drift) if (!d.passed) reasons.drift.push(driftReason(d));
  }
  for (const v of input.thresholdVerdicts) {
    if (v.passed) continue;
    const bound = v.direction === 'min' ? 'minimum' : 'maximum';
    reasons.threshold.push(
      v.actual === null
        ? `${v.metric} has no data (${bound} ${formatNumber(v.threshold)})`
        : `${v.metric} ${formatNumber(v.actual)} ${v.direction === 'min' ? 'below' : 'above'} ${bound} ${formatNumber(v.threshold)}`,
    );
  }
  const causes = (['drift', 'threshold'] as const).filter((c) => reasons[c].length > 0);
  return {
    driftJudged,
    drift,
    thresholdVerdicts: [...input.thresholdVerdicts],
    causes,
    reasons,
    clean: causes.length === 0,
  };
}

function driftReason(d: DriftFinding): string {
  if (d.actual === null)
    return `${d.metric} has no data to compare with the approval-time run (${formatNumber(d.baseline ?? 0)})`;
  const moved = d.direction === 'min' ? 'dropped' : 'rose';
  const by = formatNumber(Math.abs(d.degradation ?? 0));
  const allowed = d.relative
    ? `${formatNumber(d.allowed)}, ${Math.round((d.allowed / Math.abs(d.baseline ?? 1)) * 100)} % of the approval-time value`
    : formatNumber(d.allowed);
  return `${d.metric} ${moved} by ${by} against the approval-time run (${formatNumber(d.baseline ?? 0)} → ${formatNumber(d.actual)}; allowed ${allowed})`;
}

/** Severity of the incident a monitoring failure opens on a system of `riskTier`. */
export function monitoringSeverity(riskTier: RiskTier, policy: MonitoringPolicy = DEFAULT_POLICY.monitoring): Severity {
  return policy.incidentSeverity[riskTier];
}

/** The title of the incident a monitoring failure opens: stable per release and cause, so duplicates are easy to see. */
export function monitoringIncidentTitle(cause: MonitoringCause, releaseName: string): string {
  return cause === 'drift'
    ? `Monitoring: drift against the approval-time run on ${releaseName}`
    : `Monitoring: thresholds failed on ${releaseName}`;
}

/** What the policy says a failed monitoring run does on a system of `riskTier` (docs/architecture/monitoring.md). */
export function monitoringFailureAction(
  riskTier: RiskTier,
  policy: MonitoringPolicy = DEFAULT_POLICY.monitoring,
): MonitoringFailureAction {
  // A policy object built from a stored document of an older version may lack the field: only the incident then.
  return policy.onFailure?.[riskTier] ?? 'incident';
}

/**
 * For the 'rollback' action, prepared before the monitoring run's transaction: the last-known-good release and the
 * outcome of its rollback validation, or why no rollback is possible (no eligible release, a validation that could
 * not run).
 */
export type MonitoringRollbackPlan =
  | { targetId: string; validation: RollbackValidationOutcome }
  /** The target has rollback_validation datasets: its validation run starts with the run's transaction (ADR 0032). */
  | { targetId: string; validating: true }
  | { unavailable: string };

/** What a monitoring run's transaction does besides recording the run and its incidents. */
export type MonitoringResponse =
  /** A clean run, or every cause is already covered by an unresolved incident: that incident was acted upon. */
  | { kind: 'none' }
  | { kind: 'incident' }
  /** `fallbackReason`: why the policy's rollback did not happen, when the request stands in for it. */
  | { kind: 'request-rollback'; fallbackReason: string | null }
  | { kind: 'rollback'; targetId: string; validation: RollbackValidationOutcome }
  /** A rollback request whose validation run starts now; its continuation rolls back or falls back to the request. */
  | { kind: 'rollback-validating'; targetId: string };

/**
 * Decides what a failed monitoring run does after it has opened its incidents. Only a run that opened an incident
 * acts: a later run finding the incident still unresolved adds nothing, so a release is requested or rolled back
 * once per incident. A rollback falls back to a rollback request, saying why, when there is no last-known-good
 * release, its rollback validation blocks (the same tier rule as a manual rollback), or the history changed between
 * the plan and the transaction (`blocked`).
 */
export function decideMonitoringResponse(input: {
  action: MonitoringFailureAction;
  incidentsOpened: number;
  plan: MonitoringRollbackPlan | null;
  blocked?: string | null;
}): MonitoringResponse {
  if (input.incidentsOpened === 0) return { kind: 'none' };
  if (input.action === 'incident') return { kind: 'incident' };
  if (input.action === 'request-rollback') return { kind: 'request-rollback', fallbackReason: null };
  const plan = input.plan;
  const fallback = (why: string): MonitoringResponse => ({
    kind: 'request-rollback',
    fallbackReason: `no automatic rollback: ${why}`,
  });
  if (!plan) return fallback('no rollback target was prepared');
  if ('unavailable' in plan) return fallback(plan.unavailable);
  if ('validating' in plan)
    return input.blocked ? fallback(input.blocked) : { kind: 'rollback-validating', targetId: plan.targetId };
  if (plan.validation.decision === 'block') return fallback(plan.validation.message);
  if (input.blocked) return fallback(input.blocked);
  return { kind: 'rollback', targetId: plan.targetId, validation: plan.validation };
}
