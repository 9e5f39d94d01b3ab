// The arithmetic of daily metric rollups (ADR 0043): what an audit event adds to its day, how shards and days sum,
// that days with nothing recorded are gaps, and that p95 and cost stay per system (a maximum and a mean of means).
import { describe, expect, it } from 'vitest';
import {
  addDays,
  contributionOf,
  type DayCounts,
  dayOf,
  daysBetween,
  decodeRankCursor,
  emptyDay,
  encodeRankCursor,
  rangeOf,
  runDay,
  summariseDays,
} from '../../../functions/domain/rollups.js';

const at = '2026-12-07T23:59:59.999Z';
const source = (action: string, after: Record<string, unknown> | null = {}) => ({
  systemId: 'sys_1',
  action,
  at,
  after,
});

describe('a rollup contribution', () => {
  it('counts a refused promotion once and under each of its distinct reasons', () => {
    // Prepare
    const refused = source('release.promotion_refused', {
      reasons: [
        { code: 'EVAL_MISSING', message: 'no run' },
        { code: 'APPROVALS_MISSING', message: 'no approval' },
        { code: 'EVAL_MISSING', message: 'listed twice' },
      ],
    });

    // Act
    const c = contributionOf(refused);

    // Assess
    expect(c).toEqual({
      systemId: 'sys_1',
      day: '2026-12-07',
      counts: { refusedPromotions: 1 },
      refusedByReason: { APPROVALS_MISSING: 1, EVAL_MISSING: 1 },
    });
  });

  it("takes a finished run's p95 and mean cost, and leaves a metric it does not report null", () => {
    // Act
    const passed = contributionOf(source('eval_run.passed', { metrics: { latencyP95Ms: 812, costMeanUsd: 0.002 } }));
    const failed = contributionOf(source('eval_run.failed', { metrics: { latencyP95Ms: null } }));

    // Assess
    expect(passed).toMatchObject({ counts: { evalRunsPassed: 1 }, run: { latencyP95Ms: 812, costMeanUsd: 0.002 } });
    expect(failed).toMatchObject({ counts: { evalRunsFailed: 1 }, run: { latencyP95Ms: null, costMeanUsd: null } });
  });

  it('counts promotions, rollbacks and incidents by severity, and nothing for other actions or the organisation chain', () => {
    // Act
    const outcomes = [
      contributionOf(source('release.promoted')),
      contributionOf(source('release.rolled_back')),
      contributionOf(source('incident.opened', { severity: 'high', status: 'open', title: 't' })),
      contributionOf(source('candidate.created')),
      contributionOf({ ...source('release.promoted'), systemId: null }),
    ];

    // Assess
    expect(outcomes.map((o) => o?.counts ?? null)).toEqual([
      { promotions: 1 },
      { rollbacks: 1 },
      { incidentsOpened: 1 },
      null,
      null,
    ]);
    expect(outcomes[2]?.incidentsBySeverity).toEqual({ high: 1 });
  });

  it('files a reason code that is not key-safe under OTHER, so no writer can shape an attribute name', () => {
    // Act
    const c = contributionOf(source('release.promotion_refused', { reasons: [{ code: 'a b#c' }] }));

    // Assess
    expect(c?.refusedByReason).toEqual({ OTHER: 1 });
  });

  it('puts an event on the UTC day of its commit', () => {
    // Assess
    expect(dayOf('2026-12-07T23:59:59.999Z')).toBe('2026-12-07');
    expect(dayOf('2026-12-08T00:30:00+01:00')).toBe('2026-12-07');
  });
});

describe('summing rollups', () => {
  it('adds the shards of a day, reasons and severities included', () => {
    // Prepare
    const a: Partial<DayCounts> = { promotions: 1, refusedByReason: { EVAL_MISSING: 2 } };
    const b: Partial<DayCounts> = { promotions: 2, refusedByReason: { EVAL_MISSING: 1, INVALID_STATE: 1 } };

    // Act
    const day = addDays(addDays(emptyDay(), a), b);

    // Assess
    expect(day).toMatchObject({ promotions: 3, refusedByReason: { EVAL_MISSING: 3, INVALID_STATE: 1 } });
  });

  it('draws a day with nothing recorded as a gap of nulls, never as zeros, and totals only recorded days', () => {
    // Prepare
    const days = daysBetween('2026-12-05', '2026-12-07');
    const recorded = new Map([['2026-12-06', { ...emptyDay(), evalRunsFailed: 2 }]]);

    // Act
    const { series, totals } = summariseDays(days, recorded);

    // Assess
    expect(series.map((d) => d.evalRunsFailed)).toEqual([null, 2, null]);
    expect(series[0]).toMatchObject({ date: '2026-12-05', promotions: null, refusedPromotions: null });
    expect(totals.evalRunsFailed).toBe(2);
  });

  it("keeps p95 and cost per system: a day's worst p95 and the mean of its runs' mean costs, null without runs", () => {
    // Act
    const day = runDay('2026-12-07', { latencyP95MaxMs: 900, costSumUsd: 0.006, costRuns: 3 });
    const empty = runDay('2026-12-08', undefined);

    // Assess
    expect(day).toEqual({ date: '2026-12-07', latencyP95Ms: 900, costMeanUsd: 0.002 });
    expect(empty).toEqual({ date: '2026-12-08', latencyP95Ms: null, costMeanUsd: null });
  });

  it('reads the last 30 days up to today when no range is asked for', () => {
    // Act
    const range = rangeOf({}, new Date('2026-12-07T10:00:00Z'));

    // Assess
    expect(range).toEqual({ from: '2026-11-08', to: '2026-12-07' });
    expect(daysBetween(range.from, range.to)).toHaveLength(30);
  });

  it("gives the slowest systems' cursor back as the rank it stands for, and refuses a forged one with a 400", () => {
    // Assess
    expect(decodeRankCursor(encodeRankCursor(20))).toBe(20);
    expect(decodeRankCursor(undefined)).toBe(0);
    expect(() => decodeRankCursor('bm90LWEtY3Vyc29y')).toThrow(expect.objectContaining({ status: 400 }));
  });
});
