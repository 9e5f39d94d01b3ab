import { describe, expect, it } from 'vitest';
import { registrySummaryQuery } from '../../../functions/contracts/index.js';

/** The path of the first problem of a query, as the 400 names it. */
const fieldOf = (query: Record<string, string>) => {
  const parsed = registrySummaryQuery.safeParse(query);
  return parsed.success ? null : parsed.error.issues[0]?.path.join('.');
};
const id = (n: number) => `sys_01J9Z3Q8X4K7M2N5P6R7S8${String(n).padStart(4, '0')}`;

describe('the registry summary query', () => {
  it('accepts no systems, one, and the fifty of a registry page', () => {
    expect(fieldOf({})).toBeNull();
    expect(fieldOf({ systemIds: id(1) })).toBeNull();
    expect(fieldOf({ systemIds: Array.from({ length: 50 }, (_, n) => id(n)).join(',') })).toBeNull();
  });

  it('names systemIds when it lists more than fifty systems, or anything but sys_ ids separated by commas', () => {
    expect(fieldOf({ systemIds: Array.from({ length: 51 }, (_, n) => id(n)).join(',') })).toBe('systemIds');
    expect(fieldOf({ systemIds: `${id(1)},rc_01J9Z3Q8X4K7M2N5P6R7S8T9V1` })).toBe('systemIds');
    expect(fieldOf({ systemIds: `${id(1)},` })).toBe('systemIds');
    expect(fieldOf({ systemIds: '' })).toBe('systemIds');
    expect(fieldOf({ systemId: id(1) })).toBe('');
  });
});
