import { describe, expect, it } from 'vitest';
import { ID_PREFIXES, isId, newId } from '../../../functions/domain/ids.js';

describe('identifiers', () => {
  it('combine a kind prefix with a ULID', () => {
    // Act
    const ids = ID_PREFIXES.map((prefix) => newId(prefix));

    // Assess
    ids.forEach((id, i) => {
      const prefix = ID_PREFIXES[i] as (typeof ID_PREFIXES)[number];
      expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{26}$`));
      expect(isId(prefix, id)).toBe(true);
    });
  });

  it('sort in the order they were minted, even within one millisecond', () => {
    // Act
    const ids = Array.from({ length: 200 }, () => newId('prm'));

    // Assess
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(200);
  });

  it('encode the seed time when one is given', () => {
    // Act
    const late = newId('rc', 2_000_000_000_000);
    const early = newId('rc', 1);

    // Assess
    expect(early.startsWith('rc_0000000001')).toBe(true);
    expect(early < late).toBe(true);
  });

  it('refuse a seed time that is not a positive whole number of milliseconds', () => {
    // Act / Assess
    expect(() => newId('rc', 0)).toThrow(RangeError);
    expect(() => newId('rc', -5)).toThrow(RangeError);
    expect(() => newId('rc', 1.5)).toThrow(RangeError);
  });

  it('are recognised only with the right prefix and a well-formed ULID', () => {
    // Prepare
    const id = newId('sys');
    const ulid = id.slice(4);

    // Act / Assess
    expect(isId('rc', id)).toBe(false);
    expect(isId('sys', `sys_${ulid.toLowerCase()}`)).toBe(false);
    expect(isId('sys', `sys_${ulid.slice(1)}`)).toBe(false);
    expect(isId('sys', `sys_8${ulid.slice(1)}`)).toBe(false);
    expect(isId('sys', `sys_${ulid.slice(0, -1)}U`)).toBe(false);
    expect(isId('sys', `sys${ulid}`)).toBe(false);
    expect(isId('sys', 42)).toBe(false);
    expect(isId('sys', null)).toBe(false);
  });
});
