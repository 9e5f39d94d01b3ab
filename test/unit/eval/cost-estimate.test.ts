// The run cost estimate and the spending rules (functions/domain/eval/cost-estimate.ts, ADR 0031): an upper bound
// by executor, routing weights as shares, fallbacks as billed calls, rates that are missing; the ceiling and the
// monitoring day budget as pure rules; monitoring.dailyBudget in the policy document.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  budgetAllows,
  budgetDay,
  budgetReservation,
  ceilingMessage,
  ceilingReached,
  estimateOverCeiling,
  estimateRunCost,
  inputJsonChars,
  perCallBound,
} from '../../../functions/domain/eval/index.js';
import { DEFAULT_POLICY, validatePolicy } from '../../../functions/domain/policy.js';
import type { ModelConfigVersion } from '../../../functions/domain/types.js';
import { renderTemplate } from '../../../functions/workflows/http-executor.js';

type Config = Pick<ModelConfigVersion, 'parameters' | 'routingPolicy' | 'fallbackPolicy' | 'costRates'>;

function config(overrides: Partial<Config> = {}): Config {
  return {
    parameters: { temperature: 0, maxTokens: 100, topP: 1 },
    routingPolicy: { strategy: 'single', routes: [{ target: 'primary', weight: 1 }] },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 1, outputPer1k: 2 },
    ...overrides,
  };
}

const prompt = { template: 'Classify: {{ticket}}', outputContract: { type: 'object' } };
const inputs = [{ ticket: 'printer on fire' }, { ticket: 'refund please, the parcel never came' }];
const sizes = { cases: inputs.length, inputJsonChars: inputJsonChars(inputs.map((input) => ({ input }))) };

describe('the run cost estimate', () => {
  it('bounds a simulated run by the simulator’s own token rule: template and input JSON over four, maxTokens out', () => {
    // Act
    const estimate = estimateRunCost({ executor: 'simulated', sizes, prompt, modelConfig: config() });

    // Assess
    const exact = inputs.reduce(
      (sum, input) => sum + Math.ceil((prompt.template.length + JSON.stringify(input).length) / 4),
      0,
    );
    expect(estimate.inputTokens).toBeGreaterThanOrEqual(exact);
    expect(estimate.inputTokens).toBeLessThanOrEqual(exact + inputs.length);
    expect(estimate.outputTokens).toBe(200);
    expect(estimate.callsPerCase).toBe(1);
    expect(estimate.cost).toBeCloseTo((estimate.inputTokens * 1 + 200 * 2) / 1000, 6);
    expect(estimate.cost).toBeGreaterThanOrEqual((estimate.inputTokens * 1 + 200 * 2) / 1000);
    expect(estimate).toMatchObject({ currency: 'USD', upperBound: true, cases: 2 });
    expect(estimate.basis).toContain('maxTokens (100)');
  });

  it('bounds the rendered prompt of a provider call and adds the output contract and the message framing', () => {
    // Act
    const simulated = estimateRunCost({ executor: 'simulated', sizes, prompt, modelConfig: config() });
    const provider = estimateRunCost({ executor: 'provider', sizes, prompt, modelConfig: config() });

    // Assess: each rendered prompt fits the estimate's per-case input.
    for (const input of inputs) {
      const rendered = renderTemplate(prompt.template, input).length;
      expect(rendered).toBeLessThanOrEqual(prompt.template.length + JSON.stringify(input).length);
    }
    expect(provider.inputTokens).toBeGreaterThan(simulated.inputTokens);
    expect(provider.callsPerCase).toBe(1);
    expect(provider.basis).toContain('the output contract');
  });

  it('counts each placeholder as taking the whole input, so a template that repeats one is still bounded', () => {
    // Prepare
    const twice = { ...prompt, template: '{{ticket}} -- once more: {{ticket}}' };

    // Act
    const estimate = estimateRunCost({ executor: 'provider', sizes, prompt: twice, modelConfig: config() });
    const once = estimateRunCost({
      executor: 'provider',
      sizes,
      prompt: { ...twice, template: '{{ticket}} -- once more: ' },
      modelConfig: config(),
    });

    // Assess
    expect(estimate.inputTokens).toBeGreaterThan(once.inputTokens);
    const rendered = inputs.reduce((sum, input) => sum + renderTemplate(twice.template, input).length, 0);
    expect(estimate.inputTokens * 4).toBeGreaterThanOrEqual(rendered);
  });

  it('bills every attempt of a fallback chain and of the fallback model’s retries for the simulator and http, but only the answer for provider', () => {
    // Prepare
    const modelConfig = config({
      routingPolicy: {
        strategy: 'fallback_chain',
        routes: [
          { target: 'a', weight: 1 },
          { target: 'b', weight: 1 },
          { target: 'c', weight: 1 },
        ],
      },
      fallbackPolicy: { enabled: true, fallbackModel: 'small', maxRetries: 2 },
    });

    // Act
    const simulated = estimateRunCost({ executor: 'simulated', sizes, prompt, modelConfig });
    const http = estimateRunCost({ executor: 'http', sizes, prompt, modelConfig });
    const provider = estimateRunCost({ executor: 'provider', sizes, prompt, modelConfig });
    const single = estimateRunCost({ executor: 'simulated', sizes, prompt, modelConfig: config() });

    // Assess: 1 + two more routes + 1 + 2 retries.
    expect(simulated.callsPerCase).toBe(6);
    expect(simulated.inputTokens).toBe(6 * single.inputTokens);
    expect(simulated.outputTokens).toBe(single.outputTokens);
    expect(http.callsPerCase).toBe(6);
    expect(http.upperBound).toBe(false);
    expect(http.basis).toContain('reports its own usage');
    expect(provider.callsPerCase).toBe(1);
    expect(simulated.routes).toEqual([{ target: 'a', share: 1 }]);
  });

  it('gives each weighted route its share of the cases, leaving out routes without weight, at the same rates', () => {
    // Prepare
    const modelConfig = config({
      routingPolicy: {
        strategy: 'weighted',
        routes: [
          { target: 'big', weight: 3 },
          { target: 'small', weight: 1 },
          { target: 'off', weight: 0 },
        ],
      },
    });

    // Act
    const weighted = estimateRunCost({ executor: 'provider', sizes, prompt, modelConfig });
    const single = estimateRunCost({ executor: 'provider', sizes, prompt, modelConfig: config() });

    // Assess
    expect(weighted.routes).toEqual([
      { target: 'big', share: 0.75 },
      { target: 'small', share: 0.25 },
    ]);
    expect(weighted.cost).toBe(single.cost);
  });

  it('prices nothing when the model config has no usable cost rates, and says so', () => {
    // Act
    const missing = estimateRunCost({
      executor: 'provider',
      sizes,
      prompt,
      modelConfig: { ...config(), costRates: undefined },
    });
    const negative = estimateRunCost({
      executor: 'simulated',
      sizes,
      prompt,
      modelConfig: config({ costRates: { inputPer1k: -1, outputPer1k: 2 } }),
    });
    const free = estimateRunCost({
      executor: 'simulated',
      sizes,
      prompt,
      modelConfig: config({ costRates: { inputPer1k: 0, outputPer1k: 0 } }),
    });

    // Assess
    expect(missing).toMatchObject({ cost: null, upperBound: false });
    expect(missing.inputTokens).toBeGreaterThan(0);
    expect(missing.basis).toContain('no usable cost rates');
    expect(negative.cost).toBeNull();
    expect(free.cost).toBe(0);
    expect(perCallBound(missing)).toBeNull();
  });

  it('gives a submitted run no estimate: the pipeline reports its own costs', () => {
    // Act
    const estimate = estimateRunCost({ executor: 'submitted', sizes, prompt, modelConfig: config() });

    // Assess
    expect(estimate).toMatchObject({ cost: null, inputTokens: 0, outputTokens: 0, callsPerCase: 0, cases: 2 });
    expect(perCallBound(estimate)).toBeNull();
  });
});

describe('the cost ceiling of a run', () => {
  const estimate = estimateRunCost({ executor: 'provider', sizes, prompt, modelConfig: config() });

  it('refuses a start whose estimate exceeds maxCost, naming both, and lets one within it start', () => {
    // Act
    const refused = estimateOverCeiling(estimate, (estimate.cost ?? 0) / 2);
    const allowed = estimateOverCeiling(estimate, estimate.cost ?? 0);
    const noCeiling = estimateOverCeiling(estimate, undefined);

    // Assess
    expect(refused).toContain(`maxCost ${(estimate.cost ?? 0) / 2} USD`);
    expect(refused).toContain('ifEstimateExceeds');
    expect(allowed).toBeNull();
    expect(noCeiling).toBeNull();
  });

  it('is reached when the spend equals or passes it, never without one', () => {
    // Assess
    expect(ceilingReached(0.5, 0.5)).toBe(true);
    expect(ceilingReached(0.6, 0.5)).toBe(true);
    expect(ceilingReached(0.4999, 0.5)).toBe(false);
    expect(ceilingReached(1e9, undefined)).toBe(false);
  });

  it('bounds a call by the estimate of one case, and words the stop with the ceiling, the spend and the cases left', () => {
    // Assess
    expect(perCallBound(estimate)).toBeGreaterThanOrEqual((estimate.cost ?? 0) / estimate.cases);
    expect(ceilingMessage(0.25, 0.2512345678, 7)).toBe(
      'cost ceiling reached: the run spent 0.251235 USD of its maxCost 0.25 USD; 7 case(s) were not executed',
    );
  });
});

describe('the monitoring day budget', () => {
  it('allows a reservation that keeps the day within the budget, refuses one that would pass it', () => {
    // Assess
    expect(budgetAllows(0.5, 0.5, 1)).toBe(true);
    expect(budgetAllows(0.5, 0.5000001, 1)).toBe(false);
    expect(budgetAllows(0, 2, 1)).toBe(false);
    expect(budgetAllows(1e6, 1e6, undefined)).toBe(true);
  });

  it('counts UTC days and reserves the estimate, or nothing when it cannot be priced', () => {
    // Prepare
    const unpriced = estimateRunCost({ executor: 'submitted', sizes, prompt, modelConfig: config() });
    const priced = estimateRunCost({ executor: 'simulated', sizes, prompt, modelConfig: config() });

    // Assess
    expect(budgetDay(new Date('2026-12-07T23:59:59.999-01:00'))).toBe('2026-12-08');
    expect(budgetReservation(unpriced)).toBe(0);
    expect(budgetReservation(priced)).toBe(priced.cost);
  });

  it('is a policy field: absent is unlimited, a positive number is kept, zero, negative or text is refused by name', () => {
    // Prepare
    const doc = (dailyBudget: unknown) => ({
      ...JSON.parse(JSON.stringify(DEFAULT_POLICY)),
      monitoring: { ...JSON.parse(JSON.stringify(DEFAULT_POLICY.monitoring)), dailyBudget },
    });

    // Act
    const kept = validatePolicy(doc(12.5));
    const absent = validatePolicy(JSON.parse(JSON.stringify(DEFAULT_POLICY)));

    // Assess
    expect(kept.monitoring.dailyBudget).toBe(12.5);
    expect(absent.monitoring).not.toHaveProperty('dailyBudget');
    for (const bad of [0, -1, 'abc', null, Number.NaN]) {
      expect(() => validatePolicy(doc(bad))).toThrow(ValidationError);
      expect(() => validatePolicy(doc(bad))).toThrow(/monitoring\.dailyBudget must be a number/);
    }
  });
});
