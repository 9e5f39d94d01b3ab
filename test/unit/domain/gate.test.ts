import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { authorsOf } from '../../../functions/domain/authorship.js';
import {
  ActiveReleaseChangedError,
  type BlockReasonCode,
  ForbiddenError,
  GateBlockedError,
  InvalidTransitionError,
  ValidationError,
} from '../../../functions/domain/errors.js';
import {
  activeReleaseChanged,
  approvalDecisionCheck,
  assertPromotable,
  BLOCK_REASON_ORDER,
  blockedReasons,
  type GateInput,
  gateInput,
  promotionRoles,
  type SnapshotArtefact,
} from '../../../functions/domain/gate.js';
import { snapshotHash } from '../../../functions/domain/snapshot.js';
import type {
  AiSystem,
  ApprovalRecord,
  CandidateStatus,
  EvalRun,
  Principal,
  ReleaseCandidate,
  ReviewerRole,
} from '../../../functions/domain/types.js';

const AUTHOR = 'u_author';
const T0 = '2025-03-01T10:00:00.000Z';

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

/** A gate input in which every precondition holds. */
function promotable(roles: ReviewerRole[] = ['technical', 'product', 'risk', 'governance']): GateInput {
  const c = candidate({ requiredRoles: roles });
  return {
    system: system(),
    candidate: c,
    environment: 'production',
    latestEvalRun: evalRun(c),
    approvals: roles.map((role) => approval(c, role)),
    requiredRoles: roles,
    expectedActiveCandidateId: 'rc_prev',
  };
}

function codes(input: GateInput): BlockReasonCode[] {
  return blockedReasons(input).map((r) => r.code);
}

function thrown(act: () => void): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('promotion gate: each reason on its own', () => {
  it('returns no reason when every precondition holds', () => {
    // Act / Assess
    expect(blockedReasons(promotable())).toEqual([]);
    expect(blockedReasons({ ...promotable(['technical']), expectedActiveCandidateId: undefined })).toEqual([]);
  });

  it('blocks a retired system with SYSTEM_RETIRED', () => {
    // Prepare
    const input = { ...promotable(), system: system({ status: 'retired' }) };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([{ code: 'SYSTEM_RETIRED', message: 'system sys_1 is retired' }]);
  });

  it('blocks a promotion to another environment than the candidate was built for with WRONG_ENVIRONMENT', () => {
    // Prepare
    const input = { ...promotable(), environment: 'staging' as const, expectedActiveCandidateId: 'rc_prev_staging' };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([
      { code: 'WRONG_ENVIRONMENT', message: 'the candidate was built for production, not staging' },
    ]);
  });

  it.each<CandidateStatus>([
    'draft',
    'submitted',
    'evaluating',
    'eval_passed',
    'eval_failed',
    'awaiting_approval',
    'rejected',
    'active',
    'superseded',
    'rolled_back',
  ])('blocks a %s candidate with INVALID_STATE', (status) => {
    // Prepare
    const base = promotable();
    const input = { ...base, candidate: { ...base.candidate, status } };

    // Act
    const reasons = blockedReasons(input);

    // Assess
    expect(reasons.map((r) => r.code)).toEqual(['INVALID_STATE']);
    expect(reasons[0]?.message).toContain(status);
  });

  it('blocks a missing eval run with EVAL_MISSING', () => {
    // Prepare
    const input = { ...promotable(), latestEvalRun: null };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([{ code: 'EVAL_MISSING', message: 'the candidate has no eval run' }]);
  });

  it.each(['queued', 'running'] as const)('blocks a %s eval run with EVAL_MISSING', (status) => {
    // Prepare
    const base = promotable();
    const input = { ...base, latestEvalRun: evalRun(base.candidate, { status }) };

    // Act
    const reasons = blockedReasons(input);

    // Assess
    expect(reasons).toEqual([
      { code: 'EVAL_MISSING', message: `the latest eval run run_1 has not finished (${status})` },
    ]);
  });

  it('blocks with EVAL_MISSING when the run given belongs to another candidate', () => {
    // Prepare
    const base = promotable();
    const input = { ...base, latestEvalRun: evalRun(base.candidate, { candidateId: 'rc_9', status: 'failed' }) };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([
      { code: 'EVAL_MISSING', message: 'eval run run_1 belongs to candidate rc_9' },
    ]);
  });

  it('blocks a failed eval run with EVAL_FAILED naming the failures', () => {
    // Prepare
    const base = promotable();
    const run = evalRun(base.candidate, { status: 'failed', failureReasons: ['accuracy 0.81 < 0.9'] });

    // Act / Assess
    expect(blockedReasons({ ...base, latestEvalRun: run })).toEqual([
      { code: 'EVAL_FAILED', message: 'the latest eval run run_1 failed: accuracy 0.81 < 0.9' },
    ]);
  });

  it('blocks an eval run that ended in error with EVAL_FAILED naming the error', () => {
    // Prepare
    const base = promotable();
    const run = evalRun(base.candidate, { status: 'error', error: 'endpoint timed out' });
    const bare = evalRun(base.candidate, { status: 'error' });
    const silentFail = evalRun(base.candidate, { status: 'failed' });

    // Act / Assess
    expect(blockedReasons({ ...base, latestEvalRun: run })[0]?.message).toBe(
      'the latest eval run run_1 error: endpoint timed out',
    );
    expect(blockedReasons({ ...base, latestEvalRun: bare })[0]?.message).toBe(
      'the latest eval run run_1 error: executor error',
    );
    expect(blockedReasons({ ...base, latestEvalRun: silentFail })[0]?.message).toBe(
      'the latest eval run run_1 failed: failed',
    );
  });

  it('blocks an eval run of another snapshot with EVAL_STALE', () => {
    // Prepare
    const base = promotable();
    const run = evalRun(base.candidate, { snapshotHash: 'sha256:old' });

    // Act
    const reasons = blockedReasons({ ...base, latestEvalRun: run });

    // Assess
    expect(reasons.map((r) => r.code)).toEqual(['EVAL_STALE']);
    expect(reasons[0]?.message).toContain('judged snapshot sha256:old');
  });

  it('blocks missing approvals with APPROVALS_INCOMPLETE naming the roles', () => {
    // Prepare
    const base = promotable();
    const approvals = base.approvals
      .filter((a) => a.role !== 'risk')
      .map((a) => (a.role === 'product' ? { ...a, status: 'pending' as const, reviewerId: null } : a));

    // Act / Assess
    expect(blockedReasons({ ...base, approvals })).toEqual([
      {
        code: 'APPROVALS_INCOMPLETE',
        message: 'too few distinct approvers of the required roles: product 0 of 1, risk 0 of 1',
      },
    ]);
  });

  it('does not count an approved record without a reviewer', () => {
    // Prepare
    const base = promotable(['technical']);
    const approvals = [{ ...(base.approvals[0] as ApprovalRecord), reviewerId: null }];

    // Act / Assess
    expect(codes({ ...base, approvals })).toEqual(['APPROVALS_INCOMPLETE']);
  });

  it('ignores approval records of other candidates', () => {
    // Prepare
    const base = promotable(['technical']);
    const foreign = approval(base.candidate, 'product', { candidateId: 'rc_other', status: 'rejected' });
    const borrowed = approval(base.candidate, 'technical', { candidateId: 'rc_other' });

    // Act / Assess
    expect(codes({ ...base, approvals: [...base.approvals, foreign] })).toEqual([]);
    expect(codes({ ...base, approvals: [borrowed] })).toEqual(['APPROVALS_INCOMPLETE']);
  });

  it('blocks a rejection or a change request with APPROVAL_REJECTED naming who decided', () => {
    // Prepare
    const base = promotable(['technical']);
    const rejected = approval(base.candidate, 'technical', {
      id: 'apr_t2',
      status: 'rejected',
      reviewerId: 'u_zed',
      reviewerName: 'Zed',
    });
    const changes = approval(base.candidate, 'product', {
      id: 'apr_p2',
      status: 'changes_requested',
      reviewerId: 'u_yan',
      reviewerName: null,
    });

    // Act / Assess
    expect(blockedReasons({ ...base, approvals: [...base.approvals, rejected, changes] })).toEqual([
      { code: 'APPROVAL_REJECTED', message: 'technical rejected by Zed, product changes requested by u_yan' },
    ]);
  });

  it('blocks an approval by the candidate author with SEPARATION_OF_DUTIES', () => {
    // Prepare
    const base = promotable(['technical', 'product']);
    const approvals = base.approvals.map((a) => (a.role === 'product' ? { ...a, reviewerId: AUTHOR } : a));

    // Act / Assess
    expect(blockedReasons({ ...base, approvals })).toEqual([
      {
        code: 'SEPARATION_OF_DUTIES',
        message: 'u_author approved product but authored what is approved: created candidate rc_1 as u_author',
      },
    ]);
  });

  it("blocks an approval by the person behind a pipeline's write of the prompt, naming the artefact and the login", () => {
    // Prepare: the prompt's creating pipeline ran as tessa-gh, the login linked to the technical reviewer u_technical.
    const base = promotable(['technical', 'product']);
    const approvals = base.approvals.map((a) =>
      a.role === 'technical' ? { ...a, reviewerGithubLogin: 'tessa-gh' } : a,
    );
    const authors = [
      ...authorsOf('prompt', {
        id: 'pv_1',
        createdBy: 'github:acme/bot',
        ciAuthors: [{ login: 'tessa-gh', claim: 'actor', step: 'created' }],
      }),
      ...authorsOf('candidate', base.candidate),
    ];

    // Act / Assess
    expect(blockedReasons({ ...base, approvals, authors })).toEqual([
      {
        code: 'SEPARATION_OF_DUTIES',
        message:
          "u_technical approved technical but authored what is approved: created prompt version pv_1 as GitHub login tessa-gh (the actor of a pipeline's token)",
      },
    ]);
  });

  it('blocks one person approving two roles with SEPARATION_OF_DUTIES', () => {
    // Prepare
    const base = promotable(['technical', 'product', 'risk']);
    const approvals = base.approvals.map((a) => (a.role === 'risk' ? { ...a, reviewerId: 'u_technical' } : a));

    // Act / Assess
    expect(blockedReasons({ ...base, approvals })).toEqual([
      { code: 'SEPARATION_OF_DUTIES', message: 'u_technical approved more than one role: technical, risk' },
    ]);
  });

  it('blocks approvals tied to another snapshot with SNAPSHOT_INELIGIBLE', () => {
    // Prepare
    const base = promotable(['technical']);
    const old = approval(base.candidate, 'product', { id: 'apr_old', snapshotHash: 'sha256:old' });

    // Act / Assess
    expect(blockedReasons({ ...base, approvals: [...base.approvals, old] })).toEqual([
      {
        code: 'SNAPSHOT_INELIGIBLE',
        message: 'approvals tied to another snapshot: product (apr_old, snapshot sha256:old)',
      },
    ]);
  });

  it('blocks a candidate without content hashes with SNAPSHOT_INELIGIBLE', () => {
    // Prepare
    const base = promotable(['technical']);
    const input = { ...base, candidate: { ...base.candidate, promptContentHash: '', modelConfigContentHash: '' } };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([
      { code: 'SNAPSHOT_INELIGIBLE', message: 'candidate has no promptContentHash, modelConfigContentHash' },
    ]);
  });

  it('blocks a candidate whose fields no longer match its snapshot hash with SNAPSHOT_INELIGIBLE', () => {
    // Prepare
    const base = promotable(['technical']);
    const input = { ...base, candidate: { ...base.candidate, datasetIds: ['ds_1', 'ds_sneaked_in'] } };

    // Act
    const reasons = blockedReasons(input);

    // Assess
    expect(reasons.map((r) => r.code)).toEqual(['SNAPSHOT_INELIGIBLE']);
    expect(reasons[0]?.message).toContain('does not match');
  });

  it('blocks a candidate of another system with SNAPSHOT_INELIGIBLE', () => {
    // Prepare
    const input = { ...promotable(['technical']), system: system({ id: 'sys_2' }) };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([
      { code: 'SNAPSHOT_INELIGIBLE', message: 'candidate rc_1 belongs to system sys_1, not sys_2' },
    ]);
  });

  it('blocks while a blocking incident is open with BLOCKING_INCIDENT_OPEN', () => {
    // Prepare
    const input = { ...promotable(), system: system({ openIncidents: { low: 0, medium: 0, high: 1, critical: 1 } }) };

    // Act / Assess
    expect(blockedReasons(input)).toEqual([
      {
        code: 'BLOCKING_INCIDENT_OPEN',
        message:
          '2 blocking incident(s) open on system sys_1: 1 high, 1 critical (high, critical block the production promotion of a critical tier system)',
      },
    ]);
  });

  it('blocks when the active release is not the one the caller expected with ACTIVE_RELEASE_CHANGED', () => {
    // Prepare
    const stale = { ...promotable(), expectedActiveCandidateId: 'rc_older' };
    const expectedNone = { ...promotable(), expectedActiveCandidateId: null };
    const firstRelease = { ...promotable(), system: system({ activeReleases: { staging: null, production: null } }) };

    // Act / Assess
    expect(blockedReasons(stale)).toEqual([
      { code: 'ACTIVE_RELEASE_CHANGED', message: 'the active production release is rc_prev, not rc_older as expected' },
    ]);
    expect(blockedReasons(expectedNone)[0]?.message).toBe(
      'the active production release is rc_prev, not none as expected',
    );
    expect(blockedReasons(firstRelease)[0]?.message).toBe(
      'the active production release is none, not rc_prev as expected',
    );
    expect(blockedReasons({ ...firstRelease, expectedActiveCandidateId: null })).toEqual([]);
  });
});

describe('promotion gate: every reason at once', () => {
  it('lists every fault of a thoroughly broken input, once each, in the documented order', () => {
    // Prepare
    const base = promotable(['technical', 'product', 'risk']);
    const c = { ...base.candidate, status: 'eval_failed' as const };
    const input: GateInput = {
      system: system({ status: 'retired', openIncidents: { low: 0, medium: 0, high: 0, critical: 1 } }),
      candidate: c,
      environment: 'staging',
      latestEvalRun: evalRun(c, { status: 'failed', snapshotHash: 'sha256:old' }),
      approvals: [
        approval(c, 'technical', { reviewerId: AUTHOR }),
        approval(c, 'product', { reviewerId: AUTHOR }),
        approval(c, 'risk', { status: 'rejected' }),
        approval(c, 'governance', { id: 'apr_g_old', snapshotHash: 'sha256:old' }),
      ],
      requiredRoles: base.requiredRoles,
      expectedActiveCandidateId: 'rc_someone_else',
      modelCardGaps: ['considerations.limitations'],
      rules: {
        approvers: {},
        requiredDatasetKinds: ['adversarial'],
        thresholdFloors: [{ metric: 'accuracy', floor: 0.95 }],
        evalValidityHours: 1,
      },
      datasetKinds: ['baseline'],
      now: '2030-01-01T00:00:00.000Z',
    };

    // Act
    const reasons = blockedReasons(input);

    // Assess
    // A failed run cannot also be expired: only a passing run expires (policy-rules.test.ts).
    expect(reasons.map((r) => r.code)).toEqual(
      BLOCK_REASON_ORDER.filter((code) => code !== 'EVAL_MISSING' && code !== 'EVAL_EXPIRED'),
    );
    expect(reasons.find((r) => r.code === 'SEPARATION_OF_DUTIES')?.message).toBe(
      'u_author approved technical, product but authored what is approved: created candidate rc_1 as u_author; ' +
        'u_author approved more than one role: technical, product',
    );
    expect(reasons.find((r) => r.code === 'APPROVALS_INCOMPLETE')?.message).toBe(
      'too few distinct approvers of the required roles: risk 0 of 1',
    );
  });

  it('returns exactly the injected faults for any combination of faults', () => {
    const faults = fc.record({
      retired: fc.boolean(),
      wrongEnvironment: fc.boolean(),
      invalidState: fc.option(
        fc.constantFrom<CandidateStatus>('draft', 'awaiting_approval', 'eval_passed', 'active', 'rolled_back'),
        { nil: null },
      ),
      snapshot: fc.option(fc.constantFrom('missing-hash', 'foreign-approval', 'edited', 'other-system'), { nil: null }),
      evalRun: fc.constantFrom('passed', 'none', 'queued', 'running', 'failed', 'error'),
      evalStale: fc.boolean(),
      incomplete: fc.boolean(),
      rejected: fc.option(fc.constantFrom('rejected', 'changes_requested'), { nil: null }),
      separation: fc.option(fc.constantFrom('author', 'same-person'), { nil: null }),
      incidents: fc.nat({ max: 3 }),
      expectation: fc.constantFrom('unstated', 'current', 'changed'),
      roles: fc.constantFrom<ReviewerRole[]>(
        ['technical', 'product'],
        ['technical', 'product', 'risk'],
        ['technical', 'product', 'risk', 'governance'],
      ),
    });

    fc.assert(
      fc.property(faults, (f) => {
        // Prepare
        const injected = new Set<BlockReasonCode>();
        const roles = f.roles;
        let sys = system();
        let c = candidate({ requiredRoles: roles });
        let environment: GateInput['environment'] = 'production';

        if (f.retired) {
          sys = { ...sys, status: 'retired' };
          injected.add('SYSTEM_RETIRED');
        }
        if (f.wrongEnvironment) {
          environment = 'staging';
          injected.add('WRONG_ENVIRONMENT');
        }
        if (f.invalidState) {
          c = { ...c, status: f.invalidState };
          injected.add('INVALID_STATE');
        }

        let approvals = roles.map((role) => approval(c, role));
        if (f.incomplete) {
          approvals = approvals.slice(0, -1);
          injected.add('APPROVALS_INCOMPLETE');
        }
        if (f.separation === 'author' || (f.separation === 'same-person' && approvals.length < 2)) {
          approvals = approvals.map((a, i) => (i === 0 ? { ...a, reviewerId: AUTHOR } : a));
          injected.add('SEPARATION_OF_DUTIES');
        } else if (f.separation === 'same-person') {
          approvals = approvals.map((a, i) => (i === 1 ? { ...a, reviewerId: approvals[0]?.reviewerId ?? null } : a));
          injected.add('SEPARATION_OF_DUTIES');
        }
        if (f.rejected) {
          approvals.push(approval(c, 'technical', { id: 'apr_no', status: f.rejected, reviewerId: 'u_zed' }));
          injected.add('APPROVAL_REJECTED');
        }

        let run: EvalRun | null = evalRun(c);
        if (f.evalRun === 'none') run = null;
        else if (f.evalRun !== 'passed') run = evalRun(c, { status: f.evalRun });
        if (f.evalRun === 'none' || f.evalRun === 'queued' || f.evalRun === 'running') injected.add('EVAL_MISSING');
        if (f.evalRun === 'failed' || f.evalRun === 'error') injected.add('EVAL_FAILED');
        if (run && f.evalStale) {
          run = { ...run, snapshotHash: 'sha256:stale' };
          injected.add('EVAL_STALE');
        }

        // Snapshot faults come last so that the records above are tied to the hash the candidate was built with.
        if (f.snapshot === 'missing-hash') c = { ...c, modelConfigContentHash: '' };
        if (f.snapshot === 'foreign-approval') {
          approvals.push(approval(c, 'governance', { id: 'apr_old', snapshotHash: 'sha256:old', status: 'pending' }));
        }
        if (f.snapshot === 'edited') c = { ...c, promptVersionId: 'pv_swapped' };
        if (f.snapshot === 'other-system') sys = { ...sys, id: 'sys_other' };
        if (f.snapshot) injected.add('SNAPSHOT_INELIGIBLE');

        if (f.incidents > 0) {
          sys = { ...sys, openIncidents: { low: 0, medium: 0, high: f.incidents, critical: 0 } };
          injected.add('BLOCKING_INCIDENT_OPEN');
        }
        const actual = sys.activeReleases[environment];
        const expected =
          f.expectation === 'unstated' ? undefined : f.expectation === 'current' ? actual : 'rc_somebody_else';
        if (f.expectation === 'changed') injected.add('ACTIVE_RELEASE_CHANGED');

        // Act
        const reasons = blockedReasons({
          system: sys,
          candidate: c,
          environment,
          latestEvalRun: run,
          approvals,
          requiredRoles: roles,
          expectedActiveCandidateId: expected,
        });

        // Assess
        expect(reasons.map((r) => r.code)).toEqual(BLOCK_REASON_ORDER.filter((code) => injected.has(code)));
        expect(reasons.every((r) => r.message.length > 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('asserting that a candidate is promotable', () => {
  it('returns quietly when nothing blocks', () => {
    // Act / Assess
    expect(() => assertPromotable(promotable())).not.toThrow();
  });

  it('throws GateBlockedError carrying every reason', () => {
    // Prepare
    const input = { ...promotable(), latestEvalRun: null, expectedActiveCandidateId: 'rc_x' };

    // Act
    const error = thrown(() => assertPromotable(input));

    // Assess
    expect(error).toBeInstanceOf(GateBlockedError);
    expect((error as GateBlockedError).reasons.map((r) => r.code)).toEqual(['EVAL_MISSING', 'ACTIVE_RELEASE_CHANGED']);
  });

  it('throws ActiveReleaseChangedError when the changed active release is the only reason', () => {
    // Prepare
    const input = { ...promotable(), expectedActiveCandidateId: null };

    // Act
    const error = thrown(() => assertPromotable(input));

    // Assess
    expect(error).toBeInstanceOf(ActiveReleaseChangedError);
    expect((error as ActiveReleaseChangedError).detail).toMatchObject({
      code: 'ACTIVE_RELEASE_CHANGED',
      expected: null,
      actual: 'rc_prev',
    });
  });
});

describe('checking an approval decision', () => {
  const reviewer = (userId: string, roles: Principal['roles']): Principal => ({
    userId,
    name: userId,
    roles,
    teams: [],
    systems: [],
  });

  function setup() {
    const c = candidate({ status: 'awaiting_approval' });
    const pending = (role: ReviewerRole) =>
      approval(c, role, { status: 'pending', reviewerId: null, reviewerName: null, decidedAt: null });
    return { c, approvals: [pending('technical'), pending('product')] };
  }

  it('lets a reviewer with the role decide a pending approval', () => {
    // Prepare
    const { c, approvals } = setup();

    // Act / Assess
    expect(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: approvals[0] as ApprovalRecord,
        approvals,
        reviewer: reviewer('u_tom', ['reviewer:technical']),
        decision: 'approved',
      }),
    ).not.toThrow();
  });

  it('refuses a reviewer without the role, even an admin', () => {
    // Prepare
    const { c, approvals } = setup();

    // Act
    const error = thrown(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: approvals[1] as ApprovalRecord,
        approvals,
        reviewer: reviewer('u_root', ['admin', 'reviewer:technical']),
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).detail).toEqual({ requiredRole: 'reviewer:product' });
  });

  it('refuses the candidate author with SEPARATION_OF_DUTIES, whatever their roles', () => {
    // Prepare
    const { c, approvals } = setup();

    // Act
    const error = thrown(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: approvals[0] as ApprovalRecord,
        approvals,
        reviewer: reviewer(AUTHOR, ['admin', 'reviewer:technical']),
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).detail).toEqual({
      code: 'SEPARATION_OF_DUTIES',
      authorship: [{ kind: 'candidate', artefactId: c.id, step: 'created', identity: { by: 'sub', userId: AUTHOR } }],
    });
  });

  it('refuses a reviewer who already approved another role of the candidate with SEPARATION_OF_DUTIES', () => {
    // Prepare
    const { c, approvals } = setup();
    const decided = approvals.map((a) =>
      a.role === 'technical' ? { ...a, status: 'approved' as const, reviewerId: 'u_both' } : a,
    );

    // Act
    const error = thrown(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: decided[1] as ApprovalRecord,
        approvals: decided,
        reviewer: reviewer('u_both', ['reviewer:technical', 'reviewer:product']),
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as ForbiddenError).detail).toEqual({ code: 'SEPARATION_OF_DUTIES' });
    expect((error as ForbiddenError).message).toBe('u_both already approved the technical role of this candidate');
  });

  it('refuses to decide an approval that is no longer pending', () => {
    // Prepare
    const { c, approvals } = setup();
    const done = { ...(approvals[0] as ApprovalRecord), status: 'rejected' as const, reviewerId: 'u_x' };
    const who = reviewer('u_tom', ['reviewer:technical']);

    // Act
    const named = thrown(() =>
      approvalDecisionCheck({ candidate: c, approval: done, approvals, reviewer: who, decision: 'approved' }),
    );
    const unnamed = thrown(() => approvalDecisionCheck({ candidate: c, approval: done, approvals, reviewer: who }));

    // Assess
    expect(named).toBeInstanceOf(InvalidTransitionError);
    expect((named as InvalidTransitionError).message).toBe('approval cannot move from rejected to approved');
    expect(unnamed).toBeInstanceOf(InvalidTransitionError);
  });

  it('refuses an approval record of another candidate', () => {
    // Prepare
    const { c, approvals } = setup();
    const foreign = { ...(approvals[0] as ApprovalRecord), candidateId: 'rc_other' };

    // Act / Assess
    expect(() =>
      approvalDecisionCheck({
        candidate: c,
        approval: foreign,
        approvals,
        reviewer: reviewer('u_tom', ['reviewer:technical']),
      }),
    ).toThrow(ValidationError);
  });
});

describe('the snapshot artefacts in the verdict', () => {
  const approvedArtefact = (id: string, contentHash: string): SnapshotArtefact => ({
    id,
    status: 'approved',
    contentHash,
  });

  it('lists nothing when both artefacts are approved and still carry the hashes the snapshot names', () => {
    // Prepare
    const input = promotable();
    input.artefacts = {
      prompt: approvedArtefact('pv_1', input.candidate.promptContentHash),
      modelConfig: approvedArtefact('mc_1', input.candidate.modelConfigContentHash),
    };

    // Act
    const reasons = blockedReasons(input);

    // Assess
    expect(reasons).toEqual([]);
  });

  it('lists one SNAPSHOT_INELIGIBLE per artefact that is not approved, changed its hash or is gone, prompt first', () => {
    // Prepare
    const input = promotable();
    input.artefacts = {
      prompt: { id: 'pv_1', status: 'in_review', contentHash: input.candidate.promptContentHash },
      modelConfig: approvedArtefact('mc_1', 'sha256:edited'),
    };
    const gone = { ...promotable(), artefacts: { prompt: null, modelConfig: input.artefacts.modelConfig } };

    // Act
    const reasons = blockedReasons(input);
    const goneReasons = blockedReasons(gone);

    // Assess
    expect(reasons).toEqual([
      { code: 'SNAPSHOT_INELIGIBLE', message: 'the prompt version pv_1 is in_review, not approved' },
      { code: 'SNAPSHOT_INELIGIBLE', message: 'the model config no longer matches the snapshot' },
    ]);
    expect(goneReasons.map((r) => r.message)).toEqual([
      'the prompt version no longer matches the snapshot',
      'the model config no longer matches the snapshot',
    ]);
  });
});

describe('promotionRoles', () => {
  it("takes the union of the current tier's roles and the round's roles: raising a tier adds, lowering never removes", () => {
    // Prepare
    const round = candidate({ requiredRoles: ['technical', 'product'] });

    // Act
    const lowered = promotionRoles(system({ riskTier: 'low' }), round, 'production');
    const raised = promotionRoles(system({ riskTier: 'high' }), round, 'production');

    // Assess
    expect(lowered).toEqual(['technical', 'product']);
    expect([...raised].sort()).toEqual(['product', 'risk', 'technical']);
  });
});

describe('gateInput', () => {
  it('builds the verdict input from the facts the store read, artefacts included, and no card gaps for staging', () => {
    // Prepare
    const c = candidate({ environment: 'staging', requiredRoles: ['technical'] });
    const run = evalRun(c);
    const facts = {
      system: system(),
      candidate: c,
      run,
      approvals: [approval(c, 'technical')],
      prompt: null,
      config: null,
      datasets: [],
    };

    // Act
    const input = gateInput(facts, 'staging', 'rc_prev_staging');

    // Assess
    expect(input).toEqual({
      system: facts.system,
      candidate: c,
      environment: 'staging',
      latestEvalRun: run,
      approvals: facts.approvals,
      requiredRoles: ['technical'],
      requiredApprovers: { technical: 1 },
      rules: { approvers: {}, requiredDatasetKinds: [], thresholdFloors: [], evalValidityHours: null },
      datasetKinds: [],
      expectedActiveCandidateId: 'rc_prev_staging',
      modelCardGaps: [],
      artefacts: { prompt: null, modelConfig: null },
      blockingSeverities: ['high', 'critical'],
      authors: [{ kind: 'candidate', artefactId: c.id, step: 'created', identity: { by: 'sub', userId: AUTHOR } }],
    });
    expect(blockedReasons(input).map((r) => r.code)).toEqual(['SNAPSHOT_INELIGIBLE', 'SNAPSHOT_INELIGIBLE']);
  });
});

describe('activeReleaseChanged', () => {
  it('answers nothing when the active release is the expected one, and the 409 naming both when it is not', () => {
    // Act
    const same = [activeReleaseChanged('rc_1', 'rc_1'), activeReleaseChanged(null, null)];
    const changed = activeReleaseChanged('rc_1', 'rc_2');

    // Assess
    expect(same).toEqual([undefined, undefined]);
    expect(changed).toBeInstanceOf(ActiveReleaseChangedError);
    expect(changed?.message).toBe('the active release is rc_2, not rc_1 as expected');
  });
});
