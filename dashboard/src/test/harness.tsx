// Renders the dashboard's routes in happy-dom with a fake API: each test says what the API answers.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, render } from '@testing-library/react';
import { RouterProvider } from 'react-router';
import { vi } from 'vitest';
import { createTestRouter } from '../routes';
import { SessionProvider } from '../session';

// findBy*/waitFor wait on a condition; their 1 s default fails on a loaded machine, so the bound is generous.
configure({ asyncUtilTimeout: 10_000 });

/** An unsigned token with the given claims: the dashboard only decodes it; the server verifies real ones. */
export function fakeToken(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.sig`;
}

/** An answer: JSON `body`, or with `raw` a body sent as it is (bytes or text) under `contentType`. */
interface Answer {
  status?: number;
  body: unknown;
  raw?: boolean;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Handler = (url: URL, init: RequestInit | undefined) => Answer | undefined;

export interface FakeApi {
  calls: { method: string; path: string; body: unknown }[];
}

/** Stubs fetch: the first handler that answers wins; anything unanswered is a 404 problem. */
export function fakeApi(...handlers: Handler[]): FakeApi {
  const api: FakeApi = { calls: [] };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, 'http://dashboard.test');
      api.calls.push({
        method: init?.method ?? 'GET',
        path: url.pathname + url.search,
        body: init?.body ? JSON.parse(String(init.body)) : undefined,
      });
      for (const handler of handlers) {
        const answer = handler(url, init);
        if (answer) {
          const status = answer.status ?? 200;
          const contentType = answer.contentType ?? (status >= 400 ? 'application/problem+json' : 'application/json');
          return new Response(answer.raw ? (answer.body as BodyInit) : JSON.stringify(answer.body), {
            status,
            headers: { 'content-type': contentType, ...answer.headers },
          });
        }
      }
      return new Response(
        JSON.stringify({
          type: '/problems/not-found',
          title: 'Not Found',
          status: 404,
          detail: `no fake for ${url.pathname}`,
        }),
        { status: 404, headers: { 'content-type': 'application/problem+json' } },
      );
    }),
  );
  return api;
}

export const get =
  (path: string, body: unknown, status = 200): Handler =>
  (url, init) =>
    (init?.method ?? 'GET') === 'GET' && url.pathname === path ? { status, body } : undefined;

export const post =
  (path: string, body: unknown, status = 200): Handler =>
  (url, init) =>
    init?.method === 'POST' && url.pathname === path ? { status, body } : undefined;

export const patch =
  (path: string, body: unknown, status = 200): Handler =>
  (url, init) =>
    init?.method === 'PATCH' && url.pathname === path ? { status, body } : undefined;

export function renderAt(
  path: string,
  token: string | null,
  client = new QueryClient({ defaultOptions: { queries: { retry: false } } }),
) {
  if (token) sessionStorage.setItem('gov.token', token);
  else sessionStorage.clear();
  return render(
    <QueryClientProvider client={client}>
      <SessionProvider>
        <RouterProvider router={createTestRouter(path)} />
      </SessionProvider>
    </QueryClientProvider>,
  );
}

export const page = <T,>(items: T[]) => ({ items, nextCursor: null });

/** GET /api/incidents answered as the API does: the incidents of the `status` asked for (open by default). */
export const incidentsOf =
  (items: { status: string }[] | (() => { status: string }[])): Handler =>
  (url, init) =>
    (init?.method ?? 'GET') === 'GET' && url.pathname === '/api/incidents'
      ? {
          body: page(
            (typeof items === 'function' ? items() : items).filter(
              (i) => i.status === (url.searchParams.get('status') ?? 'open'),
            ),
          ),
        }
      : undefined;
