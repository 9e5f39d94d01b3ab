// Relaxation requests on DynamoDB Local (docs/architecture/relaxations.md): a request changes nothing until a second
// person approves it; the approval applies the change under the condition that the bound value still holds; a
// waiver is a condition of the promotion that uses it; an approved lowering racing a promotion never lets the
// promotion judge under the looser state unless the lowering committed first.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type GateVerdict, gateInput, gateVerdict } from '../../../functions/domain/gate.js';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { RelaxationRequest } from '../../../functions/domain/relaxation.js';
import type { AiSystem, ReleaseCandidate } from '../../../functions/domain/types.js';
import { gateFacts, gateKeys, readGateFacts, withWaivers } from '../../../functions/store/candidates/gate-facts.js';
import { writePromotion } from '../../../functions/store/candidates/promotion.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys, toEntity } from '../../../functions/store/keys.js';
import { copyToSystem } from '../../../functions/store/policies.js';
import { runUnitOfWork, type StoreContext } from '../../../functions/store/unit-of-work.js';
import { approvedCandidate, type GovernedSystem, governedSystem, owner, people } from '../../support/lifecycle.js';
import { actorOf, createTestStore } from '../../support/store.js';
import { snapshotTable, type TableSnapshot } from '../../support/table-snapshot.js';

/** A high system is blocked by a medium incident, a medium one is not: lowering the tier loosens the gate. */
const STRICT: ApprovalPolicy = {
  ...DEFAULT_POLICY,
  version: 2,
  incidentBlocking: {
    production: {
      low: ['high', 'critical'],
      medium: ['high', 'critical'],
      high: ['medium', 'high', 'critical'],
      critical: ['medium', 'high', 'critical'],
    },
    staging: ['high', 'critical'],
  },
};

const risk = { ...actorOf(people.risk), teams: [] as string[] };
const governance = { ...actorOf(people.governance), teams: [] as string[] };

describe('relaxation requests on DynamoDB Local', () => {
  let store: GovernanceStore;
  let peer: GovernanceStore;
  let drop: () => Promise<void>;
  let tableName: string;
  /** A low system whose approved candidate is blocked by an open high incident, with a waiver of it requested. */
  let waiving: { base: GovernedSystem; candidate: ReleaseCandidate; waiver: RelaxationRequest };
  let fixture: TableSnapshot;

  beforeAll(async () => {
    const created = await createTestStore({ queuePerSystem: false });
    ({ store, drop, tableName } = created);
    peer = created.peer({ queuePerSystem: false });
    // Built once: the two waiver cases start from it, and the table is put back to it before each case.
    const base = await governedSystem(store, { system: { riskTier: 'low' } });
    const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
    await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'x',
      description: '',
      severity: 'high',
    });
    const waiver = await store.relaxations.requestWaiver(owner, candidate.id, {
      codes: ['BLOCKING_INCIDENT_OPEN'],
      reason: 'this release is the fix',
    });
    waiving = { base, candidate, waiver };
    fixture = await snapshotTable(store.ctx.doc, tableName);
  });
  beforeEach(async () => fixture.restore());
  afterAll(async () => drop?.());

  const expectRequest = (out: object): RelaxationRequest => {
    expect(out).toHaveProperty('request');
    return (out as { request: RelaxationRequest }).request;
  };

  it('keeps the stricter tier until a risk reviewer approves, then applies it with both events on the chain', async () => {
    // Prepare
    const base = await governedSystem(store, { system: { riskTier: 'critical' } });
    const id = base.system.id;

    // Act
    const request = expectRequest(
      await store.relaxations.patchSystem(owner, id, { riskTier: 'low', reason: 'narrowed' }),
    );
    const pending = await store.systems.getSystem(id);
    const approved = await store.relaxations.decideRelaxation(risk, request.id, 'approve', 'scope is narrow now');

    // Assess
    expect(pending.riskTier).toBe('critical');
    expect(approved.status).toBe('approved');
    expect((await store.systems.getSystem(id)).riskTier).toBe('low');
    const chain = await store.audit.verifyStoredChain(id);
    expect(chain.ok).toBe(true);
    const events = await store.audit.listAuditEvents({ systemId: id }, { limit: 100 });
    const actions = events.items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['relaxation.requested', 'relaxation.approved', 'system.risk_tier_changed']),
    );
  });

  it('records a request as superseded and changes nothing when the tier changed since it was asked', async () => {
    // Prepare
    const base = await governedSystem(store, { system: { riskTier: 'high' } });
    const id = base.system.id;
    const request = expectRequest(await store.relaxations.patchSystem(owner, id, { riskTier: 'low' }));
    await store.relaxations.patchSystem(owner, id, { riskTier: 'critical' });

    // Act
    const outcome = await store.relaxations.decideRelaxation(risk, request.id, 'approve', 'ok').catch((e: Error) => e);

    // Assess
    expect(outcome).toMatchObject({ status: 409, detail: { code: 'RELAXATION_SUPERSEDED' } });
    expect((await store.systems.getSystem(id)).riskTier).toBe('critical');
    expect((await store.relaxations.getRelaxation(request.id)).status).toBe('superseded');
  });

  it('keeps a blocking incident open until its resolution is approved, and counts it out only then', async () => {
    // Prepare
    const base = await governedSystem(store);
    const incident = await store.incidents.openIncident(owner, {
      systemId: base.system.id,
      title: 'misrouting',
      description: '',
      severity: 'critical',
    });

    // Act
    const request = expectRequest(
      await store.relaxations.changeIncidentOrRequest(owner, incident.id, { type: 'resolve', resolution: 'fixed' }),
    );
    const during = await store.systems.getSystem(base.system.id);
    await store.relaxations.decideRelaxation(risk, request.id, 'approve', 'verified');

    // Assess
    expect(during.openIncidents.critical).toBe(1);
    expect((await store.incidents.getIncident(incident.id)).status).toBe('resolved');
    expect((await store.systems.getSystem(base.system.id)).openIncidents.critical).toBe(0);
  });

  it('judges an incident change under the copy of the policy in force on the META, not the default', async () => {
    // Prepare: two high systems with a medium incident each; version 2 (STRICT, medium blocks high) is copied onto one
    const [underDefault, underStrict] = await Promise.all([
      governedSystem(store, { system: { riskTier: 'high' } }),
      governedSystem(store, { system: { riskTier: 'high' } }),
    ]);
    await copyToSystem(store.ctx, underStrict.system.id, STRICT.version, STRICT);
    const open = (systemId: string) =>
      store.incidents.openIncident(owner, { systemId, title: 'drift', description: '', severity: 'medium' });
    const [loose, strict] = await Promise.all([open(underDefault.system.id), open(underStrict.system.id)]);

    // Act
    const resolved = await store.relaxations.changeIncidentOrRequest(owner, loose.id, {
      type: 'resolve',
      resolution: 'ok',
    });
    const asked = await store.relaxations.changeIncidentOrRequest(owner, strict.id, {
      type: 'resolve',
      resolution: 'ok',
    });

    // Assess: DEFAULT_POLICY lets a medium incident of a high system be resolved at once; version 2 makes it a request
    expect(resolved).toHaveProperty('incident.status', 'resolved');
    expect(expectRequest(asked)).toMatchObject({ kind: 'incident-resolution', from: 'medium', to: 'resolved' });
    expect((await store.incidents.getIncident(strict.id)).status).not.toBe('resolved');
  });

  it('lets an approved waiver carry a promotion past an open blocking incident, as a condition of the transaction', async () => {
    // Prepare: the fixture's approved candidate, its high incident open and its waiver requested
    const { candidate, waiver } = waiving;
    const blocked = await store.candidates.candidateGate(candidate.id);
    await store.relaxations.decideRelaxation(governance, waiver.id, 'approve', 'hotfix');

    // Act
    const gate = await store.candidates.candidateGate(candidate.id);
    const { candidate: promoted } = await store.candidates.promoteCandidate(owner, candidate.id, {
      expectedActiveCandidateId: null,
    });

    // Assess
    expect(blocked.reasons.map((r) => r.code)).toEqual(['BLOCKING_INCIDENT_OPEN']);
    expect(blocked.pendingRelaxations.map((p) => p.id)).toEqual([waiver.id]);
    expect(gate.promotable).toBe(true);
    expect(gate.waived).toMatchObject([{ code: 'BLOCKING_INCIDENT_OPEN', requestId: waiver.id }]);
    expect(promoted.status).toBe('active');
  });

  it('refuses a promotion whose waiver stopped holding between the gate read and the transaction, with nothing written', async () => {
    // Prepare: the fixture's waiver approved
    const { base, candidate, waiver } = waiving;
    await store.relaxations.decideRelaxation(governance, waiver.id, 'approve', 'hotfix');
    const facts = await readGateFacts(store.ctx, candidate.id);
    const verdict: GateVerdict = gateVerdict(
      gateInput(facts, 'production', null, DEFAULT_POLICY, new Date().toISOString()),
    );
    // The waiver item stops holding (as if it had expired) after the verdict was reached.
    await store.ctx.doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.relaxation(waiver.id),
        UpdateExpression: 'SET expiresAt = :past',
        ExpressionAttributeValues: { ':past': '2000-01-01T00:00:00.000Z' },
      }),
    );

    // Act
    const once: StoreContext = { ...store.ctx, maxAttempts: 1 };
    const outcome = await runUnitOfWork(once, base.system.id, owner, gateKeys(candidate), (tx) => {
      const inTx = withWaivers(
        gateFacts((k) => tx.get(k), toEntity<AiSystem>(tx.meta), candidate.id),
        [],
        () => undefined,
      );
      return writePromotion(tx, owner, inTx, 'production', null, 'with a stale waiver', DEFAULT_POLICY, verdict);
    }).then(
      () => 'committed',
      (error: Error) => error.name,
    );
    const judged = await store.candidates
      .promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null })
      .then(
        () => 'committed',
        (error: Error) => error.name,
      );

    // Assess
    expect(verdict.waived.map((w) => w.code)).toEqual(['BLOCKING_INCIDENT_OPEN']);
    expect(outcome).toBe('ContentionError');
    expect(judged).toBe('GateBlockedError');
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBeNull();
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('approved');
  });

  it('never lets a promotion racing an approved lowering judge under the looser tier before the lowering commits', async () => {
    // Prepare: three high systems (one per round, built side by side) whose medium incident blocks under STRICT;
    // lowering one to medium would unblock it.
    const rounds = await Promise.all(
      [0, 1, 2].map(async () => {
        const base = await governedSystem(store, { system: { riskTier: 'high' } });
        const id = base.system.id;
        const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
        await store.incidents.openIncident(owner, { systemId: id, title: 'm', description: '', severity: 'medium' });
        const request = expectRequest(await store.relaxations.patchSystem(owner, id, { riskTier: 'medium' }));
        return { id, candidate, request };
      }),
    );
    for (const { id, candidate, request } of rounds) {
      // Act: two processes, no in-process queue
      const [decision, promotion] = await Promise.allSettled([
        peer.relaxations.decideRelaxation(risk, request.id, 'approve', 'ok'),
        store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null }, STRICT),
      ]);

      // Assess
      expect(decision.status).toBe('fulfilled');
      const events = (await store.audit.listAuditEvents({ systemId: id }, { limit: 100 })).items;
      const seqOf = (action: string) => events.find((e) => e.action === action)?.seq;
      if (promotion.status === 'fulfilled') {
        // It may only have judged after the lowering committed.
        expect(seqOf('system.risk_tier_changed')).toBeLessThan(seqOf('release.promoted') ?? 0);
      } else {
        expect((promotion.reason as Error).name).toBe('GateBlockedError');
        expect(seqOf('release.promoted')).toBeUndefined();
      }
      expect((await store.audit.verifyStoredChain(id)).ok).toBe(true);
    }
  });
});
