// Development signing keys of the local stack. Tokens minted here are verified by the production code path
// (functions/api/auth/verify-token.ts) against the JWKS written next to the key, as a Cognito user pool's would be,
// and they come in the user pool's shapes (ADR 0015): an ID token by default (what the hosted dashboard sends), an
// access token on request (groups only, no custom attributes), or the older development shape (`roles`, `teams`,
// `systems`) that scripts written before the Cognito shapes still mint.

import { randomUUID } from 'node:crypto';
import { chmod, link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import type { TokenShape } from '../functions/api/auth/verify-token.js';
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
  /** Which token to mint: Cognito's ID token (default), its access token, or the older development shape. */
  shape?: TokenShape;
  /** The `email` claim of an ID token; default `<userId>@users.invalid` (the user pool requires an email). */
  email?: string;
  /** The person's linked GitHub login: `custom:github_login` of an ID token (never in an access token). */
  githubLogin?: string;
}

/** Cognito's scopes of the dashboard's app client, as an access token of the authorization code flow lists them. */
const ACCESS_TOKEN_SCOPE = 'openid profile email';

/** The Cognito group of a role (lib/constructs/identity.ts): `reviewer:technical` is the group `reviewer-technical`. */
function cognitoGroupOf(role: PrincipalRole): string {
  return role.replace(/^reviewer:/, 'reviewer-');
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

/** A token for the given identity in the requested shape, signed with the local key. */
export async function mintToken(input: MintTokenInput): Promise<string> {
  const { keys } = input;
  const shape = input.shape ?? 'id';
  const jwt = new SignJWT(claimsOf(input, shape))
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: keys.kid, typ: 'JWT' })
    .setIssuer(keys.issuer)
    .setSubject(input.userId)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(input.expiresIn ?? '12h');
  // A Cognito access token names its app client in `client_id` and has no `aud`; the other shapes have `aud`.
  if (shape !== 'access') jwt.setAudience(keys.audience);
  return jwt.sign(keys.privateKey);
}

/**
 * The claims of each shape, as the user pool of lib/constructs/identity.ts issues them (Cognito's "Understanding the
 * identity (ID) token" and "Understanding the access token"): a claim the user has no value for is left out, as
 * Cognito leaves out `cognito:groups` of a user in no group and an unset custom attribute.
 */
function claimsOf(input: MintTokenInput, shape: TokenShape): Record<string, unknown> {
  if (shape === 'development') {
    return {
      name: input.name,
      roles: input.roles,
      teams: input.teams ?? [],
      systems: input.systems ?? [],
      ...(input.githubLogin ? { github_login: input.githubLogin } : {}),
    };
  }
  const groups = input.roles.map(cognitoGroupOf);
  const common = {
    token_use: shape,
    auth_time: Math.floor(Date.now() / 1000),
    ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
  };
  if (shape === 'access') {
    return { ...common, client_id: input.keys.audience, username: input.userId, scope: ACCESS_TOKEN_SCOPE };
  }
  return {
    ...common,
    'cognito:username': input.userId,
    name: input.name,
    email: input.email ?? `${input.userId}@users.invalid`,
    email_verified: true,
    ...customAttribute('custom:teams', input.teams),
    ...customAttribute('custom:systems', input.systems),
    ...(input.githubLogin ? { 'custom:github_login': input.githubLogin } : {}),
  };
}

/** The issuer of the local stack's stand-in for GitHub Actions' OIDC tokens (signed with the development key). */
export const DEV_PIPELINE_ISSUER = 'http://127.0.0.1/local-github-actions';
/** The repository whose workflow the local CI tokens speak for; the local stack trusts it for the seeded systems. */
export const DEV_PIPELINE_REPOSITORY = 'acme/governed-ai';
export const DEV_PIPELINE_REF = 'refs/heads/main';

export interface MintPipelineTokenInput {
  keys: DevKeys;
  /** Who started the workflow run (GitHub's `actor` claim). */
  actor: string;
  /** Who started this attempt (`triggering_actor`); GitHub sets it to `actor` unless someone re-ran it. */
  triggeringActor?: string;
  repository?: string;
  ref?: string;
  expiresIn?: string | number;
}

/**
 * A token shaped as GitHub Actions' OIDC token ("About security hardening with OpenID Connect": `repository`,
 * `repository_id`, `ref`, `workflow`, `actor`, `triggering_actor`, `sub` as `repo:<owner>/<name>:ref:<ref>`),
 * issued by the local stand-in issuer, so the local stack verifies it by the same claim mapping as AWS does.
 */
export async function mintPipelineToken(input: MintPipelineTokenInput): Promise<string> {
  const repository = input.repository ?? DEV_PIPELINE_REPOSITORY;
  const ref = input.ref ?? DEV_PIPELINE_REF;
  return new SignJWT({
    repository,
    repository_owner: repository.split('/')[0],
    ref,
    workflow: 'release',
    event_name: 'push',
    actor: input.actor,
    triggering_actor: input.triggeringActor ?? input.actor,
  })
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: input.keys.kid, typ: 'JWT' })
    .setIssuer(DEV_PIPELINE_ISSUER)
    .setSubject(`repo:${repository}:ref:${ref}`)
    .setAudience(input.keys.audience)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(input.expiresIn ?? '1h')
    .sign(input.keys.privateKey);
}

/** A custom attribute is one string: the list joined by commas, so no item may hold a comma. */
function customAttribute(claim: string, values: readonly string[] | undefined): Record<string, string> {
  if (values === undefined || values.length === 0) return {};
  const withComma = values.find((value) => value.includes(','));
  if (withComma !== undefined) throw new Error(`${claim} is a comma-separated list: "${withComma}" holds a comma`);
  return { [claim]: values.join(',') };
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
