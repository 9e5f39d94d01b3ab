// Keeping a session alive: the refresh token grant of Cognito's token endpoint (Amazon Cognito Developer Guide, "The
// token issuer endpoint": POST /oauth2/token, grant_type=refresh_token), asked ahead of the ID token's expiry and
// once after a 401. The user pool's app client does not rotate refresh tokens, so the answer carries new ID and
// access tokens only; the refresh token of the sign-in is kept until it is refused.

/** How far ahead of expiry a session is refreshed at most: the ID token lasts an hour (lib/constructs/identity.ts). */
export const REFRESH_LEAD_MS = 5 * 60_000;
/** How long to wait before trying again when the token endpoint could not be reached (the token may still be good). */
export const REFRESH_RETRY_MS = 30_000;

/** What the dashboard needs to know of a token to schedule its refresh (epoch milliseconds). */
export interface TokenTimes {
  issuedAt: number | null;
  expiresAt: number;
}

/**
 * Milliseconds from `now` until the session should be refreshed: ahead of expiry by five minutes, or by a quarter
 * of the token's lifetime when that is shorter (so a short-lived token is not refreshed the moment it arrives);
 * zero when that time has passed, the token's expiry included.
 */
export function refreshDelay(token: TokenTimes, now: number): number {
  const lifetime = token.issuedAt === null ? null : token.expiresAt - token.issuedAt;
  const lead = lifetime === null || lifetime <= 0 ? REFRESH_LEAD_MS : Math.min(REFRESH_LEAD_MS, lifetime / 4);
  return Math.max(0, Math.round(token.expiresAt - lead - now));
}

/** Where and as which app client the dashboard asks for fresh tokens. */
export interface TokenEndpoint {
  url: string;
  clientId: string;
}

/** Why a refresh did not give new tokens: `refused` ends the session, `unreachable` may be tried again. */
export class RefreshFailed extends Error {
  readonly kind: 'refused' | 'unreachable';
  constructor(kind: 'refused' | 'unreachable', message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The new ID token of a refresh token grant (and a new refresh token, should the app client ever rotate them). */
export async function refreshTokens(
  endpoint: TokenEndpoint,
  refreshToken: string,
): Promise<{ idToken: string; refreshToken: string | null }> {
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: endpoint.clientId,
        refresh_token: refreshToken,
      }).toString(),
    });
  } catch (error) {
    throw new RefreshFailed('unreachable', `the token endpoint could not be reached (${(error as Error).message})`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    id_token?: unknown;
    refresh_token?: unknown;
    error?: unknown;
  };
  if (!response.ok) {
    // 5xx and throttling are the endpoint's trouble, not the session's: try again later.
    const kind = response.status >= 500 || response.status === 429 ? 'unreachable' : 'refused';
    throw new RefreshFailed(kind, `the token endpoint answered ${response.status} ${String(body.error ?? '')}`.trim());
  }
  if (typeof body.id_token !== 'string' || body.id_token === '')
    throw new RefreshFailed('refused', 'the token endpoint returned no ID token');
  return {
    idToken: body.id_token,
    refreshToken: typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : null,
  };
}
