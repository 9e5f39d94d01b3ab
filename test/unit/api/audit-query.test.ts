import { describe, expect, it } from 'vitest';
import { listAuditQuery } from '../../../functions/contracts/index.js';

/** The path of the first problem of a query, as the 400 names it. */
const fieldOf = (query: Record<string, string>) => {
  const parsed = listAuditQuery.safeParse(query);
  return parsed.success ? null : parsed.error.issues[0]?.path.join('.');
};

describe('the audit timeline query', () => {
  it('accepts every filter together', () => {
    expect(
      fieldOf({
        systemId: 'org',
        action: 'release.promotion_refused',
        actor: 'omar.owner',
        entityId: 'rc_01J9Z3Q8X4K7M2N5P6R7S8T9V1',
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
      }),
    ).toBeNull();
  });

  it('names the field of a bad filter', () => {
    expect(fieldOf({ action: 'release.shipped' })).toBe('action');
    expect(fieldOf({ from: 'yesterday' })).toBe('from');
    expect(fieldOf({ to: '2026-13-01T00:00:00Z' })).toBe('to');
    expect(fieldOf({ entityId: 'rc 1; drop' })).toBe('entityId');
    expect(fieldOf({ actor: '' })).toBe('actor');
    expect(fieldOf({ from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' })).toBe('to');
  });
});
