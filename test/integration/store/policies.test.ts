// Policy versions on DynamoDB Local (docs/architecture/policy.md): genesis, the transitions as organisation-chain
// units of work, activations racing, and the copy of the version in force onto every system's META.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchemaOf } from '../../../functions/contracts/events.js';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import { isEventType, toGovernanceEvent } from '../../../functions/domain/events.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { PolicyVersion } from '../../../functions/domain/policy-version.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { policyGenesisMigration } from '../../../functions/store/migrations/0004-policy-genesis.js';
import { type MigrationContext, runMigrations } from '../../../functions/store/migrations/index.js';
import { systemInput } from '../../support/fixtures.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const ada = actorOf(principal('ada.admin', ['admin']));
const greta = actorOf(principal('greta.governance', ['reviewer:governance']));
const gus = actorOf(principal('gus.governance', ['reviewer:governance']));
const gina = actorOf(principal('gina.governance', ['reviewer:governance']));
const omar = actorOf(principal('omar.owner', ['model_owner'], { teams: ['support-ai'] }));

/** DEFAULT_POLICY as a draft document, with `change` applied. */
function draftDocument(change: (doc: Record<string, unknown>) => void = () => {}): Record<string, unknown> {
  const {
    version: _v,
    effectiveFrom: _e,
    ...doc
  } = structuredClone(DEFAULT_POLICY) as unknown as Record<string, unknown>;
  change(doc);
  return doc;
}

const stricterStaging = (doc: Record<string, unknown>) => {
  doc.stagingRoles = ['technical', 'product'];
};

describe('policy versions on DynamoDB Local', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let peerOf: () => GovernanceStore;
  let context: MigrationContext;

  beforeAll(async () => {
    ({ store, tableName, drop, peer: peerOf } = await createTestStore({ queuePerSystem: false }));
    context = { doc: store.ctx.doc, tableName, log: () => {} };
  });
  afterAll(async () => drop?.());

  const meta = async (systemId: string) =>
    (
      await store.ctx.doc.send(
        new GetCommand({ TableName: tableName, Key: keys.system(systemId), ConsistentRead: true }),
      )
    ).Item as Record<string, unknown>;

  /** Drafts, submits and has gus and gina approve a version based on the one in force. */
  async function approvedDraft(change: (doc: Record<string, unknown>) => void = stricterStaging) {
    const draft = await store.policies.createPolicyDraft(greta, { document: draftDocument(change), reason: 'test' });
    await store.policies.submitPolicy(greta, draft.version);
    await store.policies.approvePolicy(gus, draft.version, null);
    return store.policies.approvePolicy(gina, draft.version, 'fine');
  }

  it('opens the chain with version 1 in force on a table with systems, copies it to them, and runs idempotently', async () => {
    // Prepare: a system registered before the genesis (an existing table)
    const { system } = await store.systems.createSystem(omar, systemInput({ name: 'Before genesis' }));
    expect((await meta(system.id)).policyVersion).toBeUndefined();

    // Act
    const first = await policyGenesisMigration.run(context);
    const second = await store.policies.policyGenesis();
    const ran = await runMigrations(context, [policyGenesisMigration]);
    const again = await runMigrations(context, [policyGenesisMigration]);

    // Assess
    expect(first.changed).toBeGreaterThanOrEqual(2);
    expect(second).toEqual({ created: false, copied: 0 });
    expect(ran).toEqual(['0004-policy-genesis']);
    expect(again).toEqual([]);
    const active = await store.policies.getActivePolicy();
    expect(active).toMatchObject({
      version: 1,
      status: 'active',
      quorum: 2,
      activatedBy: { userId: 'system:genesis' },
    });
    expect(active?.document).toEqual(DEFAULT_POLICY);
    const copy = await meta(system.id);
    expect(copy).toMatchObject({ policyVersion: 1, policy: DEFAULT_POLICY });
    const events = await store.policies.listOrganisationEvents('asc', {});
    expect(events.items.map((e) => [e.action, e.actor.userId])).toEqual([['policy.activated', 'system:genesis']]);
  });

  it('gives a system registered after the genesis the version in force, and keeps it off the API entity', async () => {
    // Act
    const { system } = await store.systems.createSystem(omar, systemInput({ name: 'After genesis' }));

    // Assess
    expect(system.policyVersion).toBe(1);
    expect((await meta(system.id)).policy).toEqual(DEFAULT_POLICY);
    const read = await store.systems.getSystem(system.id);
    expect(read.policyVersion).toBe(1);
    expect('policy' in read).toBe(false);
  });

  it('walks draft, submit, two approvals and activation, each an event of the organisation chain, and the chain verifies', async () => {
    // Prepare
    const { system } = await store.systems.createSystem(omar, systemInput({ name: 'Walked' }));
    const before = (await store.policies.listOrganisationEvents('desc', { limit: 1 })).items[0]?.seq ?? 0;

    // Act
    const approved = await approvedDraft();
    const active = await store.policies.activatePolicy(ada, approved.version, 'go');

    // Assess
    expect(active).toMatchObject({ status: 'active', baseVersion: 1, quorum: 2, activatedBy: { userId: ada.userId } });
    expect(active.document.effectiveFrom).toBe(active.activatedAt);
    expect((await store.policies.getPolicy(1)).status).toBe('superseded');
    const copy = await meta(system.id);
    expect(copy.policyVersion).toBe(active.version);
    expect((copy.policy as { stagingRoles: string[] }).stagingRoles).toEqual(['technical', 'product']);
    const events = await store.policies.listOrganisationEvents('asc', { limit: 100 });
    expect(events.items.filter((e) => e.seq > before).map((e) => [e.action, e.entityId])).toEqual([
      ['policy.draft_created', `policy-v${active.version}`],
      ['policy.submitted', `policy-v${active.version}`],
      ['policy.approved', `policy-v${active.version}`],
      ['policy.approved', `policy-v${active.version}`],
      ['policy.activated', `policy-v${active.version}`],
    ]);
    expect((await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID)).ok).toBe(true);
    for (const event of events.items.map(toGovernanceEvent)) {
      const parsed = isEventType(event.type) ? eventSchemaOf(event.type).safeParse(event) : null;
      expect(parsed?.success, `${event.type}: ${parsed?.error?.message}`).toBe(true);
    }
    const listed = await store.policies.listPolicies({});
    expect(listed.active?.version).toBe(active.version);
    expect(listed.items[0]?.version).toBe(active.version);
  });

  it('refuses activation short of the quorum and writes nothing', async () => {
    // Prepare
    const draft = await store.policies.createPolicyDraft(greta, { document: draftDocument(), reason: 'one only' });
    await store.policies.submitPolicy(greta, draft.version);
    await store.policies.approvePolicy(gus, draft.version, null);
    const head = (await meta(ORGANISATION_CHAIN_ID)).auditSeq;

    // Act
    const refused = await store.policies.activatePolicy(ada, draft.version, null).catch((e: unknown) => e);

    // Assess
    expect(refused).toMatchObject({ status: 409, detail: { code: 'POLICY_QUORUM_NOT_MET' } });
    expect((await meta(ORGANISATION_CHAIN_ID)).auditSeq).toBe(head);
    expect((await store.policies.getPolicy(draft.version)).status).toBe('submitted');
  });

  it('refuses the author approving their own draft', async () => {
    // Prepare
    const draft = await store.policies.createPolicyDraft(greta, { document: draftDocument(), reason: 'mine' });
    await store.policies.submitPolicy(greta, draft.version);

    // Act
    const refused = await store.policies.approvePolicy(greta, draft.version, null).catch((e: unknown) => e);

    // Assess
    expect(refused).toMatchObject({ status: 403, detail: { code: 'SEPARATION_OF_DUTIES' } });
  });

  it('refuses an invalid document with a 400 naming the field, and allocates no version', async () => {
    // Prepare
    const latest = (await store.policies.listPolicies({ limit: 1 })).items[0]?.version;

    // Act
    const refused = await store.policies
      .createPolicyDraft(greta, {
        document: draftDocument((doc) => {
          doc.governance = { activationQuorum: 9 };
        }),
        reason: 'bad',
      })
      .catch((e: unknown) => e);

    // Assess
    expect(refused).toMatchObject({
      status: 400,
      detail: { problems: ['document.governance.activationQuorum must be a whole number from 1 to 5'] },
    });
    expect((await store.policies.listPolicies({ limit: 1 })).items[0]?.version).toBe(latest);
  });

  it('allocates distinct version numbers to drafts created at once', async () => {
    // Act
    const drafts = await Promise.all(
      [greta, gus, gina, ada].map((actor) =>
        store.policies.createPolicyDraft(actor, { document: draftDocument(), reason: 'at once' }),
      ),
    );

    // Assess
    const numbers = drafts.map((d) => d.version);
    expect(new Set(numbers).size).toBe(4);
  });

  it('lets exactly one of two activations racing from two stores (two processes) win', async () => {
    // Prepare
    const peer = peerOf();
    const a = await approvedDraft();
    const b = await approvedDraft((doc) => {
      doc.stagingRoles = ['technical', 'risk'];
    });

    // Act
    const outcomes = await Promise.allSettled([
      store.policies.activatePolicy(ada, a.version, null),
      peer.policies.activatePolicy(ada, b.version, null),
    ]);

    // Assess
    const won = outcomes.filter((o): o is PromiseFulfilledResult<PolicyVersion> => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toMatchObject({ status: 409, detail: { code: 'POLICY_BASE_CHANGED' } });
    const pointer = await store.policies.activePolicyPointer();
    expect(pointer?.version).toBe(won[0]?.value.version);
    const activeVersions = (await store.policies.listPolicies({ limit: 100 })).items.filter(
      (v) => v.status === 'active',
    );
    expect(activeVersions.map((v) => v.version)).toEqual([won[0]?.value.version]);
    expect((await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID)).ok).toBe(true);
  });

  it('never overwrites a newer copy on a META with an older version', async () => {
    // Prepare
    const { system } = await store.systems.createSystem(omar, systemInput({ name: 'Newer copy' }));
    const inForce = (await meta(system.id)).policyVersion as number;

    // Act
    const wrote = await store.policies.copyToSystem(system.id, inForce - 1, DEFAULT_POLICY);

    // Assess
    expect(wrote).toBe(false);
    expect((await meta(system.id)).policyVersion).toBe(inForce);
  });

  it('finishes an interrupted copy when the version in force is activated again, without a second event', async () => {
    // Prepare: a META that missed the copy (as if the activation died part-way)
    const { system } = await store.systems.createSystem(omar, systemInput({ name: 'Missed copy' }));
    const item = await meta(system.id);
    await store.ctx.doc.send(
      new PutCommand({ TableName: tableName, Item: { ...item, policyVersion: 1, policy: DEFAULT_POLICY } }),
    );
    const pointer = await store.policies.activePolicyPointer();
    const head = (await meta(ORGANISATION_CHAIN_ID)).auditSeq;

    // Act
    const again = await store.policies.activatePolicy(greta, pointer?.version as number, null);

    // Assess
    expect(again.status).toBe('active');
    expect((await meta(system.id)).policyVersion).toBe(pointer?.version);
    expect((await meta(ORGANISATION_CHAIN_ID)).auditSeq).toBe(head);
  });

  it('lets no one person loosen monitoring.samples, activates the loosening with the quorum, and names each loosened field in its events', async () => {
    // Prepare: a draft that widens the tolerance and raises the minimum (loosening) and lengthens the window (not)
    const inForce = await store.policies.activePolicyPointer();
    const loosened = (doc: Record<string, unknown>) => {
      const monitoring = doc.monitoring as Record<string, unknown>;
      monitoring.samples = { windowHours: 48, minSamples: 100, tolerance: 0.3, maxSamples: 2_000 };
    };
    const draft = await store.policies.createPolicyDraft(greta, {
      document: draftDocument(loosened),
      reason: 'quieter',
    });
    await store.policies.submitPolicy(greta, draft.version);
    const head = (await meta(ORGANISATION_CHAIN_ID)).auditSeq;

    // Act: the author alone, then the quorum
    const ownApproval = await store.policies.approvePolicy(greta, draft.version, null).catch((e: unknown) => e);
    const alone = await store.policies.activatePolicy(greta, draft.version, null).catch((e: unknown) => e);
    const headAfterRefusals = (await meta(ORGANISATION_CHAIN_ID)).auditSeq;
    const pointerAfterRefusals = await store.policies.activePolicyPointer();
    await store.policies.approvePolicy(gus, draft.version, null);
    await store.policies.approvePolicy(gina, draft.version, 'looked at the drift history');
    const active = await store.policies.activatePolicy(greta, draft.version, null);

    // Assess
    expect(ownApproval).toMatchObject({ status: 403, detail: { code: 'SEPARATION_OF_DUTIES' } });
    expect(alone).toMatchObject({ status: 409, detail: { code: 'POLICY_QUORUM_NOT_MET' } });
    expect(headAfterRefusals).toBe(head);
    expect(pointerAfterRefusals?.version).toBe(inForce?.version);
    expect(active.status).toBe('active');
    const expected = [
      { field: 'monitoring.samples.tolerance', from: 0.1, to: 0.3 },
      { field: 'monitoring.samples.minSamples', from: 50, to: 100 },
    ];
    const events = (await store.policies.listOrganisationEvents('asc', { limit: 100 })).items.filter(
      (e) => e.entityId === `policy-v${draft.version}`,
    );
    const loosens = (action: string) =>
      (events.find((e) => e.action === action)?.after as { loosens?: unknown } | null)?.loosens;
    expect(loosens('policy.draft_created')).toEqual(expected);
    expect(loosens('policy.submitted')).toEqual(expected);
    expect(loosens('policy.activated')).toEqual(expected);
    for (const event of events.map(toGovernanceEvent)) {
      const parsed = isEventType(event.type) ? eventSchemaOf(event.type).safeParse(event) : null;
      expect(parsed?.success, `${event.type}: ${parsed?.error?.message}`).toBe(true);
    }
  });
});
