// Model cards over HTTP on the seeded local stack: the schema is public, the triage assistant's card validates
// against it and carries its stored run's metrics, a candidate card is read with the same authorisation as the
// candidate, and a promotion of the high-tier triage assistant is refused with 409 MODEL_CARD_INCOMPLETE while a
// required section of its card is empty, writing nothing, and allowed once the section is filled again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCard } from '../../functions/domain/model-card.js';
import type { AiSystem, ApprovalRecord, EvalRun, ReleaseCandidate } from '../../functions/domain/types.js';
import { allPages } from '../../functions/store/pagination.js';
import type { LocalStack } from '../../local/stack.js';
import { apiClient } from '../support/http.js';
import { startSeededStack } from '../support/seeded-stack.js';

describe('model cards over HTTP', () => {
  let stack: LocalStack;
  let dataDir: string;
  let triage: AiSystem;
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-cards-'));
    stack = (
      await startSeededStack({
        dataDir,
        tableName: `e2e-cards-${Date.now()}`,
      })
    ).stack;
    const systems = await as('omar.owner').get<{ items: AiSystem[] }>('/api/systems?q=triage');
    triage = systems.body.items.find((s) => s.name === 'Consumer Support Triage Assistant') as AiSystem;
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("serves the schema without a token, and the triage assistant's card validates with its run's metrics", async () => {
    // Act
    const schema = await apiClient(stack.url).get<Record<string, unknown>>('/api/schemas/model-card.json');
    const card = await as('aud.auditor').get<ModelCard>(`/api/systems/${triage.id}/model-card`);

    // Assess
    expect(schema.status).toBe(200);
    expect(card.status).toBe(200);
    const validate = addFormats.default(new Ajv2020({ allErrors: true, strict: true })).compile(schema.body);
    expect(validate(card.body), JSON.stringify(validate.errors)).toBe(true);
    expect(card.body.modelDetails.release.candidateId).toBe(triage.activeReleases.production);
    const run = await as('aud.auditor').get<EvalRun>(`/api/eval-runs/${card.body.quantitativeAnalysis.evalRunId}`);
    expect(run.status).toBe(200);
    expect(card.body.quantitativeAnalysis.metrics).toEqual(run.body.metrics);
    expect(card.body.fairness.slices).toEqual(run.body.slices);
    expect(card.body.completeness.complete).toBe(true);
    // It names the governance policy in force as GET /api/policies serves it (the genesis version, for the seed)
    const policies = await as('aud.auditor').get<{ active: { version: number; documentHash: string } }>(
      '/api/policies',
    );
    const { version, documentHash } = policies.body.active;
    expect(card.body.governancePolicy.inForce).toMatchObject({ version, documentHash });
    expect(card.body.governancePolicy.history.map((p) => p.version)).toContain(policies.body.active.version);
  });

  it('answers 401 without a token and 404 for a system with no candidate yet', async () => {
    // Prepare
    const fresh = await as('omar.owner').post<AiSystem>('/api/systems', {
      name: `Cardless ${Date.now()}`,
      ownerTeam: 'support-ai',
      owner: 'omar.owner',
      riskTier: 'low',
      euAiActCategory: 'minimal',
      domain: 'tests',
      intendedPurpose: 'nothing yet',
      dataSources: [],
      humanOversight: 'none yet',
    });

    // Act
    const anonymous = await apiClient(stack.url).get(`/api/systems/${triage.id}/model-card`);
    const none = await as('omar.owner').get(`/api/systems/${fresh.body.id}/model-card`);

    // Assess
    expect(fresh.status).toBe(201);
    expect(anonymous.status).toBe(401);
    expect(none.status).toBe(404);
    expect(none.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses the promotion with 409 MODEL_CARD_INCOMPLETE while a section is empty, and allows it once filled', async () => {
    // Prepare: the seeded awaiting release 4 gets its three approvals; the owner empties the limitations
    const awaiting = await as('omar.owner').get<{ items: ReleaseCandidate[] }>(
      `/api/release-candidates?systemId=${triage.id}&status=awaiting_approval`,
    );
    const candidate = awaiting.body.items[0] as ReleaseCandidate;
    const reviewers = { technical: 'tessa.technical', product: 'priya.product', risk: 'rahul.risk' } as const;
    for (const id of candidate.approvalIds) {
      const approval = (await as('ada.admin').get<ApprovalRecord>(`/api/approvals/${id}`)).body;
      const reviewer = reviewers[approval.role as keyof typeof reviewers];
      expect((await as(reviewer).post(`/api/approvals/${id}/approve`, { comment: 'ok' })).status).toBe(200);
    }
    const limitations = triage.modelCard?.limitations ?? [];
    const emptied = await as('omar.owner').patch<AiSystem>(`/api/systems/${triage.id}`, {
      modelCard: { limitations: [] },
    });
    const before = await as('omar.owner').get<AiSystem>(`/api/systems/${triage.id}`);
    const chainBefore = await stack.store.audit.verifyStoredChain(triage.id);

    // Act
    const gate = await as('omar.owner').get<{ reasons: { code: string; message: string }[] }>(
      `/api/release-candidates/${candidate.id}/gate`,
    );
    const blocked = await as('omar.owner').post<{ code?: string; reasons: { code: string; message: string }[] }>(
      `/api/release-candidates/${candidate.id}/promote`,
      { expectedActiveCandidateId: triage.activeReleases.production },
    );
    const cardNow = await as('omar.owner').get<ModelCard>(`/api/release-candidates/${candidate.id}/model-card`);

    // Assess
    expect(emptied.status).toBe(200);
    expect(gate.body.reasons.map((r) => r.code)).toEqual(['MODEL_CARD_INCOMPLETE']);
    expect(blocked.status).toBe(409);
    expect(blocked.headers.get('content-type')).toContain('application/problem+json');
    expect(blocked.body.reasons).toEqual([
      {
        code: 'MODEL_CARD_INCOMPLETE',
        message: 'the model card has empty required sections: considerations.limitations',
      },
    ]);
    // The refusal is recorded (ADR 0037): one release.promotion_refused on the system's chain, in a transaction of its
    // own that moves the chain's head (the system's version and updatedAt) and changes nothing else of the system.
    expect((await as('omar.owner').get<AiSystem>(`/api/systems/${triage.id}`)).body).toEqual({
      ...before.body,
      version: before.body.version + 1,
      updatedAt: expect.any(String),
    });
    const chainAfter = await stack.store.audit.verifyStoredChain(triage.id);
    expect(chainAfter).toMatchObject({ ok: true, events: chainBefore.events + 1, headSeq: chainBefore.headSeq + 1 });
    const recorded = await allPages((page) =>
      stack.store.audit.listAuditEvents({ systemId: triage.id, order: 'asc' }, page),
    );
    expect(recorded.filter((e) => e.seq > chainBefore.headSeq)).toEqual([
      expect.objectContaining({
        action: 'release.promotion_refused',
        entityType: 'candidate',
        entityId: candidate.id,
        actor: expect.objectContaining({ userId: 'omar.owner' }),
        after: expect.objectContaining({ candidateId: candidate.id, kind: 'promote', reasons: blocked.body.reasons }),
      }),
    ]);
    expect((await as('omar.owner').get<ReleaseCandidate>(`/api/release-candidates/${candidate.id}`)).body.status).toBe(
      'approved',
    );
    expect(cardNow.body.completeness).toEqual({ complete: false, gaps: ['considerations.limitations'] });

    // Act: the section is filled again
    expect((await as('omar.owner').patch(`/api/systems/${triage.id}`, { modelCard: { limitations } })).status).toBe(
      200,
    );
    const promoted = await as('omar.owner').post<ReleaseCandidate>(`/api/release-candidates/${candidate.id}/promote`, {
      expectedActiveCandidateId: triage.activeReleases.production,
    });

    // Assess
    expect(promoted.status).toBe(200);
    const card = await as('omar.owner').get<ModelCard>(`/api/systems/${triage.id}/model-card`);
    expect(card.body.modelDetails.release).toMatchObject({ candidateId: candidate.id, status: 'active' });
    expect(card.body.considerations.limitations).toEqual(limitations);
  }, 120_000);
});
