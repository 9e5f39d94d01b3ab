import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { DEFAULT_POLICY, validatePolicy } from '../../../functions/domain/policy.js';
import { policyDiff } from '../../../functions/domain/policy-diff.js';
import {
  activationQuorum,
  assertPolicyTransition,
  canTransitionPolicy,
  laterPolicy,
  type PolicyDocument,
  type PolicyVersion,
  policyActivationRefusal,
  policyApprovalRefusal,
  policyCreateRefusal,
  policyDocumentHash,
  policyEditRefusal,
  policySubmitRefusal,
  policyWithdrawRefusal,
  validatePolicyDraft,
} from '../../../functions/domain/policy-version.js';
import { principal } from '../../support/store.js';

const greta = principal('greta.governance', ['reviewer:governance']);
const gus = principal('gus.governance', ['reviewer:governance']);
const gina = principal('gina.governance', ['reviewer:governance']);
const ada = principal('ada.admin', ['admin']);
const omar = principal('omar.owner', ['model_owner'], { teams: ['support-ai'] });

function documentWith(quorum: number): PolicyDocument {
  const { effectiveFrom: _e, ...rest } = structuredClone(DEFAULT_POLICY) as typeof DEFAULT_POLICY;
  return { ...rest, governance: { activationQuorum: quorum } };
}

function versionOf(overrides: Partial<PolicyVersion> = {}): PolicyVersion {
  const document = overrides.document ?? documentWith(2);
  return {
    version: 2,
    status: 'submitted',
    baseVersion: 1,
    document,
    documentHash: policyDocumentHash(document),
    reason: 'tighten',
    createdBy: { userId: greta.userId, name: greta.name },
    createdAt: '2026-01-01T00:00:00.000Z',
    submittedAt: '2026-01-01T00:00:00.000Z',
    approvals: [],
    quorum: 2,
    activatedAt: null,
    activatedBy: null,
    supersededAt: null,
    ...overrides,
  };
}

const approval = (reviewerId: string) => ({
  reviewerId,
  name: reviewerId,
  at: '2026-01-02T00:00:00.000Z',
  reason: null,
});

describe('policy document governance block', () => {
  it('reads a document without a governance block as an activation quorum of 2', () => {
    // Prepare
    const { governance: _g, ...older } = structuredClone(DEFAULT_POLICY) as typeof DEFAULT_POLICY;

    // Act
    const policy = validatePolicy(older);

    // Assess
    expect(policy.governance).toEqual({ activationQuorum: 2 });
  });

  it.each([0, 6, 1.5, '2'])('refuses an activation quorum of %j, naming the field', (quorum) => {
    // Act
    const act = () => validatePolicyDraft({ ...DEFAULT_POLICY, governance: { activationQuorum: quorum } }, 2);

    // Assess
    expect(act).toThrow(ValidationError);
    try {
      act();
    } catch (error) {
      expect((error as ValidationError).detail.problems).toEqual([
        'document.governance.activationQuorum must be a whole number from 1 to 5',
      ]);
    }
  });

  it('names every field of an invalid draft under document., and accepts none of it', () => {
    // Prepare
    const doc = {
      ...DEFAULT_POLICY,
      tiers: { ...DEFAULT_POLICY.tiers, low: ['janitor'] },
      promotionRules: {
        ...DEFAULT_POLICY.promotionRules,
        staging: { ...DEFAULT_POLICY.promotionRules.staging, thresholdFloors: [{ metric: 'vibes', floor: 1 }] },
      },
    };

    // Act
    let problems: string[] = [];
    try {
      validatePolicyDraft(doc, 2);
    } catch (error) {
      problems = (error as ValidationError).detail.problems as string[];
    }

    // Assess
    expect(problems).toContain('document.tiers.low has unknown values: janitor');
    expect(problems).toContain(
      'document.promotionRules.staging.thresholdFloors[0].metric is not a known metric: vibes',
    );
  });

  it('replaces the version and leaves effectiveFrom unset on a draft copied from an active version', () => {
    // Act
    const draft = validatePolicyDraft({ ...DEFAULT_POLICY, version: 9 }, 3);

    // Assess
    expect(draft.version).toBe(3);
    expect(draft.effectiveFrom).toBeUndefined();
  });

  it('hashes a document the same whether or not activation has set effectiveFrom', () => {
    // Prepare
    const draft = documentWith(2);

    // Act
    const before = policyDocumentHash(draft);
    const after = policyDocumentHash({ ...draft, effectiveFrom: '2026-02-01T00:00:00.000Z' });

    // Assess
    expect(after).toBe(before);
    expect(policyDocumentHash(documentWith(3))).not.toBe(before);
  });
});

describe('policy version lifecycle', () => {
  it.each([
    ['draft', 'submitted', true],
    ['draft', 'withdrawn', true],
    ['submitted', 'active', true],
    ['submitted', 'withdrawn', true],
    ['active', 'superseded', true],
    ['draft', 'active', false],
    ['active', 'withdrawn', false],
    ['superseded', 'active', false],
    ['withdrawn', 'submitted', false],
  ] as const)('%s -> %s allowed: %s', (from, to, allowed) => {
    // Act
    const can = canTransitionPolicy(from, to);

    // Assess
    expect(can).toBe(allowed);
    if (!allowed) expect(() => assertPolicyTransition(from, to)).toThrow(/cannot move/);
  });
});

describe('activation quorum', () => {
  it.each([
    [2, 1, 2],
    [2, 3, 3],
    [4, 2, 4],
    [1, 1, 1],
  ])('active %i and draft %i need %i approvals: a draft cannot lower its own guard', (active, draft, needed) => {
    // Act
    const quorum = activationQuorum(documentWith(active), documentWith(draft));

    // Assess
    expect(quorum).toBe(needed);
  });

  it('refuses activation with fewer approvals than the active version asks, whatever the draft says', () => {
    // Prepare
    const active = versionOf({ version: 1, status: 'active', baseVersion: null, document: documentWith(3) });
    const draft = versionOf({ document: documentWith(1), approvals: [approval(gus.userId), approval(gina.userId)] });

    // Act
    const refusal = policyActivationRefusal(greta, draft, active);

    // Assess
    expect(refusal).toMatchObject({ kind: 'conflict', code: 'POLICY_QUORUM_NOT_MET' });
  });

  it('activates with as many distinct non-author approvals as the quorum', () => {
    // Prepare
    const active = versionOf({ version: 1, status: 'active', baseVersion: null });
    const draft = versionOf({ approvals: [approval(gus.userId), approval(gina.userId)] });

    // Act
    const refusal = policyActivationRefusal(ada, draft, active);

    // Assess
    expect(refusal).toBeNull();
  });

  it('does not count an approval by the author towards the quorum', () => {
    // Prepare
    const active = versionOf({ version: 1, status: 'active', baseVersion: null });
    const draft = versionOf({ approvals: [approval(gus.userId), approval(greta.userId)] });

    // Act
    const refusal = policyActivationRefusal(ada, draft, active);

    // Assess
    expect(refusal).toMatchObject({ code: 'POLICY_QUORUM_NOT_MET' });
  });

  it('refuses activation when another version was activated since the draft was based on its predecessor', () => {
    // Prepare
    const active = versionOf({ version: 3, status: 'active', baseVersion: 1 });
    const draft = versionOf({ approvals: [approval(gus.userId), approval(gina.userId)] });

    // Act
    const refusal = policyActivationRefusal(ada, draft, active);

    // Assess
    expect(refusal).toMatchObject({ kind: 'conflict', code: 'POLICY_BASE_CHANGED' });
  });

  it('lets neither a model owner activate nor a draft that was never submitted be activated', () => {
    // Prepare
    const active = versionOf({ version: 1, status: 'active', baseVersion: null });
    const draft = versionOf({ status: 'draft' });

    // Act
    const byOwner = policyActivationRefusal(omar, versionOf(), active);
    const unsubmitted = policyActivationRefusal(ada, draft, active);

    // Assess
    expect(byOwner).toMatchObject({ kind: 'forbidden' });
    expect(unsubmitted).toMatchObject({ kind: 'conflict', code: 'INVALID_STATE' });
  });
});

describe('who may do what to a policy version', () => {
  it('lets admins and governance reviewers draft, and no one else', () => {
    // Act
    const refusals = [ada, greta, omar].map((p) => policyCreateRefusal(p));

    // Assess
    expect(refusals.map((r) => r?.kind ?? null)).toEqual([null, null, 'forbidden']);
  });

  it('refuses the author approving their own version', () => {
    // Act
    const refusal = policyApprovalRefusal(greta, versionOf());

    // Assess
    expect(refusal).toMatchObject({ kind: 'forbidden', code: 'SEPARATION_OF_DUTIES' });
  });

  it('refuses a second approval by the same reviewer and an approval by a non-governance admin', () => {
    // Prepare
    const version = versionOf({ approvals: [approval(gus.userId)] });

    // Act
    const twice = policyApprovalRefusal(gus, version);
    const admin = policyApprovalRefusal(ada, versionOf());

    // Assess
    expect(twice).toMatchObject({ kind: 'conflict', code: 'INVALID_STATE' });
    expect(admin).toMatchObject({ kind: 'forbidden' });
  });

  it('refuses approval of a draft that is not submitted', () => {
    // Act
    const refusal = policyApprovalRefusal(gus, versionOf({ status: 'draft' }));

    // Assess
    expect(refusal).toMatchObject({ kind: 'conflict', code: 'INVALID_STATE' });
  });

  it('lets only the author edit and submit a draft', () => {
    // Prepare
    const draft = versionOf({ status: 'draft' });

    // Act
    const edits = [greta, gus].map((p) => policyEditRefusal(p, draft)?.kind ?? null);
    const submits = [greta, gus].map((p) => policySubmitRefusal(p, draft)?.kind ?? null);
    const editSubmitted = policyEditRefusal(greta, versionOf());

    // Assess
    expect(edits).toEqual([null, 'forbidden']);
    expect(submits).toEqual([null, 'forbidden']);
    expect(editSubmitted).toMatchObject({ code: 'INVALID_STATE' });
  });

  it('lets the author or an admin withdraw, never once active', () => {
    // Act
    const byAuthor = policyWithdrawRefusal(greta, versionOf());
    const byAdmin = policyWithdrawRefusal(ada, versionOf({ status: 'draft' }));
    const byOther = policyWithdrawRefusal(gus, versionOf());
    const active = policyWithdrawRefusal(greta, versionOf({ status: 'active' }));

    // Assess
    expect([byAuthor, byAdmin]).toEqual([null, null]);
    expect(byOther).toMatchObject({ kind: 'forbidden' });
    expect(active).toMatchObject({ code: 'INVALID_STATE' });
  });
});

describe('the policy a promotion is judged under', () => {
  it('is the later of the round and the system copy, whichever is which', () => {
    // Prepare
    const older = { version: 1, tag: 'round' };
    const newer = { version: 2, tag: 'meta' };

    // Act
    const picks = [laterPolicy(older, newer), laterPolicy(newer, older), laterPolicy(null, older)];

    // Assess
    expect(picks.map((p) => p.version)).toEqual([2, 2, 1]);
  });
});

describe('the diff of two policy documents', () => {
  it('lists each changed field by path with both values, and nothing for the version number', () => {
    // Prepare
    const from = documentWith(2);
    const to = { ...documentWith(3), version: 7, stagingRoles: ['technical', 'product'] as const };

    // Act
    const changes = policyDiff(from, { ...to, stagingRoles: [...to.stagingRoles] });

    // Assess
    expect(changes).toEqual([
      { path: 'governance.activationQuorum', from: 2, to: 3 },
      { path: 'stagingRoles', from: ['technical'], to: ['technical', 'product'] },
    ]);
  });
});
