import { ValidationError } from '../domain/errors.js';

export interface Page<T> {
  items: T[];
  /** Opaque cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

/** Encodes a LastEvaluatedKey as an opaque, URL-safe cursor. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  if (!key) return null;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor back to an ExclusiveStartKey; anything that is not one of ours is a 400. */
export function decodeCursor(cursor: string | undefined | null): Record<string, string> | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      !Array.isArray(parsed) &&
      Object.entries(parsed).every(([k, v]) => /^(pk|sk|gsi[12]pk|gsi[12]sk)$/.test(k) && typeof v === 'string')
    ) {
      return parsed as Record<string, string>;
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor is not valid', { field: 'cursor' });
}

/** Clamps a requested page size to the allowed range. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}
