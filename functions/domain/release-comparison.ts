// What changes if a candidate is approved: its metrics beside the active and the last-known-good release's
// approval-time metrics, with deltas and verdicts, and whether each side was judged on the same datasets.
import { metricDirection } from './policy.js';
import {
  ASSERTION_METRIC_PREFIX,
  METRIC_NAMES,
  type MetricName,
  type Metrics,
  metricValue,
  type Threshold,
} from './types.js';

/** A release the candidate is compared with. */
export type BaselineRole = 'active' | 'last_known_good';

/**
 * How a candidate's metric stands against a baseline's: within_tolerance or regressed when the candidate's
 * threshold sets a regression tolerance (the gate's rule), else better, worse or same by the metric's own
 * direction; no_data when either side has no value.
 */
type DeltaVerdict = 'within_tolerance' | 'regressed' | 'better' | 'worse' | 'same' | 'no_data';

interface MetricBaselineDelta {
  role: BaselineRole;
  value: number | null;
  /** candidate minus baseline, in the metric's unit; null without both values. */
  delta: number | null;
  tolerance: number | null;
  verdict: DeltaVerdict;
}

export interface MetricComparison {
  metric: MetricName;
  /** The direction in which the metric improves: min (higher is better) or max (lower is better). */
  improves: 'min' | 'max';
  threshold: Threshold | null;
  candidate: number | null;
  /** The static threshold's verdict; null when the candidate sets no threshold on the metric. */
  thresholdPassed: boolean | null;
  baselines: MetricBaselineDelta[];
}

export interface ComparedBaseline {
  role: BaselineRole;
  metrics: Metrics | null;
}

// The same epsilon as the gate's comparisons (eval/verdict.ts): differences of doubles this small mean nothing.
const EPSILON = 1e-9;

/** How much worse `actual` is than `baseline` for a metric improving in `improves` (negative when better). */
function regression(improves: 'min' | 'max', baseline: number, actual: number): number {
  return improves === 'min' ? baseline - actual : actual - baseline;
}

function verdictOf(improves: 'min' | 'max', baseline: number, actual: number, tolerance: number | null): DeltaVerdict {
  const worseBy = regression(improves, baseline, actual);
  if (tolerance !== null) return worseBy <= tolerance + EPSILON ? 'within_tolerance' : 'regressed';
  if (Math.abs(worseBy) <= EPSILON) return 'same';
  return worseBy > 0 ? 'worse' : 'better';
}

/** The assertion metrics (`assert.*`) any side measured or any threshold names, sorted: compared like the others. */
function assertionMetrics(
  candidate: Metrics | null,
  baselines: readonly ComparedBaseline[],
  thresholds: readonly Threshold[],
): MetricName[] {
  const names = new Set<string>();
  for (const m of [candidate, ...baselines.map((b) => b.metrics)]) for (const k of Object.keys(m ?? {})) names.add(k);
  for (const t of thresholds) names.add(t.metric);
  return [...names].filter((n): n is MetricName => n.startsWith(ASSERTION_METRIC_PREFIX)).sort();
}

/**
 * Every metric of the candidate beside each baseline's, with deltas and verdicts: the core metrics in METRIC_NAMES
 * order, then the assertion pass rates any side measured or any threshold names, by name.
 */
export function compareReleaseMetrics(
  candidate: Metrics | null,
  baselines: readonly ComparedBaseline[],
  thresholds: readonly Threshold[],
): MetricComparison[] {
  return [...METRIC_NAMES, ...assertionMetrics(candidate, baselines, thresholds)].map((metric) => {
    const threshold = thresholds.find((t) => t.metric === metric) ?? null;
    // A threshold's direction is the metric's own (policy.ts checks it), so either may say which way is better.
    const improves = threshold?.direction ?? metricDirection(metric);
    const actual = candidate ? metricValue(candidate, metric) : null;
    const thresholdPassed =
      threshold === null
        ? null
        : actual !== null && (threshold.direction === 'min' ? actual >= threshold.value : actual <= threshold.value);
    const tolerance = threshold?.regressionTolerance ?? null;
    return {
      metric,
      improves,
      threshold,
      candidate: actual,
      thresholdPassed,
      baselines: baselines.map((b) => {
        const value = b.metrics ? metricValue(b.metrics, metric) : null;
        if (value === null || actual === null)
          return { role: b.role, value, delta: null, tolerance, verdict: 'no_data' };
        return {
          role: b.role,
          value,
          delta: actual - value,
          tolerance,
          verdict: verdictOf(improves, value, actual, tolerance),
        };
      }),
    };
  });
}

/** The datasets of a baseline's run that the candidate's lacks, and those it adds: both empty when they match. */
export function datasetDifference(
  candidateDatasetIds: readonly string[],
  baselineDatasetIds: readonly string[],
): { missing: string[]; added: string[] } {
  const ours = new Set(candidateDatasetIds);
  const theirs = new Set(baselineDatasetIds);
  return {
    missing: baselineDatasetIds.filter((id) => !ours.has(id)),
    added: candidateDatasetIds.filter((id) => !theirs.has(id)),
  };
}
