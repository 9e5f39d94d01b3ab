// The serious-incident clock over HTTP against the local stack: the API computes the deadline and refuses one sent
// by a client; recording the initial report takes the clock off the overview's deadlines coming due.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { systemInput } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;

let stack: LocalStack;
let dataDir: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-serious-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-serious-${Date.now()}`,
    seed: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the serious-incident clock over HTTP', () => {
  it('computes the deadline, refuses a client deadline, and lists the clock until the initial report is sent', async () => {
    // Prepare
    const owner = as('omar.owner');
    const system = await owner.post<Json & { id: string }>(
      '/api/systems',
      systemInput({ name: 'Serious clock system', ownerTeam: 'support-ai', owner: 'omar.owner' }),
    );
    expect(system.status).toBe(201);
    const awareAt = new Date(Date.now() - 3_600_000).toISOString();
    const body = {
      systemId: system.body.id,
      title: 'Infrastructure control outage',
      severity: 'critical',
      seriousIncident: { category: 'critical_infrastructure', awareAt, memberState: 'NL' },
    };

    // Act and assess: a client's deadline is refused; without it the API computes one, two days on.
    const forged = await owner.post('/api/incidents', {
      ...body,
      seriousIncident: { ...body.seriousIncident, reportingDeadline: '2099-01-01T00:00:00.000Z' },
    });
    expect(forged.status).toBe(400);
    const bad = await owner.post('/api/incidents', {
      ...body,
      seriousIncident: { ...body.seriousIncident, memberState: 'CH' },
    });
    expect(bad.status).toBe(400); // not an EU Member State

    const created = await owner.post<Json & { id: string; seriousIncident: Json }>('/api/incidents', body);
    expect(created.status).toBe(201);
    expect(created.body.seriousIncident).toEqual({
      category: 'critical_infrastructure',
      awareAt,
      reportingDeadline: new Date(Date.parse(awareAt) + 2 * 86_400_000).toISOString(),
      memberState: 'NL',
      initialReportAt: null,
      finalReportAt: null,
      correctiveAction: null,
    });
    const overview = await as('aud.auditor').get<{ reportingDeadlines: Json[] }>('/api/metrics/registry');
    expect(overview.body.reportingDeadlines).toEqual([
      expect.objectContaining({ incidentId: created.body.id, systemName: 'Serious clock system', status: 'due' }),
    ]);

    const reported = await owner.patch<Json & { seriousIncident: Json }>(`/api/incidents/${created.body.id}`, {
      seriousIncident: { initialReportAt: new Date().toISOString() },
    });
    expect(reported.status).toBe(200);
    expect(reported.body.seriousIncident.initialReportAt).not.toBeNull();
    const after = await as('aud.auditor').get<{ reportingDeadlines: Json[] }>('/api/metrics/registry');
    expect(after.body.reportingDeadlines).toEqual([]);
    // An auditor reads but does not record reports.
    expect(
      (
        await as('aud.auditor').patch(`/api/incidents/${created.body.id}`, {
          seriousIncident: { finalReportAt: new Date().toISOString() },
        })
      ).status,
    ).toBe(403);
  });
});
