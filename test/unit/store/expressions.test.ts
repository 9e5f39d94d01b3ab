import { describe, expect, it } from 'vitest';
import { buildCondition, buildKeyCondition, buildUpdate, updateParams } from '../../../functions/store/expressions.js';
import { claimCondition } from '../../../functions/store/idempotency.js';
import { queries } from '../../../functions/store/keys.js';

describe('buildUpdate', () => {
  it('writes SET, ADD and REMOVE clauses in that order with placeholders for every name and value', () => {
    // Prepare
    const spec = { set: { status: 'active', updatedAt: 'T1' }, add: { version: 1 }, remove: ['expiresAt'] };

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built).toEqual({
      UpdateExpression: 'SET #n0 = :v0, #n1 = :v1 ADD #n2 :v2 REMOVE #n3',
      ExpressionAttributeNames: { '#n0': 'status', '#n1': 'updatedAt', '#n2': 'version', '#n3': 'expiresAt' },
      ExpressionAttributeValues: { ':v0': 'active', ':v1': 'T1', ':v2': 1 },
    });
  });

  it('addresses a nested attribute segment by segment and reuses the placeholder of a repeated segment', () => {
    // Prepare
    const spec = { set: { 'activeReleases.production': 'rc_2', 'counters.production': 3 } };

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built.UpdateExpression).toBe('SET #n0.#n1 = :v0, #n2.#n1 = :v1');
    expect(built.ExpressionAttributeNames).toEqual({ '#n0': 'activeReleases', '#n1': 'production', '#n2': 'counters' });
    expect(built.ExpressionAttributeValues).toEqual({ ':v0': 'rc_2', ':v1': 3 });
  });

  it('joins the conditions with AND and shares name placeholders between the update and its conditions', () => {
    // Prepare
    const spec = {
      set: { status: 'approved' },
      add: { version: 1 },
      conditions: [
        { path: 'status', op: '=' as const, value: 'awaiting_approval' },
        { path: 'version', op: '=' as const, value: 4 },
      ],
    };

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built.UpdateExpression).toBe('SET #n0 = :v0 ADD #n1 :v1');
    expect(built.ConditionExpression).toBe('#n0 = :v2 AND #n1 = :v3');
    expect(built.ExpressionAttributeNames).toEqual({ '#n0': 'status', '#n1': 'version' });
    expect(built.ExpressionAttributeValues).toEqual({
      ':v0': 'approved',
      ':v1': 1,
      ':v2': 'awaiting_approval',
      ':v3': 4,
    });
  });

  it('keeps a null value as a value placeholder, so a condition can require an attribute to be null', () => {
    // Prepare
    const spec = {
      set: { 'activeReleases.production': 'rc_1' },
      conditions: [{ path: 'activeReleases.production', op: '=' as const, value: null }],
    };

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built.ConditionExpression).toBe('#n0.#n1 = :v1');
    expect(built.ExpressionAttributeValues).toEqual({ ':v0': 'rc_1', ':v1': null });
  });

  it('returns no expression members at all for an empty spec', () => {
    // Prepare
    const spec = {};

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built).toEqual({});
  });

  it('never puts an attribute name or a value into the expression text itself', () => {
    // Prepare: reserved words and characters that DynamoDB would reject in a bare expression
    const spec = { set: { name: 'x', 'size-bytes': 2, ttl: 3 }, remove: ['comment'] };

    // Act
    const built = buildUpdate(spec);

    // Assess
    expect(built.UpdateExpression).toBe('SET #n0 = :v0, #n1 = :v1, #n2 = :v2 REMOVE #n3');
    expect(built.UpdateExpression).not.toMatch(/name|size|ttl|comment/);
  });
});

describe('buildCondition', () => {
  it('renders each comparison operator with a name and a value placeholder', () => {
    // Prepare
    const ops = ['=', '<>', '<', '<=', '>', '>='] as const;

    // Act
    const built = ops.map((op) => buildCondition([{ path: 'seq', op, value: 7 }]));

    // Assess
    expect(built.map((b) => b.ConditionExpression)).toEqual([
      '#n0 = :v0',
      '#n0 <> :v0',
      '#n0 < :v0',
      '#n0 <= :v0',
      '#n0 > :v0',
      '#n0 >= :v0',
    ]);
    for (const b of built) {
      expect(b.ExpressionAttributeNames).toEqual({ '#n0': 'seq' });
      expect(b.ExpressionAttributeValues).toEqual({ ':v0': 7 });
      expect(b.UpdateExpression).toBeUndefined();
    }
  });

  it('renders existence checks as functions without any value', () => {
    // Prepare
    const conditions = [
      { path: 'pk', op: 'not_exists' as const },
      { path: 'reviewedBy', op: 'exists' as const },
    ];

    // Act
    const built = buildCondition(conditions);

    // Assess
    expect(built).toEqual({
      ConditionExpression: 'attribute_not_exists(#n0) AND attribute_exists(#n1)',
      ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'reviewedBy' },
    });
  });

  it('renders IN with one value placeholder per member', () => {
    // Prepare
    const conditions = [{ path: 'status', op: 'in' as const, values: ['open', 'mitigating'] }];

    // Act
    const built = buildCondition(conditions);

    // Assess
    expect(built).toEqual({
      ConditionExpression: '#n0 IN (:v0, :v1)',
      ExpressionAttributeNames: { '#n0': 'status' },
      ExpressionAttributeValues: { ':v0': 'open', ':v1': 'mitigating' },
    });
  });

  it('gives every value its own placeholder even when two values are equal', () => {
    // Prepare
    const conditions = [
      { path: 'status', op: '=' as const, value: 'approved' },
      { path: 'previousStatus', op: '<>' as const, value: 'approved' },
    ];

    // Act
    const built = buildCondition(conditions);

    // Assess
    expect(built.ConditionExpression).toBe('#n0 = :v0 AND #n1 <> :v1');
    expect(built.ExpressionAttributeValues).toEqual({ ':v0': 'approved', ':v1': 'approved' });
  });

  it('returns an empty result for no conditions, so that a Put carries no ConditionExpression', () => {
    // Prepare
    const conditions: never[] = [];

    // Act
    const built = buildCondition(conditions);

    // Assess
    expect(built).toEqual({});
  });
});

describe('anyOf conditions', () => {
  it('renders groups joined with OR, each group joined with AND, and parenthesises the OR beside other conditions', () => {
    // Prepare
    const conditions = [
      { path: 'version', op: '=' as const, value: 3 },
      {
        anyOf: [
          [{ path: 'pk', op: 'not_exists' as const }],
          [
            { path: 'state', op: '=' as const, value: 'in_progress' },
            { path: 'claimedAt', op: '<' as const, value: 10 },
          ],
        ],
      },
    ];

    // Act
    const built = buildCondition(conditions);

    // Assess
    expect(built).toEqual({
      ConditionExpression: '#n0 = :v0 AND ((attribute_not_exists(#n1)) OR (#n2 = :v1 AND #n3 < :v2))',
      ExpressionAttributeNames: { '#n0': 'version', '#n1': 'pk', '#n2': 'state', '#n3': 'claimedAt' },
      ExpressionAttributeValues: { ':v0': 3, ':v1': 'in_progress', ':v2': 10 },
    });
  });

  it('claims an idempotency key that is absent, expired, or abandoned by a request that died a minute ago', () => {
    // Act
    const built = claimCondition(1_000);

    // Assess
    expect(built).toEqual({
      ConditionExpression: '(attribute_not_exists(#n0)) OR (#n1 < :v0) OR (#n2 = :v1 AND #n3 < :v2)',
      ExpressionAttributeNames: { '#n0': 'pk', '#n1': 'ttl', '#n2': 'state', '#n3': 'claimedAt' },
      ExpressionAttributeValues: { ':v0': 1_000, ':v1': 'in_progress', ':v2': 940 },
    });
  });
});

describe('updateParams', () => {
  it('gives the UpdateExpression an UpdateItem requires, and refuses a spec that changes nothing', () => {
    // Act
    const built = updateParams({ add: { casesDone: 5 } });

    // Assess
    expect(built).toEqual({
      UpdateExpression: 'ADD #n0 :v0',
      ExpressionAttributeNames: { '#n0': 'casesDone' },
      ExpressionAttributeValues: { ':v0': 5 },
    });
    expect(() => updateParams({ conditions: [{ path: 'pk', op: 'exists' }] })).toThrow(/must set, add or remove/);
  });
});

describe('buildKeyCondition', () => {
  it('queries the table partition by pk alone, with no sort key name when no sort key condition is asked', () => {
    // Act
    const built = buildKeyCondition({ partition: 'SYS#sys_1' });

    // Assess
    expect(built).toEqual({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': 'SYS#sys_1' },
    });
  });

  it("queries an index by its own key names and narrows by the list's sort key prefix", () => {
    // Act
    const { shards, ...queue } = queries.approvalQueue('pending', 'risk');
    const built = buildKeyCondition({ ...queue, partition: shards[3] ?? '' });

    // Assess
    expect(built).toEqual({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'gsi2pk', '#sk': 'gsi2sk' },
      ExpressionAttributeValues: { ':pk': 'APRQ#pending#3', ':prefix': 'risk#' },
    });
  });

  it('bounds the sort key from above for the reporting clocks due by a time', () => {
    // Act
    const { index, shards } = queries.openReportingClocks();
    const built = buildKeyCondition({ index, partition: shards[0] ?? '', upTo: '2025-01-01T00:00:00.000Z#~' });

    // Assess
    expect(built).toEqual({
      KeyConditionExpression: '#pk = :pk AND #sk <= :upTo',
      ExpressionAttributeNames: { '#pk': 'gsi2pk', '#sk': 'gsi2sk' },
      ExpressionAttributeValues: { ':pk': 'INCCLOCK#open#0', ':upTo': '2025-01-01T00:00:00.000Z#~' },
    });
  });

  it('adds filters as a FilterExpression whose placeholders never collide with the key placeholders', () => {
    // Act
    const built = buildKeyCondition({
      ...queries.incidentsOfSystem('sys_1'),
      filters: [{ path: 'status', op: '=', value: 'open' }],
    });

    // Assess
    expect(built).toEqual({
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: '#n0 = :v0',
      ExpressionAttributeNames: { '#pk': 'gsi1pk', '#n0': 'status' },
      ExpressionAttributeValues: { ':pk': 'SYS#sys_1#INC', ':v0': 'open' },
    });
  });
});
