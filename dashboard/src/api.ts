// The one HTTP client of the dashboard: bearer token from the session, problem+json errors as ApiError.
import type * as z from 'zod';
import type { problem } from '../../functions/contracts/common';

export type Problem = z.infer<typeof problem> & Record<string, unknown>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const TOKEN_KEY = 'gov.token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** An API answer other than 2xx, with its problem document (RFC 9457) when the server sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  constructor(status: number, body: Problem) {
    super(body.detail ?? body.title);
    this.status = status;
    this.problem = body;
  }
}

export type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

let onUnauthorized: (() => void) | undefined;
/** Called when the API refuses the token (401): the shell signs out. */
export function setUnauthorizedHandler(fn: (() => void) | undefined): void {
  onUnauthorized = fn;
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, {
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: `the API could not be reached (${(error as Error).message})`,
    });
  }
  const text = await response.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!response.ok) {
    const doc =
      parsed !== null && typeof parsed === 'object' && 'title' in parsed
        ? (parsed as Problem)
        : {
            type: 'about:blank',
            title: response.statusText || 'Error',
            status: response.status,
            detail: text.slice(0, 300),
          };
    if (response.status === 401) onUnauthorized?.();
    throw new ApiError(response.status, doc);
  }
  return parsed as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
};

/** Follows nextCursor up to `maxPages` pages: lists are paged, and a page may hold fewer items than the limit. */
export async function getAll<T>(
  path: string,
  query: Query = {},
  maxPages = 20,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: Page<T> = await api.get<Page<T>>(path, { ...query, limit: 100, cursor: cursor ?? undefined });
    items.push(...page.items);
    cursor = page.nextCursor;
    if (cursor === null) return { items, complete: true };
  }
  return { items, complete: false };
}
