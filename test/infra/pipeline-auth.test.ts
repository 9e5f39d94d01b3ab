// Pipelines call the API with their CI's OIDC token; people with the user pool's. The functions and the API's
// request authoriser verify both with the same code. GitHub's keys cannot be fetched offline, so the tokens here
// are signed by a local key whose JWKS is configured as the pipeline issuer's, as the architecture prescribes.
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { handler as authorize } from '../../functions/api/auth/authorizer.js';
import { parsePipelineTrust, refMatches } from '../../functions/api/auth/github-oidc.js';
import { type TokenVerifier, tokenVerifierFromEnv } from '../../functions/api/auth/verify-token.js';
import { UnauthorizedError } from '../../functions/domain/errors.js';

const PEOPLE_ISSUER = 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_TEST';
const PIPELINE_ISSUER = 'https://token.actions.githubusercontent.com';
const CLIENT_ID = 'dashboard-client';
const PIPELINE_AUDIENCE = 'governance-control-plane';
const TRUST = [
  { repository: 'acme/support-bot', refs: ['refs/heads/main', 'refs/tags/v*'], systems: ['sys-support'] },
  { repository: 'acme/claims-ai', repositoryId: '42', refs: ['refs/heads/main'], systems: ['sys-claims'] },
];

interface Signer {
  sign: (claims: JWTPayload, issuer: string, audience: string) => Promise<string>;
  jwks: string;
}

async function signer(kid: string, alg: 'ES256' | 'RS256'): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    jwks: JSON.stringify({ keys: [jwk] }),
    sign: (claims, issuer, audience) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg, kid })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'subject')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey),
  };
}

let cognito: Signer;
let github: Signer;
let env: Record<string, string>;
let verify: TokenVerifier;

const githubClaims = (overrides: JWTPayload = {}): JWTPayload => ({
  sub: 'repo:acme/support-bot:ref:refs/heads/main',
  repository: 'acme/support-bot',
  repository_id: '7',
  ref: 'refs/heads/main',
  workflow: 'release',
  ...overrides,
});

beforeAll(async () => {
  cognito = await signer('people', 'RS256');
  github = await signer('ci', 'RS256');
  env = {
    AUTH_ISSUER: PEOPLE_ISSUER,
    AUTH_AUDIENCE: CLIENT_ID,
    AUTH_JWKS_JSON: cognito.jwks,
    AUTH_PIPELINE_ISSUER: PIPELINE_ISSUER,
    AUTH_PIPELINE_AUDIENCE: PIPELINE_AUDIENCE,
    AUTH_PIPELINE_JWKS_JSON: github.jwks,
    AUTH_PIPELINE_TRUST: JSON.stringify(TRUST),
  };
  verify = tokenVerifierFromEnv(env);
});

async function refusal(promise: Promise<unknown>): Promise<UnauthorizedError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UnauthorizedError);
  return error as UnauthorizedError;
}

describe('pipeline tokens', () => {
  it('make a pipeline principal scoped to the systems its repository is trusted for', async () => {
    const token = await github.sign(githubClaims(), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    const principal = await verify(`Bearer ${token}`);

    expect(principal).toEqual({
      userId: 'github:acme/support-bot',
      name: 'acme/support-bot release (refs/heads/main)',
      roles: ['pipeline'],
      teams: [],
      systems: ['sys-support'],
      ci: { actor: null, triggeringActor: null },
    });
  });

  it("carry the people behind the run, GitHub's actor and triggering_actor claims, for authorship", async () => {
    // GitHub's "OpenID Connect reference" (docs.github.com/en/actions/reference/security/oidc): `actor` is the account
    // that initiated the workflow run, `triggering_actor` the one that initiated this run attempt (a re-run).
    const token = await github.sign(
      githubClaims({ actor: 'omar-gh', triggering_actor: 'tessa-gh' }),
      PIPELINE_ISSUER,
      PIPELINE_AUDIENCE,
    );

    const principal = await verify(`Bearer ${token}`);

    expect(principal.ci).toEqual({ actor: 'omar-gh', triggeringActor: 'tessa-gh' });
  });

  it('accept a release tag that matches a trusted prefix', async () => {
    const token = await github.sign(githubClaims({ ref: 'refs/tags/v1.4.0' }), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ systems: ['sys-support'] });
  });

  it('are refused from an untrusted ref, such as a feature branch of a trusted repository', async () => {
    const token = await github.sign(githubClaims({ ref: 'refs/heads/feature' }), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    expect((await refusal(verify(`Bearer ${token}`))).detail).toEqual({ code: 'PIPELINE_NOT_TRUSTED' });
  });

  it('are refused from an untrusted repository, and from a re-created one when the id is pinned', async () => {
    const other = await github.sign(githubClaims({ repository: 'mallory/fork' }), PIPELINE_ISSUER, PIPELINE_AUDIENCE);
    const recreated = await github.sign(
      githubClaims({ repository: 'acme/claims-ai', repository_id: '99' }),
      PIPELINE_ISSUER,
      PIPELINE_AUDIENCE,
    );

    expect((await refusal(verify(`Bearer ${other}`))).detail).toEqual({ code: 'PIPELINE_NOT_TRUSTED' });
    expect((await refusal(verify(`Bearer ${recreated}`))).detail).toEqual({ code: 'PIPELINE_NOT_TRUSTED' });
  });

  it('grant nothing through a roles claim: a CI token never becomes an admin', async () => {
    const token = await github.sign(
      githubClaims({ roles: ['admin'], systems: ['sys-claims'] }),
      PIPELINE_ISSUER,
      PIPELINE_AUDIENCE,
    );

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ roles: ['pipeline'], systems: ['sys-support'] });
  });

  it('are refused for another audience, or when signed by the people key with the CI issuer', async () => {
    const audience = await github.sign(githubClaims(), PIPELINE_ISSUER, 'sts.amazonaws.com');
    const forged = await cognito.sign(githubClaims(), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    expect((await refusal(verify(`Bearer ${audience}`))).detail).toEqual({ code: 'TOKEN_AUDIENCE' });
    expect((await refusal(verify(`Bearer ${forged}`))).detail).toEqual({ code: 'TOKEN_SIGNATURE' });
  });
});

describe('people tokens beside pipeline tokens', () => {
  it('still map Cognito groups to roles', async () => {
    const token = await cognito.sign(
      { sub: 'u-1', 'cognito:groups': ['reviewer-risk'], email: 'rita@example.com' },
      PEOPLE_ISSUER,
      CLIENT_ID,
    );

    await expect(verify(`Bearer ${token}`)).resolves.toMatchObject({ userId: 'u-1', roles: ['reviewer:risk'] });
  });

  it('are refused when a token names an issuer that is neither', async () => {
    const token = await cognito.sign({ sub: 'u-1' }, 'https://evil.example', CLIENT_ID);

    expect((await refusal(verify(`Bearer ${token}`))).detail).toEqual({ code: 'TOKEN_ISSUER' });
    expect((await refusal(verify('Bearer not.a.jwt'))).detail).toEqual({ code: 'TOKEN_MALFORMED' });
  });
});

describe('the API request authoriser', () => {
  const event = (authorization?: string) =>
    ({
      routeKey: 'POST /api/release-candidates/{id}/promote',
      headers: authorization === undefined ? {} : { authorization },
    }) as unknown as APIGatewayRequestAuthorizerEventV2;

  const configure = () => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  };
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('allows a verified pipeline and passes who it is to the access log', async () => {
    configure();
    const token = await github.sign(githubClaims(), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    await expect(authorize(event(`Bearer ${token}`))).resolves.toEqual({
      isAuthorized: true,
      context: { userId: 'github:acme/support-bot', roles: 'pipeline' },
    });
  });

  it('denies a missing or untrusted token without throwing', async () => {
    configure();
    const untrusted = await github.sign(githubClaims({ ref: 'refs/pull/7/merge' }), PIPELINE_ISSUER, PIPELINE_AUDIENCE);

    await expect(authorize(event())).resolves.toMatchObject({ isAuthorized: false });
    await expect(authorize(event(`Bearer ${untrusted}`))).resolves.toMatchObject({ isAuthorized: false });
  });
});

describe('the trust list', () => {
  it('matches refs exactly or by a trailing-star prefix', () => {
    expect(refMatches('refs/heads/main', 'refs/heads/main')).toBe(true);
    expect(refMatches('refs/heads/main', 'refs/heads/main-old')).toBe(false);
    expect(refMatches('refs/tags/v*', 'refs/tags/v2')).toBe(true);
  });

  it('is refused when malformed, so a function fails at start rather than trusting too much', () => {
    expect(parsePipelineTrust(undefined)).toEqual([]);
    expect(() => parsePipelineTrust('{')).toThrow(/not valid JSON/);
    expect(() => parsePipelineTrust('[{"repository":"a/b","refs":"refs/heads/main","systems":[]}]')).toThrow(
      /needs repository, refs\[\] and systems\[\]/,
    );
  });
});
