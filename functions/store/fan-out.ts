// The merge of a list read from several index shards (docs/adr/0020-sharded-index-partitions.md), pure: given one
// Query page of each shard not yet read to its end, it answers the list's next page in sort key order and where each
// shard stands after it. A page never runs ahead of what every shard has been read to (the smallest last evaluated
// key), so an item a shard has not returned yet cannot belong before one the page already holds: no gap, no
// duplicate, the order of a single partition.

import type { ShardCursorPosition as ShardPosition } from './pagination.js';

type ItemKey = Record<string, string>;

/** What one Query of one shard answered: items in the list's order, and DynamoDB's LastEvaluatedKey. */
export interface ShardRead {
  items: Record<string, unknown>[];
  lastKey?: Record<string, unknown>;
}

export interface ShardMergeInput {
  /** Each shard's position before this page. */
  positions: readonly ShardPosition[];
  /** Each shard's Query from its position; undefined for a shard already done. */
  reads: readonly (ShardRead | undefined)[];
  limit: number;
  descending: boolean;
  /** The index's sort key attribute, and the key attributes a start key holds. */
  sortName: string;
  keyNames: readonly string[];
}

/** Orders strings as DynamoDB orders them (UTF-8 bytes, i.e. code points), not as UTF-16 units compare. */
export function compareSortKeys(a: string, b: string): number {
  const left = a[Symbol.iterator]();
  const right = b[Symbol.iterator]();
  for (;;) {
    const l = left.next();
    const r = right.next();
    if (l.done || r.done) return l.done && r.done ? 0 : l.done ? -1 : 1;
    const diff = (l.value.codePointAt(0) ?? 0) - (r.value.codePointAt(0) ?? 0);
    if (diff !== 0) return diff;
  }
}

/** The next page of a sharded list and each shard's position after it. */
export function mergeShardReads(input: ShardMergeInput): {
  items: Record<string, unknown>[];
  positions: ShardPosition[];
} {
  const order = (a: string, b: string) => (input.descending ? -compareSortKeys(a, b) : compareSortKeys(a, b));
  const sortKey = (item: Record<string, unknown>) => String(item[input.sortName] ?? '');
  // How far every shard with more to read has been read: nothing past it may be emitted yet.
  let cutoff: string | undefined;
  for (const read of input.reads) {
    if (!read?.lastKey) continue;
    const frontier = sortKey(read.lastKey);
    if (cutoff === undefined || order(frontier, cutoff) < 0) cutoff = frontier;
  }
  const candidates: { item: Record<string, unknown>; shard: number }[] = [];
  input.reads.forEach((read, shard) => {
    for (const item of read?.items ?? []) {
      if (cutoff !== undefined && order(sortKey(item), cutoff) > 0) break;
      candidates.push({ item, shard });
    }
  });
  // Stable: equal sort keys keep their shard's order, so what a page takes of each shard is a prefix of it.
  candidates.sort((a, b) => order(sortKey(a.item), sortKey(b.item)) || a.shard - b.shard);
  const emitted = candidates.slice(0, Math.max(1, input.limit));
  const taken = new Map<number, { count: number; last: Record<string, unknown> }>();
  for (const { item, shard } of emitted) taken.set(shard, { count: (taken.get(shard)?.count ?? 0) + 1, last: item });
  const positions = input.positions.map((position, shard): ShardPosition => {
    const read = input.reads[shard];
    if (!read || position === 'done') return 'done';
    const took = taken.get(shard);
    // Every item the Query returned is on this page (or it returned none): the shard is read up to its LastEvaluatedKey.
    if ((took?.count ?? 0) === read.items.length) return read.lastKey ? keyOf(read.lastKey, input.keyNames) : 'done';
    return took ? keyOf(took.last, input.keyNames) : position;
  });
  return { items: emitted.map((c) => c.item), positions };
}

function keyOf(item: Record<string, unknown>, names: readonly string[]): ItemKey {
  const key: ItemKey = {};
  for (const name of names) key[name] = String(item[name]);
  return key;
}
