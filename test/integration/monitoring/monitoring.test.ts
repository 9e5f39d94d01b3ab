// Post-market monitoring on DynamoDB Local: a failing monitoring run opens one incident linked to the active release,
// a second failing run does not open another, a clean run is recorded, and overdue reviews reach the overview.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { EvalCase, ReleaseCandidate } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { createMonitorHandler } from '../../../functions/workflows/monitor-task.js';
import { checkRunner, monitorOnce, putPolicyInForce } from '../../support/check-runs.js';
import { cases } from '../../support/fixtures.js';
import { activeCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore, dynamoEndpoint } from '../../support/store.js';

/** Only cost drift is judged, so the outcome does not depend on the simulator's draws for the snapshot hash. */
function costDriftPolicy(overrides: Partial<ApprovalPolicy['monitoring']> = {}): ApprovalPolicy {
  return {
    ...DEFAULT_POLICY,
    monitoring: {
      ...DEFAULT_POLICY.monitoring,
      driftThresholds: [{ metric: 'costMeanUsd', direction: 'max', tolerance: 0.5, relative: true }],
      minCasesForDrift: 1,
      ...overrides,
    },
  };
}

/** Tickets with 40,000 characters of pasted thread each: about 10,000 input tokens, thirty times the usual cost. */
function pastedThreads(n: number): EvalCase[] {
  return cases(n).map((c) => ({ ...c, caseId: `thread-${c.caseId}`, input: { ticket: 'quoted mail '.repeat(3400) } }));
}

async function regressionDataset(store: GovernanceStore, base: GovernedSystem, name: string, data: EvalCase[]) {
  return store.datasets.createDataset(owner, {
    systemId: base.system.id,
    name,
    kind: 'regression',
    description: 'collected after release',
    cases: data,
  });
}

describe('monitoring an active release', { timeout: 90_000 }, () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let tableName: string;
  let base: GovernedSystem;
  let release: ReleaseCandidate;

  beforeAll(async () => {
    ({ store, drop, tableName } = await createTestStore());
    base = await governedSystem(store, { system: { riskTier: 'high' }, cases: 6 });
    release = await activeCandidate(store, base);
    await regressionDataset(store, base, 'pasted-threads', pastedThreads(4));
  });
  afterAll(async () => drop());

  it('opens an incident linked to the active release when a metric drifts beyond its threshold', async () => {
    // Act
    const summary = await monitorOnce(store, { policy: costDriftPolicy(), systemIds: [base.system.id] });

    // Assess
    expect(summary.releases).toHaveLength(1);
    const [result] = summary.releases;
    expect(result).toMatchObject({
      status: 'failed',
      causes: ['drift'],
      releaseId: release.id,
      environment: 'production',
    });
    expect(result?.incidentsOpened).toHaveLength(1);
    const incident = await store.incidents.getIncident(result?.incidentsOpened[0] as string);
    expect(incident).toMatchObject({
      systemId: base.system.id,
      candidateId: release.id,
      severity: 'medium',
      status: 'open',
      monitoring: { cause: 'drift', environment: 'production', evalRunId: result?.runId, rollbackRequested: false },
    });
    expect(incident.monitoring?.reasons[0]).toMatch(/^costMeanUsd rose by/);
    const run = await store.evalRuns.getEvalRun(result?.runId as string);
    expect(run).toMatchObject({ purpose: 'monitoring', candidateId: release.id, status: 'passed', totalCases: 4 });
    const after = await store.candidates.getCandidate(release.id);
    expect(after).toMatchObject({ status: 'active', latestEvalRunId: release.latestEvalRunId });
  });

  it('does not open a second incident for the same release and cause while the first is unresolved', async () => {
    // Act
    const summary = await monitorOnce(store, { policy: costDriftPolicy(), systemIds: [base.system.id] });

    // Assess
    const [result] = summary.releases;
    expect(result?.status).toBe('failed');
    expect(result?.incidentsOpened).toEqual([]);
    expect(result?.incidentsExisting).toHaveLength(1);
    const incidents = await allPages((p) => store.incidents.listIncidents({ systemId: base.system.id }, p));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]?.id).toBe(result?.incidentsExisting[0]);
  });

  it('opens a new incident once the previous one is resolved, and records a rollback request when configured', async () => {
    // Prepare
    const [open] = await allPages((p) => store.incidents.listIncidents({ systemId: base.system.id }, p));
    await store.incidents.resolveIncident(owner, open?.id as string, 'prompt shortened; watching');

    // Act
    const summary = await monitorOnce(store, {
      policy: costDriftPolicy({
        onFailure: {
          low: 'request-rollback',
          medium: 'request-rollback',
          high: 'request-rollback',
          critical: 'request-rollback',
        },
      }),
      systemIds: [base.system.id],
    });

    // Assess
    const [result] = summary.releases;
    expect(result?.incidentsOpened).toHaveLength(1);
    expect(result?.incidentsOpened[0]).not.toBe(open?.id);
    expect(result?.rollbackRequested).toBe(true);
    const incident = await store.incidents.getIncident(result?.incidentsOpened[0] as string);
    expect(incident.monitoring?.rollbackRequested).toBe(true);
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    const requested = audit.filter((e) => e.action === 'release.rollback_requested');
    expect(requested).toHaveLength(1);
    expect(requested[0]?.after).toMatchObject({ incidentIds: [incident.id], evalRunId: result?.runId });
    expect((await store.candidates.getCandidate(release.id)).status).toBe('active');
  });

  it('records a clean run as an audited result and opens nothing', async () => {
    // Prepare
    const clean = await governedSystem(store, { system: { riskTier: 'low' }, cases: 6 });
    const active = await activeCandidate(store, clean);
    await regressionDataset(store, clean, 'usual-tickets', cases(6));

    // Act
    const summary = await monitorOnce(store, { policy: costDriftPolicy(), systemIds: [clean.system.id] });

    // Assess
    expect(summary.releases[0]).toMatchObject({ status: 'clean', incidentsOpened: [], releaseId: active.id });
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: clean.system.id }, p));
    const recorded = audit.find((e) => e.action === 'release.monitoring_clean');
    expect(recorded).toMatchObject({ entityId: active.id, after: { evalRunId: summary.releases[0]?.runId } });
  });

  it('runs as the scheduled Lambda over the table that TABLE_NAME names', async () => {
    // Prepare
    process.env.TABLE_NAME = tableName;
    process.env.DYNAMO_ENDPOINT = dynamoEndpoint();
    // Earlier cases put a cost-drift policy in force on this system (the policy is the system's, ADR 0032): the
    // default is this case's, whatever ran before it.
    await putPolicyInForce(store, release.systemId, DEFAULT_POLICY);

    const { runner, judged } = checkRunner(store);

    // Act: the Lambda starts the runs and returns; their continuations judge them
    const summary = await createMonitorHandler(() => runner)().finally(() => {
      delete process.env.TABLE_NAME;
      delete process.env.DYNAMO_ENDPOINT;
    });
    await runner.idle();

    // Assess: the default policy needs 20 cases to judge drift, and the release passes its own thresholds.
    expect(summary.counts.error).toBe(0);
    const mine = summary.releases.find((r) => r.releaseId === release.id);
    expect(mine).toMatchObject({ status: 'started', cases: 4 });
    expect(judged.get(mine?.runId as string), JSON.stringify(judged.get(mine?.runId as string))).toMatchObject({
      status: 'clean',
      driftJudged: false,
      cases: 4,
    });
    expect(judged.get(mine?.runId as string)?.note).toBe(
      'drift not judged: 4 cases, fewer than the 20 the policy needs',
    );
  });

  it('skips a release whose system has no regression dataset', async () => {
    // Prepare
    const bare = await governedSystem(store, { cases: 3 });
    await activeCandidate(store, bare);

    // Act
    const summary = await monitorOnce(store, { systemIds: [bare.system.id] });

    // Assess
    expect(summary.releases[0]).toMatchObject({ status: 'skipped', note: 'no regression dataset', runId: null });
  });
});

describe('review due dates in the registry summary', { timeout: 90_000 }, () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let now = new Date('2026-01-01T00:00:00.000Z');

  beforeAll(async () => {
    ({ store, drop } = await createTestStore({ now: () => now }));
  });
  afterAll(async () => drop());

  it('marks overdue a system whose tier interval has passed since its last release, and not one reviewed recently', async () => {
    // Prepare
    const critical = await governedSystem(store, { system: { riskTier: 'critical' }, cases: 3 });
    const low = await governedSystem(store, { system: { riskTier: 'low' }, cases: 3 });
    now = new Date('2026-01-10T00:00:00.000Z');
    await activeCandidate(store, critical);
    now = new Date('2026-03-01T00:00:00.000Z');

    // Act
    const overview = await store.overview.registrySummary({
      systemIds: [critical.system.id, low.system.id],
      visible: () => true,
    });

    // Assess
    expect(overview.systems.find((s) => s.id === critical.system.id)?.review).toEqual({
      lastReviewedAt: '2026-01-10T00:00:00.000Z',
      intervalDays: 30,
      dueAt: '2026-02-09T00:00:00.000Z',
      overdue: true,
      daysOverdue: 20,
    });
    expect(overview.systems.find((s) => s.id === low.system.id)?.review).toMatchObject({
      overdue: false,
      intervalDays: 365,
    });
  });
});
