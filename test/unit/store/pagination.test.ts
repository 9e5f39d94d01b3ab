import { createCipheriv, createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  cursorKeyFromSecret,
  cursorKeySource,
  DEFAULT_PAGE_SIZE,
  decodeCursor,
  encodeCursor,
  MAX_PAGE_SIZE,
  pageSize,
} from '../../../functions/store/pagination.js';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

function rejection(cursor: string): unknown {
  try {
    decodeCursor(cursor);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('encodeCursor and decodeCursor', () => {
  it('round-trips a table key and an index key', () => {
    // Prepare
    const tableKey = { pk: 'SYS#sys_1#AUDIT', sk: 'SEQ#0000000007' };
    const indexKey = { pk: 'RC#rc_1', sk: 'META', gsi1pk: 'SYS#sys_1#RC', gsi1sk: 'rc_1' };

    // Act
    const decoded = [tableKey, indexKey].map((k) => decodeCursor(encodeCursor(k)));

    // Assess
    expect(decoded).toEqual([tableKey, indexKey]);
  });

  it('round-trips any key of string members and always yields a URL-safe token', () => {
    // A LastEvaluatedKey holds the table key and, from an index, both halves of the index key.
    const keyArb = fc
      .tuple(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.option(fc.tuple(fc.string(), fc.string())))
      .map(([pk, sk, index]) => (index ? { pk, sk, gsi2pk: index[0], gsi2sk: index[1] } : { pk, sk }));
    fc.assert(
      fc.property(keyArb, (key) => {
        // Act
        const cursor = encodeCursor(key) as string;

        // Assess
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toEqual(key);
      }),
    );
  });

  it('encodes no key (the last page) as a null cursor, and reads no cursor as the first page', () => {
    // Prepare
    const lastKey = undefined;

    // Act
    const cursor = encodeCursor(lastKey);

    // Assess
    expect(cursor).toBeNull();
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(null)).toBeUndefined();
    expect(decodeCursor('')).toBeUndefined();
  });

  it.each([
    ['text that is not base64 JSON', 'not a cursor!'],
    ['base64 of text that is not JSON', b64('pk=SYS#1')],
    ['a JSON array', b64('["pk","sk"]')],
    ['a JSON string', b64('"SYS#1"')],
    ['JSON null', b64('null')],
    ['a key with a number member', b64('{"pk":"SYS#1","sk":5}')],
    ['a key with a nested member', b64('{"pk":"SYS#1","sk":{"S":"META"}}')],
    ['a key with an attribute that is not a key attribute', b64('{"pk":"SYS#1","sk":"META","status":"active"}')],
    ['a key of a third index', b64('{"pk":"SYS#1","sk":"META","gsi3pk":"X","gsi3sk":"Y"}')],
    ['a prototype-polluting key', b64('{"pk":"SYS#1","sk":"META","__proto__":"x"}')],
  ])('rejects %s with a ValidationError naming the cursor', (_label, cursor) => {
    // Act
    const error = rejection(cursor);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect((error as ValidationError).detail).toEqual({ field: 'cursor' });
  });

  // An empty object names no key at all; DynamoDB rejects it as ExclusiveStartKey with its own ValidationException,
  // which the API would answer with a 500 instead of a 400.
  it('rejects a cursor that names no key at all with a ValidationError', () => {
    // Prepare
    const cursor = b64('{}');

    // Act
    const error = rejection(cursor);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
  });

  // A table key needs both pk and sk, an index key needs both members of its index; half a key is not one of ours.
  it.each([
    ['a partition key alone', b64('{"pk":"SYS#1"}')],
    ['an index partition key without its sort key', b64('{"pk":"RC#1","sk":"META","gsi1pk":"SYS#1#RC"}')],
  ])('rejects %s with a ValidationError', (_label, cursor) => {
    // Act
    const error = rejection(cursor);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
  });
});

describe('sealed cursors', () => {
  const key = { pk: 'SYS#sys_1#RC', sk: 'RC#rc_9' };

  it('round-trips a key sealed under the store context key and refuses it under another or none', () => {
    // Prepare
    const cursorKey = cursorKeyFromSecret('secret-a');
    const otherKey = cursorKeyFromSecret('secret-b');

    // Act
    const cursor = encodeCursor(key, cursorKey) as string;

    // Assess
    expect(cursor).toMatch(/^s\.[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, undefined, cursorKey)).toEqual(key);
    expect(() => decodeCursor(cursor, undefined, otherKey)).toThrow(ValidationError);
    expect(() => decodeCursor(cursor)).toThrow(ValidationError);
    expect(() => decodeCursor(encodeCursor(key), undefined, cursorKey)).toThrow(ValidationError);
  });

  it('opens a cursor sealed in the established format: AES-256-GCM under sha256("cursor:" + secret), iv, tag, text', () => {
    // Prepare: a cursor built by hand the way the API has sealed them since the secret was introduced.
    const derived = createHash('sha256').update('cursor:secret-a').digest();
    const iv = Buffer.alloc(12, 7);
    const cipher = createCipheriv('aes-256-gcm', derived, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify(key), 'utf8'), cipher.final()]);
    const cursor = `s.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;

    // Act
    const decoded = decodeCursor(cursor, undefined, cursorKeyFromSecret('secret-a'));

    // Assess
    expect(decoded).toEqual(key);
  });

  it('derives the key of a secret read at run time again only when its value changes (a rotation)', async () => {
    // Prepare
    const values = ['secret-a', 'secret-a', 'secret-b'];
    const source = cursorKeySource(async () => values.shift() as string);

    // Act
    const [first, second, rotated] = [await source(), await source(), await source()];

    // Assess
    expect(first).toEqual(cursorKeyFromSecret('secret-a'));
    expect(second).toBe(first);
    expect(rotated).toEqual(cursorKeyFromSecret('secret-b'));
    expect(await cursorKeySource('secret-a')()).toEqual(first);
  });

  it('derives no key from a missing or empty secret, so cursors stay plain', () => {
    // Act
    const keys = [cursorKeyFromSecret(undefined), cursorKeyFromSecret('')];

    // Assess
    expect(keys).toEqual([undefined, undefined]);
  });
});

describe('pageSize', () => {
  it('uses the default for a missing or non-finite limit', () => {
    // Act
    const sizes = [undefined, Number.NaN, Number.POSITIVE_INFINITY].map(pageSize);

    // Assess
    expect(sizes).toEqual([DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE]);
  });

  it('clamps to 1..MAX_PAGE_SIZE and drops fractions', () => {
    // Act
    const sizes = [0, -5, 1, 7.9, MAX_PAGE_SIZE, MAX_PAGE_SIZE + 1, 10_000].map(pageSize);

    // Assess
    expect(sizes).toEqual([1, 1, 1, 7, MAX_PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE_SIZE]);
  });
});
