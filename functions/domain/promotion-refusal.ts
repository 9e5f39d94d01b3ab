// A promotion or rollback the gate refused, as the audit chain records it (issue 18, item 4; ADR 0037). The record
// is written after the refusal, in its own transaction; these pure rules say what it holds and when two refusals
// are the same one (at most one record per candidate, caller and reason set per hour, and one per Idempotency-Key).
import type { BlockReason } from './errors.js';
import { sha256Hex } from './hashing.js';
import type { Environment } from './types.js';

/** The audit action of a refused promotion or rollback. */
export const PROMOTION_REFUSED = 'release.promotion_refused';

/** A refusal of the gate, as the API saw it: who asked what, and every reason it was refused. */
export interface PromotionRefusal {
  systemId: string;
  candidateId: string;
  environment: Environment;
  /** What the caller asked for. */
  kind: 'promote' | 'rollback';
  reasons: readonly BlockReason[];
  /** When the gate refused (the record may be written later, from the outbox). */
  refusedAt: string;
  /** The request's Idempotency-Key, when it carried one. */
  idempotencyKey?: string;
}

/** The reason set of a refusal: its distinct codes, sorted, so that the order the gate listed them in is no matter. */
export function refusalReasonSet(reasons: readonly BlockReason[]): string[] {
  return [...new Set(reasons.map((r) => r.code))].sort();
}

/** The hour a refusal falls in (`YYYY-MM-DDTHH`, UTC): the window of its deduplication. */
export function refusalHour(refusedAt: string): string {
  return new Date(refusedAt).toISOString().slice(0, 13);
}

/**
 * What makes two refusals the same record within their hour: the caller and the reason set (the candidate is the
 * partition of the dedup item). A hash, so that no user id or code can shape the key.
 */
export function refusalFingerprint(callerId: string, reasons: readonly BlockReason[]): string {
  return sha256Hex(JSON.stringify([callerId, refusalReasonSet(reasons)]));
}

/** What makes two refusals of one caller the same request: its Idempotency-Key. */
export function refusalKeyFingerprint(callerId: string, idempotencyKey: string): string {
  return sha256Hex(JSON.stringify([callerId, idempotencyKey]));
}

/** The audit fields of a refusal's record: the candidate as the entity, every reason (code and message) after. */
export function refusalAuditFields(refusal: PromotionRefusal) {
  return {
    action: PROMOTION_REFUSED,
    entityType: 'candidate',
    entityId: refusal.candidateId,
    before: null,
    after: {
      candidateId: refusal.candidateId,
      environment: refusal.environment,
      kind: refusal.kind,
      reasons: refusal.reasons.map((r) => ({ code: r.code, message: r.message })),
      refusedAt: refusal.refusedAt,
      ...(refusal.idempotencyKey !== undefined ? { idempotencyKey: refusal.idempotencyKey } : {}),
    },
    reason: null,
  } as const;
}
