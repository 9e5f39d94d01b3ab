import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveReleaseChangedError } from '../../../functions/domain/errors.js';
import type { AuditEvent, ReleaseCandidate } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { promptInput, systemInput } from '../../support/fixtures.js';
import { approvedCandidate, type GovernedSystem, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

/** Every item of a paginated listing, following cursors to the end. */
describe('concurrent changes of one system', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let peer: (options?: { queuePerSystem?: boolean }) => GovernanceStore;
  beforeAll(async () => {
    ({ store, drop, peer } = await createTestStore());
  });
  afterAll(async () => drop());

  // Eight racers prove the race as well as twenty did, with a fifth of the preparation (each is ~10 transactions).
  const RACERS = 8;

  it(`lets exactly one of ${RACERS} racing promotions win and refuses the other ${RACERS - 1} as ACTIVE_RELEASE_CHANGED`, async () => {
    // Prepare: a low-tier system (technical approval only) with approved candidates of the same artefacts
    const base: GovernedSystem = await governedSystem(store, { system: { riskTier: 'low' }, cases: 3 });
    const candidates: ReleaseCandidate[] = [];
    for (let i = 0; i < RACERS; i++) {
      // One goes through the in-process eval runner; the others record their passing verdict directly, for speed.
      const evaluation = i === 0 ? 'simulated' : 'recorded';
      candidates.push(await approvedCandidate(store, base, { name: `rc-${i}`, evaluation }));
    }
    expect(candidates.map((c) => c.status)).toEqual(Array(RACERS).fill('approved'));
    const chainBefore = await store.audit.verifyStoredChain(base.system.id);

    // Act: every promotion names "no active release" as the release it expects to replace, each from a store of
    // its own (as many Lambda containers would), so only the table's conditions decide the race
    const outcomes = await Promise.allSettled(
      candidates.map((c) =>
        peer({ queuePerSystem: false }).candidates.promoteCandidate(owner, c.id, { expectedActiveCandidateId: null }),
      ),
    );

    // Assess
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [candidates[i] as ReleaseCandidate] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(RACERS - 1);
    for (const error of refused) {
      expect(error).toBeInstanceOf(ActiveReleaseChangedError);
      expect(error).toMatchObject({ status: 409, detail: { code: 'ACTIVE_RELEASE_CHANGED' } });
    }
    const winner = won[0] as ReleaseCandidate;
    const system = await store.systems.getSystem(base.system.id);
    expect(system.activeReleases).toEqual({ staging: null, production: winner.id });
    const stored = await allPages((page) => store.candidates.listCandidates({ systemId: base.system.id }, page));
    expect(stored.filter((c) => c.status === 'active').map((c) => c.id)).toEqual([winner.id]);
    expect(stored.filter((c) => c.status === 'approved')).toHaveLength(RACERS - 1);
    expect(await store.candidates.promotionHistory(base.system.id)).toMatchObject([
      { candidateId: winner.id, previousCandidateId: null, kind: 'promote' },
    ]);
    const chain = await store.audit.verifyStoredChain(base.system.id);
    expect(chain.ok).toBe(true);
    expect(chain.events).toBe(chainBefore.events + 1);
    // Preparing the approved candidates is about 10 transactions each: bounded generously for a loaded machine.
  }, 120_000);

  it('commits 50 concurrent changes of one system, each with its event, in a gap-free audit chain', async () => {
    // Prepare: a bare system, so that its chain holds the registration alone
    const { system } = await store.systems.createSystem(owner, systemInput());

    // Act: incidents and prompt versions, all at once, from five processes (stores) of ten requests each: within a
    // process requests queue per system; across processes only the audit-head condition keeps the chain whole
    const processes = Array.from({ length: 5 }, () => peer());
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        i % 4 === 3
          ? (processes[i % 5] as GovernanceStore).artefacts.createPrompt(
              owner,
              promptInput(system.id, { name: 'burst', template: `t${i}` }),
            )
          : (processes[i % 5] as GovernanceStore).incidents.openIncident(owner, {
              systemId: system.id,
              title: `blip ${i}`,
              description: '',
              severity: i % 2 ? 'low' : 'medium',
            }),
      ),
    );

    // Assess
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => String(o.reason));
    expect(failures).toEqual([]);
    const succeeded = outcomes.length - failures.length;
    const events = await allPages<AuditEvent>((page) =>
      store.audit.listAuditEvents({ systemId: system.id, order: 'asc' }, page),
    );
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 1 + succeeded }, (_, i) => i + 1));
    expect(events[0]?.action).toBe('system.registered');
    const actions = events.slice(1).map((e) => e.action);
    expect(actions.filter((a) => a === 'incident.opened')).toHaveLength(38);
    expect(actions.filter((a) => a === 'prompt.created')).toHaveLength(12);
    const chain = await store.audit.verifyStoredChain(system.id);
    expect(chain).toMatchObject({ ok: true, events: 1 + succeeded, headSeq: 1 + succeeded, brokenAt: null });
    const incidents = await allPages((page) => store.incidents.listIncidents({ systemId: system.id }, page));
    expect(new Set(incidents.map((i) => i.title)).size).toBe(38);
    // Every concurrent incident counted once: 13 low (i = 1 mod 4) and 25 medium (even i).
    expect((await store.systems.getSystem(system.id)).openIncidents).toEqual({
      low: 13,
      medium: 25,
      high: 0,
      critical: 0,
    });
  });

  it('gives prompt versions created concurrently under one name distinct consecutive version numbers', async () => {
    // Prepare
    const { system } = await store.systems.createSystem(owner, systemInput());
    await store.artefacts.createPrompt(owner, promptInput(system.id, { name: 'triage', template: 'first' }));

    // Act
    const created = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        store.artefacts.createPrompt(owner, promptInput(system.id, { name: 'triage', template: `variant ${i}` })),
      ),
    );

    // Assess
    expect(created.map((p) => p.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    const listed = await allPages((page) =>
      store.artefacts.listArtefacts('prompt', { systemId: system.id, name: 'triage' }, page),
    );
    expect(listed.map((p) => p.version)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
    for (const p of created) expect(listed.find((l) => l.version === p.version)?.id).toBe(p.id);
    expect((await store.audit.verifyStoredChain(system.id)).ok).toBe(true);
  });
});
