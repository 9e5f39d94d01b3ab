import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from '../../../functions/domain/hashing.js';

describe('canonical hashing', () => {
  it('orders keys and formats numbers as RFC 8785 prescribes', () => {
    expect(canonicalJson({ b: 1, a: [1e21, 'x', null] })).toBe('{"a":[1e+21,"x",null],"b":1}');
  });

  it('gives the same content hash whatever the key order', () => {
    expect(contentHash({ a: 1, b: { d: 2, c: 3 } })).toBe(contentHash({ b: { c: 3, d: 2 }, a: 1 }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});
