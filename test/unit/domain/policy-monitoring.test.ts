import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { DEFAULT_POLICY, validatePolicy } from '../../../functions/domain/policy.js';

function validDoc(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(DEFAULT_POLICY)) as Record<string, unknown>;
}

function problemsOf(doc: unknown): string[] {
  try {
    validatePolicy(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).detail.problems as string[];
  }
  throw new Error('expected the policy to be rejected');
}

describe('the monitoring, review and rollback-validation fields of the policy', () => {
  it('defaults a stored document without them to the default policy’s values', () => {
    // Prepare
    const doc = validDoc();
    delete doc.monitoring;
    delete doc.reviewIntervalDays;
    delete doc.rollbackValidation;

    // Act
    const policy = validatePolicy(doc);

    // Assess
    expect(policy.monitoring).toEqual(DEFAULT_POLICY.monitoring);
    expect(policy.reviewIntervalDays).toEqual(DEFAULT_POLICY.reviewIntervalDays);
    expect(policy.rollbackValidation).toEqual(DEFAULT_POLICY.rollbackValidation);
  });

  it('warns on a failed rollback validation for low and medium tiers, blocks for high and critical, and only opens incidents on a failed monitoring run by default', () => {
    // Assess
    expect(DEFAULT_POLICY.rollbackValidation).toEqual({
      low: 'warn',
      medium: 'warn',
      high: 'block',
      critical: 'block',
    });
    expect(DEFAULT_POLICY.monitoring.onFailure).toEqual({
      low: 'incident',
      medium: 'incident',
      high: 'incident',
      critical: 'incident',
    });
  });

  it('lists every problem of the new fields at once', () => {
    // Prepare
    const doc = validDoc();
    doc.monitoring = {
      driftThresholds: [
        { metric: 'accuracy', direction: 'up', tolerance: -1, relative: 'no' },
        { metric: 'nonsense', direction: 'min', tolerance: 0.1, relative: false },
      ],
      minCasesForDrift: 0,
      incidentSeverity: { low: 'low', medium: 'medium', high: 'severe', critical: 'critical' },
      requestRollback: 'yes',
    };
    doc.reviewIntervalDays = { low: 30, medium: 180, high: 90, critical: 0 };
    doc.rollbackValidation = { low: 'block', medium: 'warn', high: 'block', critical: 'ignore' };

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'monitoring.driftThresholds[0].direction must be min or max',
        'monitoring.driftThresholds[0].tolerance must be a non-negative number',
        'monitoring.driftThresholds[0].relative must be true or false',
        'monitoring.driftThresholds[1].metric is not a known metric',
        'monitoring.minCasesForDrift must be a positive integer',
        'monitoring.incidentSeverity.high must be one of low, medium, high, critical',
        'monitoring.requestRollback must be true or false',
        'reviewIntervalDays.critical must be a whole number of days from 1 to 3660',
        'rollbackValidation.critical must be warn or block',
      ]),
    );
  });

  it('refuses a higher tier reviewed less often than a lower one', () => {
    // Prepare
    const doc = validDoc();
    doc.reviewIntervalDays = { low: 365, medium: 180, high: 200, critical: 30 };

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(['reviewIntervalDays.high must not be longer than reviewIntervalDays.medium']);
  });

  it('refuses a rollback validation that blocks on a lower tier but only warns on a higher one', () => {
    // Prepare
    const doc = validDoc();
    doc.rollbackValidation = { low: 'block', medium: 'warn', high: 'block', critical: 'block' };

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(['rollbackValidation.medium must block when rollbackValidation.low does']);
  });

  it('refuses a drift threshold that names a metric twice', () => {
    // Prepare
    const doc = validDoc();
    const monitoring = doc.monitoring as { driftThresholds: unknown[] };
    monitoring.driftThresholds.push({ metric: 'accuracy', direction: 'min', tolerance: 0.2, relative: false });

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(['monitoring.driftThresholds names a metric twice']);
  });

  it('names fields of the wrong shape', () => {
    // Prepare
    const notObject = { ...validDoc(), monitoring: [] };
    const notList = {
      ...validDoc(),
      monitoring: { ...DEFAULT_POLICY.monitoring, driftThresholds: 'accuracy' },
      reviewIntervalDays: [30],
      rollbackValidation: { ...DEFAULT_POLICY.rollbackValidation, extreme: 'block' },
    };
    const notRecord = { ...validDoc(), monitoring: { ...DEFAULT_POLICY.monitoring, driftThresholds: [42] } };

    // Act
    const problems = [problemsOf(notObject), problemsOf(notList), problemsOf(notRecord)];

    // Assess
    expect(problems).toEqual([
      ['monitoring must be an object'],
      [
        'monitoring.driftThresholds must be a list',
        'reviewIntervalDays must be an object with one value per risk tier',
        'rollbackValidation has unknown risk tiers: extreme',
      ],
      ['monitoring.driftThresholds[0] must be an object'],
    ]);
  });
});
