import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventSchemaOf, governanceEventEnvelope } from '../../../functions/contracts/events.js';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import {
  EVENT_TYPES,
  eventFilterProblem,
  isEventType,
  matchesEventFilter,
  NOTIFY_EVENT_TYPES,
  toGovernanceEvent,
} from '../../../functions/domain/events.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import { differences } from '../../../scripts/event-schemas.js';

const SYSTEM = 'sys_01JABCDEFGHJKMNPQRSTVWXYZ0';
const HASH = 'a'.repeat(64);

function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    systemId: SYSTEM,
    seq: 7,
    prevHash: '0'.repeat(64),
    hash: HASH,
    action: 'release.monitoring_failed',
    entityType: 'candidate',
    entityId: 'rc_01JABCDEFGHJKMNPQRSTVWXYZ0',
    actor: { userId: 'monitor', name: 'Monitoring', roles: ['admin'] },
    at: '2026-11-23T05:00:00.000Z',
    before: null,
    after: { environment: 'production', evalRunId: 'run_01JABCDEFGHJKMNPQRSTVWXYZ0', causes: ['drift'] },
    reason: null,
    ...overrides,
  };
}

/** Every quoted `entity.action` string on a line that sets an audit action in the store and workflows. */
async function literalActions(): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of ['functions/store', 'functions/workflows']) {
    for (const name of await readdir(dir, { recursive: true })) {
      if (!name.endsWith('.ts')) continue;
      for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
        if (!/\baction\b/.test(line)) continue;
        for (const m of line.matchAll(/'([a-z_]+\.[a-z_]+)'/g)) found.add(m[1] as string);
      }
    }
  }
  return [...found];
}

describe('the event catalogue', () => {
  it('names every literal audit action written in the store and the workflows', async () => {
    const actions = await literalActions();
    expect(actions.length).toBeGreaterThan(20);
    expect(actions.filter((a) => !isEventType(a))).toEqual([]);
  });

  it('covers the actions built from statuses (eval runs, approvals, artefact reviews)', () => {
    for (const status of ['passed', 'failed', 'error']) expect(isEventType(`eval_run.${status}`)).toBe(true);
    for (const d of ['approved', 'rejected', 'changes_requested', 'expired'])
      expect(isEventType(`approval.${d}`)).toBe(true);
    for (const kind of ['prompt', 'model_config'])
      for (const to of ['created', 'submitted', 'approved', 'rejected'])
        expect(isEventType(`${kind}.${to}`)).toBe(true);
  });

  it('sends approval, rollback and relaxation requests and incidents to the e-mail topic, nothing else', () => {
    expect(NOTIFY_EVENT_TYPES).toContain('candidate.approval_requested');
    expect(NOTIFY_EVENT_TYPES).toContain('incident.opened');
    expect(NOTIFY_EVENT_TYPES).toContain('relaxation.requested');
    expect(
      NOTIFY_EVENT_TYPES.every(
        (t) => t.startsWith('incident.') || t.endsWith('_requested') || t === 'relaxation.requested',
      ),
    ).toBe(true);
  });
});

describe('toGovernanceEvent', () => {
  it('builds the envelope from the audit event: id systemId:seq, type, time, entity, actor, audit hash', () => {
    const event = toGovernanceEvent(auditEvent());
    expect(event).toMatchObject({
      id: `${SYSTEM}:7`,
      type: 'release.monitoring_failed',
      source: 'governance.control-plane',
      time: '2026-11-23T05:00:00.000Z',
      systemId: SYSTEM,
      entity: { type: 'candidate', id: 'rc_01JABCDEFGHJKMNPQRSTVWXYZ0' },
      audit: { seq: 7, hash: HASH },
      data: { before: null, reason: null },
    });
    expect(governanceEventEnvelope.safeParse(event).success).toBe(true);
    expect(eventSchemaOf('release.monitoring_failed').safeParse(event).success).toBe(true);
  });

  it('gives an organisation chain event no system and the id org:<seq>, which the envelope accepts', () => {
    // Prepare: a policy transition, chained on the organisation chain rather than a system's.
    const audit = auditEvent({
      systemId: ORGANISATION_CHAIN_ID,
      seq: 3,
      action: 'policy.activated',
      entityType: 'policy',
      entityId: 'policy-v2',
      after: { version: 2, status: 'active' },
    });

    // Act
    const event = toGovernanceEvent(audit);

    // Assess
    expect(event).toMatchObject({ id: 'org:3', systemId: null, audit: { seq: 3, hash: HASH } });
    // The type is left out: the policy types join the catalogue with the policy store (issue 15).
    expect(governanceEventEnvelope.omit({ type: true }).safeParse(event).success).toBe(true);
    expect(governanceEventEnvelope.omit({ type: true }).safeParse({ ...event, id: 'orgs:3' }).success).toBe(false);
  });

  it('drops members named like credentials, however deep', () => {
    const event = toGovernanceEvent(
      auditEvent({ after: { status: 'x', taskToken: 't', nested: [{ clientSecret: 's', keep: 1 }] } }),
    );
    expect(JSON.stringify(event)).not.toMatch(/taskToken|clientSecret/);
    expect(event.data.after).toEqual({ status: 'x', nested: [{ keep: 1 }] });
  });

  it('refuses, by its schema, an event whose data lacks what its type requires', () => {
    const event = toGovernanceEvent(auditEvent({ action: 'release.promoted', after: { status: 'active' } }));
    expect(eventSchemaOf('release.promoted').safeParse(event).success).toBe(false);
  });

  it('gives the monitoring and rollback-request events schema-valid envelopes', () => {
    const samples: [string, Record<string, unknown>][] = [
      ['release.monitoring_clean', { environment: 'production', evalRunId: 'run_1', causes: [] }],
      ['release.monitoring_failed', { environment: 'production', evalRunId: 'run_1', causes: ['drift'] }],
      ['release.rollback_requested', { environment: 'production', incidentIds: ['inc_1'], evalRunId: 'run_1' }],
    ];
    for (const [action, after] of samples) {
      const event = toGovernanceEvent(auditEvent({ action, after }));
      if (!isEventType(action)) throw new Error(action);
      expect(eventSchemaOf(action).safeParse(event).success, action).toBe(true);
    }
  });
});

describe('event filters', () => {
  it('match exact types, prefixes and everything', () => {
    expect(matchesEventFilter('release.promoted', ['release.*'])).toBe(true);
    expect(matchesEventFilter('release.promoted', ['release.promoted'])).toBe(true);
    expect(matchesEventFilter('release.promoted', ['*'])).toBe(true);
    expect(matchesEventFilter('release.promoted', ['incident.*', 'release.rolled_back'])).toBe(false);
    expect(matchesEventFilter('releases.x', ['release.*'])).toBe(false);
  });

  it('name a catalogued type or prefix', () => {
    expect(eventFilterProblem('release.*')).toBeUndefined();
    expect(eventFilterProblem('incident.opened')).toBeUndefined();
    expect(eventFilterProblem('release.exploded')).toMatch(/not an event type/);
    expect(eventFilterProblem('nothing.*')).toMatch(/matches no event type/);
  });
});

describe('docs/events/schemas', () => {
  it('holds exactly the generated schema of the envelope and of every event type', async () => {
    expect(await differences()).toEqual([]);
    expect((await readdir('docs/events/schemas')).length).toBe(EVENT_TYPES.length + 1);
  });
});
