// Sizing a run from its cases within the stage's ceilings, and the cap on distinct slices.
//
// AWS rules the sizing keeps to: an execution's history holds at most 25,000 events ("Service quotas", AWS Step
// Functions Developer Guide, docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), so an inline Map is
// kept to MAX_BATCHES_PER_RUN iterations; the Map state takes its concurrency from the input by MaxConcurrencyPath
// ("Map state", docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-map-state.html); DynamoDB items
// are at most 400 KB, which the slice cap keeps a batch aggregate far below.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  assertSliceCap,
  MAX_BATCHES_PER_RUN,
  MAX_SLICES_PER_RUN,
  sizeRun,
  sliceTagsOf,
} from '../../../functions/domain/eval/index.js';

const limits = { maxConcurrency: 10, runTimeoutSeconds: 86_400 };

describe('sizing a run', () => {
  it('runs a small run with as many batches at once as it has, not the ceiling', () => {
    const sizing = sizeRun({ totalCases: 500, executor: 'simulated' }, limits);
    expect(sizing).toMatchObject({ batchSize: 250, batchCount: 2, maxConcurrency: 2 });
  });

  it('gives a larger run a longer budget, within the ceiling', () => {
    const small = sizeRun({ totalCases: 1_000, executor: 'simulated' }, limits);
    const large = sizeRun({ totalCases: 100_000, executor: 'simulated' }, limits);
    expect(large.maxConcurrency).toBe(10);
    expect(large.runTimeoutSeconds).toBeGreaterThan(small.runTimeoutSeconds);
    expect(
      sizeRun({ totalCases: 100_000, executor: 'simulated' }, { ...limits, runTimeoutSeconds: 600 }),
    ).toMatchObject({ runTimeoutSeconds: 600 });
  });

  it('enlarges batches so that a huge run keeps within the batches an inline Map may hold', () => {
    const sizing = sizeRun({ totalCases: 1_000_000, executor: 'submitted' }, limits);
    expect(sizing.batchCount).toBeLessThanOrEqual(MAX_BATCHES_PER_RUN);
    expect(sizing.batchSize * sizing.batchCount).toBeGreaterThanOrEqual(1_000_000);
  });

  it("times an http batch from the endpoint's timeout and attempts, within a batch function's five minutes", () => {
    const quick = sizeRun({ totalCases: 50, executor: 'http', caseTimeoutMs: 2_000, attemptsPerCase: 1 }, limits);
    const slow = sizeRun({ totalCases: 50, executor: 'http', caseTimeoutMs: 60_000, attemptsPerCase: 3 }, limits);
    expect(quick.batchTimeoutSeconds).toBe(Math.ceil(Math.ceil(50 / 8) * 2 + 30));
    expect(slow.batchTimeoutSeconds).toBe(300);
  });

  it("cuts and times a submitted run whose cases wait for model grading as a provider run's, not in batches of 1,000", () => {
    const plain = sizeRun({ totalCases: 2_000, executor: 'submitted' }, limits);
    const graded = sizeRun({ totalCases: 2_000, executor: 'submitted', modelGraded: true }, limits);
    const provider = sizeRun({ totalCases: 2_000, executor: 'provider' }, limits);
    expect(plain).toMatchObject({ batchSize: 1_000, batchCount: 2 });
    expect(graded).toEqual(provider);
    expect(graded.batchTimeoutSeconds).toBeLessThanOrEqual(300);
  });
});

describe('the cap on distinct slices', () => {
  it('counts distinct key:value tags only', () => {
    expect(sliceTagsOf([{ tags: ['lang:en', 'vip', 'lang:en'] }, { tags: ['lang:de', ':x', 'y:'] }])).toEqual([
      'lang:de',
      'lang:en',
    ]);
  });

  it(`refuses ${MAX_SLICES_PER_RUN + 1} slices with TOO_MANY_SLICES naming the field, and takes ${MAX_SLICES_PER_RUN}`, () => {
    const tags = Array.from({ length: MAX_SLICES_PER_RUN + 1 }, (_, i) => `segment:${i}`);
    expect(() => assertSliceCap(tags.slice(1), 'cases')).not.toThrow();
    let error: unknown;
    try {
      assertSliceCap(tags, 'cases');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).detail).toEqual({
      code: 'TOO_MANY_SLICES',
      field: 'cases',
      limit: MAX_SLICES_PER_RUN,
      found: MAX_SLICES_PER_RUN + 1,
    });
  });
});
