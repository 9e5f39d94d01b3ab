import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateBlockedError } from '../../../functions/domain/errors.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createMemoryEvidenceStore } from '../../../functions/store/memory-evidence-store.js';
import { createInProcessEvalRunner } from '../../../functions/workflows/eval-runner.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../../support/fixtures.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const owner = principal('omar.owner', ['model_owner'], { teams: ['support-ai'] });
const tech = principal('tessa.technical', ['reviewer:technical']);
const product = principal('priya.product', ['reviewer:product']);

describe('the governed lifecycle in the store', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
  });
  afterAll(async () => drop());

  async function approvedCandidate(systemId: string, promptId: string, configId: string, datasetId: string) {
    const rc = await store.candidates.createCandidate(actorOf(owner), {
      systemId,
      name: 'rc',
      environment: 'production',
      promptVersionId: promptId,
      modelConfigId: configId,
      datasetIds: [datasetId],
      thresholds: LENIENT_THRESHOLDS,
      notes: '',
    });
    await store.candidates.submitCandidate(actorOf(owner), rc.id);
    const runner = createInProcessEvalRunner(store, { batchSize: 5, evidence: createMemoryEvidenceStore() });
    const { run } = await store.evalRuns.createEvalRun(actorOf(owner), rc.id, 'simulated');
    runner.start(run.id);
    await runner.idle();
    const { approvals } = await store.candidates.requestApproval(actorOf(owner), rc.id);
    for (const a of approvals) {
      await store.approvals.decideApproval(a.role === 'technical' ? tech : product, a.id, 'approved', 'fine');
    }
    return store.candidates.getCandidate(rc.id);
  }

  it('takes a candidate from draft to active, blocks on an incident and rolls back', async () => {
    const system = await store.systems.createSystem(actorOf(owner), systemInput());
    const id = system.system.id;
    const prompt = await store.artefacts.createPrompt(actorOf(owner), promptInput(id));
    const config = await store.artefacts.createModelConfig(actorOf(owner), modelConfigInput(id));
    for (const [kind, aid] of [
      ['prompt', prompt.id],
      ['model_config', config.id],
    ] as const) {
      await store.artefacts.transitionArtefact(actorOf(owner), kind, aid, 'in_review', null);
      await store.artefacts.transitionArtefact(actorOf(tech), kind, aid, 'approved', 'ok');
    }
    const dataset = await store.datasets.createDataset(actorOf(owner), {
      systemId: id,
      name: 'baseline',
      kind: 'baseline',
      description: '',
      cases: cases(12),
    });

    const first = await approvedCandidate(id, prompt.id, config.id, dataset.id);
    expect(first.status).toBe('approved');
    expect((await store.candidates.candidateGate(first.id)).reasons).toEqual([]);
    await store.candidates.promoteCandidate(actorOf(owner), first.id, { expectedActiveCandidateId: null });
    expect((await store.systems.getSystem(id)).activeReleases.production).toBe(first.id);

    const second = await approvedCandidate(id, prompt.id, config.id, dataset.id);
    const incident = await store.incidents.openIncident(actorOf(owner), {
      systemId: id,
      candidateId: first.id,
      title: 'bad routing',
      description: '',
      severity: 'high',
    });
    const gate = await store.candidates.candidateGate(second.id);
    expect(gate.reasons.map((r) => r.code)).toEqual(['BLOCKING_INCIDENT_OPEN']);
    await expect(
      store.candidates.promoteCandidate(actorOf(owner), second.id, { expectedActiveCandidateId: first.id }),
    ).rejects.toBeInstanceOf(GateBlockedError);
    await store.incidents.resolveIncident(actorOf(owner), incident.id, 'config fixed');
    await store.candidates.promoteCandidate(actorOf(owner), second.id, { expectedActiveCandidateId: first.id });
    expect((await store.candidates.getCandidate(first.id)).status).toBe('superseded');

    const { target } = await store.candidates.rollbackRelease(actorOf(owner), second.id, {
      reason: 'regression seen',
      incidentId: incident.id,
    });
    expect(target.id).toBe(first.id);
    expect((await store.systems.getSystem(id)).activeReleases.production).toBe(first.id);
    expect((await store.candidates.getCandidate(second.id)).status).toBe('rolled_back');

    const chain = await store.audit.verifyStoredChain(id);
    expect(chain.ok).toBe(true);
    expect(chain.events).toBeGreaterThan(20);
  });
});
