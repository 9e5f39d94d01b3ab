// GET /api/metrics/registry's store read on DynamoDB Local (ADR 0048): what it reads depends on the systems the request
// names, never on how many systems, candidates and eval runs the registry holds. The meter counts every request to
// DynamoDB and the capacity each one consumed; the same page of 6 costs the same with 6 systems as with 60 and their
// histories, and a named system the caller may not read is a 404 before any Query of candidates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/domain/errors.js';
import { newId } from '../../../functions/domain/ids.js';
import type { AiSystem } from '../../../functions/domain/types.js';
import { batchPut } from '../../../functions/store/batch-write.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import type { RequestMeter } from '../../../functions/store/unit-of-work.js';
import { systemInput } from '../../support/fixtures.js';
import { owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

const NOW = new Date('2026-05-04T09:00:00.000Z');
const everyone = () => true;

describe('the registry summary reads what the request names, on DynamoDB Local', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  const meter: RequestMeter = { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 };
  let page: string[];

  /** Candidates (and eval runs) of a system, written as the store lays them out, in its own partitions. */
  const history = (systemId: string, statuses: string[], runsEach: number) =>
    statuses.flatMap((status) => {
      const id = newId('rc');
      const candidate = {
        ...keys.candidate(id),
        ...keys.candidateIndexes(systemId, id),
        itemType: 'candidate',
        id,
        systemId,
        status,
        activatedAt: status === 'active' ? '2026-05-04T10:00:00.000Z' : null,
      };
      const runs = Array.from({ length: runsEach }, () => {
        const runId = newId('run');
        return {
          ...keys.evalRun(runId),
          ...keys.evalRunIndexes(id, runId),
          itemType: 'eval_run',
          id: runId,
          systemId,
          candidateId: id,
          status: 'failed',
        };
      });
      return [candidate, ...runs];
    });

  /** Reads of one summary: requests, capacity, and the answer. */
  const measured = async (systemIds: string[], visible: (s: AiSystem) => boolean = everyone) => {
    Object.assign(meter, { reads: 0, readCapacity: 0 });
    const summary = await store.overview.registrySummary({ systemIds, visible });
    return { reads: meter.reads, readCapacity: meter.readCapacity, summary };
  };

  beforeAll(async () => {
    ({ store, drop } = await createTestStore({ now: () => NOW, meter }));
    page = [];
    for (let i = 0; i < 6; i++) {
      const { system } = await store.systems.createSystem(owner, systemInput({ name: `Registry page ${i}` }));
      page.push(system.id);
    }
    await batchPut(store.ctx, history(page[0] as string, ['active', 'eval_failed', 'awaiting_approval'], 2));
    await store.incidents.openIncident(owner, {
      systemId: page[0] as string,
      title: 'Claims assessed on amounts without currency',
      description: '',
      severity: 'high',
      seriousIncident: { category: 'widespread_infringement', awareAt: '2026-05-04T08:00:00.000Z', memberState: 'FR' },
    });
  });
  afterAll(async () => drop());

  it("answers the named systems' rows in the order named, each from its META and its own candidates", async () => {
    // Act
    const { summary } = await measured([page[1] as string, page[0] as string]);

    // Assess
    expect(summary.systems.map((s) => s.id)).toEqual([page[1], page[0]]);
    expect(summary.systems[1]).toMatchObject({
      openIncidents: 1,
      openBlockingIncidents: 1,
      candidates: 3,
      failedEvals: 1,
      awaitingApproval: 1,
      review: { lastReviewedAt: '2026-05-04T10:00:00.000Z', overdue: false },
    });
    expect(summary.reportingDeadlines.map((d) => [d.systemId, d.systemName, d.status])).toEqual([
      [page[0], 'Registry page 0', 'due'],
    ]);
  });

  it('reads as much for a page of 6 with 60 systems and their histories in the registry as with 6', async () => {
    // Prepare
    const small = await measured(page);
    const others = Array.from({ length: 54 }, (_, i) => `sys_grown_${String(i).padStart(2, '0')}`);
    const grown = others.flatMap((id, i) => [
      {
        ...keys.system(id),
        ...keys.systemsIndex(`Grown ${i}`, id),
        itemType: 'system',
        id,
        name: `Grown ${i}`,
        ownerTeam: 'other-team',
        riskTier: 'high',
        status: 'active',
        activeReleases: { staging: null, production: null },
        openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
        createdAt: '2026-01-01T00:00:00.000Z',
      },
      ...history(id, ['active', 'eval_failed', 'retired'], 3),
    ]);
    await batchPut(store.ctx, grown);

    // Act
    const large = await measured(page);
    const otherPage = await measured(others.slice(0, 6));

    // Assess: one batch of METAs, one Query per named system, the 8 shards of the open clocks; no more (the page
    // names the system of the one open clock; another page reads its META in one more batch).
    expect(small.reads).toBe(1 + 6 + 8);
    expect(large.reads).toBe(small.reads);
    expect(large.readCapacity).toBe(small.readCapacity);
    expect(large.summary).toEqual(small.summary);
    expect(otherPage.reads).toBe(small.reads + 1);
    expect(otherPage.summary.systems.map((s) => s.failedEvals)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('answers 404 for a named system the caller may not read, or that does not exist, reading none of the candidates', async () => {
    // Act
    Object.assign(meter, { reads: 0, readCapacity: 0 });
    const hidden = store.overview.registrySummary({ systemIds: page, visible: (s) => s.id !== page[0] });
    await expect(hidden).rejects.toThrow(NotFoundError);
    const hiddenReads = meter.reads;
    const missing = store.overview.registrySummary({
      systemIds: [page[2] as string, 'sys_01JZZZZZZZZZZZZZZZZZZZZZZZ'],
      visible: everyone,
    });

    // Assess: the batch of METAs and the clocks' shards, no Query of a candidates partition.
    await expect(missing).rejects.toMatchObject({ message: 'system sys_01JZZZZZZZZZZZZZZZZZZZZZZZ not found' });
    expect(hiddenReads).toBe(1 + 8);
  });

  it('answers no row, and only the reporting deadlines of readable systems, when the request names none', async () => {
    // Act
    const theirs = await measured([], (s) => s.id !== page[0]);
    const none = await measured([]);

    // Assess: the clocks' shards and one batch of their systems' METAs.
    expect(none.summary.systems).toEqual([]);
    expect(none.summary.reportingDeadlines.map((d) => d.systemId)).toEqual([page[0]]);
    expect(none.reads).toBe(8 + 1);
    expect(theirs.summary.reportingDeadlines).toEqual([]);
  });
});
