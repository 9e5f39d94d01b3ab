// The policy a promotion is judged under (ADR 0023), on DynamoDB Local: the system's copy of the version in force,
// recorded by candidates and rounds, and a promotion racing an activation that never commits under the looser one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateBlockedError } from '../../../functions/domain/errors.js';
import { assertPromotable, gateInput } from '../../../functions/domain/gate.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { AiSystem } from '../../../functions/domain/types.js';
import { gateFacts, gateKeys } from '../../../functions/store/candidates/gate-facts.js';
import { writePromotion } from '../../../functions/store/candidates/promotion.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { toEntity } from '../../../functions/store/keys.js';
import { judgingPolicy } from '../../../functions/store/policy-in-force.js';
import { runUnitOfWork } from '../../../functions/store/unit-of-work.js';
import { approvedCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const greta = actorOf(principal('greta.governance', ['reviewer:governance']));
const gus = actorOf(principal('gus.governance', ['reviewer:governance']));
const gina = actorOf(principal('gina.governance', ['reviewer:governance']));

describe('the policy in force judges promotions, on DynamoDB Local', () => {
  let store: GovernanceStore;
  let peer: GovernanceStore;
  let drop: () => Promise<void>;
  let base: GovernedSystem;

  beforeAll(async () => {
    const created = await createTestStore({ queuePerSystem: false });
    ({ store, drop } = created);
    peer = created.peer({ queuePerSystem: false });
    await store.policies.policyGenesis();
    base = await governedSystem(store, { system: { riskTier: 'low' } });
  });
  afterAll(async () => drop?.());

  /** Submits and has two reviewers approve a version in which low-tier production needs product as well. */
  async function stricterVersion(): Promise<number> {
    const { version: _v, effectiveFrom: _e, ...document } = structuredClone(DEFAULT_POLICY);
    document.tiers.low = ['technical', 'product'];
    const draft = await store.policies.createPolicyDraft(greta, { document, reason: 'low needs product' });
    await store.policies.submitPolicy(greta, draft.version);
    await store.policies.approvePolicy(gus, draft.version, null);
    await store.policies.approvePolicy(gina, draft.version, null);
    return draft.version;
  }

  it('records the version in force on a candidate when built and on its approval round', async () => {
    // Act
    const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });

    // Assess
    expect(candidate.policyVersion).toBe(1);
    const events = await store.audit.listAuditEvents({ systemId: base.system.id }, { limit: 20 });
    const opened = events.items.find((e) => e.action === 'candidate.approval_requested' && e.entityId === candidate.id);
    expect(opened?.after).toMatchObject({ policyVersion: 1 });
  });

  it('makes a promotion judged under the older version as an activation commits retry, and refuses it under the newer', async () => {
    // Prepare: a candidate that version 1 lets through (low tier: technical only)
    const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
    expect((await store.candidates.candidateGate(candidate.id)).reasons).toEqual([]);
    const version = await stricterVersion();
    let attempts = 0;

    // Act: the verdict is taken under version 1, then the activation (another process) commits and copies version 2
    // onto the META before the promotion's transaction is sent
    const outcome = await runUnitOfWork(store.ctx, base.system.id, owner, gateKeys(candidate), async (tx) => {
      attempts++;
      const policy = await judgingPolicy(store.ctx, tx.meta, candidate.policyVersion);
      const facts = gateFacts((k) => tx.get(k), toEntity<AiSystem>(tx.meta), candidate.id);
      assertPromotable(gateInput(facts, 'production', null, policy, tx.now));
      if (attempts === 1) await peer.policies.activatePolicy(greta, version, 'race');
      return writePromotion(tx, owner, facts, 'production', null, null, policy);
    }).catch((error: unknown) => error);

    // Assess
    expect(attempts).toBe(2);
    expect(outcome).toBeInstanceOf(GateBlockedError);
    expect((outcome as GateBlockedError).reasons.map((r) => r.code)).toContain('APPROVALS_INCOMPLETE');
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBeNull();
    const gate = await store.candidates.candidateGate(candidate.id);
    expect(gate.requiredRoles).toEqual(['technical', 'product']);
    expect(gate.reasons.map((r) => r.code)).toContain('APPROVALS_INCOMPLETE');
  });

  it('refuses the store promotion of a candidate approved under the looser version once the stricter is in force', async () => {
    // Prepare: the stricter version is in force (previous test); an older candidate approved under version 1
    const candidates = await store.candidates.listCandidates({ systemId: base.system.id }, {});
    const older = candidates.items.find((c) => c.status === 'approved' && c.policyVersion === 1);
    if (!older) throw new Error('no candidate approved under version 1');

    // Act
    const refused = await store.candidates
      .promoteCandidate(owner, older.id, { expectedActiveCandidateId: null })
      .catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(GateBlockedError);
  });
});
