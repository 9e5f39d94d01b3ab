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
  it('turns a minted development token back into the principal it was minted for', async () => {
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

  it('accepts a Cognito access token whose client_id is the audience', async () => {
    const token = await signed(
      { token_use: 'access', client_id: DEV_AUDIENCE, username: 'priya', 'cognito:groups': ['reviewer-product'] },
      { audience: null },
    );

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toMatchObject({ name: 'priya', roles: ['reviewer:product'] });
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
