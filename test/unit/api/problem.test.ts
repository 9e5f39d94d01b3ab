// The one mapping from thrown values to RFC 9457 problem documents: every GovernanceError subclass, zod failures,
// and anything else as a generic 500.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE, problem, problemResponse, toProblem } from '../../../functions/api/problem.js';
import {
  ActiveReleaseChangedError,
  type BlockReason,
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

const INSTANCE = '/api/release-candidates/rc_01J9Z3Q8X4K7M2N5P6R7S8T9V1/promote';

describe('toProblem for each GovernanceError', () => {
  it.each([
    [new ValidationError('cursor is not valid', { field: 'cursor' }), 400, 'validation-error', 'Bad Request'],
    [new UnauthorizedError('the token has expired', { code: 'TOKEN_EXPIRED' }), 401, 'unauthorized', 'Unauthorized'],
    [new ForbiddenError('auditors have read-only access'), 403, 'forbidden', 'Forbidden'],
    [new NotFoundError('system sys_x not found', { systemId: 'sys_x' }), 404, 'not-found', 'Not Found'],
    [new ConflictError('a system named "x" already exists', { field: 'name' }), 409, 'conflict', 'Conflict'],
    [new PayloadTooLargeError('the body is larger than 1 bytes'), 413, 'payload-too-large', 'Content Too Large'],
    [
      new UnprocessableError('key reused', { code: 'IDEMPOTENCY_KEY_REUSED' }),
      422,
      'unprocessable',
      'Unprocessable Content',
    ],
    [new ContentionError('the system is changing too fast; try again'), 503, 'contention', 'Service Unavailable'],
  ] as [GovernanceError, number, string, string][])(
    'maps %o to its status, type, title and detail',
    (error, status, type, title) => {
      const p = toProblem(error, INSTANCE);

      expect(p).toMatchObject({ type: `/problems/${type}`, title, status, detail: error.message, instance: INSTANCE });
      for (const [name, value] of Object.entries(error.detail)) expect(p[name]).toEqual(value);
    },
  );

  it('maps an InvalidTransitionError to 409 with code INVALID_STATE and the transition', () => {
    const p = toProblem(new InvalidTransitionError('candidate', 'submitted', 'submitted'));

    expect(p).toEqual({
      type: '/problems/invalid-transition',
      title: 'Conflict',
      status: 409,
      detail: 'candidate cannot move from submitted to submitted',
      entity: 'candidate',
      from: 'submitted',
      to: 'submitted',
      code: 'INVALID_STATE',
    });
  });

  it('maps a GateBlockedError to 409 with every reason, in order', () => {
    const reasons: BlockReason[] = [
      { code: 'INVALID_STATE', message: 'the candidate is draft' },
      { code: 'EVAL_MISSING', message: 'the candidate has no eval run' },
      { code: 'APPROVALS_INCOMPLETE', message: 'no approval yet for the required roles: technical' },
      { code: 'BLOCKING_INCIDENT_OPEN', message: '1 blocking incident(s) open' },
    ];

    const p = toProblem(new GateBlockedError(reasons), INSTANCE);

    expect(p).toMatchObject({ type: '/problems/gate-blocked', title: 'Conflict', status: 409, instance: INSTANCE });
    expect(p.reasons).toEqual(reasons);
    expect(p.detail).toBe('blocked: INVALID_STATE, EVAL_MISSING, APPROVALS_INCOMPLETE, BLOCKING_INCIDENT_OPEN');
  });

  it('maps an ActiveReleaseChangedError to 409 with its code, both releases and a reason', () => {
    const p = toProblem(new ActiveReleaseChangedError(null, 'rc_active'));

    expect(p).toMatchObject({
      type: '/problems/active-release-changed',
      status: 409,
      code: 'ACTIVE_RELEASE_CHANGED',
      expected: null,
      actual: 'rc_active',
    });
    expect(p.reasons).toEqual([{ code: 'ACTIVE_RELEASE_CHANGED', message: expect.any(String) }]);
  });

  it('leaves out the instance when none is given, and the code when the error has none', () => {
    const p = toProblem(new ConflictError('odd', { field: 'name' }));

    expect(p).not.toHaveProperty('instance');
    expect(p).not.toHaveProperty('code');
    expect(p.field).toBe('name');
  });

  it('answers the typed code of the error as the problem code', () => {
    const p = toProblem(new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' }));

    expect(p).toMatchObject({ type: '/problems/conflict', status: 409, code: 'SYSTEM_RETIRED' });
  });
});

describe('toProblem for validation failures', () => {
  const schema = z.object({ riskTier: z.enum(['low', 'high']), nested: z.object({ n: z.number() }) }).strict();

  it('maps a ZodError to 400 with one entry per issue, named by its dotted path', () => {
    const result = schema.safeParse({ riskTier: 7, nested: { n: 'x' } });
    expect(result.success).toBe(false);

    const p = toProblem(result.error, '/api/systems');

    expect(p).toMatchObject({
      type: '/problems/validation-error',
      title: 'Bad Request',
      status: 400,
      detail: 'the request does not match the contract',
      instance: '/api/systems',
    });
    expect((p.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['nested.n', 'riskTier']);
  });

  it('names unknown and protected fields of a strict object in the path and the message', () => {
    const result = schema.safeParse({ riskTier: 'low', nested: { n: 1 }, status: 'approved', createdBy: 'me' });

    const p = toProblem(result.error);

    expect(p.errors).toEqual([
      { path: 'status,createdBy', message: 'unknown or protected field(s): status, createdBy' },
    ]);
  });
});

describe('toProblem for anything else', () => {
  it.each([
    ['an Error', new Error('ECONNREFUSED 10.0.0.12:8000 at /var/task/index.mjs:1:1')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'pk')")],
    ['a string', 'arn:aws:dynamodb:eu-west-1:123456789012:table/governance'],
    ['undefined', undefined],
    ['an object that looks like a GovernanceError', { status: 404, type: 'not-found', message: 'fake' }],
  ])('maps %s to a generic 500 that says nothing about it', (_label, thrown) => {
    const p = toProblem(thrown, '/api/systems');

    expect(p).toEqual({
      type: '/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred; it has been logged',
      instance: '/api/systems',
    });
  });
});

describe('problem and problemResponse', () => {
  it('builds a document with a relative type and the title of its status', () => {
    expect(problem(418, 'teapot', 'short and stout')).toEqual({
      type: '/problems/teapot',
      title: 'Error',
      status: 418,
      detail: 'short and stout',
    });
  });

  it('serves a problem as problem+json that is never cached', () => {
    const res = problemResponse(toProblem(new NotFoundError('nothing here')), { 'x-extra': '1' });

    expect(res.statusCode).toBe(404);
    expect(res.headers).toEqual({ 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', 'x-extra': '1' });
    expect(JSON.parse(res.body as string)).toMatchObject({ status: 404, detail: 'nothing here' });
  });
});
