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

  it('mints an ES256 token with the kid, issuer, audience, subject and principal claims', async () => {
    const keys = await loadOrCreateDevKeys(dir);

    const token = await mintToken({
      keys,
      userId: 'ci.pipeline',
      name: 'CI Pipeline',
      roles: ['pipeline'],
      systems: ['sys-1', 'sys-2'],
    });

    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    expect(header).toMatchObject({ alg: 'ES256', kid: keys.kid, typ: 'JWT' });
    expect(claims).toMatchObject({
      iss: DEV_ISSUER,
      aud: DEV_AUDIENCE,
      sub: 'ci.pipeline',
      name: 'CI Pipeline',
      roles: ['pipeline'],
      teams: [],
      systems: ['sys-1', 'sys-2'],
    });
    const lifetime = (claims.exp ?? 0) - (claims.iat ?? 0);
    expect(lifetime).toBe(12 * 3600);
  });
});
