// @vitest-environment happy-dom
// The hosted sign-in keeps an owner's scope: after the code exchange the dashboard stores and sends Cognito's ID
// token, the one that carries custom:teams and custom:systems ("Understanding the identity (ID) token",
// docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html), never the
// access token, which carries groups but no user attributes ("Understanding the access token",
// .../amazon-cognito-user-pools-using-the-access-token.html). Cognito returns an ID token only when the sign-in
// asked for the `openid` scope ("Authorize endpoint", .../authorization-endpoint.html, the `scope` parameter).
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { authorizeUrl, type CognitoConfig, exchangeCode } from './pkce';
import { createTestRouter } from './routes';
import { SessionProvider } from './session';
import { fakeToken } from './test/harness';

const DOMAIN = 'http://sign-in.test';
const config: CognitoConfig = {
  kind: 'cognito',
  domain: DOMAIN,
  clientId: 'app-client-1',
  redirectUri: 'http://dashboard.test/auth/callback',
};
const idToken = fakeToken({
  sub: 'u-omar',
  token_use: 'id',
  aud: 'app-client-1',
  'cognito:groups': ['model_owner'],
  'custom:teams': 'support-ai,claims-ai',
  name: 'Omar Owner',
});
const accessToken = fakeToken({
  sub: 'u-omar',
  token_use: 'access',
  client_id: 'app-client-1',
  'cognito:groups': ['model_owner'],
  username: '7d1f0c2e-opaque',
});

interface Call {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** Stubs fetch: the dashboard's config, the token endpoint answering `tokens`, and an empty API. */
function fakeCognito(tokens: Record<string, unknown>): Call[] {
  const calls: Call[] = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init?: RequestInit) => {
      const url = new URL(input, 'http://dashboard.test');
      calls.push({
        url,
        method: init?.method ?? 'GET',
        headers: { ...(init?.headers as Record<string, string> | undefined) },
        body: String(init?.body ?? ''),
      });
      if (url.pathname === '/config.json') return json({ auth: config });
      if (url.origin === DOMAIN && url.pathname === '/oauth2/token') return json(tokens);
      if (url.pathname.startsWith('/api/')) return json({ items: [], nextCursor: null });
      return json({ type: 'about:blank', title: 'Not Found', status: 404 }, 404);
    }),
  );
  return calls;
}

/** Starts a sign-in as the sign-in page does, and returns the callback's query string Cognito would redirect to. */
async function callbackSearch(): Promise<string> {
  const url = new URL(await authorizeUrl(config));
  return `?code=the-code&state=${url.searchParams.get('state')}`;
}

/** The callback page, as Cognito's redirect opens it (this tab's sessionStorage keeps the PKCE verifier). */
function renderCallback(search: string) {
  window.history.replaceState({}, '', `/auth/callback${search}`);
  return render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <SessionProvider>
        <RouterProvider router={createTestRouter(`/auth/callback${search}`)} />
      </SessionProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
  window.history.replaceState({}, '', '/');
});

describe('the hosted sign-in (authorization code with PKCE)', () => {
  it('asks for the openid scope, without which Cognito returns no ID token, even when the config omits it', async () => {
    const url = new URL(await authorizeUrl({ ...config, scopes: ['email'] }));

    expect(url.searchParams.get('scope')).toBe('openid email');
    expect(new URL(await authorizeUrl(config)).searchParams.get('scope')).toBe('openid profile email');
  });

  it('resolves the code exchange with the ID token, not the access token', async () => {
    const calls = fakeCognito({ id_token: idToken, access_token: accessToken, token_type: 'Bearer' });
    const search = await callbackSearch();

    const tokens = await exchangeCode(config, search);

    expect(tokens.idToken).toBe(idToken);
    const exchange = calls.find((call) => call.url.pathname === '/oauth2/token');
    expect(exchange?.method).toBe('POST');
    expect(Object.fromEntries(new URLSearchParams(exchange?.body))).toMatchObject({
      grant_type: 'authorization_code',
      client_id: 'app-client-1',
      code: 'the-code',
    });
  });

  it('refuses a token response without an ID token rather than signing in with the access token', async () => {
    fakeCognito({ access_token: accessToken, token_type: 'Bearer' });
    const search = await callbackSearch();

    await expect(exchangeCode(config, search)).rejects.toThrow(
      "the token endpoint returned no ID token: the dashboard needs it for your teams and systems (the app client must allow the 'openid' scope)",
    );
  });

  it('stores the ID token after the callback and sends it to the API as the bearer token', async () => {
    const calls = fakeCognito({ id_token: idToken, access_token: accessToken, token_type: 'Bearer' });
    const search = await callbackSearch();

    renderCallback(search);

    // The registry loads once signed in: its requests carry the ID token.
    await vi.waitFor(
      () => {
        const api = calls.filter((call) => call.url.pathname.startsWith('/api/'));
        expect(api.length).toBeGreaterThan(0);
        for (const call of api) expect(call.headers.authorization).toBe(`Bearer ${idToken}`);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(sessionStorage.getItem('gov.token')).toBe(idToken);
    expect(calls.some((call) => call.headers.authorization?.includes(accessToken))).toBe(false);
  });

  it('shows why the sign-in failed and stores nothing when the token response lacks an ID token', async () => {
    const calls = fakeCognito({ access_token: accessToken, token_type: 'Bearer' });
    const search = await callbackSearch();

    renderCallback(search);

    expect((await screen.findByRole('alert')).textContent).toContain('the token endpoint returned no ID token');
    expect(sessionStorage.getItem('gov.token')).toBeNull();
    expect(calls.some((call) => call.url.pathname.startsWith('/api/'))).toBe(false);
  });
});
