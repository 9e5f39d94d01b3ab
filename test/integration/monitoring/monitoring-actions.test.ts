// What a failed monitoring run does under the policy's monitoring.onFailure, on DynamoDB Local: a rollback to the
// last-known-good release in the run's own transaction, linked to the incident and done once; a rollback request;
// and the fallback to the request, saying why, when there is nothing to roll back to or its validation blocks.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventSchemaOf } from '../../../functions/contracts/events.js';
import { toGovernanceEvent } from '../../../functions/domain/events.js';
import { judgeMonitoringRun } from '../../../functions/domain/monitoring.js';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type {
  EvalCase,
  MonitoringFailureAction,
  ReleaseCandidate,
  RiskTier,
  Threshold,
} from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { copyToSystem } from '../../../functions/store/policies.js';
import { MONITOR_ACTOR } from '../../../functions/workflows/check-run.js';
import { monitorOnce, scoredMonitoringRun } from '../../support/check-runs.js';
import { cases } from '../../support/fixtures.js';
import { activeCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';
import { snapshotTable, type TableSnapshot } from '../../support/table-snapshot.js';

// Short tickets cost about 0.00005 USD a case with the fixture's model config; 40,000-character ones about 0.0016,
// so a release gating on this ceiling passes its gate and fails monitoring on long tickets, whatever the draws.
const COST_CEILING: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
  { metric: 'costMeanUsd', direction: 'max', value: 0.001, regressionTolerance: null },
];

function longTickets(n: number): EvalCase[] {
  return cases(n).map((c) => ({ ...c, caseId: `long-${c.caseId}`, input: { ticket: 'quoted mail '.repeat(3400) } }));
}

/** The default policy with one action for every tier (drift is not judged: four cases are fewer than 20). */
function policyWith(action: MonitoringFailureAction): ApprovalPolicy {
  return {
    ...DEFAULT_POLICY,
    monitoring: {
      ...DEFAULT_POLICY.monitoring,
      onFailure: { low: action, medium: action, high: action, critical: action },
    },
  };
}

describe('what a failed monitoring run does under the policy', { timeout: 120_000 }, () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let peer: () => GovernanceStore;
  // The failing systems the cases start from, built once and put back before each case (a table snapshot that
  // follows the writes: every write of this file goes through the store's client): each case still finds its
  // systems as built, whatever ran before, and the file builds six systems, not nine.
  let systems: Record<'high' | 'otherHigh' | 'highOfThree' | 'medium' | 'critical' | 'low', FailingSystem>;
  let fixture: TableSnapshot;

  beforeAll(async () => {
    ({ store, drop, peer } = await createTestStore());
    systems = {
      high: await failingSystem('high', 2),
      otherHigh: await failingSystem('high', 2),
      highOfThree: await failingSystem('high', 3),
      medium: await failingSystem('medium', 2),
      critical: await failingSystem('critical', 1),
      low: await failingSystem('low', 2),
    };
    fixture = await snapshotTable(store.ctx.doc, store.ctx.tableName, { trackWrites: true });
  });
  beforeEach(async () => fixture.restore());
  afterAll(async () => drop());

  async function dataset(base: GovernedSystem, kind: 'regression' | 'rollback_validation', data: EvalCase[]) {
    await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: `${kind}-set`,
      kind,
      description: 'collected after release',
      cases: data,
    });
  }

  /** A system of `riskTier` whose releases fail monitoring: `releases` promoted in turn, the last one active. */
  async function failingSystem(riskTier: RiskTier, releases: number): Promise<FailingSystem> {
    const base = await governedSystem(store, { system: { riskTier }, cases: 4 });
    const promoted = [];
    for (let i = 1; i <= releases; i++)
      promoted.push(await activeCandidate(store, base, { name: `release ${i}`, thresholds: COST_CEILING }));
    await dataset(base, 'regression', longTickets(4));
    return { base, releases: promoted };
  }

  it('rolls back to the last-known-good release, linked to the incident and the run, by the monitor', async () => {
    // Prepare
    const { base, releases } = systems.high;
    const [first, second] = releases;

    // Act
    const summary = await monitorOnce(store, { policy: policyWith('rollback'), systemIds: [base.system.id] });

    // Assess
    const [result] = summary.releases;
    expect(result).toMatchObject({
      status: 'failed',
      causes: ['threshold'],
      releaseId: second?.id,
      action: 'rollback',
      rolledBackTo: first?.id,
      rollbackRequested: false,
      fallbackReason: null,
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(first?.id);
    expect((await store.candidates.getCandidate(second?.id as string)).status).toBe('rolled_back');
    expect((await store.candidates.getCandidate(first?.id as string)).status).toBe('active');
    const [incidentId] = result?.incidentsOpened ?? [];
    const incident = await store.incidents.getIncident(incidentId as string);
    expect(incident.monitoring).toMatchObject({ action: 'rollback', rollbackId: result?.rollbackId });
    const rollbacks = await store.candidates.rollbackHistory(base.system.id);
    expect(rollbacks).toEqual([
      expect.objectContaining({
        id: result?.rollbackId,
        fromCandidateId: second?.id,
        toCandidateId: first?.id,
        incidentId,
        monitoringRunId: result?.runId,
        actor: MONITOR_ACTOR.userId,
        validation: expect.objectContaining({ status: 'skipped', decision: 'proceed' }),
      }),
    ]);
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    const rolledBack = audit.filter((e) => e.action === 'release.rolled_back');
    expect(rolledBack).toHaveLength(1);
    expect(rolledBack[0]).toMatchObject({
      actor: { userId: MONITOR_ACTOR.userId },
      entityId: second?.id,
      after: { incidentId, monitoringRunId: result?.runId, source: 'monitoring', rollbackId: result?.rollbackId },
    });
    expect(rolledBack[0]?.reason).toContain(`post-market monitoring run ${result?.runId} failed`);
    // Published as any rollback is: the audit event becomes a governance event valid against its schema.
    expect(eventSchemaOf('release.rolled_back').safeParse(toGovernanceEvent(rolledBack[0] as never)).success).toBe(
      true,
    );
    expect(audit.filter((e) => e.action === 'release.reactivated')).toHaveLength(1);
    expect(audit.filter((e) => e.action === 'release.rollback_requested')).toEqual([]);
  });

  it('acts under the version in force copied onto the META when no policy is named, not the default', async () => {
    // Prepare: DEFAULT_POLICY only opens an incident; version 2, copied onto one system's META, rolls back
    const { base, releases } = systems.high;
    const [first] = releases;
    const underDefault = systems.otherHigh;
    await copyToSystem(store.ctx, base.system.id, 2, { ...policyWith('rollback'), version: 2 });

    // Act
    const summary = await monitorOnce(store, { systemIds: [base.system.id, underDefault.base.system.id] });

    // Assess
    const of = (systemId: string) => summary.releases.find((r) => r.systemId === systemId);
    expect(of(base.system.id)).toMatchObject({ status: 'failed', action: 'rollback', rolledBackTo: first?.id });
    expect(of(underDefault.base.system.id)).toMatchObject({ status: 'failed', action: 'incident', rollbackId: null });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(first?.id);
  });

  it('does not roll back twice when two failing runs of the same release race from two processes', async () => {
    // Prepare: both runs judged and planned before either records, as two overlapping passes would.
    const { base, releases } = systems.highOfThree;
    const [, second, third] = releases;
    const policy = policyWith('rollback');
    const datasetIds = (await store.monitoring.latestDatasetsOfKind(base.system.id, 'regression')).map((d) => d.id);
    const other = peer();
    const prepared = await Promise.all(
      [store, other].map(async (s) => {
        const { run, outcome } = await scoredMonitoringRun(s, third?.id as string, datasetIds);
        const verdict = judgeMonitoringRun({
          metrics: outcome.metrics,
          cases: run.totalCases,
          thresholdVerdicts: outcome.thresholdVerdicts,
          baselineMetrics: null,
          policy: policy.monitoring,
        });
        const target = await s.candidates.rollbackTarget(third?.id as string);
        return { s, run, outcome, verdict, plan: { targetId: target.id, validation: skipped } };
      }),
    );

    // Act
    const records = await Promise.all(
      prepared.map(({ s, run, outcome, verdict, plan }) =>
        s.monitoring.recordMonitoringResult(MONITOR_ACTOR, {
          runId: run.id,
          environment: 'production',
          outcome,
          verdict,
          severity: 'medium',
          action: 'rollback',
          rollbackPlan: plan,
          baselineRunId: null,
        }),
      ),
    );

    // Assess
    expect(records.map((r) => r.response.kind).sort()).toEqual(['none', 'rollback']);
    expect(records.flatMap((r) => r.opened)).toHaveLength(1);
    expect(records.flatMap((r) => r.existing)).toHaveLength(1);
    const rollbacks = await store.candidates.rollbackHistory(base.system.id);
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ fromCandidateId: third?.id, toCandidateId: second?.id });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second?.id);
  });

  it('refuses, by its condition, a rollback planned for a release that is no longer active, and requests one instead', async () => {
    // Prepare: a run planned while release 2 was active records after a person rolled it back.
    const { base, releases } = systems.medium;
    const [first, second] = releases;
    const datasetIds = (await store.monitoring.latestDatasetsOfKind(base.system.id, 'regression')).map((d) => d.id);
    const { run, outcome } = await scoredMonitoringRun(store, second?.id as string, datasetIds);
    const verdict = judgeMonitoringRun({
      metrics: outcome.metrics,
      cases: run.totalCases,
      thresholdVerdicts: outcome.thresholdVerdicts,
      baselineMetrics: null,
    });
    await store.candidates.rollbackRelease(owner, second?.id as string, { reason: 'rolled back by hand' });

    // Act
    const record = await store.monitoring.recordMonitoringResult(MONITOR_ACTOR, {
      runId: run.id,
      environment: 'production',
      outcome,
      verdict,
      severity: 'medium',
      action: 'rollback',
      rollbackPlan: { targetId: first?.id as string, validation: skipped },
      baselineRunId: null,
    });

    // Assess
    expect(record.response).toEqual({
      kind: 'request-rollback',
      fallbackReason: `no automatic rollback: ${second?.id} is no longer the active production release`,
    });
    expect(record.rollback).toBeNull();
    expect(await store.candidates.rollbackHistory(base.system.id)).toHaveLength(1);
  });

  it('records a rollback request on a tier whose action is request-rollback, and rolls nothing back', async () => {
    // Prepare
    const { base, releases } = systems.medium;
    const policy: ApprovalPolicy = {
      ...DEFAULT_POLICY,
      monitoring: {
        ...DEFAULT_POLICY.monitoring,
        onFailure: { low: 'incident', medium: 'request-rollback', high: 'rollback', critical: 'rollback' },
      },
    };

    // Act
    const summary = await monitorOnce(store, { policy, systemIds: [base.system.id] });

    // Assess
    const [result] = summary.releases;
    expect(result).toMatchObject({
      action: 'request-rollback',
      rollbackRequested: true,
      rollbackId: null,
      fallbackReason: null,
    });
    const incident = await store.incidents.getIncident(result?.incidentsOpened[0] as string);
    expect(incident.monitoring).toMatchObject({ action: 'request-rollback', rollbackRequested: true });
    expect(incident.monitoring).not.toHaveProperty('rollbackId');
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    expect(audit.filter((e) => e.action === 'release.rollback_requested')).toHaveLength(1);
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(releases[1]?.id);
    expect(await store.candidates.rollbackHistory(base.system.id)).toEqual([]);
  });

  it('falls back to a rollback request, saying why, when the system has no last-known-good release', async () => {
    // Prepare
    const { base, releases } = systems.critical;

    // Act
    const summary = await monitorOnce(store, { policy: policyWith('rollback'), systemIds: [base.system.id] });

    // Assess
    const [result] = summary.releases;
    const why =
      'no automatic rollback: no earlier release of production is eligible: none is superseded and previously active';
    expect(result).toMatchObject({ action: 'request-rollback', rollbackRequested: true, fallbackReason: why });
    const incident = await store.incidents.getIncident(result?.incidentsOpened[0] as string);
    expect(incident).toMatchObject({ severity: 'high', monitoring: { action: 'request-rollback' } });
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    const requested = audit.filter((e) => e.action === 'release.rollback_requested');
    expect(requested).toHaveLength(1);
    expect(requested[0]?.after).toMatchObject({ fallbackReason: why, incidentIds: [incident.id] });
    expect(audit.find((e) => e.action === 'release.monitoring_failed')?.after).toMatchObject({
      action: 'request-rollback',
      fallbackReason: why,
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(releases[0]?.id);
  });

  it('falls back to a rollback request when the target fails its rollback validation on a tier that blocks', async () => {
    // Prepare
    const { base, releases } = systems.high;
    await dataset(base, 'rollback_validation', longTickets(3));

    // Act
    const summary = await monitorOnce(store, { policy: policyWith('rollback'), systemIds: [base.system.id] });

    // Assess: the run opened a rollback request; its validation run failed and the tier blocks, so the request
    // settled blocked and fell back to a request for a person, saying why
    const [result] = summary.releases;
    expect(result).toMatchObject({ action: 'rollback', rollbackId: null });
    const request = await store.rollbackRequests.getRollbackRequest(result?.rollbackRequestId as string);
    expect(request).toMatchObject({
      status: 'blocked',
      monitoringRunId: result?.runId,
      incidentId: result?.incidentsOpened[0],
      problem: { code: 'ROLLBACK_VALIDATION_FAILED' },
      requestedBy: MONITOR_ACTOR.userId,
    });
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    expect(audit.find((e) => e.action === 'release.rollback_requested')?.after).toMatchObject({
      fallbackReason: expect.stringMatching(
        /^no automatic rollback: the target release failed its rollback validation and the high-tier policy blocks the rollback: costMeanUsd/,
      ),
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(releases[1]?.id);
    const runs = await allPages((p) => store.evalRuns.listEvalRuns({ candidateId: releases[0]?.id as string }, p));
    expect(runs.filter((r) => r.purpose === 'rollback_validation')).toEqual([
      expect.objectContaining({ status: 'failed', candidateId: releases[0]?.id }),
    ]);
  });

  it('acts once per incident: a later failing run that finds the incident unresolved rolls nothing back', async () => {
    // Prepare: a run under the incident-only action opens the incident; then the policy turns to rollback.
    const { base, releases } = systems.low;
    await monitorOnce(store, { policy: policyWith('incident'), systemIds: [base.system.id] });

    // Act
    const summary = await monitorOnce(store, { policy: policyWith('rollback'), systemIds: [base.system.id] });

    // Assess
    const [result] = summary.releases;
    expect(result).toMatchObject({ action: 'none', incidentsOpened: [], rollbackId: null });
    expect(result?.incidentsExisting).toHaveLength(1);
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(releases[1]?.id);
  });
});

interface FailingSystem {
  base: GovernedSystem;
  releases: ReleaseCandidate[];
}

const skipped = {
  status: 'skipped' as const,
  mode: 'block' as const,
  decision: 'proceed' as const,
  evalRunId: null,
  reasons: [],
  message: 'the system has no rollback_validation dataset; the target release was not validated',
};
