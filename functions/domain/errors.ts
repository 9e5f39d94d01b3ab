// Typed errors of the governance domain. One mapping point (functions/api/problem.ts) turns them into
// RFC 9457 problem+json; anything that is not a GovernanceError becomes a generic 500.

export type BlockReasonCode =
  | 'EVAL_MISSING'
  | 'EVAL_FAILED'
  | 'EVAL_STALE'
  | 'APPROVALS_INCOMPLETE'
  | 'APPROVAL_REJECTED'
  | 'SEPARATION_OF_DUTIES'
  | 'BLOCKING_INCIDENT_OPEN'
  | 'INVALID_STATE'
  | 'SNAPSHOT_INELIGIBLE'
  | 'SYSTEM_RETIRED'
  | 'WRONG_ENVIRONMENT'
  | 'ACTIVE_RELEASE_CHANGED'
  | 'ROLLBACK_TARGET_INELIGIBLE'
  | 'MODEL_CARD_INCOMPLETE';

export interface BlockReason {
  code: BlockReasonCode;
  message: string;
}

export abstract class GovernanceError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly detail: Record<string, unknown>;

  constructor(message: string, detail: Record<string, unknown> = {}) {
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
