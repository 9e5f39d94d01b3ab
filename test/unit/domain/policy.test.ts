import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  type ApprovalPolicy,
  blockingSeverities,
  DEFAULT_POLICY,
  requiredApprovals,
  validatePolicy,
} from '../../../functions/domain/policy.js';
import { RISK_TIERS } from '../../../functions/domain/types.js';

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

describe('risk-tier approval policy', () => {
  it.each([
    ['low', ['technical']],
    ['medium', ['technical', 'product']],
    ['high', ['technical', 'product', 'risk']],
    ['critical', ['technical', 'product', 'risk', 'governance']],
  ] as const)('requires %s-tier production promotions to be approved by %j', (tier, roles) => {
    // Act
    const required = requiredApprovals(tier, 'production');

    // Assess
    expect(required).toEqual(roles);
  });

  it('requires only the technical review in staging, whatever the tier', () => {
    // Act
    const required = RISK_TIERS.map((tier) => requiredApprovals(tier, 'staging'));

    // Assess
    expect(required).toEqual(RISK_TIERS.map(() => ['technical']));
  });

  it('blocks on unresolved high and critical incidents only', () => {
    // Act
    const blocking = RISK_TIERS.flatMap((tier) => [
      blockingSeverities(tier, 'production'),
      blockingSeverities(tier, 'staging'),
    ]);

    // Assess
    expect(blocking).toEqual(
      RISK_TIERS.flatMap(() => [
        ['high', 'critical'],
        ['high', 'critical'],
      ]),
    );
  });

  it('is version 1 of the policy document', () => {
    // Assess
    expect(DEFAULT_POLICY.version).toBe(1);
    expect(validatePolicy(validDoc())).toEqual(DEFAULT_POLICY);
  });

  it('applies a custom policy and returns roles in canonical order', () => {
    // Prepare
    const policy: ApprovalPolicy = {
      ...DEFAULT_POLICY,
      version: 2,
      tiers: { ...DEFAULT_POLICY.tiers, low: ['product', 'technical'] },
      stagingRoles: ['risk', 'technical'],
      blockingSeverities: ['medium', 'high', 'critical'],
    };

    // Act / Assess
    expect(requiredApprovals('low', 'production', policy)).toEqual(['technical', 'product']);
    expect(requiredApprovals('critical', 'staging', policy)).toEqual(['technical', 'risk']);
    expect(blockingSeverities('low', 'production', policy)).toEqual(['medium', 'high', 'critical']);
  });

  it('returns a fresh list that callers may change without touching the policy', () => {
    // Prepare
    const required = requiredApprovals('high', 'production');

    // Act
    required.push('governance');

    // Assess
    expect(requiredApprovals('high', 'production')).toEqual(['technical', 'product', 'risk']);
  });

  it('cannot be edited in place', () => {
    // Act / Assess
    expect(() => DEFAULT_POLICY.tiers.critical.pop()).toThrow(TypeError);
    expect(requiredApprovals('critical', 'production')).toHaveLength(4);
  });

  it('rejects an empty tier', () => {
    // Prepare
    const doc = validDoc();
    (doc.tiers as Record<string, unknown>).low = [];

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toContain('tiers.low must not be empty');
  });

  it('rejects unknown reviewer roles, unknown severities and unknown tiers', () => {
    // Prepare
    const doc = validDoc();
    (doc.tiers as Record<string, unknown>).medium = ['technical', 'legal'];
    (doc.tiers as Record<string, unknown>).extreme = ['technical'];
    doc.stagingRoles = ['qa'];
    doc.blockingSeverities = ['urgent'];

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'tiers.medium has unknown values: legal',
        'tiers has unknown risk tiers: extreme',
        'stagingRoles has unknown values: qa',
        'blockingSeverities has unknown values: urgent',
      ]),
    );
  });

  it('rejects a missing tier, duplicates and lists that are not lists', () => {
    // Prepare
    const doc = validDoc();
    delete (doc.tiers as Record<string, unknown>).high;
    doc.stagingRoles = ['technical', 'technical'];
    doc.blockingSeverities = 'critical';

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'tiers.high must be a list',
        'stagingRoles has duplicates',
        'blockingSeverities must be a list',
      ]),
    );
  });

  it('rejects a higher tier that needs fewer roles than a lower one', () => {
    // Prepare
    const doc = validDoc();
    (doc.tiers as Record<string, unknown>).critical = ['technical', 'governance'];

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(['tiers.critical must include every role of high: product, risk']);
  });

  it('rejects a bad version, a bad effective date and missing tiers', () => {
    // Prepare
    const doc = { ...validDoc(), version: 0, effectiveFrom: 'next tuesday', tiers: null };

    // Act
    const problems = problemsOf(doc);

    // Assess
    expect(problems).toEqual(
      expect.arrayContaining([
        'version must be a positive integer',
        'effectiveFrom must be an ISO 8601 date-time',
        'tiers must be an object with one list of reviewer roles per risk tier',
      ]),
    );
  });

  it('rejects a document that is not an object', () => {
    // Act / Assess
    expect(problemsOf(['technical'])).toEqual(['policy must be an object']);
    expect(problemsOf(null)).toEqual(['policy must be an object']);
  });

  it('returns a validated copy that does not alias the input document', () => {
    // Prepare
    const doc = validDoc();

    // Act
    const policy = validatePolicy(doc);
    ((doc.tiers as Record<string, string[]>).low as string[]).push('risk');

    // Assess
    expect(policy.tiers.low).toEqual(['technical']);
  });
});
