import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ValidationError } from '../domain/errors.js';

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/**
 * The key cursors are sealed with (AES-256-GCM), derived from a secret, so that a list filtered per object never
 * hands out the key of an item the caller may not see (a plain LastEvaluatedKey names it). Every process serving the
 * same API must use the same secret (in AWS the Secrets Manager secret CURSOR_SECRET_ARN names, read at run time; a
 * file under .data/keys locally); the composition root passes it to createStore, which keeps a source of the key in
 * the store's context. No secret: plain cursors.
 */
export function cursorKeyFromSecret(secret: string | undefined): Buffer | undefined {
  return secret ? createHash('sha256').update(`cursor:${secret}`).digest() : undefined;
}

/** Where a store gets its cursor key when a list needs one: asked only by a list that seals or opens a cursor. */
export type CursorKeySource = () => Promise<Buffer | undefined>;

/**
 * The cursor key of a secret given as a value (the local stack's file) or as a source read at run time (Secrets
 * Manager, cached by its reader): the key is derived again only when the secret's value changes.
 */
export function cursorKeySource(secret: string | (() => Promise<string>)): CursorKeySource {
  if (typeof secret === 'string') {
    const key = cursorKeyFromSecret(secret);
    return () => Promise.resolve(key);
  }
  let last: { secret: string; key: Buffer | undefined } | undefined;
  return async () => {
    const value = await secret();
    if (last?.secret !== value) last = { secret: value, key: cursorKeyFromSecret(value) };
    return last.key;
  };
}

/** Encodes a LastEvaluatedKey as an opaque, URL-safe cursor (sealed under `cursorKey` when there is one). */
export function encodeCursor(key: Record<string, unknown> | undefined, cursorKey?: Buffer): string | null {
  if (!key) return null;
  const plain = Buffer.from(JSON.stringify(key), 'utf8');
  if (!cursorKey) return plain.toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cursorKey, iv);
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `s.${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
}

function openCursor(cursor: string, cursorKey: Buffer | undefined): string | undefined {
  if (!cursorKey) return cursor.startsWith('s.') ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
  if (!cursor.startsWith('s.')) return undefined;
  try {
    const raw = Buffer.from(cursor.slice(2), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', cursorKey, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

export interface CursorShape {
  /** The key attributes a LastEvaluatedKey of this query has: the table's, plus the index's for a GSI query. */
  keyNames: string[];
  partitionName: string;
  partition: string;
  sortName: string;
  prefix?: string;
}

/**
 * Decodes a cursor back to an ExclusiveStartKey. Anything that is not a key this very query could have returned
 * (garbage, another list's cursor, a key missing an attribute) is a 400, never a DynamoDB error.
 */
export function decodeCursor(
  cursor: string | undefined | null,
  shape?: CursorShape,
  cursorKey?: Buffer,
): Record<string, string> | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  let parsed: unknown;
  try {
    const text = openCursor(cursor, cursorKey);
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.entries(parsed as object).every(
      ([k, v]) => /^(pk|sk|gsi[12]pk|gsi[12]sk)$/.test(k) && typeof v === 'string',
    ) &&
    isCompleteKey(parsed as Record<string, string>) &&
    (!shape || matchesShape(parsed as Record<string, string>, shape));
  if (!valid) throw new ValidationError('cursor is not valid for this list', { field: 'cursor' });
  return parsed as Record<string, string>;
}

/** A LastEvaluatedKey always has the table's key and, for an index, both halves of the index's key. */
function isCompleteKey(key: Record<string, string>): boolean {
  if (!('pk' in key && 'sk' in key)) return false;
  return ['gsi1', 'gsi2'].every((i) => `${i}pk` in key === `${i}sk` in key);
}

function matchesShape(key: Record<string, string>, shape: CursorShape): boolean {
  const names = Object.keys(key).sort();
  const expected = [...shape.keyNames].sort();
  if (names.length !== expected.length || names.some((n, i) => n !== expected[i])) return false;
  if (key[shape.partitionName] !== shape.partition) return false;
  return !shape.prefix || (key[shape.sortName] ?? '').startsWith(shape.prefix);
}

/** Clamps a requested page size to the allowed range. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/** Follows a paginated list to its end: for bounded sets (a system's chain, the demo's counts), never for evidence. */
export async function allPages<T>(
  list: (page: { limit: number; cursor: string | null }) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await list({ limit: MAX_PAGE_SIZE, cursor });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** Where each shard of a sharded list stands (functions/store/fan-out.ts): not read, read to a key, or read through. */
export type ShardCursorPosition = 'start' | 'done' | Record<string, string>;

/** Encodes the positions of a sharded list's shards as one cursor, sealed like any other; null once all are done. */
export function encodeShardCursor(positions: readonly ShardCursorPosition[], cursorKey?: Buffer): string | null {
  if (positions.every((p) => p === 'done')) return null;
  return encodeCursor({ shards: positions }, cursorKey);
}

/**
 * Decodes a sharded list's cursor: one position per shard, each key one this shard's Query could have returned
 * (`shapes[i]`). A single partition's cursor, another list's or a forged one is a 400, as decodeCursor answers.
 */
export function decodeShardCursor(
  cursor: string | undefined | null,
  shapes: readonly CursorShape[],
  cursorKey?: Buffer,
): ShardCursorPosition[] | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  let parsed: unknown;
  try {
    const text = openCursor(cursor, cursorKey);
    parsed = text === undefined ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const shards = (parsed as { shards?: unknown } | null | undefined)?.shards;
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    Object.keys(parsed as object).length === 1 &&
    Array.isArray(shards) &&
    shards.length === shapes.length &&
    shards.some((p) => p !== 'done') &&
    shards.every((position, i) => {
      if (position === 'start' || position === 'done') return true;
      const shape = shapes[i];
      if (!shape || position === null || typeof position !== 'object' || Array.isArray(position)) return false;
      return (
        Object.values(position).every((v) => typeof v === 'string') &&
        matchesShape(position as Record<string, string>, shape)
      );
    });
  if (!valid) throw new ValidationError('cursor is not valid for this list', { field: 'cursor' });
  return shards as ShardCursorPosition[];
}
