// The execution record of a simulated case agrees with the simulator's own cost: the input tokens of every call and
// the output tokens of the answering call, priced at the model config's rates, give back the case's cost.
import { describe, expect, it } from 'vitest';
import { labelsOf, scoreBatch } from '../../../functions/domain/eval/index.js';
import type { ModelConfigVersion, PromptVersion } from '../../../functions/domain/types.js';
import { simulatedExecution } from '../../../functions/workflows/eval-steps.js';
import { cases, modelConfigInput, promptInput } from '../../support/fixtures.js';

const prompt = promptInput('sys_1') as unknown as PromptVersion;

function recordsOf(overrides: Parameters<typeof modelConfigInput>[1]) {
  const modelConfig = modelConfigInput('sys_1', overrides) as unknown as ModelConfigVersion;
  const all = cases(300);
  const { results } = scoreBatch({
    executor: 'simulated',
    snapshotHash: 'sha256:execution-records',
    cases: all,
    labels: labelsOf(all),
    prompt,
    modelConfig,
  });
  return results.map((result, i) => ({
    result,
    execution: simulatedExecution({ prompt, modelConfig }, all[i] as (typeof all)[number], result),
    rates: modelConfig.costRates,
  }));
}

describe('the execution record of a simulated case', () => {
  it.each([
    ['no timeouts', {}],
    [
      'tight timeouts with fallback retries',
      { timeoutMs: 330, fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o-mini', maxRetries: 3 } },
    ],
    [
      'tight timeouts without a fallback',
      { timeoutMs: 330, fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 } },
    ],
  ] as const)('prices back to the case cost (%s)', (_name, overrides) => {
    const records = recordsOf(overrides);
    for (const { result, execution, rates } of records) {
      const cost = (execution.tokensIn * rates.inputPer1k + execution.tokensOut * rates.outputPer1k) / 1000;
      expect(cost).toBeCloseTo(result.costUsd, 9);
      expect(execution.attempts > 1).toBe(result.fallbackUsed);
      if (result.output === null) expect(execution.tokensOut).toBe(0);
      else expect(execution.tokensOut).toBeGreaterThanOrEqual(30);
      expect(execution.tokensOut).toBeLessThanOrEqual(120);
      expect(execution.error).toBe(result.error);
    }
  });

  it('names the fallback model as the route of a case the fallback answered', () => {
    const records = recordsOf({
      timeoutMs: 330,
      fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o-mini-fallback', maxRetries: 2 },
    });
    const fellBack = records.filter((r) => r.result.fallbackUsed);
    expect(fellBack.length).toBeGreaterThan(10);
    for (const r of fellBack) expect(r.execution.route).toBe('simulated:gpt-4o-mini-fallback');
    expect(records.find((r) => !r.result.fallbackUsed)?.execution.route).toBe('simulated:gpt-4o-mini');
  });
});
