import { describe, expect, it } from 'vitest';
import {
  ActiveReleaseChangedError,
  ConflictError,
  ContentionError,
  ForbiddenError,
  GateBlockedError,
  type GovernanceError,
  InvalidTransitionError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  UnprocessableError,
  ValidationError,
} from '../../../functions/domain/errors.js';

describe('governance errors', () => {
  it.each<[GovernanceError, number, string, string]>([
    [new ValidationError('bad'), 400, 'validation-error', 'ValidationError'],
    [new UnauthorizedError('who'), 401, 'unauthorized', 'UnauthorizedError'],
    [new ForbiddenError('no'), 403, 'forbidden', 'ForbiddenError'],
    [new NotFoundError('gone'), 404, 'not-found', 'NotFoundError'],
    [new ConflictError('clash'), 409, 'conflict', 'ConflictError'],
    [new PayloadTooLargeError('big'), 413, 'payload-too-large', 'PayloadTooLargeError'],
    [new UnprocessableError('odd'), 422, 'unprocessable', 'UnprocessableError'],
    [new ContentionError('busy'), 503, 'contention', 'ContentionError'],
    [new InvalidTransitionError('candidate', 'draft', 'active'), 409, 'invalid-transition', 'InvalidTransitionError'],
    [new GateBlockedError([]), 409, 'gate-blocked', 'GateBlockedError'],
    [new ActiveReleaseChangedError(null, 'rc_1'), 409, 'active-release-changed', 'ActiveReleaseChangedError'],
  ])('maps %s to HTTP status %i and problem type %s', (error, status, type, name) => {
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(status);
    expect(error.type).toBe(type);
    expect(error.name).toBe(name);
  });

  it('carries details, defaulting to none', () => {
    // Act
    const bare = new ConflictError('clash');
    const detailed = new ForbiddenError('no', { code: 'SEPARATION_OF_DUTIES' });

    // Assess
    expect(bare.detail).toEqual({});
    expect(detailed.detail).toEqual({ code: 'SEPARATION_OF_DUTIES' });
  });

  it('describes a refused promotion by its reason codes and keeps every reason', () => {
    // Prepare
    const reasons = [
      { code: 'EVAL_MISSING' as const, message: 'no run' },
      { code: 'BLOCKING_INCIDENT_OPEN' as const, message: '1 open' },
    ];

    // Act
    const error = new GateBlockedError(reasons);

    // Assess
    expect(error.message).toBe('blocked: EVAL_MISSING, BLOCKING_INCIDENT_OPEN');
    expect(error.reasons).toEqual(reasons);
    expect(error.detail).toEqual({ reasons });
  });

  it('names the expected and the actual active release, with none for null', () => {
    // Act
    const error = new ActiveReleaseChangedError('rc_old', null);

    // Assess
    expect(error.message).toBe('the active release is none, not rc_old as expected');
    expect(error.detail).toMatchObject({ code: 'ACTIVE_RELEASE_CHANGED', expected: 'rc_old', actual: null });
  });

  it('refuses, at compile time, a code outside the closed union in any error detail or reason', () => {
    // Act: each line below would not compile without its directive; tsc fails the build if one ever does.
    // @ts-expect-error NOT_A_CODE is not an ErrorCode
    const conflict = new ConflictError('clash', { code: 'NOT_A_CODE' });
    // @ts-expect-error a code must be a string of the union, not a number
    const unauthorized = new UnauthorizedError('who', { code: 42 });
    // @ts-expect-error TOKEN_EXPIRED is an error code but not a reason that blocks promotion
    const blocked = new GateBlockedError([{ code: 'TOKEN_EXPIRED', message: 'expired' }]);

    // Assess: at run time the values pass through unchanged; the guard is the type system's.
    expect(conflict.detail.code).toBe('NOT_A_CODE');
    expect(unauthorized.detail.code).toBe(42);
    expect(blocked.reasons[0]?.code).toBe('TOKEN_EXPIRED');
  });
});
