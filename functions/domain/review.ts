// Periodic governance review: every system is due for a review a risk-tier interval after its last promotion or
// rollback (each one follows an approval round or restores an approved release), or after its registration.
import { DEFAULT_POLICY } from './policy.js';
import type { AiSystem, ReleaseCandidate } from './types.js';

const DAY_MS = 86_400_000;

export interface ReviewStatus {
  systemId: string;
  /** When the system was last reviewed: its newest release activation, else its registration. */
  lastReviewedAt: string;
  intervalDays: number;
  dueAt: string;
  overdue: boolean;
  /** Whole days past the due date; 0 when not overdue. */
  daysOverdue: number;
}

/** The review due date of a system from the instant of its last review and its tier's interval. */
export function reviewDueAt(lastReviewedAt: string, intervalDays: number): string {
  return new Date(Date.parse(lastReviewedAt) + intervalDays * DAY_MS).toISOString();
}

/**
 * The review status of a system at `now`; null for a retired system, which is no longer reviewed.
 * `candidates` may hold other systems' candidates: only the system's own count.
 */
export function reviewStatus(
  system: Pick<AiSystem, 'id' | 'riskTier' | 'status' | 'createdAt'>,
  candidates: readonly Pick<ReleaseCandidate, 'systemId' | 'activatedAt'>[],
  now: Date,
  policy: { reviewIntervalDays: typeof DEFAULT_POLICY.reviewIntervalDays } = DEFAULT_POLICY,
): ReviewStatus | null {
  if (system.status === 'retired') return null;
  let last = system.createdAt;
  for (const c of candidates) {
    if (c.systemId === system.id && c.activatedAt && c.activatedAt > last) last = c.activatedAt;
  }
  const intervalDays = policy.reviewIntervalDays[system.riskTier];
  const dueAt = reviewDueAt(last, intervalDays);
  const late = now.getTime() - Date.parse(dueAt);
  return {
    systemId: system.id,
    lastReviewedAt: last,
    intervalDays,
    dueAt,
    overdue: late > 0,
    daysOverdue: late > 0 ? Math.floor(late / DAY_MS) : 0,
  };
}
