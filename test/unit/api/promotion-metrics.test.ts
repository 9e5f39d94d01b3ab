import { describe, expect, it } from 'vitest';
import { measuredTransition } from '../../../functions/api/observability.js';
import { ActiveReleaseChangedError, GateBlockedError, NotFoundError } from '../../../functions/domain/errors.js';

/** A meter that remembers what it was told. */
function recordingMeter() {
  const promoted: [string, string][] = [];
  const refused: string[][] = [];
  return {
    promoted,
    refused,
    meter: {
      promoted: (environment: string, kind: 'promote' | 'rollback') => promoted.push([environment, kind]),
      promotionRefused: (reasons: readonly string[]) => refused.push([...reasons]),
    },
  };
}

describe('promotion metrics of the candidates API', () => {
  it('counts a committed promotion by the environment it changed', async () => {
    const { meter, promoted, refused } = recordingMeter();

    const out = await measuredTransition(
      meter,
      'promote',
      async () => ({ promotion: { environment: 'production' } }),
      (o) => o.promotion.environment,
    );

    expect(out.promotion.environment).toBe('production');
    expect(promoted).toEqual([['production', 'promote']]);
    expect(refused).toEqual([]);
  });

  it('counts a promotion the gate refused by each of its reason codes, and still refuses it', async () => {
    const { meter, promoted, refused } = recordingMeter();
    const blocked = new GateBlockedError([
      { code: 'EVAL_MISSING', message: 'no eval run' },
      { code: 'APPROVALS_INCOMPLETE', message: 'technical review missing' },
    ]);

    await expect(
      measuredTransition(
        meter,
        'promote',
        () => Promise.reject(blocked),
        () => 'staging',
      ),
    ).rejects.toBe(blocked);

    expect(refused).toEqual([['EVAL_MISSING', 'APPROVALS_INCOMPLETE']]);
    expect(promoted).toEqual([]);
  });

  it('counts a stale expected active release as a refusal with ACTIVE_RELEASE_CHANGED', async () => {
    const { meter, refused } = recordingMeter();

    await expect(
      measuredTransition(
        meter,
        'rollback',
        () => Promise.reject(new ActiveReleaseChangedError('rc_a', 'rc_b')),
        () => 'production',
      ),
    ).rejects.toBeInstanceOf(ActiveReleaseChangedError);

    expect(refused).toEqual([['ACTIVE_RELEASE_CHANGED']]);
  });

  it('does not count a failure that is not a refusal (a missing candidate)', async () => {
    const { meter, promoted, refused } = recordingMeter();

    await expect(
      measuredTransition(
        meter,
        'promote',
        () => Promise.reject(new NotFoundError('no such candidate')),
        () => 'x',
      ),
    ).rejects.toBeInstanceOf(NotFoundError);

    expect(refused).toEqual([]);
    expect(promoted).toEqual([]);
  });
});
