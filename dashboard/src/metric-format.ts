// Metrics for people: a display name instead of the API's camelCase, and each value in its unit (rates as percent,
// latency in whole milliseconds, cost in USD with the digits a small amount needs), never a float's 16 decimals.
const NAMES: Record<string, string> = {
  accuracy: 'Accuracy',
  macroF1: 'Macro F1',
  schemaValidRate: 'Schema-valid rate',
  latencyMeanMs: 'Mean latency',
  latencyP95Ms: 'p95 latency',
  costMeanUsd: 'Mean cost per case',
  timeoutRate: 'Timeout rate',
  fallbackSuccessRate: 'Fallback success rate',
  sliceAccuracyGap: 'Slice accuracy gap',
};

const ASSERTION_PREFIX = 'assert.';
const ALL_ASSERTIONS = 'assert.pass_rate';

/** The assertion a metric counts (`assert.<name>`), or null for another metric and for `assert.pass_rate`. */
export function assertionOf(metric: string): string | null {
  return metric.startsWith(ASSERTION_PREFIX) && metric !== ALL_ASSERTIONS
    ? metric.slice(ASSERTION_PREFIX.length)
    : null;
}

/** A metric's display name: "p95 latency", "Assertion no-legal-advice", "All assertions". */
export function metricLabel(metric: string): string {
  if (metric === ALL_ASSERTIONS) return 'All assertions';
  const assertion = assertionOf(metric);
  if (assertion !== null) return `Assertion ${assertion}`;
  return NAMES[metric] ?? metric;
}

type Unit = 'rate' | 'ms' | 'usd' | 'points' | 'score';

function unitOf(metric: string): Unit {
  if (metric.startsWith(ASSERTION_PREFIX)) return 'rate';
  if (metric === 'latencyMeanMs' || metric === 'latencyP95Ms') return 'ms';
  if (metric === 'costMeanUsd') return 'usd';
  if (metric === 'sliceAccuracyGap') return 'points';
  if (metric === 'macroF1') return 'score';
  return 'rate';
}

/** A share in 0..1 as a percent: one decimal, none when whole ("92.5 %", "100 %"). */
export function percent(value: number): string {
  const p = Math.round(value * 1000) / 10;
  return `${Number.isInteger(p) ? p : p.toFixed(1)} %`;
}

/** Milliseconds, whole, grouped: "1,234 ms". */
export function milliseconds(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}

/** USD: cents for amounts of a dollar or more, else three significant digits ("$0.000123"), "$0" for none. */
export function usd(value: number): string {
  if (value === 0) return '$0';
  const sign = value < 0 ? '−' : '';
  const abs = Math.abs(value);
  if (abs >= 1) return `${sign}$${abs.toFixed(2)}`;
  return `${sign}$${Number(abs.toPrecision(3)).toString()}`;
}

/** A metric's value in its unit; "—" when there is none. */
export function formatMetric(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unitOf(metric)) {
    case 'rate':
      return percent(value);
    case 'ms':
      return milliseconds(value);
    case 'usd':
      return usd(value);
    case 'points':
      return `${(Math.round(value * 1000) / 10).toString()} pp`;
    case 'score':
      return value.toFixed(3);
  }
}

/** A difference of a metric (a tolerance, a delta) in its unit: rates and gaps in percentage points. */
export function formatMetricDelta(metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const unit = unitOf(metric);
  if (unit === 'rate' || unit === 'points') return `${(Math.round(value * 1000) / 10).toString()} pp`;
  return formatMetric(metric, value);
}

/** Core metrics first in their usual order, then assertion metrics by name, "All assertions" last. */
export function metricOrder(a: string, b: string): number {
  const rank = (m: string) => {
    const core = Object.keys(NAMES).indexOf(m);
    if (core >= 0) return core;
    return m === ALL_ASSERTIONS ? 2000 : 1000;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}
