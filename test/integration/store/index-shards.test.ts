// The sharded index partitions on DynamoDB Local (docs/adr/0020-sharded-index-partitions.md): migration 0001 brings
// the seeded demo, put back into the layout of before the shards, into exactly the items today's code writes; the
// runner runs it once; and the global audit timeline, fanned out over its shards, pages without gap or duplicate.
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuditEvent } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { shardIndexPartitions } from '../../../functions/store/migrations/0001-shard-index-partitions.js';
import { type MigrationContext, runMigrations } from '../../../functions/store/migrations/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { restoreSeededItems, seededDemoDump } from '../../support/seeded-demo.js';
import { createTestStore } from '../../support/store.js';

type Item = Record<string, unknown>;
const SHARDED = /^(AUDIT|SYSTEMS|PV|MC|DS|RC|RUN|RUNQ#unfinished|INCCLOCK#open|APRQ#[a-z_]+|INC#[a-z]+)#[0-7]$/;

/** The item as the store wrote it before the shards: one partition per list, approvals also on gsi1 `APPROVALS`. */
function beforeTheShards(item: Item): Item {
  const old: Item = { ...item };
  for (const name of ['gsi1pk', 'gsi2pk']) {
    const value = old[name];
    if (typeof value === 'string' && SHARDED.test(value)) old[name] = value.replace(/#[0-7]$/, '');
  }
  if (String(item.pk).startsWith('APR#') && item.sk === 'META') {
    Object.assign(old, { gsi1pk: 'APPROVALS', gsi1sk: `${item.requestedAt}#${item.id}` });
    if (item.roundClosed)
      Object.assign(old, { gsi2pk: 'APRQ#closed', gsi2sk: `${item.role}#${item.requestedAt}#${item.id}` });
  }
  return old;
}

describe('the sharded index partitions on DynamoDB Local', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let context: MigrationContext;
  const log: string[] = [];

  const scan = async (): Promise<Item[]> => {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await store.ctx.doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.filter((i) => i.pk !== 'MIGRATION').sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
  };
  const put = async (items: Item[]) => {
    for (let i = 0; i < items.length; i += 25) {
      const chunk = items.slice(i, i + 25);
      await Promise.all(chunk.map((Item) => store.ctx.doc.send(new PutCommand({ TableName: tableName, Item }))));
    }
  };

  beforeAll(async () => {
    ({ store, tableName, drop } = await createTestStore());
    await restoreSeededItems(store.ctx.doc, tableName, await seededDemoDump(inject('seededDemoDir')));
    context = { doc: store.ctx.doc, tableName, log: (line) => log.push(line) };
  });
  afterAll(async () => drop?.());

  it('moves every item of the old partitions to the keys today’s code writes, and changes nothing on a second run', async () => {
    // Prepare: the seeded demo as today's code wrote it, then put back into the layout of before the shards
    const today = await scan();
    const old = today.map(beforeTheShards);
    // Each index key an item has in an old partition is one change for the migration to make.
    const changes = (i: number) => ['gsi1pk', 'gsi2pk'].filter((name) => old[i]?.[name] !== today[i]?.[name]).length;
    const moved = today.map((_, i) => i).filter((i) => changes(i) > 0);
    await put(moved.map((i) => old[i] as Item));
    // Prepare: a run that died part-way had already moved ten of them
    const done = moved.slice(0, 10);
    await put(done.map((i) => today[i] as Item));

    // Act
    const first = await shardIndexPartitions.run(context);
    const second = await shardIndexPartitions.run(context);

    // Assess
    expect(moved.length).toBeGreaterThan(100);
    expect(await scan()).toEqual(today);
    const sum = (indexes: number[]) => indexes.reduce((total, i) => total + changes(i), 0);
    expect(first.changed).toBe(sum(moved) - sum(done));
    expect(second.changed).toBe(0);
  });

  it('runs a migration once: the first start records its marker, the next start runs nothing', async () => {
    // Prepare: a table on which 0001 has not been recorded
    await store.ctx.doc.send(
      new DeleteCommand({ TableName: tableName, Key: { pk: 'MIGRATION', sk: shardIndexPartitions.id } }),
    );

    // Act
    const first = await runMigrations(context, [shardIndexPartitions]);
    const second = await runMigrations(context, [shardIndexPartitions]);

    // Assess
    const marker = await store.ctx.doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'pk = :m',
        ExpressionAttributeValues: { ':m': 'MIGRATION' },
      }),
    );
    expect(first).toEqual([shardIndexPartitions.id]);
    expect(second).toEqual([]);
    expect(marker.Items?.filter((m) => m.sk === shardIndexPartitions.id)).toHaveLength(1);
  });

  it('pages the audit timeline of every system across its shards newest first, each event once, none skipped', async () => {
    // Prepare: what the table holds, in the order of one unsharded partition
    const expected = (await scan())
      .filter((i) => i.itemType === 'audit')
      .map((i) => String(i.gsi1sk))
      .sort()
      .reverse();

    // Act: small pages, so that every page boundary falls somewhere inside a shard
    const events = await allPages<AuditEvent>(async (page) => {
      const out = await store.audit.listAuditEvents({}, { ...page, limit: 7 });
      expect(out.items.length).toBeLessThanOrEqual(7);
      return out;
    });

    // Assess
    expect(new Set(expected.map((sk) => sk.split('#')[1])).size).toBeGreaterThan(1);
    expect(events.map((e) => `${e.at}#${e.systemId}#${String(e.seq).padStart(10, '0')}`)).toEqual(expected);
  });
});
