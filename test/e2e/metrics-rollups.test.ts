// The metrics overview over HTTP against the local stack (ADR 0043): a promotion the gate refuses is recorded on the
// chain, the in-process bus's rollup consumer applies it to its day, and the overview shows it by reason, for the
// system, its team and its tier; a bad filter is a 400 naming the field.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { apiClient, eventually } from '../support/http.js';
import { draftCandidate, governedSystem } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

interface Overview {
  days: { date: string; refusedPromotions: number | null }[];
  totals: { refusedPromotions: number; refusedPromotionsByReason: Record<string, number> };
}

let stack: LocalStack;
let dataDir: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-rollups-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-rollups-${Date.now()}`,
    seed: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the metrics overview from daily rollups', () => {
  it('shows a refused promotion by its reasons for the system, its team and its tier', async () => {
    // Prepare
    const base = await governedSystem(stack.store, { system: { riskTier: 'high', ownerTeam: 'support-ai' } });
    const draft = await draftCandidate(stack.store, base);
    const today = new Date().toISOString().slice(0, 10);

    // Act
    const refused = await as('omar.owner').post(`/api/release-candidates/${draft.id}/promote`, {
      expectedActiveCandidateId: null,
      reason: 'try a draft',
    });

    // Assess
    expect(refused.status).toBe(409);
    const bySystem = await eventually(async () => {
      const res = await as('omar.owner').get<Overview>(`/api/metrics/overview?systemId=${base.system.id}`);
      return res.body.totals?.refusedPromotions === 1 ? res : undefined;
    });
    expect(bySystem.status).toBe(200);
    const codes = ((refused.body as { reasons?: { code: string }[] }).reasons ?? []).map((r) => r.code);
    expect(Object.keys(bySystem.body.totals.refusedPromotionsByReason).sort()).toEqual([...new Set(codes)].sort());
    expect(bySystem.body.days.find((d) => d.date === today)?.refusedPromotions).toBe(1);
    expect(bySystem.body.days.filter((d) => d.date !== today).every((d) => d.refusedPromotions === null)).toBe(true);
    const team = await as('omar.owner').get<Overview>('/api/metrics/overview?team=support-ai&tier=high');
    expect(team.body.totals.refusedPromotions).toBe(1);
  });

  it('answers a bad filter with a 400 naming the field, and an owner without a system or team of theirs with a 403', async () => {
    // Act
    const badTier = await as('aud.auditor').get<{ errors: { path: string }[] }>('/api/metrics/overview?tier=extreme');
    const badRange = await as('aud.auditor').get<{ errors: { path: string }[] }>(
      '/api/metrics/overview?from=2026-01-01&to=2026-12-31',
    );
    const notTheirs = await as('omar.owner').get('/api/metrics/overview?team=another-team');

    // Assess
    expect(badTier.status).toBe(400);
    expect(badTier.body.errors.map((e) => e.path)).toContain('tier');
    expect(badRange.status).toBe(400);
    expect(badRange.body.errors.map((e) => e.path)).toContain('from');
    expect(notTheirs.status).toBe(403);
  });
});
