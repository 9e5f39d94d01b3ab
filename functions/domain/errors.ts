// Typed errors of the governance domain. One mapping point (functions/api/problem.ts) turns them into
// RFC 9457 problem+json; anything that is not a GovernanceError becomes a generic 500.

/** Every reason that blocks a promotion or a rollback (`reasons[].code` of a gate answer or a gate-blocked problem). */
export const BLOCK_REASON_CODES = [
  'EVAL_MISSING',
  'EVAL_FAILED',
  'EVAL_STALE',
  'APPROVALS_INCOMPLETE',
  'APPROVAL_REJECTED',
  'SEPARATION_OF_DUTIES',
  'BLOCKING_INCIDENT_OPEN',
  'INVALID_STATE',
  'SNAPSHOT_INELIGIBLE',
  'SYSTEM_RETIRED',
  'WRONG_ENVIRONMENT',
  'ACTIVE_RELEASE_CHANGED',
  'ROLLBACK_TARGET_INELIGIBLE',
  'MODEL_CARD_INCOMPLETE',
  'EVAL_EXPIRED',
  'DATASET_KIND_MISSING',
  'THRESHOLD_BELOW_FLOOR',
] as const;

export type BlockReasonCode = (typeof BLOCK_REASON_CODES)[number];

/**
 * Every `code` the API answers today (a problem's `code` and its `reasons[].code`): a closed union, so that a new
 * code is a deliberate change here, in the contracts (`z.enum`) and in docs/api.md. Clients must still tolerate
 * codes they do not know: later versions add codes.
 */
export const ERROR_CODES = [
  ...BLOCK_REASON_CODES,
  'ACTIVE_RELEASE_PRESENT',
  'ROLLBACK_VALIDATION_FAILED',
  'ROLLBACK_PENDING',
  'IDEMPOTENCY_KEY_REUSED',
  'IDEMPOTENCY_IN_PROGRESS',
  'TOKEN_MISSING',
  'TOKEN_SCHEME',
  'TOKEN_MALFORMED',
  'TOKEN_EXPIRED',
  'TOKEN_NOT_YET_VALID',
  'TOKEN_ISSUER',
  'TOKEN_AUDIENCE',
  'TOKEN_SIGNATURE',
  'TOKEN_ALGORITHM',
  'TOKEN_CLAIMS',
  'PIPELINE_NOT_TRUSTED',
  'ORIGIN_NOT_VERIFIED',
  'TOO_MANY_SLICES',
  'RELAXATION_EXPIRED',
  'RELAXATION_SUPERSEDED',
  'POLICY_QUORUM_NOT_MET',
  'POLICY_BASE_CHANGED',
  'COST_ESTIMATE_OVER_CEILING',
  'NO_ACTIVE_RELEASE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** One line per code: what it means to the caller (rendered into docs/api.md by scripts/api-doc.ts). */
export const ERROR_CODE_MEANINGS: Readonly<Record<ErrorCode, string>> = {
  EVAL_MISSING: 'the candidate has no finished eval run of its own, or nothing to evaluate',
  EVAL_FAILED: 'the latest eval run failed its thresholds or ended in error',
  EVAL_STALE: 'the latest eval run judged another snapshot, or a newer run replaced the one reported',
  APPROVALS_INCOMPLETE:
    'a reviewer role that the risk tier requires has fewer distinct approvers of the snapshot than the policy asks',
  APPROVAL_REJECTED: 'a reviewer rejected the snapshot or requested changes',
  SEPARATION_OF_DUTIES:
    "the reviewer authored what is to be approved (created or submitted its prompt version, model config, a dataset or the candidate, or is linked by `custom:github_login` to a pipeline token's `actor`/`triggering_actor` that did), or already approved another role of it, or another place of the same role",
  BLOCKING_INCIDENT_OPEN:
    'an incident of a severity the policy blocks on (high or critical by default) is open on the system',
  INVALID_STATE: 'the lifecycle state of the object does not allow this action',
  SNAPSHOT_INELIGIBLE: 'a version in the snapshot is not approved or no longer matches, or the snapshot hash does not',
  SYSTEM_RETIRED: 'the system is retired and cannot change',
  WRONG_ENVIRONMENT: 'the candidate was built for another environment',
  ACTIVE_RELEASE_CHANGED: 'the active release is not the one the caller named; read it again, never retry blindly',
  ROLLBACK_TARGET_INELIGIBLE: 'the rollback target was not an approved, previously active release of the environment',
  MODEL_CARD_INCOMPLETE: 'the policy requires a complete model card and required sections are empty',
  EVAL_EXPIRED: 'the latest eval run passed longer ago than the policy lets an eval stay valid; run the evals again',
  DATASET_KIND_MISSING: 'the policy requires the candidate to gate on a dataset of a kind it has none of',
  THRESHOLD_BELOW_FLOOR: 'the policy sets a floor on a metric that the candidate does not gate on at least as strictly',
  ACTIVE_RELEASE_PRESENT: 'the system has an active release: name a replacement system to retire it',
  ROLLBACK_VALIDATION_FAILED: 'the rollback target failed its validation run; `validation` says why',
  ROLLBACK_PENDING:
    'a rollback of this release is already validating; `rollbackRequestId` names it: wait for it (GET .../rollback)',
  IDEMPOTENCY_KEY_REUSED: 'the Idempotency-Key was used before with a different request',
  IDEMPOTENCY_IN_PROGRESS: 'the first request with this Idempotency-Key is still executing; retry later',
  TOKEN_MISSING: 'the Authorization header is missing',
  TOKEN_SCHEME: 'the Authorization header does not use the Bearer scheme',
  TOKEN_MALFORMED: 'the bearer token is not a well-formed JWT',
  TOKEN_EXPIRED: 'the token has expired',
  TOKEN_NOT_YET_VALID: 'the token is not valid yet',
  TOKEN_ISSUER: 'the token issuer is not trusted',
  TOKEN_AUDIENCE: 'the token was not issued for this API',
  TOKEN_SIGNATURE: 'the token signature does not verify against the trusted keys',
  TOKEN_ALGORITHM: 'the token is signed with an algorithm that is not accepted',
  TOKEN_CLAIMS: 'a claim the API needs is missing or invalid (subject, repository and ref of a pipeline, times)',
  PIPELINE_NOT_TRUSTED: 'a CI token from a repository or ref that the deployment does not trust',
  ORIGIN_NOT_VERIFIED:
    'the request reached the API without passing through its CloudFront distribution: call the API at its CloudFront URL',
  TOO_MANY_SLICES:
    'the cases carry more distinct slice tags (`key:value`) than a run may aggregate; `field` names where, `limit` says how many',
  RELAXATION_EXPIRED: 'the relaxation request was not decided before it expired; ask again',
  RELAXATION_SUPERSEDED:
    'the value the relaxation request was bound to (tier, category, severity, snapshot) changed since it was asked; it is recorded as superseded',
  POLICY_QUORUM_NOT_MET:
    "a policy version has fewer distinct governance approvals (not its author's) than the larger of the active version's and its own activationQuorum",
  POLICY_BASE_CHANGED:
    'another policy version was activated since this draft was based on the one then active: draft it again against the version in force',
  COST_ESTIMATE_OVER_CEILING:
    'the eval run\'s estimated cost exceeds its maxCost: raise the ceiling, or start it with ifEstimateExceeds "start" and it stops at the ceiling (nothing was written)',
  NO_ACTIVE_RELEASE:
    'the system has no active release in the environment named: production samples belong to an active release',
};

export interface BlockReason {
  code: BlockReasonCode;
  message: string;
}

/** The extensions of a problem document: `code` is typed, so no error can answer a code outside the union. */
export interface ErrorDetail {
  code?: ErrorCode;
  reasons?: readonly BlockReason[];
  [extension: string]: unknown;
}

export abstract class GovernanceError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly detail: ErrorDetail;

  constructor(message: string, detail: ErrorDetail = {}) {
    super(message);
    this.name = new.target.name;
    this.detail = detail;
  }
}

export class ValidationError extends GovernanceError {
  readonly status = 400;
  readonly type = 'validation-error';
}

export class UnprocessableError extends GovernanceError {
  readonly status = 422;
  readonly type = 'unprocessable';
}

export class UnauthorizedError extends GovernanceError {
  readonly status = 401;
  readonly type = 'unauthorized';
}

export class ForbiddenError extends GovernanceError {
  readonly status = 403;
  readonly type = 'forbidden';
}

export class NotFoundError extends GovernanceError {
  readonly status = 404;
  readonly type = 'not-found';
}

export class ConflictError extends GovernanceError {
  readonly status = 409;
  readonly type = 'conflict';
}

export class PayloadTooLargeError extends GovernanceError {
  readonly status = 413;
  readonly type = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends GovernanceError {
  readonly status = 415;
  readonly type = 'unsupported-media-type';
}

/** A lifecycle transition that the state machine of the artefact does not allow. */
export class InvalidTransitionError extends GovernanceError {
  readonly status = 409;
  readonly type = 'invalid-transition';
  constructor(entity: string, from: string, to: string) {
    super(`${entity} cannot move from ${from} to ${to}`, { entity, from, to, code: 'INVALID_STATE' });
  }
}

/** Promotion or rollback refused: carries every reason at once. */
export class GateBlockedError extends GovernanceError {
  readonly status = 409;
  readonly type = 'gate-blocked';
  readonly reasons: BlockReason[];
  constructor(reasons: BlockReason[]) {
    super(`blocked: ${reasons.map((r) => r.code).join(', ')}`, { reasons });
    this.reasons = reasons;
  }
}

/** The caller's expected active release is not the active release: a 409 that is never retried. */
export class ActiveReleaseChangedError extends GovernanceError {
  readonly status = 409;
  readonly type = 'active-release-changed';
  constructor(expected: string | null, actual: string | null) {
    super(`the active release is ${actual ?? 'none'}, not ${expected ?? 'none'} as expected`, {
      code: 'ACTIVE_RELEASE_CHANGED',
      expected,
      actual,
      reasons: [{ code: 'ACTIVE_RELEASE_CHANGED', message: 'the active release changed since the caller looked' }],
    });
  }
}

/** Optimistic lock or audit-head contention that bounded retries could not resolve. */
export class ContentionError extends GovernanceError {
  readonly status = 503;
  readonly type = 'contention';
}
