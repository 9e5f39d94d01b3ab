import { describe, expect, it } from 'vitest';
import { labelStride } from './bar-chart';
import { formatMetric, formatMetricDelta, metricLabel } from './metric-format';

describe('metrics for people', () => {
  it('names metrics in words and shows each value in its unit with sensible decimals', () => {
    // Act
    const shown = [
      [metricLabel('latencyP95Ms'), formatMetric('latencyP95Ms', 1234.5678901234567)],
      [metricLabel('costMeanUsd'), formatMetric('costMeanUsd', 0.000123456789)],
      [metricLabel('schemaValidRate'), formatMetric('schemaValidRate', 0.9234567)],
      [metricLabel('assert.no-legal-advice'), formatMetric('assert.no-legal-advice', 1)],
      [metricLabel('assert.pass_rate'), formatMetric('assert.pass_rate', 0.5)],
      [metricLabel('macroF1'), formatMetric('macroF1', 0.87654321)],
      [metricLabel('sliceAccuracyGap'), formatMetric('sliceAccuracyGap', 0.0312)],
      [metricLabel('accuracy'), formatMetric('accuracy', null)],
    ];
    // Assess
    expect(shown).toEqual([
      ['p95 latency', '1,235 ms'],
      ['Mean cost per case', '$0.000123'],
      ['Schema-valid rate', '92.3 %'],
      ['Assertion no-legal-advice', '100 %'],
      ['All assertions', '50 %'],
      ['Macro F1', '0.877'],
      ['Slice accuracy gap', '3.1 pp'],
      ['Accuracy', '—'],
    ]);
    expect(formatMetricDelta('accuracy', 0.02)).toBe('2 pp');
    expect(formatMetric('costMeanUsd', 12.3456)).toBe('$12.35');
  });

  it('shows every k-th axis label so that no two shown labels share their width of the axis', () => {
    // Act
    const strides = [labelStride([40, 40, 40, 40], 400), labelStride(Array(25).fill(50), 300), labelStride([], 300)];
    // Assess: 25 labels of 50 px (58 with the gap) in 300 px: every fifth one.
    expect(strides).toEqual([1, 5, 1]);
  });
});
