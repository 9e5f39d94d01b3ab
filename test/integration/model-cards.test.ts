// Model cards from the registry on DynamoDB Local: the seeded triage assistant's card against the published JSON
// Schema and its stored eval run, and the MODEL_CARD_INCOMPLETE gate on promotion (nothing written when refused,
// a card emptied while a promotion is under way caught by the transaction's condition on the system's audit head).
import { readFileSync } from 'node:fs';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GateBlockedError } from '../../functions/domain/errors.js';
import { createStore, type GovernanceStore } from '../../functions/store/index.js';
import { MODEL_CARD_SCHEMA_FILE } from '../../scripts/model-card-schema.js';
import { modelCardNarrative } from '../support/fixtures.js';
import { approvedCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { restoreSeededItems, seededDemoDump } from '../support/seeded-demo.js';
import { createTestStore } from '../support/store.js';

const ajv = addFormats.default(new Ajv2020({ allErrors: true, strict: true }));
const validateCard = ajv.compile(JSON.parse(readFileSync(MODEL_CARD_SCHEMA_FILE, 'utf8')));

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return 'resolved';
}

describe("the seeded systems' model cards", () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  // The seeded systems' ids, and the triage assistant's (the demo is restored from this run's one seed).
  const summary = { systems: [] as string[], triage: { systemId: '' } };

  beforeAll(async () => {
    let tableName: string;
    ({ store, tableName, drop } = await createTestStore());
    await restoreSeededItems(store.ctx.doc, tableName, await seededDemoDump(inject('seededDemoDir')));
    const systems = (await store.systems.listSystems({ limit: 100 })).items;
    summary.systems = systems.map((s) => s.id);
    const triage = systems.find((s) => s.name === 'Consumer Support Triage Assistant');
    if (!triage) throw new Error('the restored demo has no triage assistant');
    summary.triage.systemId = triage.id;
  }, 300_000);
  afterAll(async () => drop());

  it("gives the triage assistant a schema-valid, complete card whose metrics are its stored run's", async () => {
    // Prepare
    const system = await store.systems.getSystem(summary.triage.systemId);
    const candidateId = await store.modelCards.systemCardCandidateId(system);

    // Act
    const card = await store.modelCards.releaseModelCard(candidateId as string);

    // Assess
    expect(validateCard(card), JSON.stringify(validateCard.errors)).toBe(true);
    expect(candidateId).toBe(system.activeReleases.production);
    const candidate = await store.candidates.getCandidate(candidateId as string);
    const run = await store.evalRuns.getEvalRun(candidate.latestEvalRunId as string);
    expect(card.quantitativeAnalysis.evalRunId).toBe(run.id);
    expect(card.quantitativeAnalysis.metrics).toEqual(run.metrics);
    expect(
      card.quantitativeAnalysis.thresholds.map(({ metric, direction, threshold, actual, passed }) => ({
        metric,
        direction,
        threshold,
        actual,
        passed,
      })),
    ).toEqual(run.thresholdVerdicts);
    expect(card.fairness.slices).toEqual(run.slices);
    expect(card.fairness.sliceAccuracyGap).toBe(run.metrics?.sliceAccuracyGap ?? null);
    expect(card.modelParameters.prompt.contentHash).toBe(candidate.promptContentHash);
    expect(card.modelParameters.model.contentHash).toBe(candidate.modelConfigContentHash);
    expect(card.evaluationData.datasets.map((d) => d.id)).toEqual(candidate.datasetIds);
    expect(card.oversight.approvals.filter((a) => a.status === 'approved').map((a) => a.role)).toEqual(
      expect.arrayContaining(['technical', 'product', 'risk']),
    );
    expect(card.releaseHistory.map((e) => e.kind)).toEqual(['promote', 'promote', 'rollback']);
    expect(card.riskRating).toMatchObject({ riskTier: 'high', euAiActCategory: 'limited' });
    expect(card.completeness).toEqual({ complete: true, gaps: [] });
  });

  it('gives every seeded system a schema-valid card of its current release', async () => {
    expect(summary.systems.length).toBeGreaterThan(1);
    for (const systemId of summary.systems) {
      const system = await store.systems.getSystem(systemId);
      const candidateId = await store.modelCards.systemCardCandidateId(system);
      const card = await store.modelCards.releaseModelCard(candidateId as string);
      expect(validateCard(card), `${system.name}: ${JSON.stringify(validateCard.errors)}`).toBe(true);
      expect(card.modelDetails.name).toBe(system.name);
    }
  });
});

describe('the MODEL_CARD_INCOMPLETE gate', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let peer: () => GovernanceStore;
  let tableName: string;
  beforeAll(async () => {
    ({ store, drop, peer, tableName } = await createTestStore());
  });
  afterAll(async () => drop());

  async function systemState(systemId: string) {
    const [system, chain] = await Promise.all([
      store.systems.getSystem(systemId),
      store.audit.verifyStoredChain(systemId),
    ]);
    return { system, chain };
  }

  it('refuses to promote a high-tier release whose card has an empty section, writing nothing, until it is filled', async () => {
    // Prepare
    const base = await governedSystem(store, {
      system: { riskTier: 'high', modelCard: modelCardNarrative({ limitations: [] }) },
    });
    const approved = await approvedCandidate(store, base, { evaluation: 'recorded' });
    const before = await systemState(base.system.id);

    // Act
    const gate = await store.candidates.candidateGate(approved.id);
    const error = await refusal(
      store.candidates.promoteCandidate(owner, approved.id, { expectedActiveCandidateId: null }),
    );

    // Assess
    expect(gate.reasons).toEqual([
      {
        code: 'MODEL_CARD_INCOMPLETE',
        message: 'the model card has empty required sections: considerations.limitations',
      },
    ]);
    expect(error).toBeInstanceOf(GateBlockedError);
    expect((error as GateBlockedError).reasons.map((r) => r.code)).toEqual(['MODEL_CARD_INCOMPLETE']);
    expect(await systemState(base.system.id)).toEqual(before);
    expect(await store.candidates.getCandidate(approved.id)).toEqual(approved);

    // Act: the owner fills the section (an audited PATCH of one member), then promotes
    const patched = await store.systems.updateSystem(owner, base.system.id, {
      modelCard: { limitations: ['tickets in Spanish'] },
    });
    const { candidate } = await store.candidates.promoteCandidate(owner, approved.id, {
      expectedActiveCandidateId: null,
    });

    // Assess
    expect(patched.modelCard).toEqual(modelCardNarrative({ limitations: ['tickets in Spanish'] }));
    expect(candidate.status).toBe('active');
    expect((await store.audit.verifyStoredChain(base.system.id)).ok).toBe(true);
    const { items } = await store.audit.listAuditEvents({ systemId: base.system.id }, { limit: 100 });
    const edit = items.find((e) => e.action === 'system.updated');
    expect(edit?.before).toEqual({ modelCard: { limitations: [] } });
    expect(edit?.after).toEqual({ modelCard: { limitations: ['tickets in Spanish'] } });
  });

  it('does not block a low-tier production release or a high-tier staging release without any card', async () => {
    // Prepare
    const low = await governedSystem(store, { system: { riskTier: 'low', modelCard: undefined } });
    const high = await governedSystem(store, { system: { riskTier: 'high', modelCard: undefined } });
    const lowRelease = await approvedCandidate(store, low, { evaluation: 'recorded' });
    const staging = await approvedCandidate(store, high, { evaluation: 'recorded', environment: 'staging' });
    const production = await approvedCandidate(store, high, { evaluation: 'recorded' });

    // Act
    const promotedLow = await store.candidates.promoteCandidate(owner, lowRelease.id, {
      expectedActiveCandidateId: null,
    });
    const promotedStaging = await store.candidates.promoteCandidate(owner, staging.id, {
      expectedActiveCandidateId: null,
    });
    const lowCard = await store.modelCards.releaseModelCard(lowRelease.id);
    const gate = await store.candidates.candidateGate(production.id);

    // Assess
    expect(promotedLow.candidate.status).toBe('active');
    expect(promotedStaging.candidate.status).toBe('active');
    expect(lowCard.completeness.complete).toBe(false);
    expect(lowCard.completeness.gaps).toContain('considerations.limitations');
    expect(gate.reasons.map((r) => r.code)).toEqual(['MODEL_CARD_INCOMPLETE']);
  });

  it('catches a card emptied after the gate read it: the transaction fails on the audit head, the retry refuses', async () => {
    // Prepare: a store whose first promote transaction is preceded by another process emptying the card
    const base = await governedSystem(store, { system: { riskTier: 'critical' } });
    const approved = await approvedCandidate(store, base, { evaluation: 'recorded' });
    const other = peer();
    let interfered = false;
    const doc = store.ctx.doc;
    const racing = createStore({
      tableName,
      doc: {
        send: async (command: unknown) => {
          if (command instanceof TransactWriteCommand && !interfered) {
            interfered = true;
            await other.systems.updateSystem(owner, base.system.id, { modelCard: { oversightProcedure: '' } });
          }
          return doc.send(command as TransactWriteCommand);
        },
      } as unknown as typeof doc,
    });

    // Act
    const error = await refusal(
      racing.candidates.promoteCandidate(owner, approved.id, { expectedActiveCandidateId: null }),
    );

    // Assess
    expect(interfered).toBe(true);
    expect(error).toBeInstanceOf(GateBlockedError);
    expect((error as GateBlockedError).reasons).toEqual([
      { code: 'MODEL_CARD_INCOMPLETE', message: 'the model card has empty required sections: oversight.procedure' },
    ]);
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBeNull();
    expect((await store.candidates.getCandidate(approved.id)).status).toBe('approved');
  });
});
