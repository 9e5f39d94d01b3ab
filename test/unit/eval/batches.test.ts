import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  type EvalAggregate,
  finishMetrics,
  labelsOf,
  mergeAggregates,
  planBatches,
  type SimulatedModelConfig,
  scoreBatch,
} from '../../../functions/domain/eval/index.js';
import type { EvalCase } from '../../../functions/domain/types.js';

const prompt = {
  template: 'Route the request: {{text}}',
  outputContract: { type: 'object', required: ['label'], properties: { label: { type: 'string' } } },
};
const modelConfig: SimulatedModelConfig = {
  model: 'gpt-4o',
  parameters: { temperature: 0.4, maxTokens: 256, topP: 1 },
  timeoutMs: 1200,
  fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o-mini', maxRetries: 1 },
  costRates: { inputPer1k: 0.0025, outputPer1k: 0.01 },
};
const cases: EvalCase[] = Array.from({ length: 103 }, (_, i) => ({
  caseId: `r-${i}`,
  input: { text: `request ${i}` },
  expectedLabel: i % 10 === 9 ? null : (['search', 'orders', 'returns'][i % 3] as string),
  expectedOutput: null,
  tags: [`segment:${i % 4 === 0 ? 'enterprise' : 'smb'}`],
}));

describe('batches', () => {
  it('plans consecutive batches that cover every case once', () => {
    // Prepare
    const total = 10;
    // Act
    const batches = planBatches(total, 4);
    // Assess
    expect(batches).toEqual([
      { batchIndex: 0, start: 0, end: 4 },
      { batchIndex: 1, start: 4, end: 8 },
      { batchIndex: 2, start: 8, end: 10 },
    ]);
    expect(planBatches(0, 5)).toEqual([]);
    expect(planBatches(5, 5)).toEqual([{ batchIndex: 0, start: 0, end: 5 }]);
  });

  it('refuses a negative or fractional total and a batch size below one', () => {
    // Prepare
    const bad: [number, number][] = [
      [-1, 5],
      [2.5, 5],
      [10, 0],
      [10, 1.5],
    ];
    // Act
    const outcomes = bad.map(
      ([total, size]) =>
        () =>
          planBatches(total, size),
    );
    // Assess
    for (const act of outcomes) expect(act).toThrow(RangeError);
  });

  it('derives the sorted distinct label set from the cases', () => {
    // Prepare
    const subset = cases.slice(0, 12);
    // Act
    const labels = labelsOf(subset);
    // Assess
    expect(labels).toEqual(['orders', 'returns', 'search']);
  });

  it('gives the same metrics whether the run is scored in one batch or in merged planned batches', () => {
    // Prepare
    const labels = labelsOf(cases);
    const snapshotHash = 'sha256:feedface';
    // Act
    const whole = scoreBatch({ executor: 'simulated', snapshotHash, cases, labels, prompt, modelConfig });
    const parts = planBatches(cases.length, 25).map(({ start, end }) =>
      scoreBatch({ executor: 'simulated', snapshotHash, cases: cases.slice(start, end), labels, prompt, modelConfig }),
    );
    const merged = parts.map((p) => p.aggregate).reduce((a: EvalAggregate, b) => mergeAggregates(a, b));
    // Assess
    expect(parts.flatMap((p) => p.results)).toEqual(whole.results);
    expect(finishMetrics(merged)).toEqual(finishMetrics(whole.aggregate));
    expect(whole.aggregate.cases).toBe(103);
  });

  it('scores submitted outputs matched to their cases by id', () => {
    // Prepare
    const batch = cases.slice(0, 3);
    const submissions = [
      { caseId: 'r-2', output: { label: 'returns' }, latencyMs: 300 },
      { caseId: 'r-0', output: { label: 'search' }, latencyMs: 100 },
      { caseId: 'r-1', output: null, latencyMs: 5000, timedOut: true, error: 'timeout' },
    ];
    // Act
    const { results, aggregate } = scoreBatch({ executor: 'submitted', cases: batch, prompt, submissions });
    // Assess
    expect(results.map((r) => [r.caseId, r.correct])).toEqual([
      ['r-0', true],
      ['r-1', false],
      ['r-2', true],
    ]);
    expect(finishMetrics(aggregate).metrics).toMatchObject({ accuracy: 2 / 3, timeoutRate: 1 / 3, latencyP95Ms: 5000 });
  });

  it('refuses submissions that are missing, duplicated or for cases outside the batch', () => {
    // Prepare
    const batch = cases.slice(0, 2);
    const submissions = [
      { caseId: 'r-0', output: null, latencyMs: 1 },
      { caseId: 'r-0', output: null, latencyMs: 1 },
      { caseId: 'r-77', output: null, latencyMs: 1 },
    ];
    // Act
    let caught: unknown;
    try {
      scoreBatch({ executor: 'submitted', cases: batch, prompt, submissions });
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).detail).toEqual({ missing: ['r-1'], duplicates: ['r-0'], unknown: ['r-77'] });
  });
});
