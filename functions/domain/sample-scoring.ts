// Scoring a window of production samples (ADR 0042): the release's assertions that need no expected label are run
// on each sample's output, their pass rates become `assert.<name>` metrics, and the monitoring judgement compares
// them with the approval-time run's. Pure apart from the AssertionServices a caller lends (llm-rubric's judge).
import { type AssertionServices, scoreAssertions } from './eval/assertions.js';
import type { DriftThreshold, MonitoringPolicy } from './policy.js';
import { type SampleMonitoringPolicy, sampleMonitoringOf } from './sample-monitoring-policy.js';
import type { ProductionSample } from './samples.js';
import {
  ASSERTION_METRIC_PREFIX,
  type Assertion,
  type AssertionType,
  METRIC_NAMES,
  type MetricName,
  type Metrics,
} from './types.js';

/**
 * Assertion types that judge an output on its own: a sample has no expected answer, so `equals`, `levenshtein` and
 * `similar` (which compare with a reference text written for a case) do not apply.
 */
const LABEL_FREE_ASSERTION_TYPES: readonly AssertionType[] = [
  'contains',
  'icontains',
  'not-contains',
  'regex',
  'starts-with',
  'is-json',
  'contains-json',
  'json-schema',
  'llm-rubric',
  'latency',
  'cost',
];

export { type SampleMonitoringPolicy, sampleMonitoringOf };

/** The window a pass at `now` scores: [from, to]. */
export function sampleWindow(now: Date, windowHours: number): { from: string; to: string } {
  return { from: new Date(now.getTime() - windowHours * 3_600_000).toISOString(), to: now.toISOString() };
}

/**
 * The assertions a sample is scored with: the named dataset-level defaults (`defaultAssert`, applied to every case,
 * so written without a case's label in mind) of the release's datasets whose type judges an output on its own.
 * llm-rubric only when a judge service is lent (without one it would fail every sample and read as drift).
 * Unnamed assertions yield no metric to compare with, so they are left out.
 */
export function sampleAssertions(
  datasets: readonly { defaultAssert?: readonly Assertion[] }[],
  options: { judge: boolean },
): { assertions: Assertion[]; skipped: string[] } {
  const assertions: Assertion[] = [];
  const skipped = new Set<string>();
  for (const d of datasets) {
    for (const a of d.defaultAssert ?? []) {
      if (a.name === undefined) continue;
      if (!LABEL_FREE_ASSERTION_TYPES.includes(a.type)) skipped.add(`${a.name} (${a.type} needs a reference text)`);
      else if (a.type === 'llm-rubric' && !options.judge) skipped.add(`${a.name} (no judge service in this pass)`);
      else assertions.push(a);
    }
  }
  return { assertions, skipped: [...skipped] };
}

export interface SampleWindowScore {
  samples: number;
  metrics: Metrics;
  /** Per assertion name: samples judged and passed. */
  byName: Record<string, { samples: number; passed: number }>;
  /** A few reasons of failed assertions (sample id, name, reason), for the run's failure reasons. */
  failures: string[];
}

const MAX_FAILURE_REASONS = 20;

function percentile95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)] as number;
}

/** Scores each sample with `assertions`: pass rates per name (a sample passes a name when all of it passes). */
export async function scoreSampleWindow(
  samples: readonly Pick<ProductionSample, 'id' | 'input' | 'output' | 'latencyMs' | 'costUsd'>[],
  assertions: readonly Assertion[],
  services: Partial<AssertionServices> = {},
): Promise<SampleWindowScore> {
  const byName: Record<string, { samples: number; passed: number }> = {};
  const failures: string[] = [];
  let asserted = 0;
  let allPassed = 0;
  for (const s of samples) {
    const results = await scoreAssertions(
      assertions,
      {
        text: s.output,
        latencyMs: s.latencyMs ?? 0,
        costUsd: s.costUsd ?? 0,
        input: typeof s.input === 'string' ? { text: s.input } : s.input,
      },
      services,
    );
    const passedByName = new Map<string, boolean>();
    for (const r of results) {
      const name = r.name as string;
      passedByName.set(name, (passedByName.get(name) ?? true) && r.pass);
      if (!r.pass && failures.length < MAX_FAILURE_REASONS) failures.push(`sample ${s.id}: ${name}: ${r.reason}`);
    }
    if (passedByName.size > 0) {
      asserted++;
      if ([...passedByName.values()].every(Boolean)) allPassed++;
    }
    for (const [name, pass] of passedByName) {
      const counts = byName[name] ?? { samples: 0, passed: 0 };
      counts.samples++;
      if (pass) counts.passed++;
      byName[name] = counts;
    }
  }
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics;
  const latencies = samples.flatMap((s) => (s.latencyMs === null ? [] : [s.latencyMs]));
  const costs = samples.flatMap((s) => (s.costUsd === null ? [] : [s.costUsd]));
  if (latencies.length > 0) {
    metrics.latencyMeanMs = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    metrics.latencyP95Ms = percentile95(latencies);
  }
  if (costs.length > 0) metrics.costMeanUsd = costs.reduce((a, b) => a + b, 0) / costs.length;
  if (asserted > 0) metrics[`${ASSERTION_METRIC_PREFIX}pass_rate`] = allPassed / asserted;
  for (const name of Object.keys(byName).sort()) {
    const c = byName[name] as { samples: number; passed: number };
    metrics[`${ASSERTION_METRIC_PREFIX}${name}`] = c.passed / c.samples;
  }
  return { samples: samples.length, metrics, byName, failures };
}

/**
 * The monitoring policy a sample window is judged under: drift on each scored assertion's pass rate (`min`, the
 * policy's own drift threshold for that `assert.<name>` metric when it has one, else `monitoring.samples.tolerance`),
 * and nothing else (a window has no accuracy or schema rate to drift); judged from `minSamples` samples.
 */
export function sampleJudgingPolicy(policy: MonitoringPolicy, assertionNames: readonly string[]): MonitoringPolicy {
  const settings = sampleMonitoringOf(policy);
  const own = new Map(policy.driftThresholds.map((t) => [t.metric, t]));
  const thresholds: DriftThreshold[] = [...new Set(assertionNames)].sort().map((name) => {
    const metric = `${ASSERTION_METRIC_PREFIX}${name}` as MetricName;
    return (
      own.get(metric) ?? {
        metric,
        direction: 'min',
        tolerance: settings.tolerance,
        relative: false,
      }
    );
  });
  return { ...policy, driftThresholds: thresholds, minCasesForDrift: settings.minSamples };
}
