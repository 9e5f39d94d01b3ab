// The policy dry run's verdicts (issue 15, item 3): each open candidate judged as the gate judges its promotion, each
// active release by the rules a policy sets over what was released, and newlyBlocked as the codes the draft adds to
// what the policy in force raises.
import { describe, expect, it } from 'vitest';
import { ForbiddenError, ValidationError } from '../../../functions/domain/errors.js';
import type { GateFacts } from '../../../functions/domain/gate.js';
import {
  type ApprovalPolicy,
  DEFAULT_POLICY,
  type PromotionRules,
  type TierPromotionRules,
} from '../../../functions/domain/policy.js';
import {
  assertCanDryRunPolicy,
  dryRunActiveRelease,
  dryRunCandidate,
  dryRunExpiry,
  dryRunPolicy,
  isOpenCandidate,
  newlyBlockedCodes,
  RELEASE_REASON_CODES,
} from '../../../functions/domain/policy-dry-run.js';
import { snapshotHash } from '../../../functions/domain/snapshot.js';
import type {
  AiSystem,
  ApprovalRecord,
  EvalDataset,
  EvalRun,
  Principal,
  ReleaseCandidate,
  ReviewerRole,
} from '../../../functions/domain/types.js';

const AUTHOR = 'u_author';
const T0 = '2025-03-01T10:00:00.000Z';
const NOW = '2025-03-03T10:00:00.000Z';

function system(overrides: Partial<AiSystem> = {}): AiSystem {
  return {
    id: 'sys_1',
    name: 'Ticket triage',
    description: 'Routes support tickets',
    ownerTeam: 'support-ml',
    owner: 'u_owner',
    riskTier: 'critical',
    euAiActCategory: 'limited',
    domain: 'support',
    intendedPurpose: 'triage',
    dataSources: ['tickets'],
    humanOversight: 'agents review routing',
    status: 'active',
    activeReleases: { staging: 'rc_prev_staging', production: 'rc_prev' },
    openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
    retirementReason: null,
    replacementSystemId: null,
    createdAt: T0,
    createdBy: 'u_owner',
    updatedAt: T0,
    version: 3,
    ...overrides,
  };
}
function candidate(overrides: Partial<ReleaseCandidate> = {}): ReleaseCandidate {
  const base: ReleaseCandidate = {
    id: 'rc_1',
    systemId: 'sys_1',
    name: 'v2 prompt',
    environment: 'production',
    promptVersionId: 'pv_1',
    promptContentHash: 'sha256:prompt',
    modelConfigId: 'mc_1',
    modelConfigContentHash: 'sha256:model',
    datasetIds: ['ds_1'],
    thresholds: [{ metric: 'accuracy', direction: 'min', value: 0.9, regressionTolerance: null }],
    snapshotHash: '',
    status: 'approved',
    latestEvalRunId: 'run_1',
    latestEvalStatus: 'passed',
    requiredRoles: ['technical', 'product', 'risk', 'governance'],
    approvalIds: [],
    policyVersion: 1,
    notes: '',
    createdAt: T0,
    createdBy: AUTHOR,
    submittedAt: T0,
    activatedAt: null,
    deactivatedAt: null,
    version: 1,
  };
  const merged = { ...base, ...overrides };
  // The snapshot hash is computed from the candidate's own fields, as the store does, unless a test overrides it.
  return { ...merged, snapshotHash: overrides.snapshotHash ?? snapshotHash(merged) };
}

function evalRun(c: ReleaseCandidate, overrides: Partial<EvalRun> = {}): EvalRun {
  return {
    id: 'run_1',
    systemId: c.systemId,
    candidateId: c.id,
    snapshotHash: c.snapshotHash,
    executor: 'simulated',
    status: 'passed',
    totalCases: 10,
    casesDone: 10,
    metrics: null,
    slices: [],
    thresholdVerdicts: [],
    comparisons: [],
    failureReasons: [],
    error: null,
    createdAt: T0,
    createdBy: 'u_pipeline',
    startedAt: T0,
    finishedAt: T0,
    ...overrides,
  };
}

function approval(c: ReleaseCandidate, role: ReviewerRole, overrides: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: `apr_${role}`,
    systemId: c.systemId,
    candidateId: c.id,
    snapshotHash: c.snapshotHash,
    role,
    status: 'approved',
    reviewerId: `u_${role}`,
    reviewerName: `Reviewer ${role}`,
    comment: null,
    requestedAt: T0,
    requestedBy: AUTHOR,
    decidedAt: T0,
    ...overrides,
  };
}

function dataset(id: string, kind: EvalDataset['kind']): EvalDataset {
  return {
    id,
    systemId: 'sys_1',
    name: id,
    version: 1,
    kind,
    description: '',
    caseCount: 10,
    contentHash: `sha256:${id}`,
    createdAt: T0,
    createdBy: 'u_data',
  };
}

const NO_RULES: TierPromotionRules = {
  approvers: {},
  requiredDatasetKinds: [],
  thresholdFloors: [],
  evalValidityHours: null,
};

/** DEFAULT_POLICY with `rules` for low-tier production promotions. */
function policyWith(rules: Partial<TierPromotionRules>): ApprovalPolicy {
  const promotionRules: PromotionRules = {
    production: { low: { ...NO_RULES, ...rules }, medium: NO_RULES, high: NO_RULES, critical: NO_RULES },
    staging: NO_RULES,
  };
  return { ...DEFAULT_POLICY, version: 2, promotionRules };
}

/** The facts of a promotable low-tier candidate (technical approval), changed by `change`. */
function facts(change: Partial<GateFacts> = {}, c: ReleaseCandidate = candidate({ requiredRoles: ['technical'] })) {
  const base: GateFacts = {
    system: system({ riskTier: 'low' }),
    candidate: c,
    run: evalRun(c, { finishedAt: T0 }),
    approvals: [approval(c, 'technical')],
    prompt: { id: 'pv_1', status: 'approved', contentHash: 'sha256:prompt' } as GateFacts['prompt'],
    config: { id: 'mc_1', status: 'approved', contentHash: 'sha256:model' } as GateFacts['config'],
    datasets: [dataset('ds_1', 'baseline')],
  };
  return { ...base, ...change };
}

const current = DEFAULT_POLICY;
const codes = (reasons: { code: string }[]) => reasons.map((r) => r.code);
const person = (roles: Principal['roles']): Principal => ({ userId: 'u_1', name: 'U', roles, teams: [], systems: [] });

/** The facts of the active low-tier production release (status active, approved by technical). */
function released(change: Partial<GateFacts> = {}) {
  return facts(change, candidate({ requiredRoles: ['technical'], status: 'active' }));
}

describe('dry run of an open candidate', () => {
  it('reports a required dataset kind the candidate lacks as newly blocked', () => {
    // Prepare
    const draft = policyWith({ requiredDatasetKinds: ['adversarial'] });

    // Act
    const verdict = dryRunCandidate(facts(), { draft, current }, NOW);

    // Assess
    expect(codes(verdict.reasons)).toEqual(['DATASET_KIND_MISSING']);
    expect(verdict.reasons[0]?.message).toContain('adversarial');
    expect(verdict.newlyBlocked).toEqual(['DATASET_KIND_MISSING']);
  });

  it('blocks nothing new under a draft equal to the policy in force, and still lists what blocks today', () => {
    // Prepare
    const c = candidate({ requiredRoles: ['technical'], status: 'awaiting_approval' });
    const awaiting = facts({ approvals: [approval(c, 'technical', { status: 'pending', reviewerId: null })] }, c);

    // Act
    const verdict = dryRunCandidate(awaiting, { draft: { ...current, version: 2 }, current }, NOW);

    // Assess
    expect(codes(verdict.reasons)).toEqual(['INVALID_STATE', 'APPROVALS_INCOMPLETE']);
    expect(verdict.newlyBlocked).toEqual([]);
  });

  it('judges an expired eval against the instant it is given', () => {
    // Prepare
    const draft = policyWith({ evalValidityHours: 24 });

    // Act
    const verdict = dryRunCandidate(facts(), { draft, current }, NOW);

    // Assess
    expect(verdict.newlyBlocked).toEqual(['EVAL_EXPIRED']);
  });

  it('lists nothing newly blocked when the draft is looser than the policy in force', () => {
    // Prepare
    const strict = policyWith({ thresholdFloors: [{ metric: 'accuracy', floor: 0.95 }] });

    // Act
    const verdict = dryRunCandidate(facts(), { draft: current, current: strict }, NOW);

    // Assess
    expect(verdict).toEqual({ reasons: [], newlyBlocked: [] });
  });
});

describe('dry run of an active release', () => {
  it('passes an active release under the policy in force: its lifecycle state is no reason', () => {
    // Act
    const verdict = dryRunActiveRelease(released(), 'production', { draft: current, current }, NOW);

    // Assess
    expect(verdict).toEqual({ reasons: [], newlyBlocked: [] });
  });

  it('reports floors, dataset kinds and more approvers the release would now fail', () => {
    // Prepare
    const draft = policyWith({
      approvers: { technical: 2 },
      requiredDatasetKinds: ['regression'],
      thresholdFloors: [{ metric: 'accuracy', floor: 0.95 }],
    });

    // Act
    const verdict = dryRunActiveRelease(released(), 'production', { draft, current }, NOW);

    // Assess
    expect(verdict.newlyBlocked).toEqual(['DATASET_KIND_MISSING', 'THRESHOLD_BELOW_FLOOR', 'APPROVALS_INCOMPLETE']);
  });

  it('reports an open incident of a severity the draft makes blocking', () => {
    // Prepare
    const draft: ApprovalPolicy = {
      ...current,
      version: 2,
      incidentBlocking: {
        production: {
          low: ['medium', 'high', 'critical'],
          medium: ['medium', 'high', 'critical'],
          high: ['medium', 'high', 'critical'],
          critical: ['medium', 'high', 'critical'],
        },
        staging: ['high', 'critical'],
      },
    };
    const withIncident = released({
      system: system({ riskTier: 'low', openIncidents: { low: 0, medium: 1, high: 0, critical: 0 } }),
    });

    // Act
    const verdict = dryRunActiveRelease(withIncident, 'production', { draft, current }, NOW);

    // Assess
    expect(codes(verdict.reasons)).toEqual(['BLOCKING_INCIDENT_OPEN']);
    expect(verdict.newlyBlocked).toEqual(['BLOCKING_INCIDENT_OPEN']);
  });

  it('does not hold an eval validity limit against a release already live', () => {
    // Prepare
    const draft = policyWith({ evalValidityHours: 1 });

    // Act
    const verdict = dryRunActiveRelease(released(), 'production', { draft, current }, NOW);

    // Assess
    expect(verdict.reasons).toEqual([]);
    expect(RELEASE_REASON_CODES).not.toContain('EVAL_EXPIRED');
  });
});

describe('newly blocked codes', () => {
  it('lists each code of the draft the policy in force does not raise, once, in the draft order', () => {
    // Act
    const added = newlyBlockedCodes(
      [
        { code: 'DATASET_KIND_MISSING', message: 'a' },
        { code: 'SNAPSHOT_INELIGIBLE', message: 'b' },
        { code: 'SNAPSHOT_INELIGIBLE', message: 'c' },
        { code: 'INVALID_STATE', message: 'd' },
      ],
      [{ code: 'INVALID_STATE', message: 'd' }],
    );

    // Assess
    expect(added).toEqual(['DATASET_KIND_MISSING', 'SNAPSHOT_INELIGIBLE']);
  });
});

describe('who may dry-run a policy, and which document', () => {
  it('lets admins and governance reviewers start one and refuses everyone else', () => {
    // Assess
    expect(() => assertCanDryRunPolicy(person(['admin']))).not.toThrow();
    expect(() => assertCanDryRunPolicy(person(['reviewer:governance']))).not.toThrow();
    for (const roles of [['model_owner'], ['reviewer:risk'], ['auditor'], ['pipeline']] as Principal['roles'][]) {
      expect(() => assertCanDryRunPolicy(person(roles)), roles.join()).toThrow(ForbiddenError);
    }
  });

  it('fills the version after the policy in force and the instant of the request when the document has neither', () => {
    // Prepare
    const { version: _v, effectiveFrom: _e, ...document } = DEFAULT_POLICY;

    // Act
    const policy = dryRunPolicy(document, current, NOW);

    // Assess
    expect(policy.version).toBe(2);
    expect(policy.effectiveFrom).toBe(NOW);
    expect(policy.tiers).toEqual(DEFAULT_POLICY.tiers);
  });

  it('names every invalid field under document: an unknown role, a floor outside 0..1, an unknown metric', () => {
    // Prepare
    const floors = (list: unknown[]) => ({ ...NO_RULES, thresholdFloors: list });
    const document = {
      ...DEFAULT_POLICY,
      tiers: { ...DEFAULT_POLICY.tiers, low: ['technical', 'wizard'] },
      promotionRules: {
        production: {
          low: floors([{ metric: 'accuracy', floor: 1.5 }]),
          medium: floors([{ metric: 'vibes', floor: 0.5 }]),
          high: NO_RULES,
          critical: NO_RULES,
        },
        staging: NO_RULES,
      },
    };

    // Act
    let error: unknown;
    try {
      dryRunPolicy(document, current, NOW);
    } catch (e) {
      error = e;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const problems = (error as ValidationError).detail.problems as string[];
    expect(problems).toContain('document.tiers.low has unknown values: wizard');
    expect(problems).toContain(
      'document.promotionRules.production.low.thresholdFloors[0].floor must be from 0 to 1 (accuracy)',
    );
    expect(problems).toContain(
      'document.promotionRules.production.medium.thresholdFloors[0].metric is not a known metric: vibes',
    );
    expect((error as ValidationError).detail.field).toBe('document');
  });

  it('refuses a document that is not an object, naming the document', () => {
    // Act
    const act = () => dryRunPolicy(['tiers'], current, NOW);

    // Assess
    expect(act).toThrow(/document\.policy must be an object/);
  });
});

describe('what a dry run covers and keeps', () => {
  it('judges candidates on their way to a release and not those rejected, active or done', () => {
    // Assess
    expect(
      ['draft', 'submitted', 'evaluating', 'eval_passed', 'eval_failed', 'awaiting_approval', 'approved'].every((s) =>
        isOpenCandidate(s as ReleaseCandidate['status']),
      ),
    ).toBe(true);
    expect(
      ['rejected', 'active', 'superseded', 'rolled_back'].some((s) => isOpenCandidate(s as ReleaseCandidate['status'])),
    ).toBe(false);
  });

  it('keeps a dry run for seven days', () => {
    // Assess
    expect(dryRunExpiry('2025-03-01T00:00:00.000Z')).toBe(Date.parse('2025-03-08T00:00:00.000Z') / 1000);
  });
});
