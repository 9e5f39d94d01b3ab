// The local stand-in for Cognito's token endpoint (POST /oauth2/token), for the one grant the dashboard uses after
// sign-in: `grant_type=refresh_token`. It answers as the Amazon Cognito Developer Guide's "The token issuer endpoint"
// describes: a form-encoded POST with `client_id` and `refresh_token`; new ID and access tokens, `token_type` Bearer
// and `expires_in`, and no new refresh token (the user pool's app client has no refresh-token rotation); an error is
// a 400 whose JSON body names one of `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
// `unsupported_grant_type`. Local server only: never an API Lambda route.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../functions/domain/types.js';

/** Where the local dashboard asks for fresh tokens (config.json names it). */
export const LOCAL_TOKEN_PATH = '/local/oauth2/token';

type TokenError = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unsupported_grant_type';

export interface TokenEndpointOptions {
  /** The app client the refresh tokens were issued to: any other client_id is `invalid_client`. */
  clientId: string;
  /** The principal a refresh token was issued for (undefined: unknown, revoked or expired). */
  principalOf: (refreshToken: string) => Principal | undefined;
  /** Mints the principal's ID token and access token, and says how many seconds they last. */
  mint: (principal: Principal) => Promise<{ idToken: string; accessToken: string; expiresIn: number }>;
}

/** What a token request gets: a status and a JSON body, as Cognito's token endpoint answers. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

const GRANTS = new Set(['authorization_code', 'client_credentials', 'refresh_token']);

const refused = (error: TokenError): TokenAnswer => ({ status: 400, body: { error } });

/** The answer to one token request: its content type and form body, checked in Cognito's order of parameters. */
export async function answerTokenRequest(
  options: TokenEndpointOptions,
  contentType: string | undefined,
  form: string,
): Promise<TokenAnswer> {
  if (!(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded'))
    return refused('invalid_request');
  const params = new URLSearchParams(form);
  const grant = params.get('grant_type');
  if (!grant) return refused('invalid_request');
  if (!GRANTS.has(grant)) return refused('unsupported_grant_type');
  // The local stack has no hosted sign-in: its identities come with a refresh token, so no other grant is served.
  if (grant !== 'refresh_token') return refused('unsupported_grant_type');
  const clientId = params.get('client_id');
  const refreshToken = params.get('refresh_token');
  if (!clientId || !refreshToken) return refused('invalid_request');
  if (clientId !== options.clientId) return refused('invalid_client');
  const principal = options.principalOf(refreshToken);
  if (!principal) return refused('invalid_grant');
  const tokens = await options.mint(principal);
  return {
    status: 200,
    body: {
      id_token: tokens.idToken,
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: tokens.expiresIn,
    },
  };
}

/** An opaque refresh token, as Cognito's are to a client (an encrypted JWT it cannot read). */
export function newRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

const MAX_FORM_BYTES = 16 * 1024;

/** Serves POST /local/oauth2/token. */
export async function serveTokenRequest(
  options: TokenEndpointOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) break;
    chunks.push(chunk);
  }
  const answer =
    size > MAX_FORM_BYTES
      ? refused('invalid_request')
      : await answerTokenRequest(options, req.headers['content-type'], Buffer.concat(chunks).toString('utf8'));
  res.writeHead(answer.status, {
    'content-type': 'application/json;charset=UTF-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(answer.body));
}
