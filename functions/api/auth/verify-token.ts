// Verifies a bearer token (Cognito in AWS, the development key of the local stack, and a CI's OIDC token for
// pipelines) and maps its claims to a Principal. The same code runs in Lambda, in the API's request authoriser and
// locally; only the JWKS source differs.
//
// Cognito issues two shapes (ADR 0015), and each is read only for the claims that shape really carries:
// - an ID token (`token_use: id`, `aud` = the app client id) carries `cognito:groups`, the custom attributes the app
//   client may read (`custom:teams`, `custom:systems`, `custom:github_login`) and the person's
//   `name`/`email`/`cognito:username`: the dashboard sends it, and owners and pipeline service users keep their scope;
// - an access token (`token_use: access`, `client_id` = the app client id, no `aud`) carries `cognito:groups` and an
//   opaque `username`, never custom attributes: it grants roles only, so it cannot act on an owner's system.
// A token without `token_use` is a development token of the local issuer (`roles`, `teams`, `systems`,
// `github_login`).

import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, type JWK, type JWTPayload, jwtVerify } from 'jose';
import { UnauthorizedError } from '../../domain/errors.js';
import { PRINCIPAL_ROLES, type Principal, type PrincipalRole } from '../../domain/types.js';
import { githubLoginOf, parsePipelineTrust, pipelinePrincipalFromGithubClaims } from './github-oidc.js';

export interface TokenVerifierConfig {
  issuer: string;
  audience: string;
  jwks: { url: string } | { keys: JWK[] };
  /** Maps the verified claims to a Principal; principalFromClaims unless the issuer needs its own mapping. */
  toPrincipal?: (claims: JWTPayload) => Principal;
}

export type TokenVerifier = (authorizationHeader: string | undefined) => Promise<Principal>;

const ALGORITHMS = ['ES256', 'RS256'];
const CLOCK_TOLERANCE_SECONDS = 5;
const MAX_TOKEN_LENGTH = 16 * 1024;
const BEARER = /^Bearer +([A-Za-z0-9_~+/=.-]+) *$/i;

/** A function that turns an Authorization header into a verified Principal or throws UnauthorizedError. */
export function createTokenVerifier(config: TokenVerifierConfig): TokenVerifier {
  const keySet =
    'url' in config.jwks ? createRemoteJWKSet(new URL(config.jwks.url)) : createLocalJWKSet({ keys: config.jwks.keys });

  return async (authorizationHeader) => {
    const token = bearerToken(authorizationHeader);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keySet, {
        issuer: config.issuer,
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (error) {
      throw translate(error);
    }
    const shape = tokenShapeOf(payload);
    if (!audienceMatches(payload, shape, config.audience)) {
      throw new UnauthorizedError('the token was not issued for this API', { code: 'TOKEN_AUDIENCE' });
    }
    return (config.toPrincipal ?? principalFromClaims)(payload);
  };
}

/**
 * Verifies tokens of several issuers (the user pool for people, the CI for pipelines), each against its own key
 * set and claim mapping. The unverified `iss` only picks the verifier; that verifier checks the signature and the
 * issuer again, so a forged `iss` gains nothing.
 */
export function createMultiIssuerVerifier(configs: readonly TokenVerifierConfig[]): TokenVerifier {
  const byIssuer = new Map(configs.map((config) => [config.issuer, createTokenVerifier(config)] as const));
  if (byIssuer.size !== configs.length) throw new Error('each trusted issuer must be configured once');
  return async (authorizationHeader) => {
    const token = bearerToken(authorizationHeader);
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw new UnauthorizedError('the bearer token is malformed', { code: 'TOKEN_MALFORMED' });
    }
    const verify = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
    if (verify === undefined) throw new UnauthorizedError('the token issuer is not trusted', { code: 'TOKEN_ISSUER' });
    return verify(authorizationHeader);
  };
}

/** What kind of token the claims are: Cognito's ID or access token, or a development token of the local issuer. */
export type TokenShape = 'id' | 'access' | 'development';

/**
 * The shape the `token_use` claim names; any other value is refused, as Cognito issues only `id` and `access`
 * (aws-jwt-verify's validateCognitoJwtFields refuses the rest too).
 */
function tokenShapeOf(claims: JWTPayload): TokenShape {
  const use = claims.token_use;
  if (use === undefined) return 'development';
  if (use === 'id' || use === 'access') return use;
  throw new UnauthorizedError('the token_use claim is neither id nor access', { code: 'TOKEN_CLAIMS' });
}

/**
 * Maps verified claims to a Principal, reading each shape only for the claims it carries: an ID token its groups,
 * custom attributes and name; an access token its groups alone (custom claims in it are ignored: Cognito puts none
 * there); a development token `roles`, `teams` and `systems` first, Cognito's claims otherwise.
 */
export function principalFromClaims(claims: JWTPayload): Principal {
  const userId = claims.sub;
  if (typeof userId !== 'string' || userId === '') {
    throw new UnauthorizedError('the token names no subject', { code: 'TOKEN_CLAIMS' });
  }
  const shape = tokenShapeOf(claims);
  const groups = stringList(claims['cognito:groups']);
  const roleNames = shape === 'development' && claims.roles !== undefined ? stringList(claims.roles) : groups;
  const roles = [...new Set(roleNames.map(toRole).filter((role): role is PrincipalRole => role !== undefined))];
  if (shape === 'access') {
    // `username` is the user pool's user name: with email sign-in an opaque id, the best an access token offers.
    return applicationChecked({ userId, name: firstString(claims.username) ?? userId, roles, teams: [], systems: [] });
  }
  // `cognito:username` comes last: with email as the sign-in alias it is an opaque id, not a name.
  const name = firstString(claims.name, claims.email, claims['cognito:username'], claims.username) ?? userId;
  if (shape === 'id') {
    const githubLogin = githubLoginOf(claims['custom:github_login']);
    return applicationChecked({
      userId,
      name,
      roles,
      teams: stringList(claims['custom:teams']),
      systems: stringList(claims['custom:systems']),
      ...(githubLogin ? { githubLogin } : {}),
    });
  }
  const githubLogin = githubLoginOf(claims.github_login ?? claims['custom:github_login']);
  return applicationChecked({
    userId,
    name,
    roles,
    teams: stringList(claims.teams ?? claims['custom:teams']),
    systems: stringList(claims.systems ?? claims['custom:systems']),
    ...(githubLogin ? { githubLogin } : {}),
  });
}

/**
 * An application (ADR 0042) is scoped to exactly one system, read from the same claim as a pipeline's systems
 * (`custom:systems` of an ID token, `systems` of a development token), and holds no other role: a token that says
 * `application` without one system (a Cognito access token carries none), or beside another role, is refused.
 */
function applicationChecked(principal: Principal): Principal {
  if (!principal.roles.includes('application')) return principal;
  if (principal.roles.length !== 1) {
    throw new UnauthorizedError('an application token holds no other role', { code: 'TOKEN_CLAIMS' });
  }
  if (principal.systems.length !== 1) {
    throw new UnauthorizedError('an application token must name exactly one system (custom:systems)', {
      code: 'TOKEN_CLAIMS',
    });
  }
  return { ...principal, teams: [] };
}

const verifiers = new Map<string, TokenVerifier>();

/** The environment variables tokenVerifierFromEnv reads; the CDK stacks set them on every API function. */
export const AUTH_ENV = [
  'AUTH_ISSUER',
  'AUTH_AUDIENCE',
  'AUTH_JWKS_URL',
  'AUTH_JWKS_JSON',
  'AUTH_PIPELINE_ISSUER',
  'AUTH_PIPELINE_AUDIENCE',
  'AUTH_PIPELINE_JWKS_URL',
  'AUTH_PIPELINE_JWKS_JSON',
  'AUTH_PIPELINE_TRUST',
] as const;

/**
 * The verifier configured by AUTH_ISSUER, AUTH_AUDIENCE and AUTH_JWKS_URL or AUTH_JWKS_JSON (an inline JWKS), and,
 * when AUTH_PIPELINE_ISSUER is set, also by the pipeline issuer (AUTH_PIPELINE_AUDIENCE, AUTH_PIPELINE_JWKS_URL or
 * AUTH_PIPELINE_JWKS_JSON, and the trusted repositories in AUTH_PIPELINE_TRUST). Built once per container so that
 * fetched signing keys stay cached between invocations.
 */
export function tokenVerifierFromEnv(env: Record<string, string | undefined> = process.env): TokenVerifier {
  const cacheKey = JSON.stringify(AUTH_ENV.map((name) => env[name]));
  const cached = verifiers.get(cacheKey);
  if (cached !== undefined) return cached;

  const issuer = env.AUTH_ISSUER;
  const audience = env.AUTH_AUDIENCE;
  if (!issuer || !audience) throw new Error('AUTH_ISSUER and AUTH_AUDIENCE must be set');
  const people: TokenVerifierConfig = { issuer, audience, jwks: jwksFromEnv(env.AUTH_JWKS_URL, env.AUTH_JWKS_JSON) };

  let verifier: TokenVerifier;
  const pipelineIssuer = env.AUTH_PIPELINE_ISSUER;
  if (pipelineIssuer) {
    const pipelineAudience = env.AUTH_PIPELINE_AUDIENCE;
    if (!pipelineAudience) throw new Error('AUTH_PIPELINE_AUDIENCE must be set with AUTH_PIPELINE_ISSUER');
    const trust = parsePipelineTrust(env.AUTH_PIPELINE_TRUST);
    const pipelines: TokenVerifierConfig = {
      issuer: pipelineIssuer,
      audience: pipelineAudience,
      jwks: jwksFromEnv(env.AUTH_PIPELINE_JWKS_URL, env.AUTH_PIPELINE_JWKS_JSON, 'AUTH_PIPELINE_'),
      toPrincipal: (claims) => pipelinePrincipalFromGithubClaims(claims, trust),
    };
    verifier = createMultiIssuerVerifier([people, pipelines]);
  } else {
    verifier = createTokenVerifier(people);
  }
  verifiers.set(cacheKey, verifier);
  return verifier;
}

function jwksFromEnv(url: string | undefined, json: string | undefined, prefix = 'AUTH_'): TokenVerifierConfig['jwks'] {
  if (url) return { url };
  if (json) return { keys: parseJwks(json, `${prefix}JWKS_JSON`) };
  throw new Error(`${prefix}JWKS_URL or ${prefix}JWKS_JSON must be set`);
}

function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw new UnauthorizedError('the Authorization header is missing', { code: 'TOKEN_MISSING' });
  }
  if (!/^bearer(\s|$)/i.test(header.trim())) {
    throw new UnauthorizedError('the Authorization header must use the Bearer scheme', { code: 'TOKEN_SCHEME' });
  }
  const token = BEARER.exec(header.trim())?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    throw new UnauthorizedError('the bearer token is malformed', { code: 'TOKEN_MALFORMED' });
  }
  return token;
}

/**
 * An ID token (and a development or CI token) names its audience in `aud`; a Cognito access token has no `aud` and
 * names the app client in `client_id` (Cognito's "Verifying JSON web tokens"; aws-jwt-verify's `clientId` option).
 */
function audienceMatches(payload: JWTPayload, shape: TokenShape, audience: string): boolean {
  if (shape === 'access') return payload.client_id === audience;
  const aud = payload.aud;
  if (typeof aud === 'string') return aud === audience;
  if (Array.isArray(aud)) return aud.includes(audience);
  return false;
}

function translate(error: unknown): Error {
  if (error instanceof errors.JWTExpired) {
    return new UnauthorizedError('the token has expired', { code: 'TOKEN_EXPIRED' });
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'iss':
        return new UnauthorizedError('the token issuer is not trusted', { code: 'TOKEN_ISSUER' });
      case 'nbf':
      case 'iat':
        return new UnauthorizedError('the token is not valid yet', { code: 'TOKEN_NOT_YET_VALID' });
      default:
        return new UnauthorizedError('the token claims are not valid', { code: 'TOKEN_CLAIMS' });
    }
  }
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys
  ) {
    return new UnauthorizedError('the token signature is not valid', { code: 'TOKEN_SIGNATURE' });
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new UnauthorizedError('the token is signed with an algorithm that is not accepted', {
      code: 'TOKEN_ALGORITHM',
    });
  }
  if (
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JOSENotSupported ||
    error instanceof errors.JWKInvalid
  ) {
    return new UnauthorizedError('the bearer token is malformed', { code: 'TOKEN_MALFORMED' });
  }
  // The key set could not be fetched or parsed: our fault, not the caller's, so a generic 500 (details logged).
  return new Error('token verification is unavailable', { cause: error });
}

function parseJwks(json: string, name: string): JWK[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`${name} is not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${name} must be a JWKS: { "keys": [...] }`);
  return keys as JWK[];
}

function toRole(raw: string): PrincipalRole | undefined {
  const name = raw.trim().toLowerCase();
  const candidates = [name, name.replace(/^reviewer[-_]/, 'reviewer:'), name.replace(/-/g, '_')];
  return PRINCIPAL_ROLES.find((role) => candidates.includes(role));
}

/** An array of strings, or a comma-separated string (Cognito custom attributes are strings). */
function stringList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return [
    ...new Set(
      items
        .filter((item): item is string => typeof item === 'string')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ];
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === 'string' && value.trim() !== '');
}
