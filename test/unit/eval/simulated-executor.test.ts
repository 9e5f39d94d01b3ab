import { describe, expect, it } from 'vitest';
import {
  expectedSimulation,
  finishMetrics,
  isSchemaValid,
  modelProfile,
  type SimulatedModelConfig,
  type SimulatedPrompt,
  scoreBatch,
  simulateCase,
} from '../../../functions/domain/eval/index.js';
import type { CaseResult, EvalCase } from '../../../functions/domain/types.js';

const LABELS = ['billing', 'technical', 'account'];
const SNAPSHOT = 'sha256:1f0c6a7e5b2d4c3a9e8f7d6c5b4a39281706f5e4d3c2b1a0998877665544332211';

const contract = {
  type: 'object',
  required: ['label', 'confidence', 'rationale'],
  properties: {
    label: { type: 'string', enum: LABELS },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    rationale: { type: 'string' },
  },
  additionalProperties: false,
};
const prompt: SimulatedPrompt = { template: 'Classify this support ticket: {{text}}', outputContract: contract };

function config(overrides: Partial<SimulatedModelConfig> & { temperature?: number; maxTokens?: number } = {}) {
  const { temperature = 0.2, maxTokens = 512, ...rest } = overrides;
  const modelConfig: SimulatedModelConfig = {
    model: 'gpt-4o-mini',
    parameters: { temperature, maxTokens, topP: 1 },
    timeoutMs: 5000,
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.15, outputPer1k: 0.6 },
    ...rest,
  };
  return modelConfig;
}

function cases(count: number, offset = 0): EvalCase[] {
  return Array.from({ length: count }, (_, i) => ({
    caseId: `case-${String(i + offset).padStart(5, '0')}`,
    input: { text: `ticket ${i + offset}: my invoice is wrong` },
    expectedLabel: LABELS[(i + offset) % LABELS.length] as string,
    expectedOutput: null,
    tags: [(i + offset) % 2 === 0 ? 'lang:en' : 'lang:de'],
  }));
}

function run(modelConfig: SimulatedModelConfig, evalCases: EvalCase[], snapshotHash = SNAPSHOT, p = prompt) {
  return scoreBatch({ executor: 'simulated', snapshotHash, cases: evalCases, labels: LABELS, prompt: p, modelConfig });
}

describe('simulated executor', () => {
  it('gives the same result every time for the same snapshot, case and config', () => {
    // Prepare
    const evalCases = cases(200);
    // Act
    const first = run(config({ temperature: 0.7 }), evalCases).results;
    const second = run(config({ temperature: 0.7 }), evalCases).results;
    const alone = simulateCase({
      snapshotHash: SNAPSHOT,
      evalCase: evalCases[17] as EvalCase,
      labels: LABELS,
      prompt,
      modelConfig: config({ temperature: 0.7 }),
    });
    // Assess
    expect(second).toEqual(first);
    expect(alone).toEqual(first[17]);
  });

  it('changes some results when the snapshot hash changes', () => {
    // Prepare
    const evalCases = cases(100);
    // Act
    const before = run(config(), evalCases, SNAPSHOT).results;
    const after = run(config(), evalCases, `${SNAPSHOT.slice(0, -1)}2`).results;
    // Assess
    const changedLatency = before.filter((r, i) => r.latencyMs !== after[i]?.latencyMs).length;
    const changedLabel = before.filter((r, i) => r.predictedLabel !== after[i]?.predictedLabel).length;
    expect(changedLatency).toBeGreaterThan(80);
    expect(changedLabel).toBeGreaterThan(5);
  });

  it('predicts labels only from the dataset labels and mostly the expected one for a good model', () => {
    // Prepare
    const evalCases = cases(600);
    // Act
    const { results, aggregate } = run(config({ model: 'claude-opus', temperature: 0 }), evalCases);
    // Assess
    expect(results.every((r) => r.predictedLabel !== null && LABELS.includes(r.predictedLabel))).toBe(true);
    expect(results.every((r) => r.correct === (r.predictedLabel === r.expectedLabel))).toBe(true);
    expect(finishMetrics(aggregate).metrics.accuracy).toBeGreaterThan(0.92);
  });

  it('scores a weaker model and a hotter temperature lower on accuracy', () => {
    // Prepare
    const evalCases = cases(1000);
    // Act
    const large = finishMetrics(run(config({ model: 'mistral-large', temperature: 0 }), evalCases).aggregate);
    const small = finishMetrics(run(config({ model: 'small-model', temperature: 0 }), evalCases).aggregate);
    const hot = finishMetrics(run(config({ model: 'small-model', temperature: 1.5 }), evalCases).aggregate);
    // Assess
    expect(large.metrics.accuracy).toBeGreaterThan(small.metrics.accuracy as number);
    expect(small.metrics.accuracy).toBeGreaterThan(hot.metrics.accuracy as number);
  });

  it('lowers the schema-valid rate over 500 cases when the temperature rises', () => {
    // Prepare
    const evalCases = cases(500);
    // Act
    const cool = finishMetrics(run(config({ temperature: 0.1 }), evalCases).aggregate).metrics;
    const hot = finishMetrics(run(config({ temperature: 0.95 }), evalCases).aggregate).metrics;
    // Assess
    expect(cool.schemaValidRate).toBeGreaterThanOrEqual(0.95);
    expect(hot.schemaValidRate).toBeLessThan(0.82);
    expect(hot.schemaValidRate).toBeGreaterThan(0.6);
  });

  it('marks a malformed output invalid by validating it against the output contract', () => {
    // Prepare
    const evalCases = cases(300);
    // Act
    const { results } = run(config({ temperature: 1 }), evalCases);
    // Assess
    const invalid = results.filter((r) => !r.schemaValid);
    expect(invalid.length).toBeGreaterThan(30);
    for (const r of invalid) {
      const output = r.output as Record<string, unknown>;
      const missing = ['label', 'confidence', 'rationale'].some((k) => !(k in output));
      const wrongType = typeof output.confidence !== 'number' || typeof output.rationale !== 'string';
      expect(missing || wrongType).toBe(true);
      expect(isSchemaValid(contract, output)).toBe(false);
    }
    expect(results.filter((r) => r.schemaValid).every((r) => isSchemaValid(contract, r.output))).toBe(true);
    // The label survives malformation when other required fields can be damaged instead.
    expect(invalid.every((r) => r.predictedLabel !== null)).toBe(true);
  });

  it('loses the prediction of a malformed output when the label is the only required field', () => {
    // Prepare
    const labelOnly = { type: 'object', required: ['label'], properties: { label: { type: 'string' } } };
    // Act
    const { results } = run(config({ temperature: 1.2 }), cases(300), SNAPSHOT, {
      template: 'x',
      outputContract: labelOnly,
    });
    // Assess
    const invalid = results.filter((r) => !r.schemaValid);
    expect(invalid.length).toBeGreaterThan(20);
    expect(invalid.every((r) => r.predictedLabel === null && !r.correct)).toBe(true);
  });

  it('fills every property a contract declares or requires with a value of its type', () => {
    // Prepare
    const rich = {
      type: 'object',
      required: ['label', 'score', 'flags', 'meta', 'kind', 'version', 'ok', 'nothing', 'free', 'undeclared'],
      properties: {
        label: { type: 'string' },
        score: { type: 'integer' },
        flags: { type: 'array' },
        meta: { type: 'object' },
        kind: { enum: ['alpha', 'beta'] },
        version: { const: 2 },
        ok: { type: 'boolean' },
        nothing: { type: 'null' },
        free: {},
        ratio: { type: ['number', 'null'] },
      },
    };
    // Act
    const result = simulateCase({
      snapshotHash: SNAPSHOT,
      evalCase: cases(1)[0] as EvalCase,
      labels: LABELS,
      prompt: { template: 't', outputContract: rich },
      modelConfig: config({ temperature: 0 }),
    });
    // Assess
    expect(result.output).toMatchObject({
      score: 1,
      flags: [],
      meta: {},
      kind: 'alpha',
      version: 2,
      ok: true,
      nothing: null,
      free: 'simulated',
      ratio: 0.5,
      undeclared: 'simulated',
    });
    expect(result.output).toHaveProperty('confidence');
    expect(result.schemaValid).toBe(true);
  });

  it('leaves out undeclared standard fields when the contract is closed', () => {
    // Prepare
    const closed = {
      type: 'object',
      required: ['label'],
      properties: { label: { type: 'string' } },
      additionalProperties: false,
    };
    // Act
    const result = simulateCase({
      snapshotHash: SNAPSHOT,
      evalCase: cases(1)[0] as EvalCase,
      labels: LABELS,
      prompt: { template: 't', outputContract: closed },
      modelConfig: config({ temperature: 0 }),
    });
    // Assess
    expect(Object.keys(result.output ?? {})).toEqual(['label']);
    expect(result.schemaValid).toBe(true);
  });

  it('times out every case whose latency exceeds timeoutMs and leaves it without output when no fallback is set', () => {
    // Prepare
    const evalCases = cases(200);
    // Act
    const { results } = run(config({ model: 'claude-opus', timeoutMs: 2000 }), evalCases);
    // Assess
    const timedOut = results.filter((r) => r.timedOut);
    expect(timedOut.length).toBeGreaterThan(40);
    expect(timedOut.length).toBeLessThan(200);
    for (const r of timedOut) {
      expect(r).toMatchObject({ output: null, predictedLabel: null, correct: false, schemaValid: false });
      expect(r.latencyMs).toBe(2000);
      expect(r.fallbackUsed).toBe(false);
      expect(r.error).toBe('timed out after 2000 ms');
    }
    expect(results.filter((r) => !r.timedOut).every((r) => r.latencyMs <= 2000 && r.output !== null)).toBe(true);
  });

  it('raises the timeout rate monotonically as timeoutMs shrinks', () => {
    // Prepare
    const evalCases = cases(300);
    // Act
    const rates = [4000, 1200, 700, 400].map(
      (timeoutMs) => finishMetrics(run(config({ timeoutMs }), evalCases).aggregate).metrics.timeoutRate as number,
    );
    // Assess
    expect(rates[0]).toBe(0);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
    expect(rates[3]).toBeGreaterThan(0.8);
  });

  it('answers timed-out cases from the fallback model, which mostly succeeds', () => {
    // Prepare
    const evalCases = cases(500);
    const modelConfig = config({
      model: 'claude-opus',
      timeoutMs: 1500,
      fallbackPolicy: { enabled: true, fallbackModel: 'claude-haiku', maxRetries: 0 },
    });
    // Act
    const { results, aggregate } = run(modelConfig, evalCases);
    const metrics = finishMetrics(aggregate).metrics;
    // Assess
    expect(results.every((r) => r.fallbackUsed === r.timedOut)).toBe(true);
    expect(metrics.timeoutRate).toBeGreaterThan(0.6);
    expect(metrics.fallbackSuccessRate).toBeGreaterThan(0.84);
    expect(metrics.fallbackSuccessRate).toBeLessThan(0.96);
    for (const r of results.filter((x) => x.fallbackSucceeded)) {
      expect(r.output).not.toBeNull();
      expect(r.error).toBeNull();
      expect(r.latencyMs).toBeGreaterThan(1500);
    }
    for (const r of results.filter((x) => x.fallbackUsed && !x.fallbackSucceeded)) {
      expect(r).toMatchObject({ output: null, correct: false, schemaValid: false });
      expect(r.error).toContain('fallback claude-haiku failed after 1 attempt(s)');
    }
  });

  it('makes fallbacks more reliable with retries and fails them when the fallback is slower than the timeout', () => {
    // Prepare
    const evalCases = cases(400);
    const withRetries = config({
      model: 'claude-opus',
      timeoutMs: 1500,
      fallbackPolicy: { enabled: true, fallbackModel: 'claude-haiku', maxRetries: 2 },
    });
    const sameSlowModel = config({
      model: 'claude-opus',
      timeoutMs: 800,
      fallbackPolicy: { enabled: true, fallbackModel: null, maxRetries: 1 },
    });
    // Act
    const retried = finishMetrics(run(withRetries, evalCases).aggregate).metrics;
    const slow = run(sameSlowModel, evalCases).results;
    // Assess
    expect(retried.fallbackSuccessRate).toBeGreaterThan(0.99);
    expect(slow.every((r) => r.timedOut && r.fallbackUsed && !r.fallbackSucceeded)).toBe(true);
    expect(slow.every((r) => r.latencyMs === 800 + 2 * 800)).toBe(true);
    expect(slow[0]?.error).toContain('fallback claude-opus failed after 2 attempt(s)');
  });

  it('grows latency with the model tier and maxTokens, near the documented p95', () => {
    // Prepare
    const evalCases = cases(2000);
    const configs = [
      config({ model: 'gpt-4o-mini', maxTokens: 256, timeoutMs: 60000 }),
      config({ model: 'gpt-4o', maxTokens: 256, timeoutMs: 60000 }),
      config({ model: 'gpt-4o', maxTokens: 2048, timeoutMs: 60000 }),
      config({ model: 'claude-opus', maxTokens: 256, timeoutMs: 60000 }),
    ];
    // Act
    const p95s = configs.map((c) => finishMetrics(run(c, evalCases).aggregate).metrics.latencyP95Ms as number);
    // Assess
    expect(p95s).toEqual([...p95s].sort((a, b) => a - b));
    configs.forEach((c, i) => {
      expect(Math.abs((p95s[i] as number) / expectedSimulation(c).p95LatencyMs - 1)).toBeLessThan(0.06);
    });
  });

  it('costs input and output tokens at the configured rates', () => {
    // Prepare
    const evalCase: EvalCase = {
      caseId: 'c1',
      input: { t: 'x' },
      expectedLabel: 'billing',
      expectedOutput: null,
      tags: [],
    };
    const modelConfig = config({ maxTokens: 10, costRates: { inputPer1k: 1, outputPer1k: 2 } });
    // Act
    const result = simulateCase({
      snapshotHash: SNAPSHOT,
      evalCase,
      labels: LABELS,
      prompt: { template: 'abcd', outputContract: contract },
      modelConfig,
    });
    // Assess: ceil((4 + 9) / 4) = 4 input tokens, min(10, 30 + ...) = 10 output tokens.
    expect(result.costUsd).toBe((4 * 1 + 10 * 2) / 1000);
  });

  it('bills only input tokens for timed-out calls and each fallback attempt', () => {
    // Prepare
    const evalCase: EvalCase = {
      caseId: 'c1',
      input: { t: 'x' },
      expectedLabel: 'billing',
      expectedOutput: null,
      tags: [],
    };
    const modelConfig = config({
      model: 'claude-opus',
      timeoutMs: 10,
      maxTokens: 10,
      costRates: { inputPer1k: 1, outputPer1k: 2 },
      fallbackPolicy: { enabled: true, fallbackModel: null, maxRetries: 1 },
    });
    // Act
    const result = simulateCase({
      snapshotHash: SNAPSHOT,
      evalCase,
      labels: LABELS,
      prompt: { template: 'abcd', outputContract: contract },
      modelConfig,
    });
    // Assess: the primary call and two failed fallback attempts each bill 4 input tokens.
    expect(result.fallbackSucceeded).toBe(false);
    expect(result.costUsd).toBe((3 * 4) / 1000);
  });

  it('judges generative cases by schema validity and the expected output label', () => {
    // Prepare
    const generative: EvalCase[] = cases(300).map((c, i) => ({
      ...c,
      expectedLabel: null,
      expectedOutput: i % 2 === 0 ? { label: 'billing' } : null,
    }));
    // Act
    const { results, aggregate } = run(config({ temperature: 0.9 }), generative);
    // Assess
    const withLabel = results.filter((_, i) => i % 2 === 0);
    const free = results.filter((_, i) => i % 2 === 1);
    expect(withLabel.every((r) => r.correct === (r.schemaValid && r.predictedLabel === 'billing'))).toBe(true);
    expect(free.every((r) => r.correct === r.schemaValid)).toBe(true);
    expect(withLabel.some((r) => r.schemaValid && !r.correct)).toBe(true);
    expect(finishMetrics(aggregate).metrics.accuracy).toBeNull();
  });

  it('still predicts a non-matching label when the label set offers no alternative', () => {
    // Prepare
    const evalCases = cases(200).map((c) => ({ ...c, expectedLabel: 'billing' }));
    const open = { type: 'object', required: ['label', 'confidence'] };
    // Act
    const onlyExpected = scoreBatch({
      executor: 'simulated',
      snapshotHash: SNAPSHOT,
      cases: evalCases,
      labels: ['billing'],
      prompt: { template: 't', outputContract: open },
      modelConfig: config({ temperature: 0.5 }),
    }).results;
    const unlisted = scoreBatch({
      executor: 'simulated',
      snapshotHash: SNAPSHOT,
      cases: evalCases,
      labels: ['technical', 'account'],
      prompt: { template: 't', outputContract: open },
      modelConfig: config({ temperature: 0.5 }),
    }).results;
    const generative = scoreBatch({
      executor: 'simulated',
      snapshotHash: SNAPSHOT,
      cases: evalCases.map((c) => ({ ...c, expectedLabel: null })),
      labels: [],
      prompt: { template: 't', outputContract: open },
      modelConfig: config({ temperature: 0.5 }),
    }).results;
    // Assess
    const wrong = (rs: CaseResult[]) => new Set(rs.filter((r) => !r.correct).map((r) => r.predictedLabel));
    expect(wrong(onlyExpected)).toEqual(new Set(['not billing']));
    expect(wrong(unlisted)).toEqual(new Set(['technical', 'account']));
    expect(new Set(generative.map((r) => r.predictedLabel))).toEqual(new Set(['generated']));
  });

  it('assigns model profiles by name', () => {
    // Prepare
    const names = ['GPT-4o-Mini', 'claude-3-haiku', 'claude-3-opus', 'mistral-large', 'gpt-4o'];
    // Act
    const tiers = names.map((n) => modelProfile(n).tier);
    // Assess
    expect(tiers).toEqual(['fast', 'fast', 'slow', 'slow', 'standard']);
  });

  it('predicts large-sample behaviour that seed data can be tuned against', () => {
    // Prepare
    const evalCases = cases(3000);
    const modelConfig = config({
      model: 'gpt-4o',
      temperature: 0.5,
      maxTokens: 512,
      timeoutMs: 1300,
      fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o-mini', maxRetries: 1 },
    });
    // Act
    const expected = expectedSimulation(modelConfig);
    const actual = finishMetrics(run(modelConfig, evalCases).aggregate).metrics;
    // Assess
    expect(actual.timeoutRate).toBeCloseTo(expected.timeoutProbability, 1);
    expect(actual.schemaValidRate).toBeCloseTo(expected.schemaValidRate, 1);
    expect(expected.malformedProbability).toBeCloseTo(0.085, 10);
  });
});
