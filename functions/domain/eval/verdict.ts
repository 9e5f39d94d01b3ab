// Judging metrics: static thresholds, regression against baselines, and the run's overall verdict.
import { type BaselineComparison, type Metrics, metricValue, type Threshold, type ThresholdVerdict } from '../types.js';

// Metrics are ratios and means of doubles: 0.9 - 0.85 is 0.05000000000000004, which must not fail a
// tolerance of 0.05. Differences this small are never meaningful for any metric we compute.
const EPSILON = 1e-9;

type BaselineKind = BaselineComparison['baseline'];

export interface CompareWithBaselineInput {
  baseline: BaselineKind;
  candidateId: string;
  evalRunId: string;
  /** The baseline release's metrics; null when it has none, which passes every comparison. */
  baselineMetrics: Metrics | null;
  metrics: Metrics;
  thresholds: readonly Threshold[];
}

export interface EvalVerdict {
  passed: boolean;
  failureReasons: string[];
}

/** Checks each threshold: min needs actual >= value, max needs actual <= value; a missing value fails. */
export function applyThresholds(metrics: Metrics, thresholds: readonly Threshold[]): ThresholdVerdict[] {
  return thresholds.map(({ metric, direction, value }) => {
    const actual = metricValue(metrics, metric);
    const passed = actual !== null && (direction === 'min' ? actual >= value : actual <= value);
    return { metric, direction, threshold: value, actual, passed };
  });
}

/**
 * Compares the candidate with a baseline on every threshold that has a regression tolerance: a min-metric may
 * drop, and a max-metric may rise, by at most the tolerance; a baseline without the metric passes.
 */
export function compareWithBaseline(input: CompareWithBaselineInput): BaselineComparison {
  const { baseline, candidateId, evalRunId, baselineMetrics, metrics, thresholds } = input;
  const deltas: BaselineComparison['deltas'] = [];
  for (const { metric, direction, regressionTolerance } of thresholds) {
    if (regressionTolerance === null) continue;
    const before = baselineMetrics ? metricValue(baselineMetrics, metric) : null;
    const actual = metricValue(metrics, metric);
    let passed = true;
    if (before !== null) {
      passed = actual !== null && regression(direction, before, actual) <= regressionTolerance + EPSILON;
    }
    deltas.push({ metric, baseline: before, actual, tolerance: regressionTolerance, passed });
  }
  return { baseline, candidateId, evalRunId, deltas, passed: deltas.every((d) => d.passed) };
}

/** The run's verdict: passed when every threshold and comparison passed, with a reason for each failure. */
export function evalVerdict(
  verdicts: readonly ThresholdVerdict[],
  comparisons: readonly BaselineComparison[],
): EvalVerdict {
  const failureReasons: string[] = [];
  for (const v of verdicts) {
    if (v.passed) continue;
    const bound = v.direction === 'min' ? 'minimum' : 'maximum';
    if (v.actual === null) failureReasons.push(`${v.metric} has no data (${bound} ${formatNumber(v.threshold)})`);
    else {
      const side = v.direction === 'min' ? 'below' : 'above';
      failureReasons.push(`${v.metric} ${formatNumber(v.actual)} ${side} ${bound} ${formatNumber(v.threshold)}`);
    }
  }
  for (const c of comparisons) {
    const release = c.baseline === 'active' ? 'the active release' : 'the last-known-good release';
    for (const d of c.deltas) {
      if (d.passed || d.baseline === null) continue;
      if (d.actual === null) {
        failureReasons.push(`${d.metric} has no data to compare with ${release} (${formatNumber(d.baseline)})`);
        continue;
      }
      // A failed delta moved the bad way by more than a non-negative tolerance, so its size is the regression.
      const by = formatNumber(Math.abs(d.actual - d.baseline));
      failureReasons.push(`${d.metric} regressed by ${by} against ${release} (tolerance ${formatNumber(d.tolerance)})`);
    }
  }
  const passed = verdicts.every((v) => v.passed) && comparisons.every((c) => c.passed);
  return { passed, failureReasons };
}

/** A number for humans: two decimals at or above 1, four significant digits below. */
export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  return String(Math.abs(x) >= 1 ? Number(x.toFixed(2)) : Number(x.toPrecision(4)));
}

/** How much worse actual is than baseline in the threshold's direction (negative when better). */
function regression(direction: Threshold['direction'], baseline: number, actual: number): number {
  return direction === 'min' ? baseline - actual : actual - baseline;
}
