// Provider connections on DynamoDB Local: versions are immutable and numbered, each change is an audited transition
// of the organisation chain, names are unique, racing changes never share a version, and the table holds the
// secret's reference only.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/audit-chain.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const admin = actorOf(principal('usr_admin', ['admin']));
let store: GovernanceStore;
let tableName: string;
let drop: () => Promise<void>;
let peer: () => GovernanceStore;

const openai = {
  provider: 'openai' as const,
  baseUrl: 'http://127.0.0.1:4010/v1',
  region: null,
  secretRef: 'env:OPENAI_API_KEY',
  concurrencyLimit: 4,
  changeSummary: 'first',
};

beforeAll(async () => {
  ({ store, tableName, drop, peer } = await createTestStore());
});
afterAll(() => drop());

describe('provider connections', () => {
  it('registers version 1 and adds version 2 without changing version 1', async () => {
    // Prepare
    const registered = await store.providerConnections.registerConnection(admin, { name: 'Local OpenAI', ...openai });

    // Act
    const changed = await store.providerConnections.addConnectionVersion(admin, registered.id, {
      baseUrl: 'http://127.0.0.1:4011/v1',
      region: null,
      secretRef: 'file:openai-key',
      concurrencyLimit: 8,
      changeSummary: 'moved',
    });

    // Assess
    expect(registered.version).toBe(1);
    expect(changed).toMatchObject({ id: registered.id, version: 2, latestVersion: 2, name: 'Local OpenAI' });
    const v1 = await store.providerConnections.getConnectionVersion(registered.id, 1);
    expect(v1).toMatchObject({ baseUrl: 'http://127.0.0.1:4010/v1', secretRef: 'env:OPENAI_API_KEY' });
    expect((await store.providerConnections.getConnection(registered.id)).baseUrl).toBe('http://127.0.0.1:4011/v1');
    const versions = await store.providerConnections.listConnectionVersions(registered.id);
    expect(versions.items.map((v) => v.version)).toEqual([1, 2]);
  });

  it('chains each change on the organisation chain with its audit event, and the chain verifies', async () => {
    // Prepare
    const registered = await store.providerConnections.registerConnection(admin, { name: 'Audited', ...openai });

    // Act
    await store.providerConnections.addConnectionVersion(admin, registered.id, { ...openai, concurrencyLimit: 2 });
    const page = await store.audit.listAuditEvents({ systemId: ORGANISATION_CHAIN_ID, order: 'asc' }, { limit: 100 });

    // Assess
    const mine = page.items.filter((e) => e.entityId === registered.id);
    expect(mine.map((e) => e.action)).toEqual(['provider_connection.registered', 'provider_connection.versioned']);
    expect(mine[1]?.before).toMatchObject({ version: 1, concurrencyLimit: 4 });
    expect(mine[1]?.after).toMatchObject({ version: 2, concurrencyLimit: 2 });
    const report = await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID);
    expect(report).toMatchObject({ ok: true, events: report.headSeq });
  });

  it('refuses a second connection of the same name with a conflict and writes nothing', async () => {
    // Prepare
    await store.providerConnections.registerConnection(admin, { name: 'Unique', ...openai });
    const before = await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID);

    // Act
    const second = store.providerConnections.registerConnection(admin, { name: 'unique', ...openai });

    // Assess
    await expect(second).rejects.toMatchObject({ status: 409 });
    expect((await store.audit.verifyStoredChain(ORGANISATION_CHAIN_ID)).headSeq).toBe(before.headSeq);
  });

  it('gives two racing changes from two processes two different versions', async () => {
    // Prepare
    const registered = await store.providerConnections.registerConnection(admin, { name: 'Raced', ...openai });

    // Act
    const [a, b] = await Promise.all([
      store.providerConnections.addConnectionVersion(admin, registered.id, { ...openai, concurrencyLimit: 5 }),
      peer().providerConnections.addConnectionVersion(admin, registered.id, { ...openai, concurrencyLimit: 6 }),
    ]);

    // Assess
    expect([a.version, b.version].sort()).toEqual([2, 3]);
    expect((await store.providerConnections.getConnection(registered.id)).latestVersion).toBe(3);
  });

  it('finds pinned versions in one read and names the pins that do not exist', async () => {
    // Prepare
    const registered = await store.providerConnections.registerConnection(admin, { name: 'Pinned', ...openai });

    // Act
    const out = await store.providerConnections.connectionVersions([
      { id: registered.id, version: 1 },
      { id: registered.id, version: 7 },
    ]);

    // Assess
    expect(out.found.size).toBe(1);
    expect(out.missing).toEqual([{ id: registered.id, version: 7 }]);
  });

  it('stores the reference to a secret and no other secret-looking text', async () => {
    // Prepare
    await store.providerConnections.registerConnection(admin, { name: 'Scanned', ...openai });

    // Act
    const scan = await store.ctx.doc.send(new ScanCommand({ TableName: tableName }));

    // Assess
    const text = JSON.stringify(scan.Items);
    expect(text).toContain('env:OPENAI_API_KEY');
    expect(text).not.toMatch(/sk-[A-Za-z0-9]/);
  });
});
