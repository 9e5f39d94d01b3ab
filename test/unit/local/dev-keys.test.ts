import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  JWKS_FILE,
  loadOrCreateDevKeys,
  mintToken,
  SIGNING_KEY_FILE,
} from '../../../local/dev-keys.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dev-keys-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('development signing keys', () => {
  it('creates a private key readable only by its owner and a JWKS with the public half only', async () => {
    const keys = await loadOrCreateDevKeys(join(dir, 'keys'));

    const keyFile = await stat(join(dir, 'keys', SIGNING_KEY_FILE));
    const jwks = JSON.parse(await readFile(keys.jwksPath, 'utf8')) as { keys: Record<string, unknown>[] };
    expect(keyFile.mode & 0o777).toBe(0o600);
    expect(keys.jwksPath).toBe(join(dir, 'keys', JWKS_FILE));
    expect(jwks.keys).toEqual([keys.publicJwk]);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: keys.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(keys.issuer).toBe(DEV_ISSUER);
    expect(keys.audience).toBe(DEV_AUDIENCE);
  });

  it('loads the same key on the next run instead of creating another', async () => {
    const first = await loadOrCreateDevKeys(dir);

    const second = await loadOrCreateDevKeys(dir);

    expect(second.kid).toBe(first.kid);
    expect(second.publicJwk).toEqual(first.publicJwk);
  });

  it('agrees on one key when two processes create it at the same time', async () => {
    const all = await Promise.all([loadOrCreateDevKeys(dir), loadOrCreateDevKeys(dir), loadOrCreateDevKeys(dir)]);

    expect(new Set(all.map((keys) => keys.kid)).size).toBe(1);
    const jwks = JSON.parse(await readFile(join(dir, JWKS_FILE), 'utf8')) as { keys: { kid: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual([all[0]?.kid]);
  });

  it('rewrites a missing or stale JWKS from the private key', async () => {
    const keys = await loadOrCreateDevKeys(dir);
    await writeFile(keys.jwksPath, '{"keys":[]}');

    await loadOrCreateDevKeys(dir);

    const jwks = JSON.parse(await readFile(keys.jwksPath, 'utf8')) as { keys: unknown[] };
    expect(jwks.keys).toEqual([keys.publicJwk]);
  });

  it('says how to recover from a corrupt key file', async () => {
    await writeFile(join(dir, SIGNING_KEY_FILE), 'not json');

    await expect(loadOrCreateDevKeys(dir)).rejects.toThrow('delete it to create a new development key');
  });

  it('mints an ES256 token shaped as a Cognito ID token by default, with the groups and custom attributes', async () => {
    const keys = await loadOrCreateDevKeys(dir);

    const token = await mintToken({
      keys,
      userId: 'ci.pipeline',
      name: 'CI Pipeline',
      roles: ['pipeline', 'reviewer:technical'],
      systems: ['sys-1', 'sys-2'],
    });

    // Cognito's "Understanding the identity (ID) token" (docs.aws.amazon.com/cognito/latest/developerguide/
    // amazon-cognito-user-pools-using-the-id-token.html): `token_use: id`, `aud` = the app client id,
    // `cognito:groups`, `cognito:username`, `email`, and each custom attribute the app client may read as a
    // `custom:<name>` string; an attribute the user has no value for is not in the token.
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'ES256', kid: keys.kid, typ: 'JWT' });
    expect(claims).toMatchObject({
      iss: DEV_ISSUER,
      aud: DEV_AUDIENCE,
      sub: 'ci.pipeline',
      token_use: 'id',
      'cognito:username': 'ci.pipeline',
      'cognito:groups': ['pipeline', 'reviewer-technical'],
      'custom:systems': 'sys-1,sys-2',
      name: 'CI Pipeline',
      email: 'ci.pipeline@users.invalid',
      email_verified: true,
    });
    expect(claims).not.toHaveProperty('custom:teams');
    expect(claims).not.toHaveProperty('client_id');
    for (const development of ['roles', 'teams', 'systems']) expect(claims).not.toHaveProperty(development);
    const lifetime = (claims.exp ?? 0) - (claims.iat ?? 0);
    expect(lifetime).toBe(12 * 3600);
  });

  it('mints a Cognito access token on request: client_id instead of aud, groups and scope, no custom attributes', async () => {
    const keys = await loadOrCreateDevKeys(dir);

    const token = await mintToken({
      keys,
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai'],
      shape: 'access',
    });

    // Cognito's "Understanding the access token" (docs.aws.amazon.com/cognito/latest/developerguide/
    // amazon-cognito-user-pools-using-the-access-token.html): `token_use: access`, `client_id`, `cognito:groups`,
    // `scope`, `username`; no `aud` and no user attributes, so the owner's teams cannot be in it.
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      iss: DEV_ISSUER,
      sub: 'omar.owner',
      token_use: 'access',
      client_id: DEV_AUDIENCE,
      username: 'omar.owner',
      'cognito:groups': ['model_owner'],
      scope: 'openid profile email',
    });
    for (const absent of ['aud', 'custom:teams', 'custom:systems', 'teams', 'name', 'email']) {
      expect(claims).not.toHaveProperty(absent);
    }
  });

  it('still mints the older development shape with roles, teams and systems when asked', async () => {
    const keys = await loadOrCreateDevKeys(dir);

    const token = await mintToken({
      keys,
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai'],
      shape: 'development',
    });

    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      aud: DEV_AUDIENCE,
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai'],
      systems: [],
    });
    expect(claims).not.toHaveProperty('token_use');
  });

  it('refuses a team or system holding a comma, which a custom attribute string could not carry apart', async () => {
    const keys = await loadOrCreateDevKeys(dir);

    await expect(
      mintToken({ keys, userId: 'u', name: 'U', roles: ['model_owner'], teams: ['support-ai,claims-ai'] }),
    ).rejects.toThrow('custom:teams is a comma-separated list: "support-ai,claims-ai" holds a comma');
  });
});
