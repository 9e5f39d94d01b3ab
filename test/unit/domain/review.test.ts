import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import { reviewDueAt, reviewStatus } from '../../../functions/domain/review.js';
import type { AiSystem, ReleaseCandidate } from '../../../functions/domain/types.js';

const registered = '2026-01-01T00:00:00.000Z';
const system = (riskTier: AiSystem['riskTier'], status: AiSystem['status'] = 'active') => ({
  id: 'sys_a',
  riskTier,
  status,
  createdAt: registered,
});
const activation = (systemId: string, activatedAt: string | null) =>
  ({ systemId, activatedAt }) as Pick<ReleaseCandidate, 'systemId' | 'activatedAt'>;

describe('review due dates', () => {
  it('sets the default intervals by tier: critical 30, high 90, medium 180, low 365 days', () => {
    // Assess
    expect(DEFAULT_POLICY.reviewIntervalDays).toEqual({ critical: 30, high: 90, medium: 180, low: 365 });
  });

  it('adds the interval in whole days', () => {
    // Act
    const due = reviewDueAt(registered, 90);

    // Assess
    expect(due).toBe('2026-04-01T00:00:00.000Z');
  });

  it('counts from registration when the system has never released', () => {
    // Act
    const status = reviewStatus(system('critical'), [], new Date('2026-02-05T00:00:00.000Z'));

    // Assess
    expect(status).toMatchObject({
      lastReviewedAt: registered,
      dueAt: '2026-01-31T00:00:00.000Z',
      overdue: true,
      daysOverdue: 5,
    });
  });

  it('counts from the newest activation of the system’s own releases, ignoring other systems', () => {
    // Prepare
    const candidates = [
      activation('sys_a', '2026-03-01T00:00:00.000Z'),
      activation('sys_a', '2026-02-01T00:00:00.000Z'),
      activation('sys_a', null),
      activation('sys_b', '2026-06-01T00:00:00.000Z'),
    ];

    // Act
    const status = reviewStatus(system('high'), candidates, new Date('2026-05-01T00:00:00.000Z'));

    // Assess
    expect(status).toMatchObject({ lastReviewedAt: '2026-03-01T00:00:00.000Z', overdue: false, daysOverdue: 0 });
    expect(status?.dueAt).toBe('2026-05-30T00:00:00.000Z');
  });

  it('is not due at the due instant itself, only after it', () => {
    // Act
    const status = reviewStatus(system('critical'), [], new Date('2026-01-31T00:00:00.000Z'));

    // Assess
    expect(status?.overdue).toBe(false);
  });

  it('has no review for a retired system', () => {
    // Act
    const status = reviewStatus(system('critical', 'retired'), [], new Date('2030-01-01T00:00:00.000Z'));

    // Assess
    expect(status).toBeNull();
  });
});
