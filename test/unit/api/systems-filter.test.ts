import { describe, expect, it } from 'vitest';
import { filteredSystems, MAX_SYSTEMS_EXAMINED } from '../../../functions/api/systems.js';
import { listSystemsQuery } from '../../../functions/contracts/systems.js';
import type { AiSystem } from '../../../functions/domain/types.js';

const systems = Array.from(
  { length: 30 },
  (_, i) =>
    ({
      id: `sys_${String(i).padStart(2, '0')}`,
      name: `System ${String(i).padStart(2, '0')}`,
      ownerTeam: i % 2 ? 'odd-team' : 'even-team',
      owner: 'o',
      domain: 'd',
      riskTier: i % 3 === 0 ? 'high' : 'low',
      euAiActCategory: 'limited',
      status: 'active',
    }) as AiSystem,
);

/** An index of systems in name order with numeric cursors, recording each read. */
function fakeIndex(items: AiSystem[] = systems) {
  const reads: { limit?: number; cursor?: string | null }[] = [];
  const list = async (page: { limit?: number; cursor?: string | null }) => {
    reads.push(page);
    const start = Number(page.cursor ?? 0);
    const end = start + (page.limit ?? 25);
    return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
  };
  return { list, reads };
}

describe('filteredSystems', () => {
  it('without a filter, answers one page of the index as it is', async () => {
    const index = fakeIndex();
    const page = await filteredSystems(index.list, { limit: 10 });
    expect(page.items.map((s) => s.id)).toEqual(systems.slice(0, 10).map((s) => s.id));
    expect(page.nextCursor).toBe('10');
    expect(index.reads).toEqual([{ limit: 10, cursor: undefined }]);
  });

  it('fills the page with matches only, and its cursor continues exactly after the last system examined', async () => {
    const index = fakeIndex();
    const first = await filteredSystems(index.list, { limit: 4, riskTier: 'high' });
    expect(first.items.map((s) => s.id)).toEqual(['sys_00', 'sys_03', 'sys_06', 'sys_09']);
    const second = await filteredSystems(index.list, { limit: 4, riskTier: 'high', cursor: first.nextCursor ?? '' });
    expect(second.items.map((s) => s.id)).toEqual(['sys_12', 'sys_15', 'sys_18', 'sys_21']);
    const third = await filteredSystems(index.list, { limit: 4, riskTier: 'high', cursor: second.nextCursor ?? '' });
    expect(third.items.map((s) => s.id)).toEqual(['sys_24', 'sys_27']);
    expect(third.nextCursor).toBeNull();
  });

  it('searches name, team and id case-insensitively and combines every filter', async () => {
    const index = fakeIndex();
    const page = await filteredSystems(index.list, { limit: 50, q: 'ODD-TEAM', riskTier: 'high' });
    expect(page.items.map((s) => s.id)).toEqual(['sys_03', 'sys_09', 'sys_15', 'sys_21', 'sys_27']);
    const none = await filteredSystems(index.list, { limit: 50, q: 'nothing like it' });
    expect(none).toEqual({ items: [], nextCursor: null });
  });

  it('stops after examining MAX_SYSTEMS_EXAMINED systems with a short page and a cursor to continue', async () => {
    const many = Array.from(
      { length: MAX_SYSTEMS_EXAMINED + 50 },
      (_, i) => ({ ...systems[1], id: `sys_${i}` }) as AiSystem,
    );
    const index = fakeIndex(many);
    const page = await filteredSystems(index.list, { limit: 10, riskTier: 'high' });
    expect(page.items).toEqual([]);
    expect(page.nextCursor).toBe(String(MAX_SYSTEMS_EXAMINED));
  });

  it('takes only the known filters, with their vocabulary (the contract refuses the rest)', () => {
    expect(listSystemsQuery.parse({ limit: '50', q: '  triage ', riskTier: 'high' })).toEqual({
      limit: 50,
      q: 'triage',
      riskTier: 'high',
    });
    expect(listSystemsQuery.safeParse({ riskTier: 'extreme' }).success).toBe(false);
    expect(listSystemsQuery.safeParse({ status: 'gone' }).success).toBe(false);
    expect(listSystemsQuery.safeParse({ owner: 'x' }).success).toBe(false);
  });
});
