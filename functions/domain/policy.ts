// The risk-tier approval policy. It is a versioned document: candidates record the policy version that set their
// required roles, and a change of policy is a new version (audited by the caller), never an edit in place.
import { ValidationError } from './errors.js';
import {
  type Environment,
  REVIEWER_ROLES,
  type ReviewerRole,
  RISK_TIERS,
  type RiskTier,
  SEVERITIES,
  type Severity,
} from './types.js';

export interface ApprovalPolicy {
  version: number;
  /** ISO 8601 instant from which this version applies. */
  effectiveFrom: string;
  /** Reviewer roles a production promotion needs, per internal risk tier. */
  tiers: Record<RiskTier, ReviewerRole[]>;
  /** Reviewer roles a staging promotion needs, whatever the tier. */
  stagingRoles: ReviewerRole[];
  /** Incident severities that block promotion while the incident is not resolved. */
  blockingSeverities: Severity[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** Policy version 1, as ARCHITECTURE.md states it; frozen so that no caller can edit the shared default. */
export const DEFAULT_POLICY: ApprovalPolicy = deepFreeze({
  version: 1,
  effectiveFrom: '2025-01-01T00:00:00.000Z',
  tiers: {
    low: ['technical'],
    medium: ['technical', 'product'],
    high: ['technical', 'product', 'risk'],
    critical: ['technical', 'product', 'risk', 'governance'],
  },
  stagingRoles: ['technical'],
  blockingSeverities: ['high', 'critical'],
});

function inRoleOrder(roles: readonly ReviewerRole[]): ReviewerRole[] {
  return REVIEWER_ROLES.filter((role) => roles.includes(role));
}

/** Reviewer roles that must approve a promotion of a system of `riskTier` to `environment`, in canonical order. */
export function requiredApprovals(
  riskTier: RiskTier,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): ReviewerRole[] {
  // A fresh array in canonical order: callers store it on the candidate and compare it, and must not alias the policy.
  return inRoleOrder(environment === 'staging' ? policy.stagingRoles : policy.tiers[riskTier]);
}

/** Whether an unresolved incident of `severity` blocks promotion under `policy`. */
export function isBlockingSeverity(severity: Severity, policy: ApprovalPolicy = DEFAULT_POLICY): boolean {
  return policy.blockingSeverities.includes(severity);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkList<T extends string>(
  value: unknown,
  field: string,
  known: readonly T[],
  problems: string[],
): T[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${field} must be a list`);
    return undefined;
  }
  if (value.length === 0) problems.push(`${field} must not be empty`);
  const unknown = value.filter((item) => !known.includes(item as T));
  if (unknown.length > 0) problems.push(`${field} has unknown values: ${unknown.map(String).join(', ')}`);
  if (new Set(value).size !== value.length) problems.push(`${field} has duplicates`);
  return unknown.length === 0 ? [...(value as T[])] : undefined;
}

/** Validates an untrusted policy document and returns it typed; throws ValidationError listing every problem. */
export function validatePolicy(doc: unknown): ApprovalPolicy {
  if (!isRecord(doc)) throw new ValidationError('policy must be an object', { problems: ['policy must be an object'] });
  const problems: string[] = [];
  const { version, effectiveFrom, tiers, stagingRoles, blockingSeverities } = doc;

  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push('version must be a positive integer');
  }
  if (typeof effectiveFrom !== 'string' || Number.isNaN(Date.parse(effectiveFrom))) {
    problems.push('effectiveFrom must be an ISO 8601 date-time');
  }

  const tierRoles: Partial<Record<RiskTier, ReviewerRole[]>> = {};
  if (isRecord(tiers)) {
    const extra = Object.keys(tiers).filter((key) => !RISK_TIERS.includes(key as RiskTier));
    if (extra.length > 0) problems.push(`tiers has unknown risk tiers: ${extra.join(', ')}`);
    for (const tier of RISK_TIERS) {
      const roles = checkList(tiers[tier], `tiers.${tier}`, REVIEWER_ROLES, problems);
      if (roles) tierRoles[tier] = roles;
    }
    // A higher tier never needs less scrutiny than a lower one: this catches a typo that would quietly
    // weaken the approval of critical systems.
    for (let i = 1; i < RISK_TIERS.length; i++) {
      const lower = RISK_TIERS[i - 1] as RiskTier;
      const higher = RISK_TIERS[i] as RiskTier;
      const lowerRoles = tierRoles[lower];
      const higherRoles = tierRoles[higher];
      if (!lowerRoles || !higherRoles) continue;
      const dropped = lowerRoles.filter((role) => !higherRoles.includes(role));
      if (dropped.length > 0)
        problems.push(`tiers.${higher} must include every role of ${lower}: ${dropped.join(', ')}`);
    }
  } else {
    problems.push('tiers must be an object with one list of reviewer roles per risk tier');
  }

  checkList(stagingRoles, 'stagingRoles', REVIEWER_ROLES, problems);
  checkList(blockingSeverities, 'blockingSeverities', SEVERITIES, problems);

  if (problems.length > 0) throw new ValidationError(`invalid approval policy: ${problems.join('; ')}`, { problems });
  return {
    version: version as number,
    effectiveFrom: effectiveFrom as string,
    tiers: tierRoles as Record<RiskTier, ReviewerRole[]>,
    stagingRoles: [...(stagingRoles as ReviewerRole[])],
    blockingSeverities: [...(blockingSeverities as Severity[])],
  };
}
