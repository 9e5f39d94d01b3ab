// The automatic rollback of a failed monitoring run, seen over HTTP against the local stack: a pass under a policy
// whose tier action is `rollback` leaves the last-known-good release active, the incident and the rollback naming
// each other, and the rollback published on the event bus as any rollback is. And a person's rollback over HTTP:
// 202 with the validation run, settled by the run's continuation in the stack's state machine, read by polling.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import type { Threshold } from '../../functions/domain/types.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { monitorOnce } from '../support/check-runs.js';
import { cases } from '../support/fixtures.js';
import { apiClient } from '../support/http.js';
import { activeCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;

// Short tickets pass this cost ceiling at the gate; 40,000-character ones fail it in monitoring, whatever the draws.
const COST_CEILING: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
  { metric: 'costMeanUsd', direction: 'max', value: 0.001, regressionTolerance: null },
];

let stack: LocalStack;
let dataDir: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-monitor-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-monitor-${Date.now()}`,
    seed: false,
  });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a failed monitoring run under a rollback policy, over HTTP', { timeout: 120_000 }, () => {
  it('restores the last-known-good release, links incident and rollback, and publishes the rollback', async () => {
    // Prepare: two releases, the second active, and a regression set of long tickets that fails its cost ceiling.
    const store = stack.store;
    const base = await governedSystem(store, { system: { riskTier: 'high' }, cases: 4 });
    const first = await activeCandidate(store, base, { name: 'release 1', thresholds: COST_CEILING });
    const second = await activeCandidate(store, base, { name: 'release 2', thresholds: COST_CEILING });
    await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'pasted-threads',
      kind: 'regression',
      description: 'collected after release',
      cases: cases(4).map((c) => ({
        ...c,
        caseId: `long-${c.caseId}`,
        input: { ticket: 'quoted mail '.repeat(3400) },
      })),
    });
    const policy = {
      ...DEFAULT_POLICY,
      monitoring: {
        ...DEFAULT_POLICY.monitoring,
        onFailure: { low: 'incident', medium: 'request-rollback', high: 'rollback', critical: 'rollback' } as const,
      },
    };

    // Act
    const summary = await monitorOnce(store, { policy, systemIds: [base.system.id] });
    await stack.events.settle();

    // Assess
    const [result] = summary.releases;
    expect(result).toMatchObject({ action: 'rollback', rolledBackTo: first.id });
    const api = as('omar.owner');
    const system = await api.get<Json & { activeReleases: Record<string, string | null> }>(
      `/api/systems/${base.system.id}`,
    );
    expect(system.status).toBe(200);
    expect(system.body.activeReleases.production).toBe(first.id);
    const incident = await api.get<Json>(`/api/incidents/${result?.incidentsOpened[0]}`);
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({
      candidateId: second.id,
      monitoring: { action: 'rollback', rollbackId: result?.rollbackId, evalRunId: result?.runId },
    });
    const rolledBack = await api.get<Json>(`/api/release-candidates/${second.id}`);
    expect(rolledBack.body).toMatchObject({ status: 'rolled_back' });
    const published = stack.events.bus.recent.filter(
      (e) => e.type === 'release.rolled_back' && e.entity.id === second.id,
    );
    expect(published).toHaveLength(1);
    expect(published[0]?.data.after).toMatchObject({
      activeRelease: first.id,
      incidentId: result?.incidentsOpened[0],
      monitoringRunId: result?.runId,
      source: 'monitoring',
    });
  });
});

describe('a rollback over HTTP (ADR 0032)', { timeout: 120_000 }, () => {
  it('answers 202 with the validation run, and the poll reads it rolled back once the run passed', async () => {
    // Prepare: two releases and a rollback_validation set the first release passes
    const store = stack.store;
    const base = await governedSystem(store, { system: { riskTier: 'high' }, cases: 4 });
    const first = await activeCandidate(store, base, { name: 'release 1' });
    const second = await activeCandidate(store, base, { name: 'release 2' });
    await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'rollback-smoke',
      kind: 'rollback_validation',
      description: 'smoke set',
      cases: cases(3),
    });
    const api = as('omar.owner');

    // Act
    const started = await api.post<Json & { rollbackRequest: Json; validationRunId: string; links: Json }>(
      `/api/release-candidates/${second.id}/rollback`,
      { reason: 'latency spike' },
    );
    await stack.evalRunner.idle();
    const polled = await api.get<Json>(`/api/release-candidates/${second.id}/rollback`);

    // Assess
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({
      status: 'validating',
      rollbackRequest: { status: 'validating', targetCandidateId: first.id },
      links: { self: `/api/release-candidates/${second.id}/rollback` },
    });
    expect(started.body.links.validationRun).toBe(`/api/eval-runs/${started.body.validationRunId}`);
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({
      id: started.body.rollbackRequest.id,
      status: 'rolled_back',
      validation: { status: 'passed', decision: 'proceed' },
    });
    const system = await api.get<Json & { activeReleases: Record<string, string | null> }>(
      `/api/systems/${base.system.id}`,
    );
    expect(system.body.activeReleases.production).toBe(first.id);
  });
});
