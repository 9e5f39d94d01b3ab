// @vitest-environment happy-dom
// Sessions are refreshed before they expire, with the refresh token grant of Cognito's token endpoint (Amazon
// Cognito Developer Guide, "The token issuer endpoint": form-encoded POST /oauth2/token with grant_type=refresh_token,
// client_id and refresh_token; new ID and access tokens back, no new refresh token without rotation; 400
// invalid_grant for a refresh token it does not honour), and once after a 401.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { REFRESH_LEAD_MS, refreshDelay } from './refresh';
import { createTestRouter } from './routes';
import { SESSION_ENDED, SessionProvider } from './session';
import { fakeToken } from './test/harness';

const MINUTE = 60_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('refreshDelay', () => {
  it('refreshes an hour-long ID token five minutes before it expires', () => {
    // Act
    const delay = refreshDelay({ issuedAt: NOW, expiresAt: NOW + 60 * MINUTE }, NOW);
    // Assess
    expect(delay).toBe(55 * MINUTE);
  });

  it('refreshes a short-lived token a quarter of its lifetime before it expires, not the moment it arrives', () => {
    // Act
    const delay = refreshDelay({ issuedAt: NOW, expiresAt: NOW + 20_000 }, NOW);
    // Assess
    expect(delay).toBe(15_000);
  });

  it('keeps the five-minute lead when the token does not say when it was issued', () => {
    // Act
    const delay = refreshDelay({ issuedAt: null, expiresAt: NOW + 12 * 60 * MINUTE }, NOW + MINUTE);
    // Assess
    expect(delay).toBe(12 * 60 * MINUTE - MINUTE - REFRESH_LEAD_MS);
  });

  it('refreshes at once when the time has passed or the token has expired', () => {
    // Act
    const due = refreshDelay({ issuedAt: NOW, expiresAt: NOW + 60 * MINUTE }, NOW + 58 * MINUTE);
    const expired = refreshDelay({ issuedAt: NOW, expiresAt: NOW + 60 * MINUTE }, NOW + 90 * MINUTE);
    // Assess
    expect([due, expired]).toEqual([0, 0]);
  });
});

interface Call {
  path: string;
  authorization: string | undefined;
  body: string;
}

/**
 * Stubs fetch as the local stack answers: its config naming the token endpoint; the token endpoint answering
 * `tokenAnswer`; the API refusing `staleToken` with 401 and answering empty pages otherwise.
 */
function fakeBackend(tokenAnswer: { status: number; body: unknown }, staleToken?: string): Call[] {
  const calls: Call[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, 'http://dashboard.test');
      const authorization = (init?.headers as Record<string, string> | undefined)?.authorization;
      calls.push({ path: url.pathname, authorization, body: String(init?.body ?? '') });
      if (url.pathname === '/config.json')
        return json({
          auth: {
            kind: 'local',
            identitiesUrl: '/local/identities',
            tokenUrl: '/local/oauth2/token',
            clientId: 'dash',
          },
        });
      if (url.pathname === '/local/oauth2/token') return json(tokenAnswer.body, tokenAnswer.status);
      if (url.pathname === '/local/identities') return json({ identities: [] });
      if (staleToken && authorization === `Bearer ${staleToken}`)
        return json({ type: 'about:blank', title: 'Unauthorized', status: 401 }, 401);
      if (url.pathname === '/api/metrics/registry') return json({ systems: [], reportingDeadlines: [] });
      return json({ items: [], nextCursor: null });
    }),
  );
  return calls;
}

function renderSignedIn(token: string, refreshToken: string | null) {
  sessionStorage.setItem('gov.token', token);
  if (refreshToken) sessionStorage.setItem('gov.refresh', refreshToken);
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SessionProvider>
        <RouterProvider router={createTestRouter('/')} />
      </SessionProvider>
    </QueryClientProvider>,
  );
}

const tokenCalls = (calls: Call[]) => calls.filter((c) => c.path === '/local/oauth2/token');

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('the session', () => {
  it('asks the token endpoint for a new ID token with the refresh token grant before the old one expires', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const now = Math.floor(Date.now() / 1000);
    const old = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'], iat: now, exp: now + 3600 });
    const fresh = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'], iat: now + 3300, exp: now + 6900 });
    const calls = fakeBackend({
      status: 200,
      body: { id_token: fresh, access_token: 'a', token_type: 'Bearer', expires_in: 3600 },
    });
    renderSignedIn(old, 'the-refresh-token');
    // Act
    await vi.advanceTimersByTimeAsync(54 * MINUTE);
    const before = tokenCalls(calls).length;
    await vi.advanceTimersByTimeAsync(1 * MINUTE + 1000);
    // Assess
    expect(before).toBe(0);
    expect(tokenCalls(calls)).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(tokenCalls(calls)[0]?.body))).toEqual({
      grant_type: 'refresh_token',
      client_id: 'dash',
      refresh_token: 'the-refresh-token',
    });
    expect(sessionStorage.getItem('gov.token')).toBe(fresh);
    // No rotation: the sign-in's refresh token is kept for the next refresh.
    expect(sessionStorage.getItem('gov.refresh')).toBe('the-refresh-token');
  });

  it('refreshes once after a 401 and retries the request with the new token', async () => {
    // Prepare
    const stale = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'] });
    const fresh = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'], jti: 'fresh' });
    const calls = fakeBackend(
      { status: 200, body: { id_token: fresh, token_type: 'Bearer', expires_in: 3600 } },
      stale,
    );
    // Act
    renderSignedIn(stale, 'the-refresh-token');
    // Assess
    await vi.waitFor(() => expect(calls.some((c) => c.authorization === `Bearer ${fresh}`)).toBe(true));
    expect(tokenCalls(calls)).toHaveLength(1);
    expect(sessionStorage.getItem('gov.token')).toBe(fresh);
    expect(screen.queryByText(SESSION_ENDED)).toBeNull();
  });

  it('sends the user to sign in with a message when the token endpoint refuses the refresh token', async () => {
    // Prepare
    const stale = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'] });
    const calls = fakeBackend({ status: 400, body: { error: 'invalid_grant' } }, stale);
    // Act
    renderSignedIn(stale, 'a-revoked-refresh-token');
    // Assess
    expect((await screen.findByRole('alert')).textContent).toBe(SESSION_ENDED);
    expect(await screen.findByRole('heading', { name: 'Governance control plane' })).toBeTruthy();
    expect(sessionStorage.getItem('gov.token')).toBeNull();
    expect(sessionStorage.getItem('gov.refresh')).toBeNull();
    expect(tokenCalls(calls).length).toBeGreaterThanOrEqual(1);
  });

  it('ends a session without a refresh token when its token expires, saying so', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const now = Math.floor(Date.now() / 1000);
    const token = fakeToken({ sub: 'ada', name: 'Ada Admin', roles: ['admin'], iat: now, exp: now + 600 });
    const calls = fakeBackend({ status: 400, body: { error: 'invalid_grant' } });
    renderSignedIn(token, null);
    // Act
    await vi.advanceTimersByTimeAsync(601_000);
    // Assess
    expect(sessionStorage.getItem('gov.token')).toBeNull();
    expect(tokenCalls(calls)).toHaveLength(0);
    vi.useRealTimers();
    expect((await screen.findByRole('alert')).textContent).toBe(SESSION_ENDED);
  });
});
