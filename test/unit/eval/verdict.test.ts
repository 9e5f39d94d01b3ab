import { describe, expect, it } from 'vitest';
import {
  applyThresholds,
  compareWithBaseline,
  evalVerdict,
  formatNumber,
} from '../../../functions/domain/eval/index.js';
import type { Metrics, Threshold } from '../../../functions/domain/types.js';

function metrics(overrides: Partial<Metrics> = {}): Metrics {
  return {
    accuracy: 0.9,
    macroF1: 0.88,
    schemaValidRate: 0.97,
    latencyMeanMs: 600,
    latencyP95Ms: 1200,
    costMeanUsd: 0.0004,
    timeoutRate: 0.01,
    fallbackSuccessRate: null,
    sliceAccuracyGap: 0.05,
    ...overrides,
  };
}

function threshold(
  metric: Threshold['metric'],
  direction: Threshold['direction'],
  value: number,
  regressionTolerance: number | null = null,
): Threshold {
  return { metric, direction, value, regressionTolerance };
}

function compare(baselineMetrics: Metrics | null, candidate: Metrics, thresholds: Threshold[]) {
  return compareWithBaseline({
    baseline: 'active',
    candidateId: 'rc-1',
    evalRunId: 'run-1',
    baselineMetrics,
    metrics: candidate,
    thresholds,
  });
}

describe('thresholds', () => {
  it('passes a min threshold at or above the value and fails it below', () => {
    // Prepare
    const thresholds = [threshold('accuracy', 'min', 0.9), threshold('schemaValidRate', 'min', 0.98)];
    // Act
    const verdicts = applyThresholds(metrics(), thresholds);
    // Assess
    expect(verdicts).toEqual([
      { metric: 'accuracy', direction: 'min', threshold: 0.9, actual: 0.9, passed: true },
      { metric: 'schemaValidRate', direction: 'min', threshold: 0.98, actual: 0.97, passed: false },
    ]);
  });

  it('passes a max threshold at or below the value and fails it above', () => {
    // Prepare
    const thresholds = [threshold('latencyP95Ms', 'max', 1200), threshold('timeoutRate', 'max', 0.005)];
    // Act
    const verdicts = applyThresholds(metrics(), thresholds);
    // Assess
    expect(verdicts.map((v) => v.passed)).toEqual([true, false]);
  });

  it('fails a threshold on a metric that has no data, whatever its direction', () => {
    // Prepare
    const thresholds = [threshold('fallbackSuccessRate', 'min', 0.9), threshold('fallbackSuccessRate', 'max', 1)];
    // Act
    const verdicts = applyThresholds(metrics(), thresholds);
    // Assess
    expect(verdicts.map((v) => [v.actual, v.passed])).toEqual([
      [null, false],
      [null, false],
    ]);
  });
});

describe('baseline comparison', () => {
  it('allows a min-metric to drop by up to the tolerance and no further', () => {
    // Prepare
    const thresholds = [threshold('accuracy', 'min', 0.8, 0.05)];
    // Act
    const within = compare(metrics({ accuracy: 0.9 }), metrics({ accuracy: 0.85 }), thresholds);
    const beyond = compare(metrics({ accuracy: 0.9 }), metrics({ accuracy: 0.84 }), thresholds);
    const better = compare(metrics({ accuracy: 0.9 }), metrics({ accuracy: 0.99 }), thresholds);
    // Assess
    expect(within.passed).toBe(true);
    expect(beyond.passed).toBe(false);
    expect(beyond.deltas).toEqual([
      { metric: 'accuracy', baseline: 0.9, actual: 0.84, tolerance: 0.05, passed: false },
    ]);
    expect(better.passed).toBe(true);
  });

  it('allows a max-metric to rise by up to the tolerance and no further', () => {
    // Prepare
    const thresholds = [threshold('latencyP95Ms', 'max', 1500, 200)];
    // Act
    const within = compare(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 1200 }), thresholds);
    const beyond = compare(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 1420 }), thresholds);
    const faster = compare(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 300 }), thresholds);
    // Assess
    expect([within.passed, beyond.passed, faster.passed]).toEqual([true, false, true]);
  });

  it('passes when the baseline has no value or no metrics at all', () => {
    // Prepare
    const thresholds = [threshold('fallbackSuccessRate', 'min', 0.9, 0.02)];
    // Act
    const noValue = compare(metrics(), metrics({ fallbackSuccessRate: 0.5 }), thresholds);
    const noMetrics = compare(null, metrics({ fallbackSuccessRate: 0.5 }), thresholds);
    // Assess
    expect(noValue.passed).toBe(true);
    expect(noValue.deltas).toEqual([
      { metric: 'fallbackSuccessRate', baseline: null, actual: 0.5, tolerance: 0.02, passed: true },
    ]);
    expect(noMetrics.passed).toBe(true);
  });

  it('fails when the candidate lacks a metric the baseline has', () => {
    // Prepare
    const thresholds = [threshold('fallbackSuccessRate', 'min', 0.9, 0.02)];
    // Act
    const comparison = compare(metrics({ fallbackSuccessRate: 0.95 }), metrics(), thresholds);
    // Assess
    expect(comparison.passed).toBe(false);
  });

  it('compares only thresholds that carry a regression tolerance', () => {
    // Prepare
    const thresholds = [threshold('accuracy', 'min', 0.8), threshold('costMeanUsd', 'max', 0.01, 0.0001)];
    // Act
    const comparison = compare(metrics({ accuracy: 0.99 }), metrics({ accuracy: 0.81 }), thresholds);
    // Assess
    expect(comparison).toMatchObject({ baseline: 'active', candidateId: 'rc-1', evalRunId: 'run-1', passed: true });
    expect(comparison.deltas.map((d) => d.metric)).toEqual(['costMeanUsd']);
  });
});

describe('eval verdict', () => {
  it('passes with no reasons when every threshold and comparison passes', () => {
    // Prepare
    const thresholds = [threshold('accuracy', 'min', 0.8, 0.05)];
    const verdicts = applyThresholds(metrics(), thresholds);
    const comparisons = [compare(metrics(), metrics(), thresholds)];
    // Act
    const verdict = evalVerdict(verdicts, comparisons);
    // Assess
    expect(verdict).toEqual({ passed: true, failureReasons: [] });
  });

  it('explains each failed threshold and regression in words', () => {
    // Prepare
    const thresholds = [
      threshold('schemaValidRate', 'min', 0.95),
      threshold('latencyP95Ms', 'max', 1500, 200),
      threshold('fallbackSuccessRate', 'min', 0.9),
      threshold('accuracy', 'min', 0.8, 0.02),
    ];
    const candidate = metrics({ schemaValidRate: 0.82, latencyP95Ms: 1620, accuracy: 0.85 });
    const verdicts = applyThresholds(candidate, thresholds);
    const comparisons = [
      compare(metrics({ latencyP95Ms: 1200 }), candidate, thresholds),
      compareWithBaseline({
        baseline: 'last_known_good',
        candidateId: 'rc-1',
        evalRunId: 'run-1',
        baselineMetrics: metrics({ accuracy: 0.93, latencyP95Ms: 1600 }),
        metrics: candidate,
        thresholds,
      }),
    ];
    // Act
    const verdict = evalVerdict(verdicts, comparisons);
    // Assess
    expect(verdict.passed).toBe(false);
    expect(verdict.failureReasons).toEqual([
      'schemaValidRate 0.82 below minimum 0.95',
      'latencyP95Ms 1620 above maximum 1500',
      'fallbackSuccessRate has no data (minimum 0.9)',
      'latencyP95Ms regressed by 420 against the active release (tolerance 200)',
      'accuracy regressed by 0.05 against the active release (tolerance 0.02)',
      'accuracy regressed by 0.08 against the last-known-good release (tolerance 0.02)',
    ]);
  });

  it('fails on a regression alone and says when the candidate has no data to compare', () => {
    // Prepare
    const thresholds = [threshold('fallbackSuccessRate', 'max', 1, 0.1)];
    const comparisons = [compare(metrics({ fallbackSuccessRate: 0.9 }), metrics(), thresholds)];
    // Act
    const verdict = evalVerdict([], comparisons);
    // Assess
    expect(verdict).toEqual({
      passed: false,
      failureReasons: ['fallbackSuccessRate has no data to compare with the active release (0.9)'],
    });
  });

  it('formats numbers briefly for people', () => {
    // Prepare
    const values = [1500, 1620.456, 0.82, 0.08000000000000007, 0.000123456, -2.5];
    // Act
    const texts = values.map(formatNumber);
    // Assess
    expect(texts).toEqual(['1500', '1620.46', '0.82', '0.08', '0.0001235', '-2.5']);
  });
});
