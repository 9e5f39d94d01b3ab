// The policy's promotion rules on DynamoDB Local: a round that needs two distinct technical approvers, and the
// promotion transaction's own refusal of a second approval by the same person and of an eval run past its validity.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApprovalPolicy,
  DEFAULT_POLICY,
  type PromotionRules,
  type TierPromotionRules,
} from '../../../functions/domain/policy.js';
import type { AiSystem, ApprovalRecord, ReleaseCandidate } from '../../../functions/domain/types.js';
import { gateFacts, gateKeys } from '../../../functions/store/candidates/gate-facts.js';
import { writePromotion } from '../../../functions/store/candidates/promotion.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys, toEntity } from '../../../functions/store/keys.js';
import { runUnitOfWork, type StoreContext } from '../../../functions/store/unit-of-work.js';
import { evaluatedCandidate, type GovernedSystem, governedSystem, owner, people } from '../../support/lifecycle.js';
import { createTestStore, principal } from '../../support/store.js';

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

const TWO_TECHNICAL = policyWith({ approvers: { technical: 2 } });
const secondTechnical = principal('theo.technical', ['reviewer:technical']);

describe('distinct approvers per role, as the policy asks', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let base: GovernedSystem;
  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    base = await governedSystem(store, { system: { riskTier: 'low' } });
  });
  afterAll(async () => drop());

  async function openRound(policy: ApprovalPolicy) {
    const evaluated = await evaluatedCandidate(store, base, { evaluation: 'recorded' });
    return store.candidates.requestApproval(owner, evaluated.id, policy);
  }

  /** A promotion written without the domain's verdict, in one attempt: only the table's conditions can refuse it. */
  function promoteWithoutVerdict(candidate: ReleaseCandidate, policy: ApprovalPolicy) {
    const once: StoreContext = { ...store.ctx, maxAttempts: 1 };
    return runUnitOfWork(once, base.system.id, owner, gateKeys(candidate), (tx) => {
      const facts = gateFacts((k) => tx.get(k), toEntity<AiSystem>(tx.meta), candidate.id);
      return writePromotion(tx, owner, facts, 'production', facts.system.activeReleases.production, null, policy);
    }).then(
      () => 'committed',
      (error: Error) => error.name,
    );
  }

  async function setFields(key: { pk: string; sk: string }, fields: Record<string, unknown>) {
    const names = Object.keys(fields);
    await store.ctx.doc.send(
      new UpdateCommand({
        TableName: store.ctx.tableName,
        Key: key,
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#f${i}`, n])),
        ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:v${i}`, fields[n]])),
      }),
    );
  }

  it('keeps the round open after one approval and after the same reviewer tries again, and completes it with a second person', async () => {
    // Prepare
    const { candidate, approvals } = await openRound(TWO_TECHNICAL);
    const [first, second] = approvals as [ApprovalRecord, ApprovalRecord];

    // Act
    const afterOne = await store.approvals.decideApproval(people.technical, first.id, 'approved', 'fine');
    const sameAgain = await store.approvals.decideApproval(people.technical, second.id, 'approved', 'fine again').then(
      () => 'committed',
      (error: Error & { detail?: { code?: string } }) => `${error.name} ${error.detail?.code}`,
    );
    const gateAfterOne = await store.candidates.candidateGate(candidate.id, undefined, TWO_TECHNICAL);
    const afterTwo = await store.approvals.decideApproval(secondTechnical, second.id, 'approved', 'fine');
    const gateAfterTwo = await store.candidates.candidateGate(candidate.id, undefined, TWO_TECHNICAL);

    // Assess
    expect(approvals.map((a) => a.role)).toEqual(['technical', 'technical']);
    expect(afterOne.candidate.status).toBe('awaiting_approval');
    expect(sameAgain).toBe('ForbiddenError SEPARATION_OF_DUTIES');
    expect((await store.approvals.getApproval(second.id)).status).toBe('approved');
    expect(gateAfterOne.reasons).toContainEqual({
      code: 'APPROVALS_INCOMPLETE',
      message: 'too few distinct approvers of the required roles: technical 1 of 2',
    });
    expect(afterTwo.candidate.status).toBe('approved');
    expect(gateAfterTwo.reasons).toEqual([]);
    expect((await store.candidates.getCandidate(candidate.id)).policyVersion).toBe(2);
  });

  it('refuses in the promotion transaction a round whose two records name the same reviewer', async () => {
    // Prepare
    const { candidate, approvals } = await openRound(TWO_TECHNICAL);
    const [first, second] = approvals as [ApprovalRecord, ApprovalRecord];
    await store.approvals.decideApproval(people.technical, first.id, 'approved', 'fine');
    await store.approvals.decideApproval(secondTechnical, second.id, 'approved', 'fine');
    // As a write that skipped the decision's check would have left it.
    await setFields(keys.approval(second.id), { reviewerId: people.technical.userId });
    const approved = await store.candidates.getCandidate(candidate.id);

    // Act
    const bypass = await promoteWithoutVerdict(approved, TWO_TECHNICAL);

    // Assess
    expect(bypass).toBe('ContentionError');
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
  });

  it('refuses in the promotion transaction an eval run that finished before the policy validity allows', async () => {
    // Prepare
    const policy = policyWith({ evalValidityHours: 24 });
    const { candidate, approvals } = await openRound(policy);
    await store.approvals.decideApproval(people.technical, (approvals[0] as ApprovalRecord).id, 'approved', 'ok');
    const approved = await store.candidates.getCandidate(candidate.id);
    await setFields(keys.evalRun(approved.latestEvalRunId as string), { finishedAt: '2001-01-01T00:00:00.000Z' });

    // Act
    const gate = await store.candidates.candidateGate(candidate.id, undefined, policy);
    const bypass = await promoteWithoutVerdict(approved, policy);
    const withoutLimit = await promoteWithoutVerdict(approved, DEFAULT_POLICY);

    // Assess
    expect(gate.reasons.map((r) => r.code)).toEqual(['EVAL_EXPIRED']);
    expect(bypass).toBe('ContentionError');
    expect(withoutLimit).toBe('committed');
  });
});
