// Development signing keys of the local stack. Tokens minted here are verified by the production code path
// (functions/api/auth/verify-token.ts) against the JWKS written next to the key, as a Cognito user pool's would be.

import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { PrincipalRole } from '../functions/domain/types.js';

export const DEV_ISSUER = 'http://127.0.0.1/local-dev';
export const DEV_AUDIENCE = 'governance-control-plane';
const DEV_ALGORITHM = 'ES256';
export const SIGNING_KEY_FILE = 'dev-signing-key.json';
export const JWKS_FILE = 'jwks.json';

export interface DevKeys {
  privateKey: CryptoKey;
  /** The public half, with `kid`, `alg` and `use`. */
  publicJwk: JWK;
  kid: string;
  /** `<dir>/jwks.json`: `{ "keys": [publicJwk] }` */
  jwksPath: string;
  issuer: string;
  audience: string;
}

export interface MintTokenInput {
  keys: DevKeys;
  userId: string;
  name: string;
  roles: PrincipalRole[];
  teams?: string[];
  systems?: string[];
  /** A jose time span ('12h', '15m', '-1h' for an already expired token) or an epoch in seconds. Default '12h'. */
  expiresIn?: string | number;
}

/** Loads the development key pair from `dir`, creating it (private key mode 0600) and its JWKS on first use. */
export async function loadOrCreateDevKeys(dir: string): Promise<DevKeys> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, SIGNING_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);

  let privateJwk = await readPrivateJwk(keyPath);
  if (privateJwk === undefined) {
    const { privateKey } = await generateKeyPair(DEV_ALGORITHM, { extractable: true });
    const created = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(publicPart(created));
    // Written aside and linked into place: creation is atomic, and when `npm start` and `npm run token` race on
    // the first run, the loser reads the winner's key instead of overwriting it.
    const staging = join(dir, `.${SIGNING_KEY_FILE}.${randomUUID()}`);
    await writeFile(staging, `${JSON.stringify({ ...created, kid, alg: DEV_ALGORITHM, use: 'sig' }, null, 2)}\n`, {
      mode: 0o600,
    });
    try {
      await link(staging, keyPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(staging);
    }
    privateJwk = await readPrivateJwk(keyPath);
    if (privateJwk === undefined) throw new Error(`could not create ${keyPath}`);
  }

  const publicJwk = publicPart(privateJwk);
  const kid = publicJwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  await writeJwksIfChanged(jwksPath, { keys: [publicJwk] });
  const privateKey = await importJWK(privateJwk, DEV_ALGORITHM);
  if (privateKey instanceof Uint8Array) throw new Error(`${keyPath} does not hold an ${DEV_ALGORITHM} private key`);
  return { privateKey, publicJwk, kid, jwksPath, issuer: DEV_ISSUER, audience: DEV_AUDIENCE };
}

/** A development token for the given identity, signed with the local key. */
export async function mintToken(input: MintTokenInput): Promise<string> {
  const { keys } = input;
  return new SignJWT({
    name: input.name,
    roles: input.roles,
    teams: input.teams ?? [],
    systems: input.systems ?? [],
  })
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setIssuer(keys.issuer)
    .setAudience(keys.audience)
    .setSubject(input.userId)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(input.expiresIn ?? '12h')
    .sign(keys.privateKey);
}

async function readPrivateJwk(keyPath: string): Promise<JWK | undefined> {
  let text: string;
  try {
    text = await readFile(keyPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // An older copy may have been made with a lax umask: the key is a secret of this machine's user.
  if (((await stat(keyPath)).mode & 0o077) !== 0) await chmod(keyPath, 0o600);
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${keyPath} is not valid JSON: delete it to create a new development key`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    throw new Error(`${keyPath} is not an EC P-256 private key: delete it to create a new development key`);
  }
  return jwk;
}

function publicPart(jwk: JWK): JWK {
  const { kty, crv, x, y, kid } = jwk;
  return { kty, crv, x, y, ...(kid === undefined ? {} : { kid }), alg: DEV_ALGORITHM, use: 'sig' };
}

async function writeJwksIfChanged(jwksPath: string, jwks: { keys: JWK[] }): Promise<void> {
  const text = `${JSON.stringify(jwks, null, 2)}\n`;
  const current = await readFile(jwksPath, 'utf8').catch(() => undefined);
  if (current === text) return;
  const staging = `${jwksPath}.${randomUUID()}.tmp`;
  await writeFile(staging, text, { mode: 0o644 });
  await rename(staging, jwksPath);
}
