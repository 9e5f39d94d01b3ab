import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import { rollbackValidationDecision } from '../../../functions/domain/rollback.js';

describe('the rollback validation decision', () => {
  it.each([
    ['low', 'warn'],
    ['medium', 'warn'],
    ['high', 'block'],
    ['critical', 'block'],
  ] as const)('on a failed validation of a %s-tier system decides %s', (riskTier, decision) => {
    // Act
    const outcome = rollbackValidationDecision({
      riskTier,
      evalRunId: 'run_1',
      passed: false,
      reasons: ['accuracy 0.2 below minimum 0.5'],
    });

    // Assess
    expect(outcome).toMatchObject({ status: 'failed', decision, mode: decision, evalRunId: 'run_1' });
    expect(outcome.message).toContain('accuracy 0.2 below minimum 0.5');
  });

  it('proceeds when the target passed, whatever the tier', () => {
    // Act
    const outcome = rollbackValidationDecision({ riskTier: 'critical', evalRunId: 'run_1', passed: true });

    // Assess
    expect(outcome).toMatchObject({ status: 'passed', decision: 'proceed', reasons: [] });
  });

  it('proceeds and says so when there is no rollback_validation dataset', () => {
    // Act
    const outcome = rollbackValidationDecision({ riskTier: 'critical', evalRunId: null, passed: null });

    // Assess
    expect(outcome).toMatchObject({ status: 'skipped', decision: 'proceed', evalRunId: null });
    expect(outcome.message).toMatch(/no rollback_validation dataset/);
  });

  it('follows a policy that blocks on every tier', () => {
    // Prepare
    const policy = {
      ...DEFAULT_POLICY,
      rollbackValidation: { low: 'block', medium: 'block', high: 'block', critical: 'block' } as const,
    };

    // Act
    const outcome = rollbackValidationDecision({ riskTier: 'low', evalRunId: 'run_1', passed: false, policy });

    // Assess
    expect(outcome.decision).toBe('block');
  });
});
