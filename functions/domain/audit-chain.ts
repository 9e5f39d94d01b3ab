// The per-system audit hash chain (rule 6). Each event hashes its own canonical JSON (RFC 8785) including the
// previous event's hash, so changing, dropping, inserting or reordering any event breaks every link after it.
import { canonicalJson, sha256Hex } from './hashing.js';
import { isOrganisationChain } from './id-format.js';
import type { AuditActor, AuditEvent } from './types.js';

/** The prevHash of a system's first event. */
export const GENESIS_HASH = '0'.repeat(64);

// The organisation chain's id and its test live in id-format.ts (pure, import-free: the contracts, the event
// envelope and the dashboard use them too); they are exported here as well, beside the chain they name.
export { isOrganisationChain, ORGANISATION_CHAIN_ID } from './id-format.js';

/**
 * How reports and messages name a chain: `organisation chain` for the organisation's, `system <id>` for a system's
 * (a verifier's message then reads "organisation chain seq 3: ..." or "system sys_... seq 3: ...").
 */
export function chainLabel(chainId: string): string {
  return isOrganisationChain(chainId) ? 'organisation chain' : `system ${chainId}`;
}

/** Where a chain stands: the seq and hash of its last event (seq 0 and GENESIS_HASH before the first). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** The members of an audit event that its hash covers: all of them but `hash`. */
export const AUDIT_HASHED_FIELDS = [
  'systemId',
  'seq',
  'prevHash',
  'action',
  'entityType',
  'entityId',
  'actor',
  'at',
  'before',
  'after',
  'reason',
] as const satisfies readonly Exclude<keyof AuditEvent, 'hash'>[];

export type AuditEventFields = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;

/** Hex SHA-256 of the canonical JSON of the event's hashed members; other members (storage keys) are ignored. */
export function auditEventHash(event: Omit<AuditEvent, 'hash'>): string {
  const hashed: Record<string, unknown> = {};
  for (const field of AUDIT_HASHED_FIELDS) hashed[field] = event[field];
  return sha256Hex(canonicalJson(hashed));
}

/** The event that follows `head`: seq head.seq + 1, linked to head.hash and sealed with its own hash. */
export function buildAuditEvent(head: AuditHead, fields: AuditEventFields): AuditEvent {
  // The actor is narrowed to the Actor members so that a whole Principal (teams, systems, GitHub identities) never
  // lands in the log.
  const actor: AuditActor = { userId: fields.actor.userId, name: fields.actor.name, roles: [...fields.actor.roles] };
  const unsealed: Omit<AuditEvent, 'hash'> = {
    systemId: fields.systemId,
    seq: head.seq + 1,
    prevHash: head.hash,
    action: fields.action,
    entityType: fields.entityType,
    entityId: fields.entityId,
    actor,
    at: fields.at,
    before: fields.before,
    after: fields.after,
    reason: fields.reason,
  };
  return { ...unsealed, hash: auditEventHash(unsealed) };
}

type ChainBreakReason =
  | 'wrong_system'
  | 'seq_gap'
  | 'seq_out_of_order'
  | 'broken_link'
  | 'hash_mismatch'
  | 'beyond_head'
  | 'truncated'
  | 'head_mismatch';

export type ChainVerification =
  | { ok: true; count: number; head: AuditHead }
  | { ok: false; seq: number; reason: ChainBreakReason; message: string };

export interface VerifyChainOptions {
  /** The system every event must belong to; defaults to the first event's. */
  systemId?: string;
  /** The head before the first event, to verify a segment; defaults to seq 0 and GENESIS_HASH. */
  from?: AuditHead;
  /** The head the chain must end at (the system's recorded audit head); without it, a truncated tail goes unseen. */
  head?: AuditHead;
}

/** Verifies events in the order given; on failure names the first broken seq (the seq expected at that place). */
export function verifyChain(events: readonly AuditEvent[], options: VerifyChainOptions = {}): ChainVerification {
  const start = options.from ?? { seq: 0, hash: GENESIS_HASH };
  const systemId = options.systemId ?? events[0]?.systemId;
  const limit = options.head?.seq ?? Number.POSITIVE_INFINITY;
  let previous: AuditHead = start;
  const broken = (reason: ChainBreakReason, message: string): ChainVerification => ({
    ok: false,
    seq: previous.seq + 1,
    reason,
    message,
  });

  for (const event of events) {
    const expected = previous.seq + 1;
    // Reported seqs are positional: the place where the chain stopped being the chain, which for a gap is the
    // missing seq rather than the seq found after it.
    if (expected > limit) return broken('beyond_head', `event with seq ${event.seq} lies beyond the head ${limit}`);
    if (event.systemId !== systemId) {
      return broken('wrong_system', `seq ${expected} belongs to system ${event.systemId}, not ${systemId}`);
    }
    if (event.seq !== expected) {
      return event.seq > expected
        ? broken('seq_gap', `expected seq ${expected}, found ${event.seq}: seq ${expected} is missing`)
        : broken('seq_out_of_order', `expected seq ${expected}, found ${event.seq} again or out of order`);
    }
    if (event.prevHash !== previous.hash) {
      return broken('broken_link', `seq ${expected} does not link to the hash of seq ${previous.seq}`);
    }
    const hash = auditEventHash(event);
    if (event.hash !== hash) return broken('hash_mismatch', `seq ${expected} does not match its hash`);
    previous = { seq: event.seq, hash: event.hash };
  }

  if (options.head) {
    if (previous.seq < options.head.seq) {
      return broken('truncated', `the chain ends at seq ${previous.seq}, the head is seq ${options.head.seq}`);
    }
    if (previous.hash !== options.head.hash) {
      return { ok: false, seq: previous.seq, reason: 'head_mismatch', message: `seq ${previous.seq} is not the head` };
    }
  }
  return { ok: true, count: events.length, head: previous };
}
