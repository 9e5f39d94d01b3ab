// Where the bearer token comes from: GOVERN_TOKEN (a development token locally, `npm run token`), or the CI's own
// OIDC token, fetched from GitHub Actions' token endpoint for the API's audience; the API verifies it directly.
import { CliError, EXIT } from './exit-codes.js';
import type { Env } from './idempotency.js';

const DEFAULT_OIDC_AUDIENCE = 'governance-control-plane';

export interface AuthOptions {
  oidc?: string | undefined;
}

/** Fetches the GitHub Actions OIDC token for `audience` (needs `permissions: id-token: write` in the workflow). */
export async function fetchGithubOidcToken(
  env: Env,
  audience: string,
  fetchImpl: typeof fetch = fetch,
): Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new CliError(
      EXIT.auth,
      'no GitHub Actions OIDC token endpoint: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are unset',
      ['give the job `permissions: id-token: write`, or set GOVERN_TOKEN instead'],
    );
  }
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    throw new CliError(EXIT.auth, 'ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  url.searchParams.set('audience', audience);
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new CliError(EXIT.network, `could not reach the OIDC token endpoint ${url.host}: ${causeOf(error)}`);
  }
  if (!response.ok) {
    throw new CliError(EXIT.auth, `the OIDC token endpoint answered ${response.status} ${response.statusText}`.trim());
  }
  const body = (await response.json().catch(() => null)) as { value?: unknown } | null;
  if (typeof body?.value !== 'string' || body.value === '') {
    throw new CliError(EXIT.auth, 'the OIDC token endpoint answered no token (expected {"value": "..."})');
  }
  return body.value;
}

/** The bearer token of this invocation, or a clear error naming both ways to authenticate. */
export async function resolveToken(options: AuthOptions, env: Env, fetchImpl: typeof fetch = fetch): Promise<string> {
  const oidc = options.oidc ?? env.GOVERN_OIDC;
  if (oidc) {
    if (oidc !== 'github') throw new CliError(EXIT.usage, `unknown OIDC provider "${oidc}"; supported: github`);
    return fetchGithubOidcToken(env, env.GOVERN_OIDC_AUDIENCE || DEFAULT_OIDC_AUDIENCE, fetchImpl);
  }
  const token = env.GOVERN_TOKEN?.trim();
  if (!token) {
    throw new CliError(EXIT.auth, 'no credentials: set GOVERN_TOKEN, or use --oidc github in GitHub Actions', [
      'locally: export GOVERN_TOKEN=$(npm run --silent token -- --role pipeline --system <systemId>)',
    ]);
  }
  return token;
}

/** The innermost reason of a fetch failure (ECONNREFUSED, ENOTFOUND, a timeout). */
export function causeOf(error: unknown): string {
  let current: unknown = error;
  let message = String((error as Error)?.message ?? error);
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const e = current as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string') return e.code;
    if (e.name === 'TimeoutError') return 'timed out';
    if (typeof e.message === 'string' && e.message) message = e.message;
    current = e.cause;
  }
  return message;
}
