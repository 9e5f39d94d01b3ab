import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INDEX_SHARDS, KEY_ATTRIBUTES, keys, pad, queries, shardOf, toEntity } from '../../../functions/store/keys.js';

describe('pad', () => {
  it('zero-pads to ten digits by default and to the width asked for', () => {
    // Prepare
    const n = 42;

    // Act
    const padded = [pad(n), pad(n, 6), pad(0, 8)];

    // Assess
    expect(padded).toEqual(['0000000042', '000042', '00000000']);
  });

  it('makes lexical order equal numeric order for every number that fits the width', () => {
    fc.assert(
      fc.property(fc.nat({ max: 999_999 }), fc.nat({ max: 999_999 }), (a, b) => {
        // Act
        const lexical = pad(a, 6) < pad(b, 6);

        // Assess
        expect(lexical).toBe(a < b);
      }),
    );
  });

  it('sorts a run of audit sequence numbers in numeric order where unpadded strings would not', () => {
    // Prepare
    const seqs = [1, 2, 9, 10, 11, 100, 1000];

    // Act
    const sorted = seqs.map((s) => keys.auditEvent('sys_1', s).sk).sort();
    const unpadded = seqs.map(String).sort();

    // Assess
    expect(sorted).toEqual(seqs.map((s) => `SEQ#${pad(s)}`));
    expect(unpadded).not.toEqual(seqs.map(String));
  });
});

describe('keys', () => {
  it('addresses a system by its META item and guards its name case- and space-insensitively', () => {
    // Prepare
    const id = 'sys_01';

    // Act
    const meta = keys.system(id);
    const names = [keys.systemName('Ticket Triage'), keys.systemName('  ticket triage ')];
    const index = keys.systemsIndex(' Ticket Triage', id);

    // Assess
    expect(meta).toEqual({ pk: 'SYS#sys_01', sk: 'META' });
    expect(names[0]).toEqual({ pk: 'SYSNAME#ticket triage', sk: 'UNIQUE' });
    expect(names[1]).toEqual(names[0]);
    expect(index).toEqual({ gsi1pk: `SYSTEMS#${shardOf(id)}`, gsi1sk: 'ticket triage#sys_01' });
  });

  it('lists versions of a named artefact under the system, in version order, with a global index by id', () => {
    // Prepare
    const versions = [1, 2, 10, 100];

    // Act
    const prompt = versions.map((v) => keys.promptIndexes('sys_1', 'triage', v, `pv_${v}`));
    const config = keys.modelConfigIndexes('sys_1', 'primary', 3, 'mc_3');
    const dataset = keys.datasetIndexes('sys_1', 'baseline', 2, 'ds_2');

    // Assess
    expect(prompt[2]).toEqual({
      gsi1pk: 'SYS#sys_1#PV',
      gsi1sk: 'triage#000010',
      gsi2pk: `PV#${shardOf('pv_10')}`,
      gsi2sk: 'pv_10',
    });
    expect(prompt.map((p) => p.gsi1sk).sort()).toEqual(prompt.map((p) => p.gsi1sk));
    expect(config).toMatchObject({ gsi1pk: 'SYS#sys_1#MC', gsi1sk: 'primary#000003', gsi2pk: `MC#${shardOf('mc_3')}` });
    expect(dataset).toMatchObject({
      gsi1pk: 'SYS#sys_1#DS',
      gsi1sk: 'baseline#000002',
      gsi2pk: `DS#${shardOf('ds_2')}`,
    });
  });

  it('gives every entity its own partition with a META item', () => {
    // Prepare
    const builders = [
      [keys.prompt, 'PV'],
      [keys.modelConfig, 'MC'],
      [keys.dataset, 'DS'],
      [keys.candidate, 'RC'],
      [keys.evalRun, 'RUN'],
      [keys.approval, 'APR'],
      [keys.incident, 'INC'],
    ] as const;

    // Act
    const built = builders.map(([key]) => key('x1'));

    // Assess
    expect(built).toEqual(builders.map(([, prefix]) => ({ pk: `${prefix}#x1`, sk: 'META' })));
  });

  it('keeps dataset cases and per-case results in index order under their parent, next to the prefix that finds them', () => {
    // Prepare
    const indexes = [0, 1, 9, 10, 12345];

    // Act
    const caseKeys = indexes.map((i) => keys.datasetCase('ds_1', i));
    const resultKeys = indexes.map((i) => keys.evalCaseResult('run_1', i));
    const casePrefix = keys.datasetCasePrefix('ds_1');
    const resultPrefix = keys.evalCaseResultPrefix('run_1');

    // Assess
    expect(caseKeys[4]).toEqual({ pk: 'DS#ds_1', sk: 'CASE#00012345' });
    expect(caseKeys.map((k) => k.sk).sort()).toEqual(caseKeys.map((k) => k.sk));
    expect(resultKeys.map((k) => k.sk).sort()).toEqual(resultKeys.map((k) => k.sk));
    for (const k of caseKeys) expect(k.pk === casePrefix.pk && k.sk.startsWith(casePrefix.skPrefix)).toBe(true);
    for (const k of resultKeys) expect(k.pk === resultPrefix.pk && k.sk.startsWith(resultPrefix.skPrefix)).toBe(true);
  });

  it('keeps batch aggregates of a run apart from its case results', () => {
    // Prepare
    const runId = 'run_1';

    // Act
    const aggregate = keys.evalBatchAggregate(runId, 3);
    const prefix = keys.evalBatchAggregatePrefix(runId);

    // Assess
    expect(aggregate).toEqual({ pk: 'RUN#run_1', sk: 'AGG#000003' });
    expect(aggregate.sk.startsWith(prefix.skPrefix)).toBe(true);
    expect(aggregate.sk.startsWith(keys.evalCaseResultPrefix(runId).skPrefix)).toBe(false);
  });

  it('puts the audit chain in its own partition, ordered by seq, and on a global timeline ordered by time', () => {
    // Prepare
    const at = '2025-03-01T10:00:00.000Z';

    // Act
    const event = keys.auditEvent('sys_1', 7);
    const timeline = keys.auditIndexes(at, 'sys_1', 7);

    // Assess
    expect(event).toEqual({ pk: 'SYS#sys_1#AUDIT', sk: 'SEQ#0000000007' });
    expect(keys.auditPartition('sys_1')).toBe(event.pk);
    expect(timeline).toEqual({ gsi1pk: `AUDIT#${shardOf('sys_1')}`, gsi1sk: `${at}#sys_1#0000000007` });
    expect(event.pk).not.toBe(keys.system('sys_1').pk);
  });

  it('orders the approval queue by role then request time, partitioned by status', () => {
    // Prepare
    const early = keys.approvalIndexes('pending', 'product', '2025-03-01T10:00:00.000Z', 'apr_b');
    const late = keys.approvalIndexes('pending', 'product', '2025-03-02T10:00:00.000Z', 'apr_a');
    const other = keys.approvalIndexes('pending', 'technical', '2025-03-01T09:00:00.000Z', 'apr_c');

    // Act
    const order = [late, other, early].map((k) => k.gsi2sk).sort();

    // Assess
    expect(early.gsi2pk).toBe(`APRQ#pending#${shardOf('apr_b')}`);
    expect(early).not.toHaveProperty('gsi1pk');
    expect(order).toEqual([early.gsi2sk, late.gsi2sk, other.gsi2sk]);
    expect(early.gsi2sk.startsWith('product#')).toBe(true);
  });

  it('orders open incidents with the most severe first', () => {
    // Prepare
    const critical = keys.incidentIndexes('sys_1', 'open', 1, 'inc_z');
    const low = keys.incidentIndexes('sys_1', 'open', 4, 'inc_a');

    // Act
    const order = [low, critical].map((k) => k.gsi2sk).sort();

    // Assess
    expect(critical).toEqual({
      gsi1pk: 'SYS#sys_1#INC',
      gsi1sk: 'inc_z',
      gsi2pk: `INC#open#${shardOf('inc_z')}`,
      gsi2sk: '1#inc_z',
    });
    expect(order).toEqual([critical.gsi2sk, low.gsi2sk]);
  });

  it('keeps promotions and rollbacks under the system partition behind their own prefixes', () => {
    // Prepare
    const systemId = 'sys_1';

    // Act
    const promotion = keys.promotion(systemId, 'prm_1');
    const rollback = keys.rollback(systemId, 'rb_1');

    // Assess
    expect(promotion).toEqual({ pk: 'SYS#sys_1', sk: 'PROMO#prm_1' });
    expect(rollback).toEqual({ pk: 'SYS#sys_1', sk: 'ROLLBACK#rb_1' });
    expect(promotion.sk.startsWith(keys.promotionPrefix(systemId).skPrefix)).toBe(true);
    expect(rollback.sk.startsWith(keys.promotionPrefix(systemId).skPrefix)).toBe(false);
    expect(keys.system(systemId).sk.startsWith(keys.promotionPrefix(systemId).skPrefix)).toBe(false);
  });

  it('scopes idempotency records by caller scope and orders policy versions numerically', () => {
    // Prepare
    const scope = 'u_1:POST /systems';

    // Act
    const record = keys.idempotency(scope, 'key-1');
    const policies = [1, 2, 10].map((v) => keys.policy(v).sk);

    // Assess
    expect(record).toEqual({ pk: 'IDEMP#u_1:POST /systems#key-1', sk: 'IDEMP' });
    expect(keys.idempotency('u_2:POST /systems', 'key-1').pk).not.toBe(record.pk);
    expect([...policies].sort()).toEqual(policies);
  });
});

describe('shardOf', () => {
  it('puts an id in the same shard on every call and in every release, within the fixed shard count', () => {
    // Act
    const shards = ['sys_01', 'apr_b', ''].map(shardOf);

    // Assess: pinned values, since a change would strand every item written before it in the wrong partition
    expect(INDEX_SHARDS).toBe(8);
    expect(shards).toEqual([0, 7, 5]);
  });

  it('spreads ULID-like ids of one system over every shard, none holding more than twice its share', () => {
    // Prepare: ids minted in one millisecond differ only in their random tail
    const ids = Array.from({ length: 4000 }, (_, i) => `rc_01JD0000000000${i.toString(36).padStart(6, '0')}`);

    // Act
    const counts = new Array<number>(INDEX_SHARDS).fill(0);
    for (const id of ids) counts[shardOf(id)] = (counts[shardOf(id)] ?? 0) + 1;

    // Assess
    expect(Math.min(...counts)).toBeGreaterThan(ids.length / INDEX_SHARDS / 2);
    expect(Math.max(...counts)).toBeLessThan((ids.length / INDEX_SHARDS) * 2);
  });

  it('answers a shard in range for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (id) => {
        const shard = shardOf(id);
        return Number.isInteger(shard) && shard >= 0 && shard < INDEX_SHARDS;
      }),
    );
  });
});

describe('queries', () => {
  it('reads each list from the index partition its items are written to', () => {
    // Prepare: the index keys of one item of each list, as the store writes them
    const written = [
      [queries.systems(), keys.systemsIndex('Triage', 'sys_1').gsi1pk],
      [queries.versionsOfSystem('sys_1', 'PV'), keys.promptIndexes('sys_1', 'p', 1, 'pv_1').gsi1pk],
      [queries.versionsOfSystem('sys_1', 'MC'), keys.modelConfigIndexes('sys_1', 'm', 1, 'mc_1').gsi1pk],
      [queries.versionsOfSystem('sys_1', 'DS'), keys.datasetIndexes('sys_1', 'd', 1, 'ds_1').gsi1pk],
      [queries.allOfType('PV'), keys.promptIndexes('sys_1', 'p', 1, 'pv_1').gsi2pk],
      [queries.allOfType('MC'), keys.modelConfigIndexes('sys_1', 'm', 1, 'mc_1').gsi2pk],
      [queries.allOfType('DS'), keys.datasetIndexes('sys_1', 'd', 1, 'ds_1').gsi2pk],
      [queries.candidatesOfSystem('sys_1'), keys.candidateIndexes('sys_1', 'rc_1').gsi1pk],
      [queries.allOfType('RC'), keys.candidateIndexes('sys_1', 'rc_1').gsi2pk],
      [queries.runsOfCandidate('rc_1'), keys.evalRunIndexes('rc_1', 'run_1').gsi1pk],
      [queries.allOfType('RUN'), keys.evalRunIndexes('rc_1', 'run_1').gsi2pk],
      [queries.unfinishedRuns(), keys.evalRunUnfinishedIndex('run_1').gsi2pk],
      [queries.approvalQueue('pending'), keys.approvalIndexes('pending', 'risk', 't', 'apr_1').gsi2pk],
      [queries.incidentsOfSystem('sys_1'), keys.incidentIndexes('sys_1', 'open', 1, 'inc_1').gsi1pk],
      [queries.incidentsByStatus('mitigating'), keys.incidentIndexes('sys_1', 'mitigating', 1, 'inc_1').gsi2pk],
      [queries.openReportingClocks(), keys.incidentClockIndex('2025-01-01T00:00:00.000Z', 'inc_1').gsi2pk],
      [queries.auditTimeline(), keys.auditIndexes('2025-01-01T00:00:00.000Z', 'sys_1', 1).gsi1pk],
      [queries.webhooks(), keys.webhooksIndex('whk_1').gsi1pk],
    ] as const;

    // Act: a sharded list reads every shard, among them the one the item was written to
    const mismatches = written.filter(([query, partition]) =>
      'shards' in query ? !query.shards.includes(partition) : query.partition !== partition,
    );

    // Assess
    expect(mismatches).toEqual([]);
  });

  it('names the index of each list: gsi1 for lists under a parent and by name, gsi2 for queues and per-type lists', () => {
    // Act
    const lists = {
      systems: queries.systems(),
      promptsOfSystem: queries.versionsOfSystem('sys_1', 'PV'),
      allRuns: queries.allOfType('RUN'),
      approvalQueue: queries.approvalQueue('pending'),
      audit: queries.auditTimeline(),
    };

    // Assess
    const shardsOf = (base: string) => Array.from({ length: INDEX_SHARDS }, (_, n) => `${base}#${n}`);
    expect(lists).toEqual({
      systems: { index: 'gsi1', shards: shardsOf('SYSTEMS') },
      promptsOfSystem: { index: 'gsi1', partition: 'SYS#sys_1#PV' },
      allRuns: { index: 'gsi2', shards: shardsOf('RUN') },
      approvalQueue: { index: 'gsi2', shards: shardsOf('APRQ#pending') },
      audit: { index: 'gsi1', shards: shardsOf('AUDIT') },
    });
  });

  it('narrows a list by sort key prefix only when asked: versions of one name, the queue of one role', () => {
    // Act
    const narrowed = [queries.versionsOfSystem('sys_1', 'MC', 'router'), queries.approvalQueue('approved', 'risk')];
    const whole = [queries.versionsOfSystem('sys_1', 'MC'), queries.approvalQueue('approved')];

    // Assess
    expect(narrowed.map((q) => q.prefix)).toEqual(['router#', 'risk#']);
    expect(whole.every((q) => !('prefix' in q))).toBe(true);
    // The prefix matches the sort key the write side gives that name and role.
    expect(keys.modelConfigIndexes('sys_1', 'router', 3, 'mc_1').gsi1sk.startsWith('router#')).toBe(true);
    expect(keys.approvalIndexes('approved', 'risk', 't', 'apr_1').gsi2sk.startsWith('risk#')).toBe(true);
  });
});

describe('toEntity', () => {
  it('strips the layout attributes and the store bookkeeping, keeping every entity member', () => {
    // Prepare
    const item = {
      ...keys.system('sys_1'),
      ...keys.systemsIndex('Triage', 'sys_1'),
      gsi2pk: 'x',
      gsi2sk: 'y',
      itemType: 'system',
      ttl: 1,
      auditSeq: 3,
      auditHash: 'h',
      counters: { 'PV:triage': 2 },
      siblingIds: ['apr_1'],
      id: 'sys_1',
      name: 'Triage',
      status: 'active',
    };

    // Act
    const entity = toEntity<Record<string, unknown>>(item);

    // Assess
    expect(entity).toEqual({ id: 'sys_1', name: 'Triage', status: 'active' });
    for (const attribute of KEY_ATTRIBUTES) expect(entity).not.toHaveProperty(attribute);
    expect(item.pk).toBe('SYS#sys_1');
  });
});
