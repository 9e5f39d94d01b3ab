// Deterministic Idempotency-Keys: a retried pipeline step (a new process) sends the same key for the same write, so
// the API replays the first answer instead of creating a second artefact.
import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';

export type Env = Record<string, string | undefined>;

/**
 * The scope keys are derived in: GOVERN_IDEMPOTENCY_SCOPE, else the Actions run (`owner/repo:runId`, shared by
 * re-run attempts), else one random scope per invocation (nothing to replay across processes).
 */
export function idempotencyScope(env: Env): { scope: string; source: 'env' | 'github' | 'random' } {
  if (env.GOVERN_IDEMPOTENCY_SCOPE) return { scope: env.GOVERN_IDEMPOTENCY_SCOPE, source: 'env' };
  if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
    return { scope: `${env.GITHUB_REPOSITORY}:${env.GITHUB_RUN_ID}`, source: 'github' };
  }
  return { scope: randomUUID(), source: 'random' };
}

/** RFC 8785 canonical JSON of a body (`''` for none), so key order never changes the key. */
export function canonicalBody(body: unknown): string {
  return body === undefined ? '' : (canonicalize(body) ?? '');
}

/** sha256 of scope, method, path and the canonical body, hex: 64 characters the API accepts as a key. */
export function idempotencyKey(scope: string, method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${scope}\n${method.toUpperCase()}\n${path}\n${canonicalBody(body)}`)
    .digest('hex');
}
