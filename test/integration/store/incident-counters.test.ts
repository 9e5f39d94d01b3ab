// The per-severity counters of unresolved incidents on a system's META (docs/architecture/incidents.md), on DynamoDB
// Local: the incident transactions keep them, the promotion transaction conditions on those of the severities that
// block, and migration 0003 recounts a META written in the old shape, once.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AiSystem, Environment, OpenIncidentCounts, Severity } from '../../../functions/domain/types.js';
import { gateFacts, gateKeys } from '../../../functions/store/candidates/gate-facts.js';
import { writePromotion } from '../../../functions/store/candidates/promotion.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys, toEntity } from '../../../functions/store/keys.js';
import { openIncidentsBySeverity } from '../../../functions/store/migrations/0003-open-incidents-by-severity.js';
import type { MigrationContext } from '../../../functions/store/migrations/index.js';
import { runUnitOfWork, type StoreContext } from '../../../functions/store/unit-of-work.js';
import { systemInput } from '../../support/fixtures.js';
import { approvedCandidate, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

const counts = (c: Partial<OpenIncidentCounts>): OpenIncidentCounts => ({
  low: 0,
  medium: 0,
  high: 0,
  critical: 0,
  ...c,
});

describe('per-severity counters of open incidents on DynamoDB Local', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let context: MigrationContext;

  beforeAll(async () => {
    ({ store, tableName, drop } = await createTestStore());
    context = { doc: store.ctx.doc, tableName, log: () => {} };
  });
  afterAll(async () => drop?.());

  const counters = async (systemId: string) => (await store.systems.getSystem(systemId)).openIncidents;
  const open = (systemId: string, severity: Severity) =>
    store.incidents.openIncident(owner, { systemId, title: severity, description: '', severity });
  const meta = async (systemId: string) =>
    (
      await store.ctx.doc.send(
        new GetCommand({ TableName: tableName, Key: keys.system(systemId), ConsistentRead: true }),
      )
    ).Item as Record<string, unknown>;

  it('follows each incident through open, upgrade, downgrade, mitigation and resolution', async () => {
    // Prepare
    const { system } = await store.systems.createSystem(owner, systemInput());
    expect(await counters(system.id)).toEqual(counts({}));

    // Act and Assess, step by step
    const low = await open(system.id, 'low');
    const high = await open(system.id, 'high');
    expect(await counters(system.id)).toEqual(counts({ low: 1, high: 1 }));
    await store.incidents.updateIncident(owner, low.id, { severity: 'critical' });
    expect(await counters(system.id)).toEqual(counts({ high: 1, critical: 1 }));
    await store.incidents.updateIncident(owner, high.id, { severity: 'medium', status: 'mitigating' });
    expect(await counters(system.id)).toEqual(counts({ medium: 1, critical: 1 }));
    await store.incidents.resolveIncident(owner, low.id, 'fixed');
    expect(await counters(system.id)).toEqual(counts({ medium: 1 }));
    await store.incidents.resolveIncident(owner, high.id, 'fixed');
    expect(await counters(system.id)).toEqual(counts({}));
  });

  it('refuses a promotion while a blocking severity counts one, even written without the verdict', async () => {
    // Prepare: a low-tier system (one approval) with an approved candidate, a medium and a critical incident open
    const base = await governedSystem(store, { system: { riskTier: 'low' } });
    const candidate = await approvedCandidate(store, base, { evaluation: 'recorded' });
    await open(base.system.id, 'medium');
    const critical = await open(base.system.id, 'critical');
    const once: StoreContext = { ...store.ctx, maxAttempts: 1 };
    const withoutVerdict = (environment: Environment) =>
      runUnitOfWork(once, base.system.id, owner, gateKeys(candidate), (tx) => {
        const facts = gateFacts((k) => tx.get(k), toEntity<AiSystem>(tx.meta), candidate.id);
        return writePromotion(tx, owner, facts, environment, null, 'without the gate');
      });
    const promote = () =>
      store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null }).then(
        (r) => r.candidate.status,
        (error: Error) => error.name,
      );

    // Act
    const bypass = await withoutVerdict('production').then(
      () => 'committed',
      (error: Error) => error.name,
    );
    const judged = await promote();
    await store.incidents.updateIncident(owner, critical.id, { severity: 'medium' });
    const afterDowngrade = await promote();

    // Assess: the conditions refused it on the critical counter; two medium incidents do not block by default
    expect(bypass).toBe('ContentionError');
    expect(judged).toBe('GateBlockedError');
    expect(afterDowngrade).toBe('active');
    expect(await counters(base.system.id)).toEqual(counts({ medium: 2 }));
  });

  it('recounts a META written in the old shape, refuses incident changes until then, and changes nothing twice', async () => {
    // Prepare: a system with incidents, its META put back as the store wrote it before the counters
    const { system } = await store.systems.createSystem(owner, systemInput());
    await open(system.id, 'critical');
    await open(system.id, 'low');
    const resolved = await open(system.id, 'high');
    await store.incidents.resolveIncident(owner, resolved.id, 'fixed');
    const { openIncidents: _, ...old } = await meta(system.id);
    await store.ctx.doc.send(new PutCommand({ TableName: tableName, Item: { ...old, openBlockingIncidents: 1 } }));

    // Act
    const refused = await open(system.id, 'medium').then(
      () => 'opened',
      (error: Error) => error.name,
    );
    const first = await openIncidentsBySeverity.run(context);
    const afterFirst = await meta(system.id);
    const second = await openIncidentsBySeverity.run(context);

    // Assess
    expect(refused).toBe('ConflictError');
    expect(first.changed).toBe(1);
    expect(afterFirst.openIncidents).toEqual(counts({ low: 1, critical: 1 }));
    expect(afterFirst).not.toHaveProperty('openBlockingIncidents');
    expect(afterFirst.version).toBe(old.version);
    expect(second.changed).toBe(0);
    expect(await meta(system.id)).toEqual(afterFirst);
    await open(system.id, 'medium');
    expect(await counters(system.id)).toEqual(counts({ low: 1, medium: 1, critical: 1 }));
  });
});
