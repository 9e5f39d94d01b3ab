import { describe, expect, it } from 'vitest';
import { summariseOverview } from '../../../functions/domain/overview.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { AiSystem, EvalRun, Incident, ReleaseCandidate, Severity } from '../../../functions/domain/types.js';

const system = (id: string, riskTier: AiSystem['riskTier'], status: AiSystem['status']) =>
  ({
    id,
    name: id,
    ownerTeam: 'support-ai',
    riskTier,
    status,
    activeReleases: { staging: null, production: null },
    openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
    createdAt: '2026-01-01T00:00:00.000Z',
  }) as AiSystem;

const NOW = new Date('2026-02-01T00:00:00.000Z');

describe('the metrics overview', () => {
  it('counts systems by tier and status, candidates and runs by status, and open incidents by severity', () => {
    // Prepare
    const systems = [system('a', 'high', 'active'), system('b', 'low', 'draft'), system('c', 'high', 'active')];
    const candidates = [
      { systemId: 'a', status: 'eval_failed' },
      { systemId: 'a', status: 'awaiting_approval' },
      { systemId: 'b', status: 'active' },
    ] as ReleaseCandidate[];
    const runs = [{ status: 'passed' }, { status: 'failed' }, { status: 'passed' }] as EvalRun[];
    const incidents = [
      { systemId: 'a', severity: 'high', status: 'open' },
      { systemId: 'a', severity: 'low', status: 'resolved' },
      { systemId: 'c', severity: 'medium', status: 'mitigating' },
    ] as Incident[];

    // Act
    const overview = summariseOverview({ systems, candidates, runs, incidents, pendingApprovals: 4, now: NOW });

    // Assess
    expect(overview.totals).toEqual({ systems: 3, candidates: 3, evalRuns: 3, openIncidents: 2, pendingApprovals: 4 });
    expect(overview.systemsByRiskTier).toEqual({ high: 2, low: 1 });
    expect(overview.systemsByStatus).toEqual({ active: 2, draft: 1 });
    expect(overview.candidatesByStatus).toEqual({ eval_failed: 1, awaiting_approval: 1, active: 1 });
    expect(overview.evalRunsByStatus).toEqual({ passed: 2, failed: 1 });
    expect(overview.incidentsBySeverity).toEqual({ high: 1, medium: 1 });
    expect(overview.systems.find((s) => s.id === 'a')).toMatchObject({
      openIncidents: 1,
      candidates: 2,
      failedEvals: 1,
      awaitingApproval: 1,
    });
  });

  it('lists the systems past their review due date, most overdue first, and none that is retired', () => {
    // Prepare
    const systems = [
      system('critical-old', 'critical', 'active'),
      system('critical-fresh', 'critical', 'active'),
      system('low-old', 'low', 'active'),
      system('high-older', 'high', 'active'),
      system('retired', 'critical', 'retired'),
    ];
    (systems[3] as { createdAt: string }).createdAt = '2025-06-01T00:00:00.000Z';
    const candidates = [
      { systemId: 'critical-fresh', status: 'active', activatedAt: '2026-01-20T00:00:00.000Z' },
    ] as ReleaseCandidate[];

    // Act
    const overview = summariseOverview({ systems, candidates, runs: [], incidents: [], pendingApprovals: 0, now: NOW });

    // Assess
    expect(overview.overdueReviews.map((r) => [r.systemId, r.daysOverdue])).toEqual([
      ['high-older', 155],
      ['critical-old', 1],
    ]);
    expect(overview.systems.find((s) => s.id === 'critical-fresh')?.review).toMatchObject({
      overdue: false,
      dueAt: '2026-02-19T00:00:00.000Z',
    });
    expect(overview.systems.find((s) => s.id === 'retired')?.review).toBeNull();
  });

  it('judges each system under the policy version its META names, and the others under the default', () => {
    // Prepare: version 2 blocks on medium incidents and reviews high systems every 10 days
    const strict = {
      ...DEFAULT_POLICY,
      version: 2,
      blockingSeverities: ['medium', 'high', 'critical'] as Severity[],
      reviewIntervalDays: { ...DEFAULT_POLICY.reviewIntervalDays, high: 10 },
    };
    const open = { low: 0, medium: 1, high: 0, critical: 0 };
    const systems = [
      { ...system('v2', 'high', 'active'), openIncidents: open, policyVersion: 2 },
      { ...system('v1', 'high', 'active'), openIncidents: open, policyVersion: 1 },
    ];

    // Act
    const overview = summariseOverview({
      systems,
      candidates: [],
      runs: [],
      incidents: [],
      pendingApprovals: 0,
      now: NOW,
      policies: new Map([[2, strict]]),
    });

    // Assess
    const row = (id: string) => overview.systems.find((s) => s.id === id);
    expect(row('v2')).toMatchObject({ openBlockingIncidents: 1, review: { intervalDays: 10, overdue: true } });
    expect(row('v1')).toMatchObject({ openBlockingIncidents: 0, review: { intervalDays: 90, overdue: false } });
  });
});
