import { describe, expect, it } from 'vitest';
import { compareReleaseMetrics, datasetDifference } from '../../../functions/domain/release-comparison.js';
import { METRIC_NAMES, type Metrics, type Threshold } from '../../../functions/domain/types.js';

const metrics = (values: Partial<Metrics>): Metrics =>
  Object.fromEntries(METRIC_NAMES.map((m) => [m, values[m] ?? null])) as Metrics;

const accuracyWithTolerance: Threshold = {
  metric: 'accuracy',
  direction: 'min',
  value: 0.8,
  regressionTolerance: 0.02,
};

describe('comparing a candidate with the active and the last-known-good release', () => {
  it('lists every metric, in the catalogue order, even those the candidate sets no threshold on', () => {
    // Prepare
    const candidate = metrics({ accuracy: 0.9, latencyP95Ms: 800 });

    // Act
    const rows = compareReleaseMetrics(candidate, [], [accuracyWithTolerance]);

    // Assess
    expect(rows.map((r) => r.metric)).toEqual([...METRIC_NAMES]);
    expect(rows.find((r) => r.metric === 'latencyP95Ms')).toMatchObject({ threshold: null, thresholdPassed: null });
  });

  it('compares assertion pass rates like the other metrics, after them, by name, higher being better', () => {
    // Prepare
    const candidate = { ...metrics({ accuracy: 0.9 }), 'assert.no-legal-advice': 0.9, 'assert.pass_rate': 0.8 };
    const active = { ...metrics({ accuracy: 0.9 }), 'assert.no-legal-advice': 0.95, 'assert.cites-policy': 1 };
    const floor: Threshold = { metric: 'assert.json', direction: 'min', value: 1, regressionTolerance: null };

    // Act
    const rows = compareReleaseMetrics(candidate, [{ role: 'active', metrics: active }], [floor]);

    // Assess
    expect(rows.map((r) => r.metric).slice(METRIC_NAMES.length)).toEqual([
      'assert.cites-policy',
      'assert.json',
      'assert.no-legal-advice',
      'assert.pass_rate',
    ]);
    expect(rows.find((r) => r.metric === 'assert.no-legal-advice')).toMatchObject({
      improves: 'min',
      candidate: 0.9,
      baselines: [{ role: 'active', value: 0.95, verdict: 'worse' }],
    });
    expect(rows.find((r) => r.metric === 'assert.json')).toMatchObject({ candidate: null, thresholdPassed: false });
    expect(rows.find((r) => r.metric === 'assert.cites-policy')?.baselines[0]?.verdict).toBe('no_data');
  });

  it('judges a metric with a regression tolerance as the gate does: a drop within the tolerance passes', () => {
    // Prepare
    const candidate = metrics({ accuracy: 0.88 });
    const baselines = [
      { role: 'active' as const, metrics: metrics({ accuracy: 0.9 }) },
      { role: 'last_known_good' as const, metrics: metrics({ accuracy: 0.95 }) },
    ];

    // Act
    const [accuracy] = compareReleaseMetrics(candidate, baselines, [accuracyWithTolerance]);

    // Assess: 0.9 - 0.88 is 0.02000000000000002, which the epsilon keeps within 0.02.
    expect(accuracy?.thresholdPassed).toBe(true);
    expect(accuracy?.baselines.map((b) => [b.role, b.verdict])).toEqual([
      ['active', 'within_tolerance'],
      ['last_known_good', 'regressed'],
    ]);
    expect(accuracy?.baselines[1]?.delta).toBeCloseTo(-0.07);
  });

  it('judges a metric without a tolerance by its own direction: lower latency is better, higher cost is worse', () => {
    // Prepare
    const candidate = metrics({ latencyP95Ms: 500, costMeanUsd: 0.002, timeoutRate: 0 });
    const active = metrics({ latencyP95Ms: 900, costMeanUsd: 0.001, timeoutRate: 0 });

    // Act
    const rows = compareReleaseMetrics(candidate, [{ role: 'active', metrics: active }], []);
    const verdict = (m: string) => rows.find((r) => r.metric === m)?.baselines[0]?.verdict;

    // Assess
    expect(verdict('latencyP95Ms')).toBe('better');
    expect(verdict('costMeanUsd')).toBe('worse');
    expect(verdict('timeoutRate')).toBe('same');
    expect(verdict('accuracy')).toBe('no_data');
  });

  it('fails the static threshold of a metric the candidate has no value for', () => {
    // Act
    const [accuracy] = compareReleaseMetrics(null, [{ role: 'active', metrics: null }], [accuracyWithTolerance]);

    // Assess
    expect(accuracy).toMatchObject({ candidate: null, thresholdPassed: false });
    expect(accuracy?.baselines[0]).toMatchObject({ value: null, delta: null, verdict: 'no_data' });
  });

  it('names the datasets a baseline was judged on that the candidate is not, and the ones it adds', () => {
    // Act
    const difference = datasetDifference(['ds_a', 'ds_c'], ['ds_a', 'ds_b']);

    // Assess
    expect(difference).toEqual({ missing: ['ds_b'], added: ['ds_c'] });
    expect(datasetDifference(['ds_a'], ['ds_a'])).toEqual({ missing: [], added: [] });
  });
});
