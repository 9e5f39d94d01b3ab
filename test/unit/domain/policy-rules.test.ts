import { describe, expect, it } from 'vitest';
import { ForbiddenError, ValidationError } from '../../../functions/domain/errors.js';
import { approvalDecisionCheck, blockedReasons, type GateFacts, gateInput } from '../../../functions/domain/gate.js';
import {
  type ApprovalPolicy,
  approvalTally,
  DEFAULT_POLICY,
  evalValidFrom,
  floorShortfalls,
  missingDatasetKinds,
  type PromotionRules,
  promotionRulesFor,
  requiredApproverCounts,
  type TierPromotionRules,
  tallyComplete,
  validatePolicy,
} from '../../../functions/domain/policy.js';
import { snapshotHash } from '../../../functions/domain/snapshot.js';
import type {
  AiSystem,
  ApprovalRecord,
  EvalDataset,
  EvalRun,
  ReleaseCandidate,
  ReviewerRole,
} from '../../../functions/domain/types.js';

// The policy's promotion rules (issue 15, item 2): distinct approvers per role, required dataset kinds, threshold
// floors, eval validity. Each rule on its own, then through the gate, and each default proving today's behaviour.

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

function reasonsOf(f: GateFacts, policy: ApprovalPolicy = DEFAULT_POLICY) {
  return blockedReasons(gateInput(f, 'production', 'rc_prev', policy, NOW));
}

describe('promotion rules: defaults', () => {
  it('keeps the behaviour before the rules: one approver per role, no kinds, no floors, no validity limit', () => {
    // Assess
    expect(DEFAULT_POLICY.promotionRules.staging).toEqual(NO_RULES);
    for (const tier of ['low', 'medium', 'high', 'critical'] as const) {
      expect(promotionRulesFor(tier, 'production')).toEqual(NO_RULES);
    }
    expect(requiredApproverCounts('critical', 'production', ['technical', 'governance'])).toEqual({
      technical: 1,
      governance: 1,
    });
  });

  it('lets a promotable candidate through under the default policy, with an eval run of any age', () => {
    // Prepare
    const old = facts();
    const ancient = { ...old, run: evalRun(old.candidate, { finishedAt: '2001-01-01T00:00:00.000Z' }) };

    // Act / Assess
    expect(reasonsOf(old)).toEqual([]);
    expect(reasonsOf(ancient)).toEqual([]);
  });

  it('reads a stored policy document without promotion rules as the defaults', () => {
    // Prepare
    const { promotionRules: _, ...older } = DEFAULT_POLICY;

    // Act
    const policy = validatePolicy(older);

    // Assess
    expect(policy.promotionRules).toEqual(DEFAULT_POLICY.promotionRules);
  });
});

describe('promotion rules: distinct approvers per role', () => {
  it('counts each reviewer once per role, however many records they approved', () => {
    // Prepare
    const c = candidate({ requiredRoles: ['technical', 'product'] });
    const approvals = [
      approval(c, 'technical', { id: 'a1', reviewerId: 'u_t1' }),
      approval(c, 'technical', { id: 'a2', reviewerId: 'u_t1' }),
      approval(c, 'product', { id: 'a3', reviewerId: 'u_p1', status: 'pending' }),
    ];

    // Act
    const tally = approvalTally({ technical: 2, product: 1 }, approvals);

    // Assess
    expect(tally).toEqual([
      { role: 'technical', approved: 1, needed: 2 },
      { role: 'product', approved: 0, needed: 1 },
    ]);
    expect(tallyComplete(tally)).toBe(false);
    expect(
      tallyComplete(approvalTally({ technical: 2 }, [...approvals, approval(c, 'technical', { reviewerId: 'u_t2' })])),
    ).toBe(true);
  });

  it('blocks with APPROVALS_INCOMPLETE naming how many of how many until a second person approves', () => {
    // Prepare
    const policy = policyWith({ approvers: { technical: 2 } });
    const one = facts();
    const c = one.candidate;
    const twice = facts({
      approvals: [approval(c, 'technical', { id: 'a1' }), approval(c, 'technical', { id: 'a2' })],
    });
    const two = facts({
      approvals: [approval(c, 'technical', { id: 'a1' }), approval(c, 'technical', { id: 'a2', reviewerId: 'u_t2' })],
    });

    // Act / Assess
    expect(reasonsOf(one, policy)).toEqual([
      { code: 'APPROVALS_INCOMPLETE', message: 'too few distinct approvers of the required roles: technical 1 of 2' },
    ]);
    expect(reasonsOf(twice, policy).map((r) => r.code)).toEqual(['APPROVALS_INCOMPLETE']);
    expect(reasonsOf(two, policy)).toEqual([]);
  });

  it('asks for as many approvers as the round opened records, even when the policy now asks for fewer', () => {
    // Prepare
    const c = facts().candidate;
    const round = facts({
      approvals: [approval(c, 'technical', { id: 'a1' }), approval(c, 'technical', { id: 'a2', status: 'pending' })],
    });

    // Act / Assess
    expect(reasonsOf(round).map((r) => r.message)).toEqual([
      'too few distinct approvers of the required roles: technical 1 of 2',
    ]);
  });

  it('refuses one reviewer deciding a second record of a role they already approved', () => {
    // Prepare
    const c = candidate({ requiredRoles: ['technical'] });
    const first = approval(c, 'technical', { id: 'a1', reviewerId: 'u_t1' });
    const second = approval(c, 'technical', { id: 'a2', status: 'pending', reviewerId: null });
    const reviewer = { userId: 'u_t1', name: 'T1', roles: ['reviewer:technical' as const], teams: [], systems: [] };

    // Act / Assess
    expect(() =>
      approvalDecisionCheck({ candidate: c, approval: second, approvals: [first, second], reviewer }),
    ).toThrow(ForbiddenError);
    expect(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: second,
        approvals: [first, second],
        reviewer: { ...reviewer, userId: 'u_t2' },
      }),
    ).not.toThrow();
  });
});

describe('promotion rules: required dataset kinds', () => {
  it('names the kinds none of the candidate datasets is', () => {
    // Act / Assess
    expect(
      missingDatasetKinds({ ...NO_RULES, requiredDatasetKinds: ['baseline', 'adversarial'] }, ['baseline']),
    ).toEqual(['adversarial']);
    expect(missingDatasetKinds(NO_RULES, [])).toEqual([]);
  });

  it('blocks with DATASET_KIND_MISSING, and passes once a dataset of the kind is gated on', () => {
    // Prepare
    const policy = policyWith({ requiredDatasetKinds: ['baseline', 'adversarial'] });
    const withAdversarial = facts({ datasets: [dataset('ds_1', 'baseline'), dataset('ds_2', 'adversarial')] });

    // Act / Assess
    expect(reasonsOf(facts(), policy)).toEqual([
      {
        code: 'DATASET_KIND_MISSING',
        message: 'the policy requires a dataset of each kind, and the candidate has none of: adversarial',
      },
    ]);
    expect(reasonsOf(withAdversarial, policy)).toEqual([]);
  });
});

describe('promotion rules: threshold floors', () => {
  it('accepts min metrics at or above the floor and max metrics at or below it', () => {
    // Prepare
    const rules = {
      ...NO_RULES,
      thresholdFloors: [
        { metric: 'accuracy' as const, floor: 0.9 },
        { metric: 'timeoutRate' as const, floor: 0.05 },
      ],
    };
    const t = (metric: 'accuracy' | 'timeoutRate', direction: 'min' | 'max', value: number) => ({
      metric,
      direction,
      value,
    });

    // Act / Assess
    expect(floorShortfalls(rules, [t('accuracy', 'min', 0.9), t('timeoutRate', 'max', 0.05)])).toEqual([]);
    expect(floorShortfalls(rules, [t('accuracy', 'min', 0.85), t('timeoutRate', 'max', 0.1)])).toEqual([
      { metric: 'accuracy', direction: 'min', floor: 0.9, threshold: 0.85 },
      { metric: 'timeoutRate', direction: 'max', floor: 0.05, threshold: 0.1 },
    ]);
    // A threshold of the wrong direction does not hold the metric to the floor.
    expect(floorShortfalls(rules, [t('accuracy', 'max', 0.95), t('timeoutRate', 'max', 0.01)])).toEqual([
      { metric: 'accuracy', direction: 'min', floor: 0.9, threshold: null },
    ]);
  });

  it('blocks with THRESHOLD_BELOW_FLOOR naming metric, threshold and floor', () => {
    // Prepare
    const policy = policyWith({
      thresholdFloors: [
        { metric: 'accuracy', floor: 0.95 },
        { metric: 'latencyP95Ms', floor: 2000 },
      ],
    });

    // Act / Assess
    expect(reasonsOf(facts(), policy)).toEqual([
      {
        code: 'THRESHOLD_BELOW_FLOOR',
        message:
          "thresholds looser than the policy's floors: accuracy threshold 0.9 (floor >= 0.95), latencyP95Ms has no max threshold (floor <= 2000)",
      },
    ]);
    expect(reasonsOf(facts(), policyWith({ thresholdFloors: [{ metric: 'accuracy', floor: 0.9 }] }))).toEqual([]);
  });
});

describe('promotion rules: eval validity', () => {
  it('starts the validity window the limit before now, and has none by default', () => {
    // Act / Assess
    expect(evalValidFrom({ ...NO_RULES, evalValidityHours: 24 }, NOW)).toBe('2025-03-02T10:00:00.000Z');
    expect(evalValidFrom(NO_RULES, NOW)).toBeNull();
  });

  it('blocks a passing run older than the limit with EVAL_EXPIRED, keeping EVAL_STALE for another snapshot', () => {
    // Prepare
    const policy = policyWith({ evalValidityHours: 24 });
    const f = facts();
    const fresh = { ...f, run: evalRun(f.candidate, { finishedAt: '2025-03-02T10:00:00.000Z' }) };
    const staleAndOld = { ...f, run: evalRun(f.candidate, { snapshotHash: 'sha256:other' }) };

    // Act
    const expired = reasonsOf(f, policy);

    // Assess
    expect(expired.map((r) => r.code)).toEqual(['EVAL_EXPIRED']);
    expect(expired[0]?.message).toContain('finished at 2025-03-01T10:00:00.000Z');
    expect(reasonsOf(fresh, policy)).toEqual([]);
    expect(reasonsOf(staleAndOld, policy).map((r) => r.code)).toEqual(['EVAL_STALE', 'EVAL_EXPIRED']);
  });

  it('does not call a failed run expired: it is blocked for failing', () => {
    // Prepare
    const f = facts();
    const failed = { ...f, run: evalRun(f.candidate, { status: 'failed', failureReasons: ['accuracy'] }) };

    // Act / Assess
    expect(reasonsOf(failed, policyWith({ evalValidityHours: 1 })).map((r) => r.code)).toEqual(['EVAL_FAILED']);
  });
});

describe('validatePolicy: promotion rules', () => {
  function problemsOf(doc: unknown): string[] {
    try {
      validatePolicy(doc);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).detail.problems as string[];
    }
    throw new Error('the policy was accepted');
  }
  const withLow = (low: unknown) => ({
    ...DEFAULT_POLICY,
    promotionRules: {
      ...DEFAULT_POLICY.promotionRules,
      production: { ...DEFAULT_POLICY.promotionRules.production, low },
    },
  });

  it('accepts rules within their bounds and returns them', () => {
    // Prepare
    const low = {
      approvers: { technical: 2 },
      requiredDatasetKinds: ['baseline', 'adversarial'],
      thresholdFloors: [
        { metric: 'accuracy', floor: 0.9 },
        { metric: 'latencyP95Ms', floor: 2500 },
      ],
      evalValidityHours: 72,
    };

    const production = { low, medium: low, high: low, critical: low };

    // Act / Assess
    expect(
      validatePolicy({ ...DEFAULT_POLICY, promotionRules: { staging: NO_RULES, production } }).promotionRules.production
        .low,
    ).toEqual(low);
  });

  it('refuses a floor on an unknown metric or outside 0..1 for a rate, naming the field', () => {
    // Act
    const problems = problemsOf(
      withLow({
        ...NO_RULES,
        thresholdFloors: [
          { metric: 'vibes', floor: 0.5 },
          { metric: 'accuracy', floor: 1.5 },
          { metric: 'timeoutRate', floor: -0.1 },
        ],
      }),
    );

    // Assess
    expect(problems).toEqual([
      'promotionRules.production.low.thresholdFloors[0].metric is not a known metric: vibes',
      'promotionRules.production.low.thresholdFloors[1].floor must be from 0 to 1 (accuracy)',
      'promotionRules.production.low.thresholdFloors[2].floor must be a non-negative number',
    ]);
  });

  it('refuses unknown roles and kinds, approver counts out of range and a non-whole validity', () => {
    // Act
    const problems = problemsOf(
      withLow({
        approvers: { auditor: 1, technical: 0 },
        requiredDatasetKinds: ['golden'],
        thresholdFloors: [],
        evalValidityHours: 1.5,
      }),
    );

    // Assess
    expect(problems).toEqual([
      'promotionRules.production.low.approvers.auditor is not a role',
      'promotionRules.production.low.approvers.technical must be a whole number from 1 to 5',
      'promotionRules.production.low.requiredDatasetKinds has unknown kinds: golden',
      'promotionRules.production.low.evalValidityHours must be null or a whole number of hours from 1 to 87840',
    ]);
  });

  it('refuses a higher tier judged more loosely than the tier below it, naming both', () => {
    // Prepare
    const strict: TierPromotionRules = {
      approvers: { technical: 2 },
      requiredDatasetKinds: ['adversarial'],
      thresholdFloors: [{ metric: 'timeoutRate', floor: 0.05 }],
      evalValidityHours: 24,
    };
    const production = { low: NO_RULES, medium: strict, high: NO_RULES, critical: strict };

    // Act
    const problems = problemsOf({ ...DEFAULT_POLICY, promotionRules: { staging: NO_RULES, production } });

    // Assess
    expect(problems).toEqual([
      'promotionRules.production.high.approvers.technical asks for fewer (looser than promotionRules.production.medium)',
      'promotionRules.production.high.requiredDatasetKinds lacks adversarial (looser than promotionRules.production.medium)',
      'promotionRules.production.high.thresholdFloors does not hold timeoutRate to 0.05 (looser than promotionRules.production.medium)',
      'promotionRules.production.high.evalValidityHours keeps an eval valid longer (looser than promotionRules.production.medium)',
    ]);
  });

  it('refuses a rules object without a set per risk tier', () => {
    // Act / Assess
    expect(
      problemsOf({ ...DEFAULT_POLICY, promotionRules: { staging: NO_RULES, production: { low: NO_RULES } } }),
    ).toEqual([
      'promotionRules.production.medium must be an object',
      'promotionRules.production.high must be an object',
      'promotionRules.production.critical must be an object',
    ]);
  });
});
