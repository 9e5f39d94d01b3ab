import { describe, expect, it } from 'vitest';
import type { BlockReason } from '../../../functions/domain/errors.js';
import { isEventType } from '../../../functions/domain/events.js';
import {
  PROMOTION_REFUSED,
  refusalAuditFields,
  refusalFingerprint,
  refusalHour,
  refusalKeyFingerprint,
  refusalReasonSet,
} from '../../../functions/domain/promotion-refusal.js';

const eval_: BlockReason = { code: 'EVAL_MISSING', message: 'no eval run' };
const approvals: BlockReason = { code: 'APPROVALS_INCOMPLETE', message: 'technical review missing' };

describe('the record of a refused promotion', () => {
  it('is a catalogued event type', () => {
    expect(isEventType(PROMOTION_REFUSED)).toBe(true);
  });

  it('judges two refusals the same whatever order the gate listed their reasons in', () => {
    // Act
    const a = refusalFingerprint('omar.owner', [eval_, approvals]);
    const b = refusalFingerprint('omar.owner', [approvals, eval_, eval_]);

    // Assess
    expect(refusalReasonSet([approvals, eval_, eval_])).toEqual(['APPROVALS_INCOMPLETE', 'EVAL_MISSING']);
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('tells refusals of another caller, another reason set or another key apart', () => {
    const base = refusalFingerprint('omar.owner', [eval_]);
    expect(refusalFingerprint('ada.admin', [eval_])).not.toBe(base);
    expect(refusalFingerprint('omar.owner', [eval_, approvals])).not.toBe(base);
    // A caller id that looks like a list of codes cannot collide with another caller's set
    expect(refusalFingerprint('a","b', [eval_])).not.toBe(refusalFingerprint('a', [eval_]));
    expect(refusalKeyFingerprint('omar.owner', 'k1')).not.toBe(refusalKeyFingerprint('omar.owner', 'k2'));
  });

  it('buckets a refusal by its UTC hour', () => {
    expect(refusalHour('2026-12-07T10:59:59.999Z')).toBe('2026-12-07T10');
    expect(refusalHour('2026-12-07T11:00:00+01:00')).toBe('2026-12-07T10');
  });

  it('records the candidate, the environment, the kind, every reason and the Idempotency-Key when there is one', () => {
    // Act
    const fields = refusalAuditFields({
      systemId: 'sys_1',
      candidateId: 'rc_1',
      environment: 'production',
      kind: 'rollback',
      reasons: [eval_, approvals],
      refusedAt: '2026-12-07T10:00:00.000Z',
      idempotencyKey: 'ci-7',
    });
    const keyless = refusalAuditFields({
      systemId: 'sys_1',
      candidateId: 'rc_1',
      environment: 'staging',
      kind: 'promote',
      reasons: [eval_],
      refusedAt: '2026-12-07T10:00:00.000Z',
    });

    // Assess
    expect(fields).toEqual({
      action: 'release.promotion_refused',
      entityType: 'candidate',
      entityId: 'rc_1',
      before: null,
      after: {
        candidateId: 'rc_1',
        environment: 'production',
        kind: 'rollback',
        reasons: [eval_, approvals],
        refusedAt: '2026-12-07T10:00:00.000Z',
        idempotencyKey: 'ci-7',
      },
      reason: null,
    });
    expect(keyless.after).not.toHaveProperty('idempotencyKey');
  });
});
