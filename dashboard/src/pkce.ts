// Cognito hosted sign-in, authorisation code with PKCE (RFC 7636). Written to Cognito's documented endpoints
// (/oauth2/authorize, /oauth2/token); not yet exercised against a real user pool.
//
// The dashboard signs in with the ID token (ADR 0015): it carries the user's groups and the custom attributes that
// scope model owners and pipeline service users (custom:teams, custom:systems) and their name and email. Cognito's
// access token carries the groups but none of the attributes, so an owner signed in with it would be refused their
// own systems (404) and audited under an opaque user name.

import type { TokenEndpoint } from './refresh';

export interface CognitoConfig {
  kind: 'cognito';
  /** The user pool's hosted domain, e.g. https://<prefix>.auth.<region>.amazoncognito.com */
  domain: string;
  clientId: string;
  redirectUri: string;
  scopes?: string[];
}

interface LocalAuthConfig {
  kind: 'local';
  identitiesUrl: string;
  /** The local stand-in of Cognito's token endpoint (local/token-endpoint.ts) and its app client. */
  tokenUrl?: string;
  clientId?: string;
}

export interface DashboardConfig {
  auth: CognitoConfig | LocalAuthConfig;
}

const VERIFIER_KEY = 'gov.pkce.verifier';
const STATE_KEY = 'gov.pkce.state';

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomVerifier(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The authorize URL; the verifier and state wait in sessionStorage for the callback. */
export async function authorizeUrl(config: CognitoConfig): Promise<string> {
  const verifier = randomVerifier();
  const state = randomVerifier();
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  sessionStorage.setItem(STATE_KEY, state);
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: scopesOf(config).join(' '),
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: 'S256',
  });
  return `${config.domain.replace(/\/$/, '')}/oauth2/authorize?${params}`;
}

/** The scopes asked for: `openid` always, as Cognito returns an ID token only for it; `profile` and `email` by default. */
function scopesOf(config: CognitoConfig): string[] {
  const scopes = config.scopes ?? ['openid', 'profile', 'email'];
  return scopes.includes('openid') ? scopes : ['openid', ...scopes];
}

/** Where a deployment's sessions are refreshed: Cognito's token endpoint, or the local stack's stand-in; else none. */
export function tokenEndpointOf(config: DashboardConfig): TokenEndpoint | null {
  const auth = config.auth;
  if (auth.kind === 'cognito')
    return { url: `${auth.domain.replace(/\/$/, '')}/oauth2/token`, clientId: auth.clientId };
  return auth.tokenUrl && auth.clientId ? { url: auth.tokenUrl, clientId: auth.clientId } : null;
}

/**
 * Exchanges the callback's code for tokens and resolves with the ID token, the one the API reads for the user's
 * scope, and the refresh token that keeps the session alive; refuses a state that this tab did not issue, and a token
 * response without an ID token (falling back to the access token would sign an owner in without their teams).
 */
export async function exchangeCode(
  config: CognitoConfig,
  search: string,
): Promise<{ idToken: string; refreshToken: string | null }> {
  const params = new URLSearchParams(search);
  const error = params.get('error');
  if (error) throw new Error(`sign-in refused: ${params.get('error_description') ?? error}`);
  const code = params.get('code');
  const state = params.get('state');
  const verifier = sessionStorage.getItem(VERIFIER_KEY);
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(VERIFIER_KEY);
  sessionStorage.removeItem(STATE_KEY);
  if (!code || !verifier || !state || state !== expected)
    throw new Error('the sign-in callback does not match this tab');
  const response = await fetch(`${config.domain.replace(/\/$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.clientId,
      code,
      redirect_uri: config.redirectUri,
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}`);
  const tokens = (await response.json()) as { access_token?: unknown; id_token?: unknown; refresh_token?: unknown };
  if (typeof tokens.id_token !== 'string' || tokens.id_token === '') {
    throw new Error(
      'the token endpoint returned no ID token: the dashboard needs it for your teams and systems ' +
        "(the app client must allow the 'openid' scope)",
    );
  }
  const refreshToken = typeof tokens.refresh_token === 'string' && tokens.refresh_token ? tokens.refresh_token : null;
  return { idToken: tokens.id_token, refreshToken };
}

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch('/config.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
  return (await response.json()) as DashboardConfig;
}
