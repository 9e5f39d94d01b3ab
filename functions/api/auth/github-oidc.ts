// Pipelines authenticate with their CI's OIDC token (GitHub Actions). A verified token says which repository and
// ref the workflow runs for; the deployment's trust list says which systems that repository may act on. Nothing
// else in the token grants anything: a `roles` claim in a CI token is ignored.
import type { JWTPayload } from 'jose';
import { UnauthorizedError } from '../../domain/errors.js';
import type { Principal } from '../../domain/types.js';

export interface TrustedRepository {
  /** `owner/name`, compared case-insensitively as GitHub does. */
  repository: string;
  /** Optional immutable repository id: a deleted and re-created repository of the same name is not trusted. */
  repositoryId?: string;
  /** Allowed refs; a trailing `*` matches a prefix (`refs/tags/v*`). */
  refs: string[];
  systems: string[];
}

/** Whether `ref` is allowed by `pattern` (exact, or a prefix when the pattern ends in `*`). */
export function refMatches(pattern: string, ref: string): boolean {
  return pattern.endsWith('*') ? ref.startsWith(pattern.slice(0, -1)) : ref === pattern;
}

/** Maps a verified GitHub Actions token to a pipeline principal scoped to the systems its repository may act on. */
export function pipelinePrincipalFromGithubClaims(claims: JWTPayload, trust: readonly TrustedRepository[]): Principal {
  const { repository, ref } = claims;
  if (typeof repository !== 'string' || typeof ref !== 'string') {
    throw new UnauthorizedError('the pipeline token names no repository and ref', { code: 'TOKEN_CLAIMS' });
  }
  const repositoryId = typeof claims.repository_id === 'string' ? claims.repository_id : undefined;
  const trusted = trust.filter(
    (entry) =>
      entry.repository.toLowerCase() === repository.toLowerCase() &&
      (entry.repositoryId === undefined || entry.repositoryId === repositoryId) &&
      entry.refs.some((pattern) => refMatches(pattern, ref)),
  );
  if (trusted.length === 0) {
    throw new UnauthorizedError(`the pipeline of ${repository} at ${ref} is not trusted`, {
      code: 'PIPELINE_NOT_TRUSTED',
    });
  }
  const workflow = typeof claims.workflow === 'string' ? claims.workflow : 'workflow';
  return {
    userId: `github:${repository.toLowerCase()}`,
    name: `${repository} ${workflow} (${ref})`,
    roles: ['pipeline'],
    teams: [],
    systems: [...new Set(trusted.flatMap((entry) => entry.systems))],
    // The people behind this run: its writes record them, and a person linked to either login counts as an author
    // of what the pipeline wrote (separation of duties, ADR 0022).
    ci: { actor: githubLoginOf(claims.actor) ?? null, triggeringActor: githubLoginOf(claims.triggering_actor) ?? null },
  };
}

/** Parses the trust list given to a function as JSON (AUTH_PIPELINE_TRUST), refusing anything malformed. */
export function parsePipelineTrust(json: string | undefined): TrustedRepository[] {
  if (json === undefined || json.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('AUTH_PIPELINE_TRUST is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new Error('AUTH_PIPELINE_TRUST must be a JSON array');
  return parsed.map((entry, index) => {
    const { repository, repositoryId, refs, systems } = (entry ?? {}) as Record<string, unknown>;
    const strings = (value: unknown) => Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (typeof repository !== 'string' || !strings(refs) || !strings(systems)) {
      throw new Error(`AUTH_PIPELINE_TRUST[${index}] needs repository, refs[] and systems[]`);
    }
    return {
      repository,
      ...(typeof repositoryId === 'string' ? { repositoryId } : {}),
      refs: refs as string[],
      systems: systems as string[],
    };
  });
}

/**
 * A GitHub login (a person's `custom:github_login`, a CI token's `actor`): GitHub's login syntax (letters, digits,
 * single hyphens, at most 39; an app's actor ends in `[bot]`), or nothing. A malformed value links nobody rather
 * than matching by accident.
 */
export function githubLoginOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const login = value.trim();
  return /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?$/.test(login) ? login : undefined;
}
