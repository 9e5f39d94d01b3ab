import { describe, expect, it } from 'vitest';
import { summariseOverview } from '../../../functions/domain/overview.js';
import type { AiSystem, EvalRun, Incident, ReleaseCandidate } from '../../../functions/domain/types.js';

const system = (id: string, riskTier: AiSystem['riskTier'], status: AiSystem['status']) =>
  ({
    id,
    name: id,
    ownerTeam: 'support-ai',
    riskTier,
    status,
    activeReleases: { staging: null, production: null },
    openBlockingIncidents: 0,
  }) as AiSystem;

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
    const overview = summariseOverview({ systems, candidates, runs, incidents, pendingApprovals: 4 });

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
});
