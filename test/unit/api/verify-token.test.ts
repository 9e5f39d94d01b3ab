import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTokenVerifier,
  principalFromClaims,
  type TokenVerifier,
  tokenVerifierFromEnv,
} from '../../../functions/api/auth/verify-token.js';
import { UnauthorizedError } from '../../../functions/domain/errors.js';
import { DEV_AUDIENCE, DEV_ISSUER, type DevKeys, loadOrCreateDevKeys, mintToken } from '../../../local/dev-keys.js';

let dir: string;
let keys: DevKeys;
let verify: TokenVerifier;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'verify-token-'));
  keys = await loadOrCreateDevKeys(dir);
  const jwks = JSON.parse(await readFile(keys.jwksPath, 'utf8')) as { keys: JWK[] };
  verify = createTokenVerifier({ issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwks });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

/** A token signed by the development key with arbitrary claims, for the claim-mapping cases. */
async function signed(claims: JWTPayload, options: { issuer?: string; audience?: string | null } = {}) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
    .setIssuer(options.issuer ?? DEV_ISSUER)
    .setSubject('user-1')
    .setIssuedAt()
    .setExpirationTime('5m');
  if (options.audience !== null) jwt.setAudience(options.audience ?? DEV_AUDIENCE);
  return jwt.sign(keys.privateKey);
}

describe('verifying bearer tokens', () => {
  it('turns a minted token (an ID token by default) back into the principal it was minted for', async () => {
    const token = await mintToken({
      keys,
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai', 'claims-ai'],
    });

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toEqual({
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai', 'claims-ai'],
      systems: [],
    });
  });

  it('accepts the scheme name in any case', async () => {
    const token = await mintToken({ keys, userId: 'ci.pipeline', name: 'CI', roles: ['pipeline'], systems: ['s1'] });

    const principal = await verify(`bearer ${token}`);

    expect(principal.systems).toEqual(['s1']);
  });

  it('refuses an expired token, and says so', async () => {
    const token = await mintToken({ keys, userId: 'u', name: 'U', roles: ['auditor'], expiresIn: '-1m' });

    const error = await rejection(verify(`Bearer ${token}`));

    expect(error.message).toBe('the token has expired');
    expect(error.detail).toEqual({ code: 'TOKEN_EXPIRED' });
  });

  it('tolerates a few seconds of clock skew at expiry', async () => {
    const token = await mintToken({
      keys,
      userId: 'u',
      name: 'U',
      roles: ['auditor'],
      expiresIn: Math.floor(Date.now() / 1000) - 2,
    });

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'u' });
  });

  it('refuses a token signed by another key, even with the same kid', async () => {
    const other = await generateKeyPair('ES256');
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setSubject('mallory')
      .setExpirationTime('5m')
      .sign(other.privateKey);

    const error = await rejection(verify(`Bearer ${token}`));

    expect(error.message).toBe('the token signature is not valid');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const token = await mintToken({ keys, userId: 'u', name: 'U', roles: ['auditor'] });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as JWTPayload;
    const forged = Buffer.from(JSON.stringify({ ...claims, roles: ['admin'] })).toString('base64url');

    const error = await rejection(verify(`Bearer ${header}.${forged}.${signature}`));

    expect(error.detail).toEqual({ code: 'TOKEN_SIGNATURE' });
  });

  it('refuses a token from another issuer', async () => {
    const token = await signed({ roles: ['admin'] }, { issuer: 'https://evil.example' });

    const error = await rejection(verify(`Bearer ${token}`));

    expect(error.message).toBe('the token issuer is not trusted');
  });

  it('refuses a token for another audience, or for none', async () => {
    const other = await signed({ roles: ['admin'] }, { audience: 'another-api' });
    const none = await signed({ roles: ['admin'] }, { audience: null });

    expect((await rejection(verify(`Bearer ${other}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
    expect((await rejection(verify(`Bearer ${none}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
  });

  it('refuses a token signed with an algorithm it does not accept', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setSubject('u')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-that-nobody-should-use'));

    const error = await rejection(verify(`Bearer ${token}`));

    expect(error.detail).toEqual({ code: 'TOKEN_ALGORITHM' });
  });

  it('refuses a token without an expiry', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer(DEV_ISSUER)
      .setAudience(DEV_AUDIENCE)
      .setSubject('u')
      .sign(keys.privateKey);

    const error = await rejection(verify(`Bearer ${token}`));

    expect(error.detail).toEqual({ code: 'TOKEN_CLAIMS' });
  });

  it('explains a missing, empty or non-Bearer Authorization header', async () => {
    expect((await rejection(verify(undefined))).message).toBe('the Authorization header is missing');
    expect((await rejection(verify('   '))).detail).toEqual({ code: 'TOKEN_MISSING' });
    expect((await rejection(verify('Basic dXNlcjpwYXNz'))).message).toBe(
      'the Authorization header must use the Bearer scheme',
    );
    expect((await rejection(verify('Bearer'))).detail).toEqual({ code: 'TOKEN_MALFORMED' });
  });

  it('calls a garbled token malformed without repeating the parser error', async () => {
    for (const garbage of ['not-a-jwt', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.e30', 'Bearer two tokens']) {
      const error = await rejection(verify(`Bearer ${garbage}`));

      expect(error.detail).toEqual({ code: 'TOKEN_MALFORMED' });
      expect(error.message).toBe('the bearer token is malformed');
    }
  });

  it('verifies against a JWKS fetched from a URL', async () => {
    const jwks = await readFile(keys.jwksPath, 'utf8');
    const server: Server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(jwks);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const remote = createTokenVerifier({
        issuer: DEV_ISSUER,
        audience: DEV_AUDIENCE,
        jwks: { url: `http://127.0.0.1:${port}/.well-known/jwks.json` },
      });
      const token = await mintToken({ keys, userId: 'aud.auditor', name: 'Aud', roles: ['auditor'] });

      await expect(remote(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'aud.auditor', roles: ['auditor'] });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports an unreachable JWKS as a server failure, not as the caller being unauthorised', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const address = closed.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise((resolve) => closed.close(resolve));
    const remote = createTokenVerifier({
      issuer: DEV_ISSUER,
      audience: DEV_AUDIENCE,
      jwks: { url: `http://127.0.0.1:${port}/jwks.json` },
    });
    const token = await mintToken({ keys, userId: 'u', name: 'U', roles: ['auditor'] });

    const error = await remote(`Bearer ${token}`).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(UnauthorizedError);
    expect((error as Error).message).toBe('token verification is unavailable');
  });
});

// Cognito issues two token shapes, and the API reads each only for what it carries:
// - "Understanding the identity (ID) token" (docs.aws.amazon.com/cognito/latest/developerguide/
//   amazon-cognito-user-pools-using-the-id-token.html): `token_use: id`, `aud` = the app client id, `cognito:groups`,
//   `cognito:username`, the user's attributes (`name`, `email`, custom attributes as `custom:<name>` strings);
// - "Understanding the access token" (.../amazon-cognito-user-pools-using-the-access-token.html): `token_use: access`,
//   `client_id` = the app client id, no `aud`, `cognito:groups`, `scope`, `username`, no user attributes;
// - "Verifying JSON web tokens" (.../amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html): the `aud` of an ID
//   token and the `client_id` of an access token must match the app client id, and `token_use` is `id` or `access`;
//   aws-jwt-verify's CognitoJwtVerifier does the same (`clientId`: "verify that the JWT's aud (id token) or
//   client_id (access token) claim matches"; `tokenUse`: "id" or "access").
describe("Cognito's ID and access token shapes", () => {
  it('accepts an ID token issued to the app client and reads its groups, custom attributes and name', async () => {
    const token = await signed({
      token_use: 'id',
      'cognito:username': '7d1f0c2e-opaque',
      'cognito:groups': ['model_owner', 'pipeline'],
      'custom:teams': 'support-ai,claims-ai',
      'custom:systems': 'sys_01',
      name: 'Omar Owner',
      email: 'omar@example.com',
    });

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toEqual({
      userId: 'user-1',
      name: 'Omar Owner',
      roles: ['model_owner', 'pipeline'],
      teams: ['support-ai', 'claims-ai'],
      systems: ['sys_01'],
    });
  });

  it("reads the admin-linked custom:github_login of an ID token as the person's GitHub login", async () => {
    const token = await signed({
      token_use: 'id',
      'cognito:groups': ['reviewer-technical'],
      'custom:github_login': 'tessa-gh',
    });

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toMatchObject({ userId: 'user-1', githubLogin: 'tessa-gh' });
  });

  it('links nobody when custom:github_login is not a GitHub login, or sits in an access token', async () => {
    const malformed = await signed({ token_use: 'id', 'custom:github_login': 'tessa gh,omar-gh' });
    const inAccess = await signed(
      { token_use: 'access', client_id: DEV_AUDIENCE, 'custom:github_login': 'tessa-gh' },
      { audience: null },
    );

    expect(await verify(`Bearer ${malformed}`)).not.toHaveProperty('githubLogin');
    expect(await verify(`Bearer ${inAccess}`)).not.toHaveProperty('githubLogin');
  });

  it("names the person of an ID token without a name by their email, not by Cognito's opaque user name", async () => {
    const token = await signed({ token_use: 'id', 'cognito:username': '7d1f0c2e-opaque', email: 'rita@example.com' });

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ name: 'rita@example.com' });
  });

  it('refuses an ID token without an audience, even when its client_id names the app client', async () => {
    const token = await signed({ token_use: 'id', client_id: DEV_AUDIENCE }, { audience: null });

    expect((await rejection(verify(`Bearer ${token}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
  });

  it('refuses an ID token issued to another app client', async () => {
    const token = await signed({ token_use: 'id' }, { audience: 'another-app-client' });

    expect((await rejection(verify(`Bearer ${token}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
  });

  it('accepts an access token whose client_id is the app client, and reads only its groups', async () => {
    const token = await signed(
      {
        token_use: 'access',
        client_id: DEV_AUDIENCE,
        username: 'priya',
        scope: 'openid profile email',
        'cognito:groups': ['reviewer-product', 'model_owner'],
        // Cognito never puts custom attributes or a name in an access token: anything of the kind is not read.
        'custom:teams': 'support-ai',
        'custom:systems': 'sys_01',
        roles: ['admin'],
        teams: ['support-ai'],
        name: 'Priya Product',
      },
      { audience: null },
    );

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toEqual({
      userId: 'user-1',
      name: 'priya',
      roles: ['reviewer:product', 'model_owner'],
      teams: [],
      systems: [],
    });
  });

  it('refuses an access token for another app client or without client_id, whatever its aud says', async () => {
    const other = await signed({ token_use: 'access', client_id: 'another-app-client' }, { audience: null });
    const none = await signed({ token_use: 'access' });

    expect((await rejection(verify(`Bearer ${other}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
    expect((await rejection(verify(`Bearer ${none}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
  });

  it('ignores the development claims in an ID token: its roles and scope come from its Cognito claims', async () => {
    const token = await signed({
      token_use: 'id',
      'cognito:groups': ['auditor'],
      roles: ['admin'],
      teams: ['support-ai'],
      systems: ['sys_01'],
    });

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ roles: ['auditor'], teams: [], systems: [] });
  });

  it('refuses a token_use that is neither id nor access', async () => {
    for (const use of ['refresh', '', 'ID', 42]) {
      const token = await signed({ token_use: use, client_id: DEV_AUDIENCE });

      const error = await rejection(verify(`Bearer ${token}`));

      expect(error.detail).toEqual({ code: 'TOKEN_CLAIMS' });
      expect(error.message).toBe('the token_use claim is neither id nor access');
    }
  });

  it('turns an access token minted for an owner into a principal without the owner scope', async () => {
    const token = await mintToken({
      keys,
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai'],
      shape: 'access',
    });

    await expect(verify(`Bearer ${token}`)).resolves.toEqual({
      userId: 'omar.owner',
      name: 'omar.owner',
      roles: ['model_owner'],
      teams: [],
      systems: [],
    });
  });

  it('keeps accepting the development shape with roles, teams and systems', async () => {
    const token = await mintToken({
      keys,
      userId: 'ci.pipeline',
      name: 'CI Pipeline',
      roles: ['pipeline'],
      systems: ['sys_01'],
      shape: 'development',
    });

    await expect(verify(`Bearer ${token}`)).resolves.toEqual({
      userId: 'ci.pipeline',
      name: 'CI Pipeline',
      roles: ['pipeline'],
      teams: [],
      systems: ['sys_01'],
    });
  });
});

describe('mapping claims to a principal', () => {
  it('maps Cognito groups to roles, including reviewer-technical style names, and drops unknown groups', () => {
    const principal = principalFromClaims({
      sub: 'abc-123',
      'cognito:username': 'tessa',
      'cognito:groups': ['reviewer-technical', 'reviewer_risk', 'admin', 'model-owner', 'everyone'],
      'custom:teams': 'support-ai, claims-ai,,',
      'custom:systems': 'sys-1',
    });

    expect(principal).toEqual({
      userId: 'abc-123',
      name: 'tessa',
      roles: ['reviewer:technical', 'reviewer:risk', 'admin', 'model_owner'],
      teams: ['support-ai', 'claims-ai'],
      systems: ['sys-1'],
    });
  });

  it('prefers the roles claim over Cognito groups and drops roles it does not know', () => {
    const principal = principalFromClaims({
      sub: 'u',
      name: 'U',
      roles: ['auditor', 'superuser', 42],
      'cognito:groups': ['admin'],
    });

    expect(principal.roles).toEqual(['auditor']);
  });

  it('falls back to the subject as the name and to no roles, teams or systems', () => {
    expect(principalFromClaims({ sub: 'only-sub' })).toEqual({
      userId: 'only-sub',
      name: 'only-sub',
      roles: [],
      teams: [],
      systems: [],
    });
  });
});

describe('the verifier configured from the environment', () => {
  it('reads an inline JWKS and builds the verifier once per configuration', async () => {
    const env = {
      AUTH_ISSUER: DEV_ISSUER,
      AUTH_AUDIENCE: DEV_AUDIENCE,
      AUTH_JWKS_JSON: await readFile(keys.jwksPath, 'utf8'),
    };
    const token = await mintToken({ keys, userId: 'ada.admin', name: 'Ada', roles: ['admin'] });

    const first = tokenVerifierFromEnv(env);
    const second = tokenVerifierFromEnv({ ...env });

    expect(second).toBe(first);
    await expect(first(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'ada.admin', roles: ['admin'] });
  });

  it('names the missing or invalid settings', () => {
    expect(() => tokenVerifierFromEnv({ AUTH_AUDIENCE: 'a', AUTH_JWKS_URL: 'http://127.0.0.1/jwks' })).toThrow(
      'AUTH_ISSUER and AUTH_AUDIENCE must be set',
    );
    expect(() => tokenVerifierFromEnv({ AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a' })).toThrow(
      'AUTH_JWKS_URL or AUTH_JWKS_JSON must be set',
    );
    expect(() => tokenVerifierFromEnv({ AUTH_ISSUER: 'i', AUTH_AUDIENCE: 'a', AUTH_JWKS_JSON: '{"keys":' })).toThrow(
      'AUTH_JWKS_JSON is not valid JSON',
    );
  });
});

describe('an application’s token (ADR 0042)', () => {
  it('verifies as an application scoped to the one system its ID token names', async () => {
    // Prepare
    const token = await mintToken({
      keys,
      userId: 'app.service',
      name: 'Claims app',
      roles: ['application'],
      systems: ['sys_1'],
    });

    // Act
    const principal = await verify(`Bearer ${token}`);

    // Assess
    expect(principal).toMatchObject({ userId: 'app.service', roles: ['application'], systems: ['sys_1'], teams: [] });
  });

  it('is refused without exactly one system, as an access token (which carries none), or beside another role', async () => {
    // Prepare
    const none = await mintToken({ keys, userId: 'app', name: 'app', roles: ['application'] });
    const two = await mintToken({
      keys,
      userId: 'app',
      name: 'app',
      roles: ['application'],
      systems: ['sys_1', 'sys_2'],
    });
    const access = await mintToken({
      keys,
      userId: 'app',
      name: 'app',
      roles: ['application'],
      systems: ['sys_1'],
      shape: 'access',
    });
    const admin = await mintToken({
      keys,
      userId: 'app',
      name: 'app',
      roles: ['application', 'admin'],
      systems: ['sys_1'],
    });

    // Act
    const refusals = await Promise.all([none, two, access, admin].map((t) => rejection(verify(`Bearer ${t}`))));

    // Assess
    expect(refusals.map((e) => e.detail.code)).toEqual([
      'TOKEN_CLAIMS',
      'TOKEN_CLAIMS',
      'TOKEN_CLAIMS',
      'TOKEN_CLAIMS',
    ]);
    expect(() => principalFromClaims({ sub: 'u', 'cognito:groups': ['application'], token_use: 'id' })).toThrow(
      /exactly one system/,
    );
  });
});
