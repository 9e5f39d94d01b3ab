import { describe, expect, it } from 'vitest';
import { GateBlockedError } from '../../../functions/domain/errors.js';
import { type RollbackSelectionInput, selectRollbackTarget } from '../../../functions/domain/rollback.js';
import type { CandidateStatus, Environment, PromotionEvent } from '../../../functions/domain/types.js';

let counter = 0;
function event(
  candidateId: string,
  at: string,
  overrides: Partial<PromotionEvent> = {},
  environment: Environment = 'production',
): PromotionEvent {
  counter += 1;
  return {
    id: `prm_${String(counter).padStart(4, '0')}`,
    systemId: 'sys_1',
    environment,
    kind: 'promote',
    candidateId,
    previousCandidateId: null,
    actor: 'u_owner',
    reason: null,
    at,
    ...overrides,
  };
}

// A, B, C promoted in turn to production; C is active; D only ever ran in staging.
function history(): RollbackSelectionInput {
  const events = [
    event('rc_a', '2025-01-01T00:00:00Z'),
    event('rc_b', '2025-01-02T00:00:00Z', { previousCandidateId: 'rc_a' }),
    event('rc_c', '2025-01-03T00:00:00Z', { previousCandidateId: 'rc_b' }),
    event('rc_d', '2025-01-04T00:00:00Z', {}, 'staging'),
  ];
  const candidateStatuses: Record<string, CandidateStatus> = {
    rc_a: 'superseded',
    rc_b: 'superseded',
    rc_c: 'active',
    rc_d: 'superseded',
    rc_e: 'approved',
  };
  // Any order: the store may return events newest first or by id.
  return { history: [...events].reverse(), candidateStatuses, environment: 'production', fromCandidateId: 'rc_c' };
}

function refusal(input: RollbackSelectionInput): string {
  try {
    selectRollbackTarget(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GateBlockedError);
    const reasons = (error as GateBlockedError).reasons;
    expect(reasons.map((r) => r.code)).toEqual(['ROLLBACK_TARGET_INELIGIBLE']);
    return reasons[0]?.message ?? '';
  }
  throw new Error('expected the rollback to be refused');
}

describe('rollback target selection', () => {
  it('chooses the last-known-good release: the one active just before the current one', () => {
    // Act / Assess
    expect(selectRollbackTarget(history())).toEqual({ targetId: 'rc_b' });
  });

  it('skips a more recent release that was itself rolled back', () => {
    // Prepare: C was rolled back to B; rolling back again from B must pass over C and land on A.
    const base = history();
    const input: RollbackSelectionInput = {
      ...base,
      history: [
        ...base.history,
        event('rc_b', '2025-01-05T00:00:00Z', { kind: 'rollback', previousCandidateId: 'rc_c' }),
      ],
      candidateStatuses: { ...base.candidateStatuses, rc_b: 'active', rc_c: 'rolled_back' },
      fromCandidateId: 'rc_b',
    };

    // Act
    const target = selectRollbackTarget(input);

    // Assess
    expect(target).toEqual({ targetId: 'rc_a' });
  });

  it('can restore a release that a rollback made active before', () => {
    // Prepare: A, B, C; rollback to A; then F. The last-known-good of F is A, active again since the rollback.
    const base = history();
    const input: RollbackSelectionInput = {
      ...base,
      history: [
        ...base.history,
        event('rc_a', '2025-01-05T00:00:00Z', { kind: 'rollback', previousCandidateId: 'rc_c' }),
        event('rc_f', '2025-01-06T00:00:00Z', { previousCandidateId: 'rc_a' }),
      ],
      candidateStatuses: { ...base.candidateStatuses, rc_c: 'rolled_back', rc_a: 'superseded', rc_f: 'active' },
      fromCandidateId: 'rc_f',
    };

    // Act
    const target = selectRollbackTarget(input);

    // Assess
    expect(target).toEqual({ targetId: 'rc_a' });
  });

  it('breaks ties between events of the same instant by their time-ordered ids', () => {
    // Prepare
    const same = '2025-01-01T00:00:00Z';
    const input: RollbackSelectionInput = {
      history: [
        event('rc_y', same, { id: 'prm_02' }),
        event('rc_z', same, { id: 'prm_03' }),
        event('rc_x', same, { id: 'prm_01' }),
        event('rc_w', same, { id: 'prm_01' }),
      ],
      candidateStatuses: { rc_x: 'superseded', rc_y: 'superseded', rc_z: 'active', rc_w: 'superseded' },
      environment: 'production',
      fromCandidateId: 'rc_z',
    };

    // Act / Assess
    expect(selectRollbackTarget(input)).toEqual({ targetId: 'rc_y' });
  });

  it('accepts a requested earlier release that is superseded and was active in the environment', () => {
    // Act / Assess
    expect(selectRollbackTarget({ ...history(), requestedTargetId: 'rc_a' })).toEqual({ targetId: 'rc_a' });
  });

  it('refuses to roll back to the current release', () => {
    // Act / Assess
    expect(refusal({ ...history(), requestedTargetId: 'rc_c' })).toBe('rc_c is the release being rolled back');
  });

  it('refuses a release that was only active in another environment', () => {
    // Act / Assess
    expect(refusal({ ...history(), requestedTargetId: 'rc_d' })).toBe('rc_d was never active in production');
  });

  it('refuses a release that was approved but never active', () => {
    // Act / Assess
    expect(refusal({ ...history(), requestedTargetId: 'rc_e' })).toBe('rc_e was never active in production');
  });

  it('refuses a requested release that was rolled back', () => {
    // Prepare
    const input = history();
    input.candidateStatuses = { ...input.candidateStatuses, rc_b: 'rolled_back' };

    // Act / Assess
    expect(refusal({ ...input, requestedTargetId: 'rc_b' })).toBe('rc_b was itself rolled back and cannot be restored');
  });

  it('refuses a requested release that is not superseded or whose status is unknown', () => {
    // Prepare
    const input = history();
    input.candidateStatuses = { rc_a: 'active', rc_c: 'active' };

    // Act / Assess
    expect(refusal({ ...input, requestedTargetId: 'rc_a' })).toBe(
      'rc_a is active; only a superseded release can be restored',
    );
    expect(refusal({ ...input, requestedTargetId: 'rc_b' })).toBe(
      'rc_b is unknown; only a superseded release can be restored',
    );
  });

  it('refuses when no earlier release is eligible', () => {
    // Prepare
    const first = { ...history(), history: [event('rc_a', '2025-01-01T00:00:00Z')], fromCandidateId: 'rc_a' };
    const allRolledBack = history();
    allRolledBack.candidateStatuses = { rc_a: 'rolled_back', rc_b: 'rolled_back', rc_c: 'active' };

    // Act / Assess
    expect(refusal(first)).toBe(
      'no earlier release of production is eligible: none is superseded and previously active',
    );
    expect(refusal(allRolledBack)).toContain('no earlier release of production is eligible');
  });

  it('does not treat inherited object members as candidate statuses', () => {
    // Prepare
    const input = { ...history(), history: [...history().history, event('constructor', '2025-01-09T00:00:00Z')] };

    // Act / Assess
    expect(refusal({ ...input, requestedTargetId: 'constructor' })).toContain('constructor is unknown');
  });
});
