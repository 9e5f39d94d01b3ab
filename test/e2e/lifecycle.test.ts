// The whole governed lifecycle over HTTP against the local stack, as a pipeline and reviewers would drive it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, OUTPUT_CONTRACT, promptInput, systemInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };

describe('the governed lifecycle over HTTP', () => {
  let stack: LocalStack;
  let dataDir: string;
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: `e2e-${Date.now()}`,
      seed: false,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers, versions, evaluates, gates, approves, promotes, blocks on an incident, rolls back and verifies', async () => {
    const owner = as('omar.owner');
    const admin = as('ada.admin');

    // Register a high-tier system and its artefacts.
    const system = await owner.post<Json>('/api/systems', systemInput({ riskTier: 'high', ownerTeam: 'support-ai' }));
    expect(system.status).toBe(201);
    const systemId = system.body.id;
    const prompt = await owner.post<Json>('/api/prompts', {
      ...promptInput(systemId),
      outputContract: OUTPUT_CONTRACT,
    });
    const config = await owner.post<Json>('/api/model-configs', modelConfigInput(systemId));
    expect([prompt.status, config.status]).toEqual([201, 201]);
    const dataset = await owner.post<Json>('/api/eval-datasets', {
      systemId,
      name: 'baseline',
      kind: 'baseline',
      cases: cases(20),
    });
    expect(dataset.status).toBe(201);

    const thresholds = [
      { metric: 'accuracy', direction: 'min', value: 0.5 },
      { metric: 'timeoutRate', direction: 'max', value: 0.5 },
    ];
    const newCandidate = async () => {
      const rc = await owner.post<Json>('/api/release-candidates', {
        systemId,
        name: 'release',
        promptVersionId: prompt.body.id,
        modelConfigId: config.body.id,
        datasetIds: [dataset.body.id],
        thresholds,
      });
      expect(rc.status).toBe(201);
      return rc.body.id;
    };

    // A draft whose prompt is still a draft cannot be submitted: the snapshot is not frozen.
    const first = await newCandidate();
    const early = await owner.post(`/api/release-candidates/${first}/submit`);
    expect(early.status).toBe(409);
    expect((early.body.reasons as { code: string }[]).map((r) => r.code)).toContain('SNAPSHOT_INELIGIBLE');

    for (const kind of ['prompts', 'model-configs']) {
      const id = kind === 'prompts' ? prompt.body.id : config.body.id;
      expect((await owner.post(`/api/${kind}/${id}/submit`)).status).toBe(200);
      // The author cannot review their own version.
      expect((await owner.post(`/api/${kind}/${id}/approve`, {})).status).toBe(403);
      expect((await as('tessa.technical').post(`/api/${kind}/${id}/approve`, { comment: 'reviewed' })).status).toBe(
        200,
      );
    }
    expect((await owner.post(`/api/release-candidates/${first}/submit`)).status).toBe(200);

    // Before evaluation the gate lists the missing eval, the missing approvals and the wrong state at once.
    const gate0 = await owner.get<{ reasons: { code: string }[] }>(`/api/release-candidates/${first}/gate`);
    expect(gate0.body.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining(['EVAL_MISSING', 'APPROVALS_INCOMPLETE', 'INVALID_STATE']),
    );
    const blocked = await owner.post(`/api/release-candidates/${first}/promote`, { expectedActiveCandidateId: null });
    expect(blocked.status).toBe(409);
    expect(blocked.headers.get('content-type')).toContain('application/problem+json');

    // Evaluate: 202 with the run, then progress until it passes.
    const evaluate = async (rc: string) => {
      const run = await owner.post<Json>(`/api/release-candidates/${rc}/run-evals`, { executor: 'simulated' });
      expect(run.status).toBe(202);
      // The stack's runner started the run before answering 202: once it is idle, the first read sees the verdict.
      await stack.evalRunner.idle();
      return eventually(async () => {
        const r = await owner.get<Json>(`/api/eval-runs/${run.body.id}`);
        return ['passed', 'failed', 'error'].includes(r.body.status) ? r.body : undefined;
      });
    };
    const run = await evaluate(first);
    expect(run.status).toBe('passed');
    expect((run.progress as { casesDone: number }).casesDone).toBe(20);
    const evidence = await owner.get<{ items: unknown[]; nextCursor: string | null }>(
      `/api/eval-runs/${run.id}/cases?limit=7`,
    );
    expect(evidence.body.items).toHaveLength(7);
    expect(evidence.body.nextCursor).not.toBeNull();

    // Approvals: high tier needs technical, product and risk, by distinct people, none of them the author.
    const approve = async (rc: string) => {
      const opened = await owner.post<{ approvals: Json[] }>(`/api/release-candidates/${rc}/request-approval`);
      expect(opened.status).toBe(200);
      const byRole = Object.fromEntries(opened.body.approvals.map((a) => [a.role as string, a.id]));
      expect(Object.keys(byRole).sort()).toEqual(['product', 'risk', 'technical']);
      expect((await owner.post(`/api/approvals/${byRole.technical}/approve`, {})).status).toBe(403);
      expect(
        (await as('tessa.technical').post(`/api/approvals/${byRole.technical}/approve`, { comment: 'ok' })).status,
      ).toBe(200);
      // The product reviewer cannot take the risk role.
      expect((await as('priya.product').post(`/api/approvals/${byRole.risk}/approve`, {})).status).toBe(403);
      expect((await as('priya.product').post(`/api/approvals/${byRole.product}/approve`, {})).status).toBe(200);
      const last = await as('rahul.risk').post<{ candidate: Json }>(`/api/approvals/${byRole.risk}/approve`, {
        comment: 'risk ok',
      });
      expect(last.body.candidate.status).toBe('approved');
    };
    await approve(first);

    const promoted = await owner.post(`/api/release-candidates/${first}/promote`, { expectedActiveCandidateId: null });
    expect(promoted.status).toBe(200);
    expect((await owner.get<Json>(`/api/systems/${systemId}`)).body.activeReleases).toEqual({
      staging: null,
      production: first,
    });

    // A second release; an open high incident blocks it until resolved.
    const second = await newCandidate();
    expect((await owner.post(`/api/release-candidates/${second}/submit`)).status).toBe(200);
    expect((await evaluate(second)).status).toBe('passed');
    await approve(second);
    const incident = await as('tessa.technical').post<Json>('/api/incidents', {
      systemId,
      candidateId: first,
      title: 'Misrouted refunds',
      severity: 'high',
    });
    expect(incident.status).toBe(201);
    const stale = await owner.post(`/api/release-candidates/${second}/promote`, { expectedActiveCandidateId: null });
    expect(stale.status).toBe(409);
    expect((stale.body.reasons as { code: string }[]).map((r) => r.code).sort()).toEqual([
      'ACTIVE_RELEASE_CHANGED',
      'BLOCKING_INCIDENT_OPEN',
    ]);
    // A high incident blocks: the owner's resolution is a request until a risk reviewer approves it.
    const asked = await owner.post<Json>(`/api/incidents/${incident.body.id}/resolve`, {
      resolution: 'routing table fixed',
    });
    expect(asked.status).toBe(202);
    expect((await owner.get<Json>(`/api/incidents/${incident.body.id}`)).body.status).toBe('open');
    const decided = await as('rahul.risk').post<Json>(`/api/relaxation-requests/${asked.body.id}/approve`, {
      reason: 'fix verified',
    });
    expect(decided.body.status).toBe('approved');
    expect((await owner.get<Json>(`/api/incidents/${incident.body.id}`)).body.status).toBe('resolved');
    const wrongExpectation = await owner.post(`/api/release-candidates/${second}/promote`, {
      expectedActiveCandidateId: null,
    });
    expect(wrongExpectation.status).toBe(409);
    expect(wrongExpectation.body.code).toBe('ACTIVE_RELEASE_CHANGED');
    expect(
      (await owner.post(`/api/release-candidates/${second}/promote`, { expectedActiveCandidateId: first })).status,
    ).toBe(200);

    // Roll back to the last-known-good release: a request (202); with no rollback_validation datasets it commits at
    // once (ADR 0032), and the release's latest request reads back settled.
    const rolledBack = await owner.post<{
      rollbackRequest: Json;
      validationRunId: string | null;
      links: { self: string; validationRun: string | null };
    }>(`/api/release-candidates/${second}/rollback`, {
      reason: 'latency regression in production',
      incidentId: incident.body.id,
    });
    expect(rolledBack.status).toBe(202);
    expect(rolledBack.body).toMatchObject({
      status: 'rolled_back',
      validationRunId: null,
      rollbackRequest: {
        status: 'rolled_back',
        fromCandidateId: second,
        targetCandidateId: first,
        incidentId: incident.body.id,
        validationRunId: null,
      },
      links: { self: `/api/release-candidates/${second}/rollback`, validationRun: null },
    });
    expect(rolledBack.body.rollbackRequest.rollbackId).toEqual(expect.any(String));
    const latest = await owner.get<Json>(rolledBack.body.links.self);
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual(rolledBack.body.rollbackRequest);
    expect((await admin.get<Json>(`/api/systems/${systemId}`)).body.activeReleases).toEqual({
      staging: null,
      production: first,
    });

    // The rolled-back release's context, in one read: its rollback and incident, and itself beside the restored release.
    const context = await as('aud.auditor').get<{
      sides: { role: string; candidate: { id: string } }[];
      metrics: { metric: string; baselines: { role: string; verdict: string }[] }[];
      rollback: unknown;
    }>(`/api/release-candidates/${second}/context`);
    expect(context.status).toBe(200);
    expect(context.body.sides.map((s) => [s.role, s.candidate.id])).toEqual([
      ['candidate', second],
      ['active', first],
    ]);
    expect(context.body.metrics).toHaveLength(9);
    expect(context.body.metrics.every((m) => m.baselines.map((b) => b.role).join() === 'active')).toBe(true);
    expect(context.body.rollback).toMatchObject({
      record: { reason: 'latency regression in production', toCandidateId: first },
      target: { id: first },
      incident: { id: incident.body.id, status: 'resolved' },
    });
    // The registry names the active release.
    const listed = await admin.get<{ items: { id: string; activeReleaseNames: Record<string, string | null> }[] }>(
      '/api/systems?limit=100',
    );
    const firstName = (await admin.get<Json & { name: string }>(`/api/release-candidates/${first}`)).body.name;
    expect(listed.body.items.find((s) => s.id === systemId)?.activeReleaseNames).toEqual({
      production: firstName,
      staging: null,
    });

    // The auditor sees a verified chain covering all of it.
    const auditor = as('aud.auditor');
    const verify = await auditor.get<{ table: { ok: boolean; events: number } }>(
      `/api/audit-events/verify?systemId=${systemId}`,
    );
    expect(verify.body.table.ok).toBe(true);
    expect(verify.body.table.events).toBeGreaterThan(25);
    const timeline = await auditor.get<{ items: { action: string }[] }>(
      `/api/audit-events?systemId=${systemId}&limit=5`,
    );
    expect(timeline.body.items[0]?.action).toBe('release.reactivated');
    expect((await auditor.post('/api/incidents', { systemId, title: 'x', severity: 'low' })).status).toBe(403);

    // The registry summary counts what happened to the system named, and a model owner of another team is told it
    // does not exist.
    const overview = await auditor.get<{
      systems: { id: string; candidates: number; status: string }[];
    }>(`/api/metrics/registry?systemIds=${systemId}`);
    expect(overview.status).toBe(200);
    expect(overview.body.systems.find((s) => s.id === systemId)).toMatchObject({ candidates: 2, status: 'active' });
    const stranger = apiClient(
      stack.url,
      await stack.mint({
        userId: 'sam.stranger',
        name: 'Sam',
        roles: ['model_owner'],
        teams: ['other-team'],
        systems: [],
      }),
    );
    expect((await stranger.get(`/api/metrics/registry?systemIds=${systemId}`)).status).toBe(404);
    expect((await stranger.get(`/api/release-candidates/${second}/context`)).status).toBe(404);
  });
});
