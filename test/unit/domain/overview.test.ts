import { describe, expect, it } from 'vitest';
import { registryRow, requestedSystemIds } from '../../../functions/domain/overview.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { AiSystem, ReleaseCandidate, Severity } from '../../../functions/domain/types.js';

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

describe("a registry row, from one system's META and candidates", () => {
  it("counts its unresolved incidents from the META's counters and its own candidates by status", () => {
    // Prepare
    const a = { ...system('a', 'high', 'active'), openIncidents: { low: 1, medium: 0, high: 2, critical: 0 } };
    const candidates = [
      { systemId: 'a', status: 'eval_failed' },
      { systemId: 'a', status: 'awaiting_approval' },
      { systemId: 'a', status: 'active' },
      { systemId: 'b', status: 'eval_failed' },
    ] as ReleaseCandidate[];

    // Act
    const row = registryRow(a, candidates, NOW);

    // Assess
    expect(row).toMatchObject({
      id: 'a',
      openIncidents: 3,
      openBlockingIncidents: 2,
      candidates: 3,
      failedEvals: 1,
      awaitingApproval: 1,
    });
  });

  it('is due for review a tier interval after its newest activation, overdue past it, and never when retired', () => {
    // Prepare
    const fresh = system('critical-fresh', 'critical', 'active');
    const old = { ...system('high-older', 'high', 'active'), createdAt: '2025-06-01T00:00:00.000Z' };
    const candidates = [
      { systemId: 'critical-fresh', status: 'active', activatedAt: '2026-01-20T00:00:00.000Z' },
    ] as ReleaseCandidate[];

    // Act
    const rows = [fresh, old, system('retired', 'critical', 'retired')].map((s) => registryRow(s, candidates, NOW));

    // Assess
    expect(rows.map((r) => r.review)).toEqual([
      {
        lastReviewedAt: '2026-01-20T00:00:00.000Z',
        intervalDays: 30,
        dueAt: '2026-02-19T00:00:00.000Z',
        overdue: false,
        daysOverdue: 0,
      },
      {
        lastReviewedAt: '2025-06-01T00:00:00.000Z',
        intervalDays: 90,
        dueAt: '2025-08-30T00:00:00.000Z',
        overdue: true,
        daysOverdue: 155,
      },
      null,
    ]);
  });

  it('is judged under the policy its META carries: which severities block and how often it is reviewed', () => {
    // Prepare: this version blocks on medium incidents and reviews high systems every 10 days
    const strict = {
      ...DEFAULT_POLICY,
      version: 2,
      blockingSeverities: ['medium', 'high', 'critical'] as Severity[],
      reviewIntervalDays: { ...DEFAULT_POLICY.reviewIntervalDays, high: 10 },
    };
    const s = { ...system('v2', 'high', 'active'), openIncidents: { low: 0, medium: 1, high: 0, critical: 0 } };

    // Act
    const underStrict = registryRow(s, [], NOW, strict);
    const underDefault = registryRow(s, [], NOW);

    // Assess
    expect(underStrict).toMatchObject({ openBlockingIncidents: 1, review: { intervalDays: 10, overdue: true } });
    expect(underDefault).toMatchObject({ openBlockingIncidents: 0, review: { intervalDays: 90, overdue: false } });
  });
});

describe('the systems a registry request names', () => {
  it('are each taken once, in the order first named, and none when the request names none', () => {
    expect(requestedSystemIds('sys_b,sys_a,sys_b')).toEqual(['sys_b', 'sys_a']);
    expect(requestedSystemIds(undefined)).toEqual([]);
  });
});
