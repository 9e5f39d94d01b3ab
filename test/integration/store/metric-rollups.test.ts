// Daily metric rollups on DynamoDB Local (ADR 0043): the consumer (each governance event as the bus delivers it) and
// the back-fill (the audit chains) agree; running both, in either order, or delivering an event twice, or twice at
// once, counts each event once.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGovernanceEvent } from '../../../functions/domain/events.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { consumeForRollups } from '../../../functions/events/rollup-consumer.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { allPages } from '../../../functions/store/pagination.js';
import {
  activeCandidate,
  draftCandidate,
  type GovernedSystem,
  governedSystem,
  owner,
  passingOutcome,
  recordEval,
} from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';
import { snapshotTable, type TableSnapshot } from '../../support/table-snapshot.js';

describe('daily metric rollups', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  const today = new Date().toISOString().slice(0, 10);

  /** A system with a promotion, a passed and a failed run (p95, cost), a refused promotion and an incident. */
  async function busySystem(team: string): Promise<GovernedSystem> {
    const base = await governedSystem(store, { system: { ownerTeam: team, riskTier: 'high' } });
    await activeCandidate(store, base, { evaluation: 'recorded' });
    const draft = await draftCandidate(store, base);
    await store.candidates.submitCandidate(owner, draft.id);
    const slow = passingOutcome();
    slow.passed = false;
    slow.metrics.latencyP95Ms = 1500;
    slow.metrics.costMeanUsd = 0.004;
    await recordEval(store, draft.id, slow);
    await store.refusals.recordPromotionRefusal(owner, {
      systemId: base.system.id,
      candidateId: draft.id,
      environment: 'production',
      kind: 'promote',
      reasons: [
        { code: 'EVAL_FAILED', message: 'the latest eval run failed' },
        { code: 'APPROVALS_INCOMPLETE', message: 'no approval' },
      ],
      refusedAt: new Date().toISOString(),
    });
    await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'slow answers',
      description: '',
      severity: 'medium',
    });
    return base;
  }
  const chainOf = (systemId: string) =>
    allPages((page) => store.audit.listAuditEvents({ systemId, order: 'asc' }, page)) as Promise<AuditEvent[]>;
  const consume = (events: AuditEvent[]) =>
    Promise.all(events.map((e) => consumeForRollups((r) => store.rollups.applyRollupEvent(r), toGovernanceEvent(e))));
  const overviewOf = (filter: { systemId?: string; team?: string; tier?: string }) =>
    store.rollups.rollupOverview({ from: today, to: today, limit: 10, offset: 0, ...filter });

  /** Three busy systems, built side by side once; the table is put back to them (and no rollup) before each case. */
  let consumed: GovernedSystem;
  let backfilled: GovernedSystem;
  let summed: GovernedSystem;
  let fixture: TableSnapshot;
  beforeAll(async () => {
    let tableName: string;
    ({ store, drop, tableName } = await createTestStore());
    [consumed, backfilled, summed] = await Promise.all([
      busySystem('team-consumed'),
      busySystem('team-backfilled'),
      busySystem('team-summed'),
    ]);
    fixture = await snapshotTable(store.ctx.doc, tableName);
  });
  beforeEach(async () => fixture.restore());
  afterAll(async () => drop());

  it('counts the same from the consumer as from the back-fill, and running both never counts an event twice', async () => {
    // Prepare: the fixture's team-consumed and team-backfilled systems, nothing rolled up yet

    // Act
    const first = await consume(await chainOf(consumed.system.id));
    const backfill = await store.rollups.backfillRollups({ systemIds: [consumed.system.id, backfilled.system.id] });
    const late = await consume(await chainOf(backfilled.system.id));

    // Assess
    const applied = first.filter((o) => o === 'applied').length;
    expect(applied).toBe(5);
    expect(backfill).toMatchObject({ systems: 2, applied: 5, duplicates: 5, done: true });
    expect(late.filter((o) => o === 'applied')).toHaveLength(0);
    const [a, b] = await Promise.all([
      overviewOf({ systemId: consumed.system.id }),
      overviewOf({ systemId: backfilled.system.id }),
    ]);
    for (const o of [a, b]) {
      expect(o.totals).toMatchObject({
        promotions: 1,
        evalRunsPassed: 1,
        evalRunsFailed: 1,
        refusedPromotions: 1,
        refusedByReason: { APPROVALS_INCOMPLETE: 1, EVAL_FAILED: 1 },
        incidentsOpened: 1,
        incidentsBySeverity: { medium: 1 },
      });
      expect(o.systemRuns).toEqual([{ date: today, latencyP95Ms: 1500, costMeanUsd: 0.004 }]);
    }
    expect(b.totals).toEqual(a.totals);
  });

  it("sums a team's shards to its systems' days, and lists the slowest systems by their worst p95", async () => {
    // Prepare: two busy systems of two teams rolled up, and nothing else
    const base = summed;
    await store.rollups.backfillRollups({ systemIds: [base.system.id, consumed.system.id] });

    // Act
    const team = await overviewOf({ team: 'team-summed' });
    const organisation = await overviewOf({});
    const [teamHigh, teamLow, high, low, one] = await Promise.all([
      overviewOf({ team: 'team-summed', tier: 'high' }),
      overviewOf({ team: 'team-summed', tier: 'low' }),
      overviewOf({ tier: 'high' }),
      overviewOf({ tier: 'low' }),
      overviewOf({ systemId: base.system.id }),
    ]);

    // Assess
    expect(team.series).toEqual([expect.objectContaining({ date: today, promotions: 1, refusedPromotions: 1 })]);
    const row = { systemId: base.system.id, latencyP95Ms: 1500, costMeanUsd: 0.004, worstDay: today };
    expect(team.slowest.items).toEqual([expect.objectContaining(row)]);
    expect(team.totals.promotions).toBe(1);
    expect(organisation.totals.promotions).toBe(2);
    // A tier reads its own index (the tier items), its costs from the systems' days; one system, its own days.
    expect(teamHigh.slowest.items).toEqual([expect.objectContaining({ ...row, riskTier: 'high' })]);
    expect(teamLow.slowest.items).toEqual([]);
    expect(high.slowest.items.map((r) => r.systemId).sort()).toEqual([base.system.id, consumed.system.id].sort());
    expect(high.slowest.items).toContainEqual(expect.objectContaining(row));
    expect(low.slowest.items).toEqual([]);
    expect(one.slowest).toEqual({ items: [expect.objectContaining(row)], more: false });
  });

  it('counts an event delivered twice, or twice at the same time, once', async () => {
    // Prepare
    const base = await governedSystem(store, { system: { ownerTeam: 'team-redelivered' } });
    await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'wrong language',
      description: '',
      severity: 'high',
    });
    const opened = (await chainOf(base.system.id)).filter((e) => e.action === 'incident.opened');

    // Act
    const together = await consume([...opened, ...opened]);
    const again = await consume(opened);

    // Assess
    expect(together.sort()).toEqual(['applied', 'duplicate']);
    expect(again).toEqual(['duplicate']);
    const o = await overviewOf({ team: 'team-redelivered' });
    expect(o.totals).toMatchObject({ incidentsOpened: 1, incidentsBySeverity: { high: 1 } });
  });

  it('resumes a back-fill from its checkpoint: a second run reads only what was added since', async () => {
    // Prepare
    const base = await governedSystem(store, { system: { ownerTeam: 'team-resumed' } });
    await store.rollups.backfillRollups({ systemIds: [base.system.id] });
    await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'timeouts',
      description: '',
      severity: 'low',
    });

    // Act
    const second = await store.rollups.backfillRollups({ systemIds: [base.system.id] });

    // Assess
    expect(second).toMatchObject({ events: 1, applied: 1, duplicates: 0 });
  });
  it('reads what a page of the slowest systems needs, not every system of the month: one system, a tier, a pair', async () => {
    // Prepare: 240 systems' days (3 days each) in the month indexes, as the consumer leaves them
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const items: Record<string, unknown>[] = [];
    const tiers = ['low', 'medium', 'high'];
    for (let n = 0; n < 240; n++)
      for (let d = 0; d < 3; d++) {
        const systemId = `sys_bounded${String(n).padStart(4, '0')}`;
        const named = { systemId, day: day(d), name: `Bounded ${n}`, ownerTeam: `team-b${n % 6}` };
        const riskTier = n % 40 === 0 ? 'critical' : (tiers[n % 3] as string);
        const p95 = 100 + ((n * 37 + d * 11) % 900);
        const figures = { ...named, riskTier, itemType: 'rollup', latencyP95MaxMs: p95 };
        items.push(
          {
            ...keys.rollupSystemDay(systemId, day(d)),
            ...keys.rollupLatencyIndex(day(d), p95, systemId, named.ownerTeam),
            ...figures,
          },
          {
            ...keys.rollupTierLatencyItem(systemId, day(d)),
            ...keys.rollupTierLatencyIndex(day(d), p95, systemId, named.ownerTeam, riskTier),
            ...figures,
          },
        );
      }
    await store.rollups.putRollupItems(items);
    let scanned = 0;
    const send = store.ctx.doc.send.bind(store.ctx.doc);
    const counting = (async (command: { input: { IndexName?: string } }) => {
      const out = (await send(command as never)) as { ScannedCount?: number };
      if (command.input.IndexName) scanned += out.ScannedCount ?? 0;
      return out;
    }) as typeof store.ctx.doc.send;
    const readBy = async (filter: { systemId?: string; team?: string; tier?: string }) => {
      scanned = 0;
      store.ctx.doc.send = counting;
      try {
        const o = await store.rollups.rollupOverview({ from: day(2), to: day(0), limit: 5, offset: 0, ...filter });
        return { rows: o.slowest.items, scanned };
      } finally {
        store.ctx.doc.send = send;
      }
    };

    // Act
    const one = await readBy({ systemId: 'sys_bounded0007' });
    const tier = await readBy({ tier: 'critical' });
    const pair = await readBy({ team: 'team-b0', tier: 'critical' });

    // Assess: every row is of the scope, and no index item outside it was read. The month's organisation index
    // holds 720 items and team-b0's 120; 6 systems are critical (18 items), 2 of them in team-b0 (6 items).
    expect(one).toEqual({ rows: [expect.objectContaining({ systemId: 'sys_bounded0007' })], scanned: 0 });
    expect(tier.rows.map((r) => r.riskTier)).toEqual(Array(5).fill('critical'));
    expect(tier.scanned).toBeLessThanOrEqual(18);
    expect(pair.rows.map((r) => r.systemId).sort()).toEqual(['sys_bounded0000', 'sys_bounded0120']);
    expect(pair.scanned).toBeLessThanOrEqual(6);
  });
});
