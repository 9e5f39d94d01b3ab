// The local token endpoint answers the refresh_token grant as Amazon Cognito's token endpoint does (Amazon Cognito
// Developer Guide, "The token issuer endpoint", POST /oauth2/token): new ID and access tokens with token_type and
// expires_in but no refresh token (no rotation on the app client), and a 400 JSON `error` for a bad request.
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../functions/domain/types.js';
import { answerTokenRequest, newRefreshToken, type TokenEndpointOptions } from '../../../local/token-endpoint.js';

const ada: Principal = { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], systems: [] };
const FORM = 'application/x-www-form-urlencoded';

function endpoint(): { options: TokenEndpointOptions; refreshToken: string; minted: string[] } {
  const refreshToken = newRefreshToken();
  const minted: string[] = [];
  return {
    refreshToken,
    minted,
    options: {
      clientId: 'dashboard-client',
      principalOf: (token) => (token === refreshToken ? ada : undefined),
      mint: async (principal) => {
        minted.push(principal.userId);
        return { idToken: `id-of-${principal.userId}`, accessToken: `access-of-${principal.userId}`, expiresIn: 3600 };
      },
    },
  };
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('the local token endpoint', () => {
  it('answers a refresh with new ID and access tokens, Bearer and expires_in, and no new refresh token', async () => {
    // Prepare
    const { options, refreshToken } = endpoint();
    // Act
    const answer = await answerTokenRequest(
      options,
      FORM,
      form({ grant_type: 'refresh_token', client_id: 'dashboard-client', refresh_token: refreshToken }),
    );
    // Assess
    expect(answer).toEqual({
      status: 200,
      body: {
        id_token: 'id-of-ada.admin',
        access_token: 'access-of-ada.admin',
        token_type: 'Bearer',
        expires_in: 3600,
      },
    });
    expect(answer.body).not.toHaveProperty('refresh_token');
  });

  it('refuses a refresh token it did not issue with 400 invalid_grant and mints nothing', async () => {
    // Prepare
    const { options, minted } = endpoint();
    // Act
    const answer = await answerTokenRequest(
      options,
      FORM,
      form({ grant_type: 'refresh_token', client_id: 'dashboard-client', refresh_token: 'not-a-token-we-issued' }),
    );
    // Assess
    expect(answer).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect(minted).toEqual([]);
  });

  it('refuses another app client with invalid_client, even with a good refresh token', async () => {
    // Prepare
    const { options, refreshToken } = endpoint();
    // Act
    const answer = await answerTokenRequest(
      options,
      FORM,
      form({ grant_type: 'refresh_token', client_id: 'someone-else', refresh_token: refreshToken }),
    );
    // Assess
    expect(answer).toEqual({ status: 400, body: { error: 'invalid_client' } });
  });

  it.each([
    ['a JSON body', 'application/json', JSON.stringify({ grant_type: 'refresh_token' })],
    ['no grant_type', FORM, form({ client_id: 'dashboard-client', refresh_token: 'x' })],
    ['no client_id', FORM, form({ grant_type: 'refresh_token', refresh_token: 'x' })],
    ['no refresh_token', FORM, form({ grant_type: 'refresh_token', client_id: 'dashboard-client' })],
  ])('answers invalid_request to %s', async (_case, contentType, body) => {
    // Act
    const answer = await answerTokenRequest(endpoint().options, contentType, body);
    // Assess
    expect(answer).toEqual({ status: 400, body: { error: 'invalid_request' } });
  });

  it('answers unsupported_grant_type to a grant the endpoint does not know', async () => {
    // Act
    const answer = await answerTokenRequest(endpoint().options, FORM, form({ grant_type: 'password' }));
    // Assess
    expect(answer).toEqual({ status: 400, body: { error: 'unsupported_grant_type' } });
  });
});
