// Scoring a window of production samples (ADR 0042): which assertions apply to a sample, the pass rates they give,
// and the drift judgement against the approval-time run's `assert.*` metrics.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { judgeMonitoringRun } from '../../../functions/domain/monitoring.js';
import { DEFAULT_POLICY, validatePolicy } from '../../../functions/domain/policy.js';
import {
  sampleAssertions,
  sampleJudgingPolicy,
  sampleMonitoringOf,
  scoreSampleWindow,
} from '../../../functions/domain/sample-scoring.js';
import type { Assertion, Metrics } from '../../../functions/domain/types.js';

const NO_ADVICE: Assertion = { type: 'not-contains', value: 'you should sue', name: 'no-legal-advice' };
const JSON_OUT: Assertion = { type: 'is-json', name: 'json' };

function samples(outputs: string[]) {
  return outputs.map((output, i) => ({ id: `smp_${i}`, input: 'q', output, latencyMs: 100 + i, costUsd: 0.001 }));
}

describe('the assertions a sample is scored with', () => {
  it('are the named dataset defaults that need no reference text, llm-rubric only with a judge', () => {
    // Prepare
    const datasets = [
      {
        defaultAssert: [
          NO_ADVICE,
          { type: 'equals', value: 'yes', name: 'exact' } as Assertion,
          { type: 'llm-rubric', value: 'polite', judge: 'jc_1', name: 'polite' } as Assertion,
          { type: 'contains', value: 'x' } as Assertion,
        ],
      },
    ];

    // Act
    const without = sampleAssertions(datasets, { judge: false });
    const withJudge = sampleAssertions(datasets, { judge: true });

    // Assess
    expect(without.assertions.map((a) => a.name)).toEqual(['no-legal-advice']);
    expect(without.skipped).toEqual([
      'exact (equals needs a reference text)',
      'polite (no judge service in this pass)',
    ]);
    expect(withJudge.assertions.map((a) => a.name)).toEqual(['no-legal-advice', 'polite']);
  });
});

describe('a window of samples scored', () => {
  it('gives each assertion name its pass rate, the overall pass rate, latency and cost', async () => {
    // Act
    const score = await scoreSampleWindow(samples(['{"a":1}', 'you should sue them', '{"b":2}', 'plain']), [
      NO_ADVICE,
      JSON_OUT,
    ]);

    // Assess
    expect(score.metrics['assert.no-legal-advice']).toBe(0.75);
    expect(score.metrics['assert.json']).toBe(0.5);
    expect(score.metrics['assert.pass_rate']).toBe(0.5);
    expect(score.metrics.latencyP95Ms).toBe(103);
    expect(score.metrics.costMeanUsd).toBeCloseTo(0.001);
    expect(score.metrics.accuracy).toBeNull();
    expect(score.failures).toContain('sample smp_1: no-legal-advice: the output contains "you should sue"');
  });

  it('scores llm-rubric through the judge service it is lent', async () => {
    // Prepare
    const rubric: Assertion = { type: 'llm-rubric', value: 'is polite', judge: 'jc_1', name: 'polite' };
    const judged: string[] = [];

    // Act
    const score = await scoreSampleWindow(samples(['thanks', 'go away']), [rubric], {
      rubric: async ({ output }) => {
        judged.push(output);
        return { pass: output === 'thanks', score: output === 'thanks' ? 1 : 0, reason: 'judged' };
      },
    });

    // Assess
    expect(judged).toEqual(['thanks', 'go away']);
    expect(score.metrics['assert.polite']).toBe(0.5);
  });
});

describe('the judgement of a scored window', () => {
  const baseline = {
    accuracy: 0.9,
    macroF1: 0.9,
    'assert.no-legal-advice': 1,
    'assert.json': 0.9,
  } as unknown as Metrics;

  it('finds drift when a pass rate drops beyond the tolerance, and none from the core metrics a window lacks', async () => {
    // Prepare
    const score = await scoreSampleWindow(samples(['ok', 'you should sue', 'ok', 'ok']), [NO_ADVICE]);
    const policy = sampleJudgingPolicy(DEFAULT_POLICY.monitoring, ['no-legal-advice']);

    // Act
    const verdict = judgeMonitoringRun({
      metrics: score.metrics,
      cases: 60,
      thresholdVerdicts: [],
      baselineMetrics: baseline,
      policy,
    });

    // Assess
    expect(policy.driftThresholds).toEqual([
      { metric: 'assert.no-legal-advice', direction: 'min', tolerance: 0.1, relative: false },
    ]);
    expect(verdict.causes).toEqual(['drift']);
    expect(verdict.reasons.drift).toEqual([
      'assert.no-legal-advice dropped by 0.25 against the approval-time run (1 → 0.75; allowed 0.1)',
    ]);
  });

  it('does not judge a window below the policy’s minimum of samples', async () => {
    // Prepare
    const score = await scoreSampleWindow(samples(['you should sue']), [NO_ADVICE]);

    // Act
    const verdict = judgeMonitoringRun({
      metrics: score.metrics,
      cases: 1,
      thresholdVerdicts: [],
      baselineMetrics: baseline,
      policy: sampleJudgingPolicy(DEFAULT_POLICY.monitoring, ['no-legal-advice']),
    });

    // Assess
    expect(verdict.driftJudged).toBe(false);
    expect(verdict.clean).toBe(true);
  });

  it('uses the policy’s own drift threshold of an assertion metric over the sample tolerance', () => {
    // Prepare
    const monitoring = {
      ...DEFAULT_POLICY.monitoring,
      driftThresholds: [{ metric: 'assert.json' as const, direction: 'min' as const, tolerance: 0.3, relative: false }],
      samples: { windowHours: 6, minSamples: 10, tolerance: 0.05, maxSamples: 100 },
    };

    // Act
    const policy = sampleJudgingPolicy(monitoring, ['json', 'no-legal-advice']);

    // Assess
    expect(policy.minCasesForDrift).toBe(10);
    expect(policy.driftThresholds.map((t) => [t.metric, t.tolerance])).toEqual([
      ['assert.json', 0.3],
      ['assert.no-legal-advice', 0.05],
    ]);
  });
});

describe('the policy’s monitoring.samples', () => {
  it('defaults when absent and is checked when given, naming the field', () => {
    // Act
    const defaults = sampleMonitoringOf(DEFAULT_POLICY.monitoring);
    const given = validatePolicy({
      ...DEFAULT_POLICY,
      monitoring: { ...DEFAULT_POLICY.monitoring, samples: { minSamples: 10 } },
    });
    const bad = () =>
      validatePolicy({
        ...DEFAULT_POLICY,
        monitoring: { ...DEFAULT_POLICY.monitoring, samples: { windowHours: 0, tolerance: 2 } },
      });

    // Assess
    expect(defaults).toEqual({ windowHours: 24, minSamples: 50, tolerance: 0.1, maxSamples: 2000 });
    expect(given.monitoring.samples).toEqual({ windowHours: 24, minSamples: 10, tolerance: 0.1, maxSamples: 2000 });
    expect(bad).toThrow(ValidationError);
    expect(bad).toThrow(/monitoring\.samples\.windowHours/);
    expect(bad).toThrow(/monitoring\.samples\.tolerance/);
  });
});
