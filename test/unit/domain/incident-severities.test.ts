import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { blockedReasons, type GateFacts, gateInput } from '../../../functions/domain/gate.js';
import {
  type ApprovalPolicy,
  blockingSeverities,
  DEFAULT_POLICY,
  openBlockingIncidents,
  validatePolicy,
} from '../../../functions/domain/policy.js';
import {
  type AiSystem,
  type Environment,
  type OpenIncidentCounts,
  type ReleaseCandidate,
  RISK_TIERS,
  type RiskTier,
} from '../../../functions/domain/types.js';
import { promotionConditions } from '../../../functions/store/candidates/promotion.js';

const NONE: OpenIncidentCounts = { low: 0, medium: 0, high: 0, critical: 0 };

/** Stricter with each tier: production of a high or critical system waits on a medium incident too. */
const STRICT: ApprovalPolicy = {
  ...DEFAULT_POLICY,
  version: 2,
  incidentBlocking: {
    production: {
      low: ['critical'],
      medium: ['high', 'critical'],
      high: ['medium', 'high', 'critical'],
      critical: ['low', 'medium', 'high', 'critical'],
    },
    staging: ['critical'],
  },
};

function facts(riskTier: RiskTier, openIncidents: Partial<OpenIncidentCounts>): GateFacts {
  return {
    system: {
      id: 'sys_1',
      riskTier,
      status: 'active',
      activeReleases: { staging: null, production: null },
      openIncidents: { ...NONE, ...openIncidents },
    } as AiSystem,
    candidate: {
      id: 'rc_1',
      systemId: 'sys_1',
      createdBy: 'u_author',
      approvalIds: [],
      requiredRoles: [],
    } as unknown as ReleaseCandidate,
    run: null,
    approvals: [],
    prompt: null,
    config: null,
    datasets: [],
  };
}

/** The incident reason the gate gives, judged as a promotion would be (gateInput, then blockedReasons). */
function incidentReason(f: GateFacts, environment: Environment, policy: ApprovalPolicy = DEFAULT_POLICY) {
  const input = gateInput(f, environment, undefined, policy);
  return blockedReasons(input).find((r) => r.code === 'BLOCKING_INCIDENT_OPEN')?.message ?? null;
}

describe('which incident severities block a promotion', () => {
  it('keeps the default: high and critical block every tier in both environments, medium and low never', () => {
    // Act / Assess
    for (const tier of RISK_TIERS) {
      for (const environment of ['production', 'staging'] as const) {
        expect(blockingSeverities(tier, environment)).toEqual(['high', 'critical']);
        expect(incidentReason(facts(tier, { low: 3, medium: 2 }), environment)).toBeNull();
        expect(incidentReason(facts(tier, { high: 1 }), environment)).not.toBeNull();
      }
    }
  });

  it('reads a stored policy without per-tier lists as its global list for every tier', () => {
    // Prepare
    const doc = JSON.parse(JSON.stringify({ ...DEFAULT_POLICY, blockingSeverities: ['critical'] }));

    // Act
    const policy = validatePolicy(doc);

    // Assess
    expect(RISK_TIERS.map((tier) => blockingSeverities(tier, 'production', policy))).toEqual(
      RISK_TIERS.map(() => ['critical']),
    );
    expect(blockingSeverities('critical', 'staging', policy)).toEqual(['critical']);
  });

  it('blocks each tier on its own list in production and on the staging list in staging', () => {
    // Act
    const production = RISK_TIERS.map((tier) => blockingSeverities(tier, 'production', STRICT));
    const staging = RISK_TIERS.map((tier) => blockingSeverities(tier, 'staging', STRICT));

    // Assess
    expect(production).toEqual([
      ['critical'],
      ['high', 'critical'],
      ['medium', 'high', 'critical'],
      ['low', 'medium', 'high', 'critical'],
    ]);
    expect(staging).toEqual(RISK_TIERS.map(() => ['critical']));
    expect(incidentReason(facts('high', { high: 1 }), 'staging', STRICT)).toBeNull();
  });

  it('blocks a medium incident at once when a stricter policy applies, with no recount', () => {
    // Prepare
    const f = facts('high', { medium: 1 });

    // Act
    const before = incidentReason(f, 'production');
    const after = incidentReason(f, 'production', STRICT);

    // Assess
    expect(before).toBeNull();
    expect(after).toBe(
      '1 blocking incident(s) open on system sys_1: 1 medium (medium, high, critical block the production promotion of a high tier system)',
    );
    expect(openBlockingIncidents(f.system, 'production', STRICT)).toBe(1);
  });

  it('blocks at once when the tier is raised, and the promotion transaction conditions on the same counters', () => {
    // Prepare
    const medium = facts('medium', { medium: 1 });
    const raised = facts('high', { medium: 1 });

    // Act
    const reasons = [incidentReason(medium, 'production', STRICT), incidentReason(raised, 'production', STRICT)];
    const conditions = [medium, raised].map((f) => promotionConditions(f, 'production', null, STRICT).meta);

    // Assess
    expect(reasons[0]).toBeNull();
    expect(reasons[1]).toContain('1 medium');
    expect(conditions[0]).toEqual(expect.not.arrayContaining([{ path: 'openIncidents.medium', op: '=', value: 0 }]));
    expect(conditions[1]).toEqual(
      expect.arrayContaining([
        { path: 'openIncidents.medium', op: '=', value: 0 },
        { path: 'openIncidents.high', op: '=', value: 0 },
        { path: 'openIncidents.critical', op: '=', value: 0 },
      ]),
    );
  });

  it('blocks a system whose META has no counters yet, as the transaction would', () => {
    // Prepare
    const f = facts('low', {});
    delete (f.system as Partial<AiSystem>).openIncidents;

    // Act / Assess
    expect(incidentReason(f, 'production')).toBe('the open incidents of system sys_1 are not yet counted by severity');
  });

  it('refuses a per-tier list that names an unknown severity, naming the field', () => {
    // Prepare
    const doc = JSON.parse(JSON.stringify(STRICT));
    doc.incidentBlocking.production.medium = ['high', 'urgent'];
    doc.incidentBlocking.staging = 'critical';

    // Act
    let problems: string[] = [];
    try {
      validatePolicy(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      problems = (error as ValidationError).detail.problems as string[];
    }

    // Assess
    expect(problems).toEqual([
      'incidentBlocking.staging must be a list',
      'incidentBlocking.production.medium has unknown severities: urgent',
    ]);
  });

  it('refuses a higher tier blocked by fewer severities than a lower one, and accepts a valid per-tier policy', () => {
    // Prepare
    const doc = JSON.parse(JSON.stringify(STRICT));
    doc.incidentBlocking.production.critical = ['critical'];

    // Act / Assess
    expect(() => validatePolicy(doc)).toThrow(
      'incidentBlocking.production.critical must include every severity of high: medium, high',
    );
    expect(validatePolicy(JSON.parse(JSON.stringify(STRICT)))).toEqual(STRICT);
  });
});
