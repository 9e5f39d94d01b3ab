// The readers that state a system's rules, on DynamoDB Local: once a stricter version is activated through the
// policy store, the EU AI Act report's inputs, the model card and the overview judge the system under it (not under
// DEFAULT_POLICY), and the report and the card name the version in force and every version in force since the
// system was registered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildComplianceReport } from '../../../functions/domain/compliance-report.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { ReleaseCandidate } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { activeCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const greta = actorOf(principal('greta.governance', ['reviewer:governance']));
const gus = actorOf(principal('gus.governance', ['reviewer:governance']));
const gina = actorOf(principal('gina.governance', ['reviewer:governance']));

describe('the report, the model card and the overview under the policy in force, on DynamoDB Local', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let base: GovernedSystem;
  let release: ReleaseCandidate;
  let version: number;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    await store.policies.policyGenesis();
    base = await governedSystem(store, { system: { riskTier: 'low' } });
    release = await activeCandidate(store, base, { evaluation: 'recorded' });
    await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'typos in replies',
      description: '',
      severity: 'low',
    });
    // Version 2: low-tier production needs product as well, a low incident blocks, and low systems are reviewed
    // every 60 days (DEFAULT_POLICY: technical only, high and critical block, 365 days).
    const { version: _v, effectiveFrom: _e, ...document } = structuredClone(DEFAULT_POLICY);
    document.tiers.low = ['technical', 'product'];
    document.blockingSeverities = ['low', 'high', 'critical'];
    document.reviewIntervalDays = { low: 60, medium: 60, high: 60, critical: 30 };
    const draft = await store.policies.createPolicyDraft(greta, { document, reason: 'low tier tightened' });
    await store.policies.submitPolicy(greta, draft.version);
    await store.policies.approvePolicy(gus, draft.version, null);
    await store.policies.approvePolicy(gina, draft.version, null);
    await store.policies.activatePolicy(gus, draft.version, 'in force');
    version = draft.version;
  });
  afterAll(async () => drop?.());

  it('states the rules of the version in force in the EU AI Act report, and names it and its predecessor', async () => {
    // Act
    const inputs = await store.reports.reportInputs(base.system.id);
    const report = buildComplianceReport({
      ...inputs,
      archive: null,
      generatedAt: store.ctx.now().toISOString(),
      generatedBy: 'test',
    });

    // Assess
    expect(inputs.policy.version).toBe(version);
    const text = JSON.stringify(report.sections);
    expect(text).toContain('["Approvals required for production","technical, product"]');
    expect(text).toContain('["Governance review interval","60 days"]');
    expect(text).toContain(`["Version in force","v${version}"]`);
    expect(text).toContain('["Activated by","gus.governance (gus.governance)"]');
    const table = report.sections.find((s) => s.id === 'policy')?.blocks.find((b) => b.kind === 'table');
    expect(table?.kind === 'table' && table.rows.map((r) => r[0])).toEqual(['v1', `v${version}`]);
  });

  it('names the version in force and its history on the model card, and counts incidents by its rules', async () => {
    // Act
    const card = await store.modelCards.releaseModelCard(release.id);

    // Assess
    const active = await store.policies.getPolicy(version);
    expect(card.governancePolicy.inForce).toEqual({
      version,
      activatedAt: active.activatedAt,
      activatedBy: { userId: 'gus.governance', name: 'gus.governance' },
      documentHash: active.documentHash,
      supersededAt: null,
    });
    expect(card.governancePolicy.history.map((p) => [p.version, p.activatedBy?.userId])).toEqual([
      [1, 'system:genesis'],
      [version, 'gus.governance'],
    ]);
    expect(card.riskRating.openBlockingIncidents).toBe(1);
  });

  it('counts blocking incidents and review intervals in the overview by the version in force', async () => {
    // Act
    const overview = await store.overview.registrySummary({ systemIds: [base.system.id], visible: () => true });

    // Assess
    const row = overview.systems.find((s) => s.id === base.system.id);
    expect(row?.openBlockingIncidents).toBe(1);
    expect(row?.review?.intervalDays).toBe(60);
  });
});
