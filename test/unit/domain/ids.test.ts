import { describe, expect, it } from 'vitest';
import { ID_PREFIXES, idPattern } from '../../../functions/domain/id-format.js';
import { newId } from '../../../functions/domain/ids.js';

describe('identifiers', () => {
  it('combine a kind prefix with a ULID', () => {
    // Act
    const ids = ID_PREFIXES.map((prefix) => newId(prefix));

    // Assess
    ids.forEach((id, i) => {
      const prefix = ID_PREFIXES[i] as (typeof ID_PREFIXES)[number];
      expect(id).toMatch(/^[a-z]+_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(id).toMatch(idPattern(prefix));
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
    const sys = idPattern('sys');

    // Act / Assess
    expect(idPattern('rc').test(id)).toBe(false);
    expect(sys.test(id)).toBe(true);
    expect(sys.test(`sys_${ulid.toLowerCase()}`)).toBe(false);
    expect(sys.test(`sys_${ulid.slice(1)}`)).toBe(false);
    expect(sys.test(`sys_${ulid.slice(0, -1)}U`)).toBe(false);
    expect(sys.test(`sys${ulid}`)).toBe(false);
    expect(sys.test(`xsys_${ulid}`)).toBe(false);
    expect(sys.test(`sys_${ulid}\n`)).toBe(false);
  });
});
