// Metric aggregation. Batches are scored separately (a Step Functions Map) and their aggregates merged, so the
// aggregate is plain JSON and merging is exact: counts are integers, cost is summed in integer nano-USD, and
// latency sums are taken over the sorted list at the end, so any split of the cases gives identical metrics.
import {
  ASSERTION_METRIC_PREFIX,
  ASSERTION_PASS_RATE_METRIC,
  type CaseResult,
  type Metrics,
  type SliceMetric,
} from '../types.js';

interface LabelCounts {
  tp: number;
  fp: number;
  fn: number;
}

/** Cases that carry an assertion (of a name, or any counted one) and how many of them passed it. */
interface PassCounts {
  cases: number;
  passed: number;
}

/**
 * Assertion counts: `all` over cases with at least one assertion, passed when every one passed (promptfoo's test-case
 * pass); `byName` per assertion name, a case counting once per name.
 */
interface AssertionCounts {
  all: PassCounts;
  byName: Record<string, PassCounts>;
}

interface SliceCounts {
  /** Cases of the slice that have an expected label (the denominator of its accuracy). */
  cases: number;
  correct: number;
}

/** Serialisable running totals of case results; see emptyAggregate. */
export interface EvalAggregate {
  version: 1;
  /** All cases. */
  cases: number;
  /** Cases with an expected label: the population of accuracy, macro-F1 and slices. */
  labelled: number;
  labelledCorrect: number;
  schemaValid: number;
  timedOut: number;
  fallbackUsed: number;
  fallbackSucceeded: number;
  costNanoUsd: number;
  /** Every case's latency, kept for an exact p95. */
  latenciesMs: number[];
  /** Confusion counts per label, over labelled cases. */
  labels: Record<string, LabelCounts>;
  /** Per slice tag (`key:value`), over labelled cases. */
  slices: Record<string, SliceCounts>;
  /** Present once a case with assertions was added: absent, a run's metrics are what they were before assertions. */
  assertions?: AssertionCounts;
}

export interface FinishedMetrics {
  metrics: Metrics;
  slices: SliceMetric[];
}

/** An aggregate of no results. */
export function emptyAggregate(): EvalAggregate {
  return {
    version: 1,
    cases: 0,
    labelled: 0,
    labelledCorrect: 0,
    schemaValid: 0,
    timedOut: 0,
    fallbackUsed: 0,
    fallbackSucceeded: 0,
    costNanoUsd: 0,
    latenciesMs: [],
    labels: {},
    slices: {},
  };
}

/** True for a slice tag: `key:value` with a non-empty key and value. */
export function isSliceTag(tag: string): boolean {
  const colon = tag.indexOf(':');
  return colon > 0 && colon < tag.length - 1;
}

/** Adds one case result to the aggregate in place and returns it. */
export function addResult(agg: EvalAggregate, result: CaseResult): EvalAggregate {
  agg.cases += 1;
  if (result.schemaValid) agg.schemaValid += 1;
  if (result.timedOut) agg.timedOut += 1;
  if (result.fallbackUsed) {
    agg.fallbackUsed += 1;
    if (result.fallbackSucceeded) agg.fallbackSucceeded += 1;
  }
  agg.costNanoUsd += Math.round(result.costUsd * 1e9);
  agg.latenciesMs.push(result.latencyMs);
  if (result.assertions?.length) addAssertions(agg, result.assertions);

  const expected = result.expectedLabel;
  if (expected === null) return agg;
  agg.labelled += 1;
  if (result.correct) agg.labelledCorrect += 1;
  const predicted = result.predictedLabel;
  if (predicted === expected) {
    labelCounts(agg.labels, expected).tp += 1;
  } else {
    labelCounts(agg.labels, expected).fn += 1;
    if (predicted !== null) labelCounts(agg.labels, predicted).fp += 1;
  }
  for (const tag of result.tags) {
    if (!isSliceTag(tag)) continue;
    const slice = own(agg.slices, tag) ?? define(agg.slices, tag, { cases: 0, correct: 0 });
    slice.cases += 1;
    if (result.correct) slice.correct += 1;
  }
  return agg;
}

/** Counts one case's assertion verdicts. */
function addAssertions(agg: EvalAggregate, verdicts: NonNullable<CaseResult['assertions']>): void {
  agg.assertions ??= { all: { cases: 0, passed: 0 }, byName: {} };
  const counts = agg.assertions;
  let allPassed = true;
  // A case counts once per name: passed when every assertion of that name passed. Names are few, so a linear scan
  // over the verdicts beats allocating a map per case.
  for (let i = 0; i < verdicts.length; i++) {
    const v = verdicts[i] as (typeof verdicts)[number];
    if (!v.pass) allPassed = false;
    const name = v.name;
    if (name === undefined) continue;
    let first = true;
    let namePassed = true;
    for (let k = 0; k < verdicts.length; k++) {
      const other = verdicts[k] as (typeof verdicts)[number];
      if (other.name !== name) continue;
      if (k < i) {
        first = false;
        break;
      }
      if (!other.pass) namePassed = false;
    }
    if (!first) continue;
    const named = own(counts.byName, name) ?? define(counts.byName, name, { cases: 0, passed: 0 });
    named.cases += 1;
    if (namePassed) named.passed += 1;
  }
  counts.all.cases += 1;
  if (allPassed) counts.all.passed += 1;
}

/** A new aggregate holding the results of both; neither input is changed. */
export function mergeAggregates(a: EvalAggregate, b: EvalAggregate): EvalAggregate {
  const merged: EvalAggregate = {
    version: 1,
    cases: a.cases + b.cases,
    labelled: a.labelled + b.labelled,
    labelledCorrect: a.labelledCorrect + b.labelledCorrect,
    schemaValid: a.schemaValid + b.schemaValid,
    timedOut: a.timedOut + b.timedOut,
    fallbackUsed: a.fallbackUsed + b.fallbackUsed,
    fallbackSucceeded: a.fallbackSucceeded + b.fallbackSucceeded,
    costNanoUsd: a.costNanoUsd + b.costNanoUsd,
    latenciesMs: a.latenciesMs.concat(b.latenciesMs),
    labels: {},
    slices: {},
  };
  for (const source of [a, b]) {
    for (const [label, counts] of Object.entries(source.labels)) {
      const target = own(merged.labels, label) ?? define(merged.labels, label, { tp: 0, fp: 0, fn: 0 });
      target.tp += counts.tp;
      target.fp += counts.fp;
      target.fn += counts.fn;
    }
    for (const [tag, counts] of Object.entries(source.slices)) {
      const target = own(merged.slices, tag) ?? define(merged.slices, tag, { cases: 0, correct: 0 });
      target.cases += counts.cases;
      target.correct += counts.correct;
    }
    if (source.assertions) {
      merged.assertions ??= { all: { cases: 0, passed: 0 }, byName: {} };
      merged.assertions.all.cases += source.assertions.all.cases;
      merged.assertions.all.passed += source.assertions.all.passed;
      for (const [name, counts] of Object.entries(source.assertions.byName)) {
        const target =
          own(merged.assertions.byName, name) ?? define(merged.assertions.byName, name, { cases: 0, passed: 0 });
        target.cases += counts.cases;
        target.passed += counts.passed;
      }
    }
  }
  return merged;
}

/** The run's metrics and per-slice accuracy (slices sorted by name); a metric without data is null. */
export function finishMetrics(agg: EvalAggregate): FinishedMetrics {
  const sorted = Float64Array.from(agg.latenciesMs).sort();
  let latencySum = 0;
  for (const latency of sorted) latencySum += latency;

  // Summed in label order, not insertion order: merged batches insert labels in another order, and a float
  // sum in another order can differ in the last bit.
  const labelStats = Object.keys(agg.labels)
    .sort()
    .map((label) => agg.labels[label] as LabelCounts);
  let f1Sum = 0;
  for (const { tp, fp, fn } of labelStats) {
    const denominator = 2 * tp + fp + fn;
    f1Sum += denominator === 0 ? 0 : (2 * tp) / denominator;
  }

  const slices: SliceMetric[] = Object.entries(agg.slices)
    .filter(([, counts]) => counts.cases > 0)
    .map(([slice, counts]) => ({ slice, cases: counts.cases, accuracy: counts.correct / counts.cases }))
    .sort((x, y) => (x.slice < y.slice ? -1 : x.slice > y.slice ? 1 : 0));
  let sliceAccuracyGap: number | null = null;
  if (slices.length >= 2) {
    const accuracies = slices.map((s) => s.accuracy);
    sliceAccuracyGap = Math.max(...accuracies) - Math.min(...accuracies);
  }

  const n = agg.cases;
  const metrics: Metrics = {
    accuracy: ratio(agg.labelledCorrect, agg.labelled),
    macroF1: agg.labelled > 0 && labelStats.length > 0 ? f1Sum / labelStats.length : null,
    schemaValidRate: ratio(agg.schemaValid, n),
    latencyMeanMs: sorted.length > 0 ? latencySum / sorted.length : null,
    latencyP95Ms: nearestRank(sorted, 95),
    costMeanUsd: n > 0 ? agg.costNanoUsd / 1e9 / n : null,
    timeoutRate: ratio(agg.timedOut, n),
    fallbackSuccessRate: ratio(agg.fallbackSucceeded, agg.fallbackUsed),
    sliceAccuracyGap,
  };
  if (agg.assertions) {
    if (agg.assertions.all.cases > 0)
      metrics[ASSERTION_PASS_RATE_METRIC] = agg.assertions.all.passed / agg.assertions.all.cases;
    for (const name of Object.keys(agg.assertions.byName).sort()) {
      const counts = agg.assertions.byName[name] as PassCounts;
      metrics[`${ASSERTION_METRIC_PREFIX}${name}` as const] = ratio(counts.passed, counts.cases);
    }
  }
  return { metrics, slices };
}

/** The percentile (0-100) of ascending values by the nearest-rank method; null when there are none. */
export function nearestRank(sortedAscending: ArrayLike<number>, percentile: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  // percentile * n / 100 rather than (percentile / 100) * n: an integer product cannot round up past a rank.
  const rank = Math.min(n, Math.max(1, Math.ceil((percentile * n) / 100)));
  return sortedAscending[rank - 1] as number;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

// Labels and tags come from datasets: read and create only own members, so a label named `constructor` or
// `__proto__` is counted like any other instead of reaching Object.prototype.
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function define<T>(record: Record<string, T>, key: string, value: T): T {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

function labelCounts(labels: Record<string, LabelCounts>, label: string): LabelCounts {
  return own(labels, label) ?? define(labels, label, { tp: 0, fp: 0, fn: 0 });
}
