// The one HTTP client of the dashboard: bearer token from the session, problem+json errors as ApiError.
import type * as z from 'zod';
import type { problem } from '../../functions/contracts/common';

/**
 * A problem document as the dashboard reads it: never validated against the contract, and its codes are strings,
 * because a later API version may answer a code this build does not know (docs/api.md, Error codes).
 */
export type Problem = Omit<z.infer<typeof problem>, 'code' | 'reasons'> & {
  code?: string;
  reasons?: { code: string; message: string }[];
} & Record<string, unknown>;

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

// The refresh token lives as long as the tab's session, beside the ID token: neither outlives the tab.
const REFRESH_KEY = 'gov.refresh';

export function getRefreshToken(): string | null {
  return sessionStorage.getItem(REFRESH_KEY);
}

export function setRefreshToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(REFRESH_KEY);
  else sessionStorage.setItem(REFRESH_KEY, token);
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

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/** What the session does for the client: refresh its token (true when there is a new one) and end it. */
export interface SessionHooks {
  refresh: () => Promise<boolean>;
  ended: () => void;
}

let hooks: SessionHooks | undefined;
/** The session's hooks: a 401 refreshes the token once and retries; a second 401 ends the session. */
export function setSessionHooks(next: SessionHooks | undefined): void {
  hooks = next;
}

/** Sends a request; a 401 gets one refresh of the session and one retry with the new token. */
async function sendOnce(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
  const response = await send(method, path, accept, body);
  if (response.status !== 401 || hooks === undefined) return response;
  if (!(await hooks.refresh())) return response;
  return send(method, path, accept, body);
}

/** Sends a request with the session's bearer token; a network failure is an ApiError with status 0. */
async function send(method: string, path: string, accept: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (error) {
    throw new ApiError(0, {
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: `the API could not be reached (${(error as Error).message})`,
    });
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The ApiError of a non-2xx answer: its problem document, else one made from the status and body text. */
function failure(response: Response, text: string): ApiError {
  const parsed = parseJson(text);
  const doc =
    parsed !== null && typeof parsed === 'object' && 'title' in parsed
      ? (parsed as Problem)
      : {
          type: 'about:blank',
          title: response.statusText || 'Error',
          status: response.status,
          detail: text.slice(0, 300),
        };
  if (response.status === 401) hooks?.ended();
  return new ApiError(response.status, doc);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await sendOnce(method, path, 'application/json', body);
  const text = await response.text();
  if (!response.ok) throw failure(response, text);
  return parseJson(text) as T;
}

/** The file name a Content-Disposition header gives, if any. */
export function dispositionName(header: string | null): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1]) return decodeURIComponent(star[1].trim());
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header);
  return plain?.[1]?.trim() || null;
}

/**
 * Downloads a document the API generates (a model card, a PDF report) with the session's token and saves it through
 * an object URL, since a plain link cannot carry the bearer token. Returns the file name it saved under.
 */
export async function download(path: string, fallbackName: string): Promise<string> {
  const response = await sendOnce('GET', path, '*/*');
  if (!response.ok) throw failure(response, await response.text());
  const blob = await response.blob();
  const name = dispositionName(response.headers.get('content-disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The browser has taken the blob once the click is handled; the URL is released on the next turn.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
  return name;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query)),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
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
