import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSortKeys, mergeShardReads, type ShardRead } from '../../../functions/store/fan-out.js';
import {
  cursorKeyFromSecret,
  decodeShardCursor,
  encodeCursor,
  encodeShardCursor,
  type ShardCursorPosition,
} from '../../../functions/store/pagination.js';

const KEY_NAMES = ['pk', 'sk', 'gsi2pk', 'gsi2sk'] as const;
type Row = { pk: string; sk: string; gsi2pk: string; gsi2sk: string; keep: boolean };

/**
 * A shard as DynamoDB Local answers a Query of it: sorted by its sort key, Limit counting evaluated items (before the
 * filter), a LastEvaluatedKey whenever the Limit stopped it (even on the last item, as DynamoDB may).
 */
function queryShard(rows: Row[], start: ShardCursorPosition, limit: number, descending: boolean): ShardRead {
  const ordered = [...rows].sort((a, b) => (descending ? -1 : 1) * compareSortKeys(a.gsi2sk, b.gsi2sk));
  const from = start === 'start' ? 0 : ordered.findIndex((r) => r.pk === (start as Record<string, string>).pk) + 1;
  const evaluated = ordered.slice(from, from + limit);
  const last = evaluated.at(-1);
  return {
    items: evaluated.filter((r) => r.keep),
    ...(evaluated.length === limit && last
      ? { lastKey: { pk: last.pk, sk: last.sk, gsi2pk: last.gsi2pk, gsi2sk: last.gsi2sk } }
      : {}),
  };
}

/** Reads a sharded list page by page to its end, as queryPage does, answering every page. */
function readAll(shards: Row[][], limit: number, descending: boolean): Row[][] {
  let positions: ShardCursorPosition[] = shards.map(() => 'start');
  const pages: Row[][] = [];
  for (let guard = 0; guard < 10_000; guard++) {
    const reads = shards.map((rows, i) => {
      const position = positions[i] ?? 'done';
      return position === 'done' ? undefined : queryShard(rows, position, limit, descending);
    });
    const page = mergeShardReads({ positions, reads, limit, descending, sortName: 'gsi2sk', keyNames: KEY_NAMES });
    pages.push(page.items as Row[]);
    positions = page.positions;
    if (positions.every((p) => p === 'done')) return pages;
  }
  throw new Error('the list never ended');
}

const rowsArb = fc
  .array(
    fc.record({
      // Few distinct characters (some beyond the BMP) make equal sort keys and UTF-16/UTF-8 order differences likely.
      sortKey: fc.string({ unit: fc.constantFrom('a', 'b', 'z', '\u{ff5e}', '\u{1f600}'), maxLength: 3 }),
      shard: fc.nat({ max: 7 }),
      keep: fc.boolean(),
    }),
    { maxLength: 60 },
  )
  .map((specs) => {
    const shards: Row[][] = Array.from({ length: 8 }, () => []);
    specs.forEach((spec, n) => {
      const id = `id_${String(n).padStart(3, '0')}`;
      shards[spec.shard]?.push({
        pk: `RC#${id}`,
        sk: 'META',
        gsi2pk: `RC#${spec.shard}`,
        gsi2sk: `${spec.sortKey}#${id}`,
        keep: spec.keep,
      });
    });
    return shards;
  });

describe('mergeShardReads', () => {
  it('pages through every shard in sort key order, each kept item exactly once, whatever the page size and filter', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 1, max: 7 }), fc.boolean(), (shards, limit, descending) => {
        // Act
        const pages = readAll(shards, limit, descending);

        // Assess: the pages joined are the kept items of all shards, sorted as one partition would be
        const expected = shards
          .flat()
          .filter((r) => r.keep)
          .sort((a, b) => (descending ? -1 : 1) * compareSortKeys(a.gsi2sk, b.gsi2sk))
          .map((r) => r.gsi2sk);
        expect(pages.flat().map((r) => r.gsi2sk)).toEqual(expected);
        expect(pages.every((p) => p.length <= limit)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('holds back an item of one shard until every other shard has been read past it', () => {
    // Prepare: shard 0 was stopped by the limit at 'c'; shard 1 has already returned 'd'
    const reads: ShardRead[] = [
      {
        items: [{ pk: 'a', sk: 'M', gsi2pk: 'X#0', gsi2sk: 'a' }],
        lastKey: { pk: 'c', sk: 'M', gsi2pk: 'X#0', gsi2sk: 'c' },
      },
      {
        items: [
          { pk: 'b', sk: 'M', gsi2pk: 'X#1', gsi2sk: 'b' },
          { pk: 'd', sk: 'M', gsi2pk: 'X#1', gsi2sk: 'd' },
        ],
      },
    ];

    // Act
    const page = mergeShardReads({
      positions: ['start', 'start'],
      reads,
      limit: 10,
      descending: false,
      sortName: 'gsi2sk',
      keyNames: KEY_NAMES,
    });

    // Assess: 'd' waits for shard 0's next page, which may hold something before it
    expect(page.items.map((i) => i.gsi2sk)).toEqual(['a', 'b']);
    expect(page.positions).toEqual([
      { pk: 'c', sk: 'M', gsi2pk: 'X#0', gsi2sk: 'c' },
      { pk: 'b', sk: 'M', gsi2pk: 'X#1', gsi2sk: 'b' },
    ]);
  });

  it('orders sort keys by code point as DynamoDB does, not by UTF-16 unit', () => {
    // Act: U+FF5E is one UTF-16 unit above the surrogates of U+1F600, but below it by code point (and UTF-8)
    const order = ['\u{1f600}', '\u{ff5e}'].sort(compareSortKeys);

    // Assess
    expect(order).toEqual(['\u{ff5e}', '\u{1f600}']);
  });
});

describe('shard cursors', () => {
  const shapes = ['RC#0', 'RC#1'].map((partition) => ({
    keyNames: [...KEY_NAMES],
    partitionName: 'gsi2pk',
    partition,
    sortName: 'gsi2sk',
  }));
  const cursorKey = cursorKeyFromSecret('test secret');

  it('carries each shard position through a sealed cursor and ends the list once every shard is done', () => {
    // Prepare
    const positions: ShardCursorPosition[] = ['done', { pk: 'RC#r', sk: 'META', gsi2pk: 'RC#1', gsi2sk: 'r' }];

    // Act
    const cursor = encodeShardCursor(positions, cursorKey);
    const last = encodeShardCursor(['done', 'done'], cursorKey);

    // Assess
    expect(cursor).toMatch(/^s\./);
    expect(cursor).not.toContain('RC');
    expect(decodeShardCursor(cursor, shapes, cursorKey)).toEqual(positions);
    expect(last).toBeNull();
  });

  it.each([
    ['a single partition cursor', encodeCursor({ pk: 'RC#r', sk: 'META', gsi2pk: 'RC#1', gsi2sk: 'r' }, cursorKey)],
    [
      'a position in another shard',
      encodeShardCursor(['start', { pk: 'p', sk: 'M', gsi2pk: 'RC#0', gsi2sk: 'r' }], cursorKey),
    ],
    ['the positions of a list with other shards', encodeShardCursor(['start'], cursorKey)],
    [
      'a position missing a key attribute',
      encodeShardCursor(['start', { pk: 'p', gsi2pk: 'RC#1', gsi2sk: 'r' }], cursorKey),
    ],
    ['a list read through', encodeCursor({ shards: ['done', 'done'] }, cursorKey)],
    ['an unsealed cursor', encodeShardCursor(['start', 'start'])],
    ['garbage', 's.AAAA'],
  ])('refuses %s as a 400', (_, cursor) => {
    // Act / Assess
    expect(() => decodeShardCursor(cursor, shapes, cursorKey)).toThrow(/cursor is not valid/);
  });
});
