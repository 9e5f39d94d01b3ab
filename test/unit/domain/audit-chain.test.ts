import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditEventFields,
  auditEventHash,
  buildAuditEvent,
  chainLabel,
  GENESIS_HASH,
  isOrganisationChain,
  ORGANISATION_CHAIN_ID,
  verifyChain,
} from '../../../functions/domain/audit-chain.js';
import { canonicalJson, sha256Hex } from '../../../functions/domain/hashing.js';
import type { AuditEvent } from '../../../functions/domain/types.js';

function fields(i: number, systemId = 'sys_1'): AuditEventFields {
  return {
    systemId,
    action: i % 2 === 0 ? 'candidate.submitted' : 'approval.decided',
    entityType: 'candidate',
    entityId: `rc_${i}`,
    actor: { userId: `u_${i % 3}`, name: `User ${i % 3}`, roles: ['model_owner'] },
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    before: i === 0 ? null : { status: 'draft', n: i },
    after: { status: 'submitted', n: i },
    reason: i % 4 === 0 ? `reason ${i}` : null,
  };
}

function chain(n: number, systemId = 'sys_1'): AuditEvent[] {
  const events: AuditEvent[] = [];
  let head = { seq: 0, hash: GENESIS_HASH };
  for (let i = 0; i < n; i++) {
    const event = buildAuditEvent(head, fields(i, systemId));
    events.push(event);
    head = { seq: event.seq, hash: event.hash };
  }
  return events;
}

function headOf(events: AuditEvent[]) {
  const last = events.at(-1);
  return last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
}

describe('building audit events', () => {
  it('starts a chain at seq 1 linked to the genesis hash of 64 zeros', () => {
    // Act
    const first = buildAuditEvent({ seq: 0, hash: GENESIS_HASH }, fields(0));

    // Assess
    expect(GENESIS_HASH).toBe('0'.repeat(64));
    expect(first.seq).toBe(1);
    expect(first.prevHash).toBe(GENESIS_HASH);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('seals each event with the SHA-256 of its canonical JSON without the hash', () => {
    // Prepare
    const head = { seq: 41, hash: 'a'.repeat(64) };

    // Act
    const event = buildAuditEvent(head, fields(1));
    const { hash, ...rest } = event;

    // Assess
    expect(event.seq).toBe(42);
    expect(event.prevHash).toBe(head.hash);
    expect(hash).toBe(sha256Hex(canonicalJson(rest)));
    expect(auditEventHash(rest)).toBe(hash);
  });

  it('keeps only the actor members, so a whole principal never lands in the log', () => {
    // Prepare
    const principal = { userId: 'u_1', name: 'Una', roles: ['admin' as const], teams: ['t'], systems: ['sys_1'] };

    // Act
    const event = buildAuditEvent({ seq: 0, hash: GENESIS_HASH }, { ...fields(0), actor: principal });

    // Assess
    expect(event.actor).toEqual({ userId: 'u_1', name: 'Una', roles: ['admin'] });
  });

  it('ignores storage members such as keys when hashing', () => {
    // Prepare
    const [event] = chain(1) as [AuditEvent];
    const item = { ...event, pk: 'SYS#sys_1#AUDIT', sk: 'SEQ#000001' };

    // Act / Assess
    expect(auditEventHash(item)).toBe(event.hash);
    expect(verifyChain([item])).toMatchObject({ ok: true, count: 1 });
  });
});

describe('verifying an audit chain', () => {
  it('accepts an intact chain and reports its length and head', () => {
    // Prepare
    const events = chain(5);

    // Act
    const result = verifyChain(events, { systemId: 'sys_1', head: headOf(events) });

    // Assess
    expect(result).toEqual({ ok: true, count: 5, head: headOf(events) });
  });

  it('accepts an empty chain', () => {
    // Act / Assess
    expect(verifyChain([])).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('verifies a segment that starts after the genesis', () => {
    // Prepare
    const events = chain(6);
    const from = { seq: 3, hash: (events[2] as AuditEvent).hash };

    // Act / Assess
    expect(verifyChain(events.slice(3), { from })).toMatchObject({ ok: true, count: 3 });
    expect(verifyChain(events.slice(3))).toMatchObject({ ok: false, seq: 1, reason: 'seq_gap' });
  });

  it('names a changed event by its seq', () => {
    // Prepare
    const events = chain(4);
    events[2] = { ...(events[2] as AuditEvent), reason: 'rewritten history' };

    // Act / Assess
    expect(verifyChain(events)).toEqual({
      ok: false,
      seq: 3,
      reason: 'hash_mismatch',
      message: 'seq 3 does not match its hash',
    });
  });

  it('names a broken link when an event was re-sealed over a changed predecessor hash', () => {
    // Prepare
    const events = chain(3);
    const forged = buildAuditEvent({ seq: 1, hash: 'f'.repeat(64) }, fields(1));
    events[1] = forged;

    // Act / Assess
    expect(verifyChain(events)).toMatchObject({ ok: false, seq: 2, reason: 'broken_link' });
  });

  it('names the missing seq of a gap and the place of a reordering', () => {
    // Prepare
    const events = chain(5);
    const gap = [events[0], events[1], events[3], events[4]] as AuditEvent[];
    const swapped = [events[0], events[2], events[1], events[3]] as AuditEvent[];

    // Act / Assess
    expect(verifyChain(gap)).toMatchObject({ ok: false, seq: 3, reason: 'seq_gap' });
    expect(verifyChain(swapped)).toMatchObject({ ok: false, seq: 2, reason: 'seq_gap' });
    expect(verifyChain([events[0], events[1], events[1]] as AuditEvent[])).toMatchObject({
      ok: false,
      seq: 3,
      reason: 'seq_out_of_order',
    });
  });

  it('names an event of another system', () => {
    // Prepare
    const events = chain(3);
    const other = chain(3, 'sys_2');
    const mixed = [events[0], other[1], events[2]] as AuditEvent[];

    // Act / Assess
    expect(verifyChain(mixed)).toMatchObject({ ok: false, seq: 2, reason: 'wrong_system' });
    expect(verifyChain(other, { systemId: 'sys_1' })).toMatchObject({ ok: false, seq: 1, reason: 'wrong_system' });
  });

  it('detects a truncated tail, events beyond the head and a head that does not match, only when given the head', () => {
    // Prepare
    const events = chain(4);
    const head = headOf(events);

    // Act / Assess
    expect(verifyChain(events.slice(0, 3))).toMatchObject({ ok: true, count: 3 });
    expect(verifyChain(events.slice(0, 3), { head })).toMatchObject({ ok: false, seq: 4, reason: 'truncated' });
    expect(verifyChain(events, { head: headOf(events.slice(0, 2)) })).toMatchObject({
      ok: false,
      seq: 3,
      reason: 'beyond_head',
    });
    expect(verifyChain(events, { head: { seq: 4, hash: 'e'.repeat(64) } })).toMatchObject({
      ok: false,
      seq: 4,
      reason: 'head_mismatch',
    });
  });

  it('detects any single mutation and names the seq where the chain broke', () => {
    type Mutation =
      | { kind: 'change'; index: number; field: number }
      | { kind: 'drop'; index: number }
      | { kind: 'swap'; i: number; j: number }
      | { kind: 'insert-junk'; index: number }
      | { kind: 'insert-forged'; index: number };

    const FIELD_CHANGES: ((e: AuditEvent) => AuditEvent)[] = [
      (e) => ({ ...e, action: `${e.action}.x` }),
      (e) => ({ ...e, entityId: `${e.entityId}x` }),
      (e) => ({ ...e, entityType: 'prompt' }),
      (e) => ({ ...e, at: '1999-01-01T00:00:00.000Z' }),
      (e) => ({ ...e, reason: `${e.reason ?? ''}!` }),
      (e) => ({ ...e, before: { tampered: true } }),
      (e) => ({ ...e, after: null }),
      (e) => ({ ...e, actor: { ...e.actor, name: `${e.actor.name}?` } }),
      (e) => ({ ...e, actor: { ...e.actor, roles: ['admin'] } }),
      (e) => ({ ...e, systemId: 'sys_other' }),
      (e) => ({ ...e, seq: e.seq + 1 }),
      (e) => ({ ...e, seq: e.seq - 1 }),
      (e) => ({ ...e, prevHash: 'b'.repeat(64) }),
      (e) => ({ ...e, hash: 'c'.repeat(64) }),
    ];

    const scenario = fc.integer({ min: 2, max: 12 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.oneof(
          fc.record({
            kind: fc.constant('change' as const),
            index: fc.nat({ max: n - 1 }),
            field: fc.nat({ max: FIELD_CHANGES.length - 1 }),
          }),
          fc.record({ kind: fc.constant('drop' as const), index: fc.nat({ max: n - 1 }) }),
          fc
            .uniqueArray(fc.nat({ max: n - 1 }), { minLength: 2, maxLength: 2 })
            .map(([a = 0, b = 1]) => ({ kind: 'swap' as const, i: Math.min(a, b), j: Math.max(a, b) })),
          fc.record({ kind: fc.constant('insert-junk' as const), index: fc.nat({ max: n }) }),
          fc.record({ kind: fc.constant('insert-forged' as const), index: fc.nat({ max: n }) }),
        ) as fc.Arbitrary<Mutation>,
      ),
    );

    fc.assert(
      fc.property(scenario, ([n, mutation]) => {
        // Prepare
        const original = chain(n);
        const head = headOf(original);
        const events = [...original];
        let brokeAt: number;
        switch (mutation.kind) {
          case 'change': {
            const change = FIELD_CHANGES[mutation.field] as (e: AuditEvent) => AuditEvent;
            events[mutation.index] = change(events[mutation.index] as AuditEvent);
            brokeAt = mutation.index + 1;
            break;
          }
          case 'drop':
            events.splice(mutation.index, 1);
            brokeAt = mutation.index + 1;
            break;
          case 'swap':
            events[mutation.i] = original[mutation.j] as AuditEvent;
            events[mutation.j] = original[mutation.i] as AuditEvent;
            brokeAt = mutation.i + 1;
            break;
          case 'insert-junk':
            // An event that claims the right seq and link but was not sealed by the chain's rules.
            events.splice(mutation.index, 0, {
              ...buildAuditEvent(headOf(original.slice(0, mutation.index)), fields(99)),
              hash: 'd'.repeat(64),
            });
            brokeAt = mutation.index + 1;
            break;
          case 'insert-forged':
            // A perfectly sealed forgery passes where it stands; the chain breaks at the next event, or beyond the head.
            events.splice(mutation.index, 0, buildAuditEvent(headOf(original.slice(0, mutation.index)), fields(99)));
            brokeAt = mutation.index === n ? n + 1 : mutation.index + 2;
            break;
        }

        // Act
        const result = verifyChain(events, { head });

        // Assess
        expect(result.ok).toBe(false);
        expect(result.ok ? undefined : result.seq).toBe(brokeAt);
      }),
      { numRuns: 400 },
    );
  });
});

describe('naming a chain', () => {
  it('calls the organisation chain by its name and a system by its id', () => {
    // Act / Assess
    expect(isOrganisationChain(ORGANISATION_CHAIN_ID)).toBe(true);
    expect(isOrganisationChain('sys_01JABCDEFGHJKMNPQRSTVWXYZ0')).toBe(false);
    expect(chainLabel(ORGANISATION_CHAIN_ID)).toBe('organisation chain');
    expect(chainLabel('sys_01JABCDEFGHJKMNPQRSTVWXYZ0')).toBe('system sys_01JABCDEFGHJKMNPQRSTVWXYZ0');
  });
});
