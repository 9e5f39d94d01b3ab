import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addResult,
  type EvalAggregate,
  emptyAggregate,
  finishMetrics,
  isSliceTag,
  mergeAggregates,
  nearestRank,
} from '../../../functions/domain/eval/index.js';
import type { CaseResult } from '../../../functions/domain/types.js';

function result(overrides: Partial<CaseResult> = {}): CaseResult {
  const expectedLabel = overrides.expectedLabel === undefined ? 'a' : overrides.expectedLabel;
  const predictedLabel = overrides.predictedLabel === undefined ? expectedLabel : overrides.predictedLabel;
  return {
    caseId: 'c',
    tags: [],
    expectedLabel,
    predictedLabel,
    output: predictedLabel === null ? null : { label: predictedLabel },
    correct: expectedLabel !== null && predictedLabel === expectedLabel,
    schemaValid: true,
    latencyMs: 100,
    costUsd: 0.001,
    timedOut: false,
    fallbackUsed: false,
    fallbackSucceeded: false,
    error: null,
    ...overrides,
  };
}

function aggregate(results: CaseResult[]): EvalAggregate {
  const agg = emptyAggregate();
  for (const r of results) addResult(agg, r);
  return agg;
}

describe('metrics', () => {
  it('reports every metric as null and no slices when there are no results', () => {
    // Prepare
    const agg = emptyAggregate();
    // Act
    const { metrics, slices } = finishMetrics(agg);
    // Assess
    expect(Object.values(metrics).every((v) => v === null)).toBe(true);
    expect(slices).toEqual([]);
  });

  it('computes accuracy over labelled cases only', () => {
    // Prepare: 3 of 4 labelled cases right; the generative case does not count.
    const results = [
      result({ expectedLabel: 'a', predictedLabel: 'a' }),
      result({ expectedLabel: 'b', predictedLabel: 'b' }),
      result({ expectedLabel: 'b', predictedLabel: 'b' }),
      result({ expectedLabel: 'a', predictedLabel: 'b' }),
      result({ expectedLabel: null, predictedLabel: 'x', correct: false }),
    ];
    // Act
    const { metrics } = finishMetrics(aggregate(results));
    // Assess
    expect(metrics.accuracy).toBe(0.75);
  });

  it('computes macro-F1 over three labels as calculated by hand', () => {
    // Prepare
    // a: tp 2, fp 1, fn 1 -> F1 4/6; b: tp 1, fp 1, fn 1 -> 2/4; c: tp 1, fp 0, fn 1 (no output) -> 2/3.
    const results = [
      result({ expectedLabel: 'a', predictedLabel: 'a' }),
      result({ expectedLabel: 'a', predictedLabel: 'a' }),
      result({ expectedLabel: 'a', predictedLabel: 'b' }),
      result({ expectedLabel: 'b', predictedLabel: 'b' }),
      result({ expectedLabel: 'b', predictedLabel: 'a' }),
      result({ expectedLabel: 'c', predictedLabel: 'c' }),
      result({ expectedLabel: 'c', predictedLabel: null, timedOut: true, schemaValid: false }),
    ];
    // Act
    const { metrics } = finishMetrics(aggregate(results));
    // Assess
    expect(metrics.macroF1).toBeCloseTo((4 / 6 + 2 / 4 + 2 / 3) / 3, 12);
    expect(metrics.macroF1).toBeCloseTo(11 / 18, 12);
    expect(metrics.accuracy).toBeCloseTo(4 / 7, 12);
  });

  it('counts a predicted label outside the expected labels in macro-F1', () => {
    // Prepare: a: tp 1, fn 1 -> 2/3; z: fp 1 -> 0.
    const results = [result({ expectedLabel: 'a' }), result({ expectedLabel: 'a', predictedLabel: 'z' })];
    // Act
    const { metrics } = finishMetrics(aggregate(results));
    // Assess
    expect(metrics.macroF1).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });

  it('takes the p95 latency by nearest rank', () => {
    // Prepare
    const twenty = [7, 3, 20, 1, 15, 2, 19, 4, 18, 5, 17, 6, 16, 8, 14, 9, 13, 10, 12, 11];
    const twentyOne = [...twenty, 21];
    // Act
    const p95Of20 = finishMetrics(aggregate(twenty.map((latencyMs) => result({ latencyMs })))).metrics;
    const p95Of21 = finishMetrics(aggregate(twentyOne.map((latencyMs) => result({ latencyMs })))).metrics;
    const single = finishMetrics(aggregate([result({ latencyMs: 42 })])).metrics;
    // Assess: ceil(0.95 * 20) = 19th value, ceil(0.95 * 21) = 20th.
    expect(p95Of20.latencyP95Ms).toBe(19);
    expect(p95Of20.latencyMeanMs).toBe(10.5);
    expect(p95Of21.latencyP95Ms).toBe(20);
    expect(single.latencyP95Ms).toBe(42);
    expect(nearestRank([1, 2, 3], 0)).toBe(1);
    expect(nearestRank([], 95)).toBeNull();
  });

  it('computes schema-valid, timeout and fallback-success rates and mean cost', () => {
    // Prepare
    const results = [
      result({ costUsd: 0.001 }),
      result({ costUsd: 0.002, schemaValid: false }),
      result({ costUsd: 0.003, timedOut: true, fallbackUsed: true, fallbackSucceeded: true }),
      result({ costUsd: 0.004, timedOut: true, fallbackUsed: true, fallbackSucceeded: true }),
      result({ costUsd: 0, timedOut: true, fallbackUsed: true, schemaValid: false, predictedLabel: null }),
    ];
    // Act
    const { metrics } = finishMetrics(aggregate(results));
    // Assess
    expect(metrics.schemaValidRate).toBe(3 / 5);
    expect(metrics.timeoutRate).toBe(3 / 5);
    expect(metrics.fallbackSuccessRate).toBe(2 / 3);
    expect(metrics.costMeanUsd).toBeCloseTo(0.002, 15);
  });

  it('leaves the fallback success rate null when no fallback was used', () => {
    // Prepare
    const results = [result({ timedOut: true, predictedLabel: null })];
    // Act
    const { metrics } = finishMetrics(aggregate(results));
    // Assess
    expect(metrics.fallbackSuccessRate).toBeNull();
    expect(metrics.timeoutRate).toBe(1);
  });

  it('reports accuracy per key:value slice and the largest gap between slices', () => {
    // Prepare: lang:en 2/2, lang:de 1/2, segment:enterprise 2/3 (generative cases aside); plain and malformed tags are not slices.
    const results = [
      result({ tags: ['lang:en', 'segment:enterprise', 'smoke'] }),
      result({ tags: ['lang:en'] }),
      result({ tags: ['lang:de', 'segment:enterprise', 'lang:'] }),
      result({ tags: ['lang:de', ':x'], predictedLabel: 'b' }),
      result({ tags: ['segment:enterprise'], predictedLabel: null }),
      result({ tags: ['segment:enterprise'], expectedLabel: null, predictedLabel: 'a', correct: true }),
    ];
    // Act
    const { metrics, slices } = finishMetrics(aggregate(results));
    // Assess
    expect(slices).toEqual([
      { slice: 'lang:de', cases: 2, accuracy: 0.5 },
      { slice: 'lang:en', cases: 2, accuracy: 1 },
      { slice: 'segment:enterprise', cases: 3, accuracy: 2 / 3 },
    ]);
    expect(metrics.sliceAccuracyGap).toBe(0.5);
  });

  it('leaves the slice gap null with fewer than two slices', () => {
    // Prepare
    const results = [result({ tags: ['lang:en'] }), result({ tags: ['lang:en'], predictedLabel: 'b' })];
    // Act
    const { metrics, slices } = finishMetrics(aggregate(results));
    // Assess
    expect(slices).toEqual([{ slice: 'lang:en', cases: 2, accuracy: 0.5 }]);
    expect(metrics.sliceAccuracyGap).toBeNull();
  });

  it('recognises slice tags of the form key:value', () => {
    // Prepare
    const tags = ['lang:de', 'segment:enterprise', 'a:b:c', 'smoke', 'lang:', ':de'];
    // Act
    const recognised = tags.map(isSliceTag);
    // Assess
    expect(recognised).toEqual([true, true, true, false, false, false]);
  });

  it('counts labels and tags named like Object.prototype members as ordinary keys', () => {
    // Prepare
    const results = [
      result({ expectedLabel: 'constructor', predictedLabel: '__proto__', tags: ['__proto__:x'] }),
      result({ expectedLabel: '__proto__', predictedLabel: '__proto__', tags: ['toString:y'] }),
    ];
    // Act
    const agg = mergeAggregates(aggregate(results), JSON.parse(JSON.stringify(aggregate(results))));
    const { metrics, slices } = finishMetrics(agg);
    // Assess
    expect(Object.keys(agg.labels).sort()).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(agg.labels)).toBe(Object.prototype);
    // constructor: fn 2 -> 0; __proto__: tp 2, fp 2 -> 4/6.
    expect(metrics.macroF1).toBeCloseTo((0 + 4 / 6) / 2, 12);
    expect(slices.map((s) => s.slice)).toEqual(['__proto__:x', 'toString:y']);
  });

  it('gives the same aggregate and metrics whether results are aggregated at once or in two merged parts', () => {
    // Prepare
    const label = fc.constantFrom<string | null>(null, 'a', 'b', 'c', 'e', 'f');
    const caseResult = fc
      .record({
        caseId: fc.string({ maxLength: 4 }),
        tags: fc.subarray(['lang:de', 'lang:en', 'segment:smb', 'smoke']),
        expectedLabel: label,
        predictedLabel: fc.constantFrom<string | null>(null, 'a', 'b', 'c', 'd', 'e', 'f'),
        generativeCorrect: fc.boolean(),
        schemaValid: fc.boolean(),
        latencyMs: fc.integer({ min: 0, max: 600_000 }).map((x) => x / 10),
        costUsd: fc.integer({ min: 0, max: 10_000_000 }).map((x) => x / 1e9),
        timedOut: fc.boolean(),
        fallbackUsed: fc.boolean(),
        fallbackSucceeded: fc.boolean(),
      })
      .map(({ generativeCorrect, ...r }) =>
        result({
          ...r,
          output: null,
          correct: r.expectedLabel === null ? generativeCorrect : r.predictedLabel === r.expectedLabel,
        }),
      );
    const property = fc.property(fc.array(caseResult, { maxLength: 60 }), fc.nat(), (results, cut) => {
      // Act
      const at = results.length === 0 ? 0 : cut % (results.length + 1);
      const whole = aggregate(results);
      const left = JSON.parse(JSON.stringify(aggregate(results.slice(0, at)))) as EvalAggregate;
      const right = JSON.parse(JSON.stringify(aggregate(results.slice(at)))) as EvalAggregate;
      const merged = mergeAggregates(left, right);
      const reversed = mergeAggregates(right, left);
      // Assess
      expect(merged).toEqual(whole);
      expect(finishMetrics(merged)).toEqual(finishMetrics(whole));
      expect(finishMetrics(reversed)).toEqual(finishMetrics(whole));
    });
    fc.assert(property, { numRuns: 500 });
  });

  it('does not change either input when merging', () => {
    // Prepare
    const a = aggregate([result({ tags: ['lang:de'] })]);
    const b = aggregate([result({ expectedLabel: 'b', tags: ['lang:de'] })]);
    const before = JSON.stringify([a, b]);
    // Act
    mergeAggregates(a, b);
    // Assess
    expect(JSON.stringify([a, b])).toBe(before);
  });
});
