// Bad requests over HTTP against the local stack: every one is refused with a 4xx problem+json that names what was
// wrong and leaks nothing internal, and none of them changes the table (the audit chains, the lists and every item).
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../functions/domain/ids.js';
import { keys } from '../../functions/store/keys.js';
import { type DevKeys, loadOrCreateDevKeys, mintToken } from '../../local/dev-keys.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { devKeysDir } from '../../local/token.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../support/fixtures.js';
import { type ApiResponse, apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };
type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
  reasons?: { code: string; message: string }[];
  errors?: { path: string; message: string }[];
};

const PASSING = [{ metric: 'accuracy', direction: 'min', value: 0 }];

let stack: LocalStack;
let dataDir: string;
let devKeys: DevKeys;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

/** What the fixture built once: a medium-tier support-ai system with its artefacts and two candidates. */
const ids = {
  system: '',
  otherSystem: '',
  prompt: '',
  config: '',
  dataset: '',
  /** Submitted, evaluated, awaiting approval; its technical approval is decided, the product one pending. */
  candidate: '',
  /** Still a draft. */
  draft: '',
  technicalApproval: '',
  productApproval: '',
  run: '',
};

/** Asserts a problem+json of `status` with the RFC 9457 members and nothing of the server's insides. */
function expectProblem(res: ApiResponse, status: number): ProblemBody {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
  expect(res.body).not.toHaveProperty('stack');
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/node_modules|\/work\/|\/var\/task|file:\/\/|\.[cm]?[jt]s:\d+|\bat \S+ \(/);
  expect(text).not.toMatch(/Exception|DynamoDB|TableName|ConditionExpression/);
  return res.body as unknown as ProblemBody;
}

/** Every item of the table by its key, with its canonical text. */
async function tableItems(): Promise<Map<string, { item: Record<string, unknown>; text: string }>> {
  const items = new Map<string, { item: Record<string, unknown>; text: string }>();
  let start: Record<string, unknown> | undefined;
  do {
    const out: ScanCommandOutput = await stack.doc.send(
      new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    // Verification checkpoints (ADR 0013) are advanced by the verify reads this snapshot itself makes whenever the
    // archive has written a new digest meanwhile: bookkeeping of reads, not something a request wrote.
    // Metric rollups (ADR 0043) are derived after the fact from committed audit events (a recorded refusal is one),
    // by the bus's consumer, at a moment of its own: counts of what was committed, not something a request wrote.
    for (const item of out.Items ?? [])
      if (item.pk !== 'AUDIT#VERIFICATION' && item.itemType !== 'rollup' && item.itemType !== 'rollup_mark')
        items.set(`${item.pk}\u0000${item.sk}`, { item, text: canonical(item) });
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of the table, canonical and sorted: the strongest "nothing changed" there is. */
async function tableDigest(): Promise<{ items: number; sha256: string }> {
  const lines = [...(await tableItems()).values()].map((i) => i.text).sort();
  return { items: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
}

function canonical(value: unknown): string {
  if (value instanceof Set) return canonical([...value].sort());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The verification of the system's stored chain, what an admin sees of the fixture through the API (the system, the
 * lists a bad request could have grown) plus the table digest, which covers every other list and object. The chain
 * is verified through the store, as GET /api/audit-events/verify does for its `table` member: that route also
 * reads the S3 archive, which no bad request reaches, and did so in twice the time of all the other reads together.
 */
async function snapshot() {
  const admin = as('ada.admin');
  const sys = ids.system;
  const digest = tableDigest();
  const [chain, system, ...lists] = await Promise.all([
    stack.store.audit.verifyStoredChain(sys).then((table) => ({ status: 200, body: { table } })),
    admin.get(`/api/systems/${sys}`),
    admin.get('/api/systems?limit=100'),
    admin.get(`/api/prompts?systemId=${sys}&limit=100`),
    admin.get(`/api/release-candidates?systemId=${sys}&limit=100`),
    admin.get('/api/approvals?limit=100'),
  ]);
  for (const r of [chain, system, ...lists]) expect(r.status).toBe(200);
  return { chain: chain.body.table, system: system.body, lists: lists.map((r) => r.body), table: await digest };
}

/** Runs `act` and asserts that it changed nothing: the chain, the system, the lists and every item of the table. */
async function unchanged<T>(act: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const out = await act();
  const after = await snapshot();
  expect(after.chain).toEqual(before.chain);
  expect(after.system).toEqual(before.system);
  expect(after.lists).toEqual(before.lists);
  expect(after.table).toEqual(before.table);
  return out;
}

/**
 * Runs `act`, a promotion the gate refuses, and asserts that it changed nothing but the refusal's record (ADR 0037):
 * one `release.promotion_refused` of `candidateId` on the system's chain, written in a transaction of its own that
 * moves the chain's head on the system's item (auditSeq, auditHash, version, updatedAt) and puts the refusal's dedup
 * item. Every other item, every list but the system's new version, and the system's other fields are as they were.
 */
async function unchangedButTheRefusal<T>(candidateId: string, act: () => Promise<T>): Promise<T> {
  const before = await snapshot();
  const itemsBefore = await tableItems();
  const out = await act();
  const after = await snapshot();
  const itemsAfter = await tableItems();
  const seq = before.chain.headSeq + 1;
  expect(after.chain).toEqual({
    ...before.chain,
    events: before.chain.events + 1,
    headSeq: seq,
    headHash: expect.any(String),
  });
  expect(after.system).toEqual({
    ...before.system,
    version: (before.system.version as number) + 1,
    updatedAt: expect.any(String),
  });
  const [systems, ...otherLists] = before.lists as [{ items: { id: string; version: number }[] }, ...unknown[]];
  const systemsNow = {
    ...systems,
    items: systems.items.map((s) =>
      s.id === ids.system ? { ...s, version: s.version + 1, updatedAt: after.system.updatedAt } : s,
    ),
  };
  expect(after.lists).toEqual([systemsNow, ...otherLists]);
  const changed = [...new Set([...itemsBefore.keys(), ...itemsAfter.keys()])].filter(
    (k) => itemsBefore.get(k)?.text !== itemsAfter.get(k)?.text,
  );
  const { pk, sk } = keys.system(ids.system);
  const systemKey = `${pk}\u0000${sk}`;
  expect(changed.filter((k) => itemsBefore.has(k))).toEqual([systemKey]);
  const headFields = ['auditSeq', 'auditHash', 'version', 'updatedAt'];
  const withoutHead = (item: Record<string, unknown> | undefined) =>
    Object.fromEntries(Object.entries(item ?? {}).filter(([k]) => !headFields.includes(k)));
  expect(withoutHead(itemsAfter.get(systemKey)?.item)).toEqual(withoutHead(itemsBefore.get(systemKey)?.item));
  expect(itemsAfter.get(systemKey)?.item).toMatchObject({ auditSeq: seq, auditHash: after.chain.headHash });
  const added = changed.filter((k) => !itemsBefore.has(k)).map((k) => itemsAfter.get(k)?.item ?? {});
  expect(added.map((i) => i.itemType).sort()).toEqual(['audit', 'refusal_dedup']);
  expect(added.find((i) => i.itemType === 'audit')).toMatchObject({
    systemId: ids.system,
    seq,
    action: 'release.promotion_refused',
    entityType: 'candidate',
    entityId: candidateId,
    after: { candidateId, kind: 'promote' },
  });
  return out;
}

/** True when the 400's `errors` name the field (in the path or, for unknown keys, the message). */
function refusesByName(problem: ProblemBody, field: string): boolean {
  return (problem.errors ?? []).some(
    (e) => e.path.split(/[.,]/).includes(field) || new RegExp(`\\b${field}\\b`).test(e.message),
  );
}

async function buildFixture() {
  const owner = as('omar.owner');
  const technical = as('tessa.technical');
  const created = async (path: string, body: unknown) => {
    const res = await owner.post<Json>(path, body);
    expect(res.status).toBe(201);
    return res.body.id;
  };
  ids.system = await created('/api/systems', systemInput({ ownerTeam: 'support-ai', riskTier: 'medium' }));
  ids.otherSystem = await created('/api/systems', systemInput({ ownerTeam: 'docs-ai', riskTier: 'low' }));
  ids.prompt = await created('/api/prompts', promptInput(ids.system));
  ids.config = await created('/api/model-configs', modelConfigInput(ids.system));
  ids.dataset = await created('/api/eval-datasets', {
    systemId: ids.system,
    name: 'baseline',
    kind: 'baseline',
    cases: cases(6),
  });
  for (const [kind, id] of [
    ['prompts', ids.prompt],
    ['model-configs', ids.config],
  ] as const) {
    expect((await owner.post(`/api/${kind}/${id}/submit`)).status).toBe(200);
    expect((await technical.post(`/api/${kind}/${id}/approve`, { comment: 'reviewed' })).status).toBe(200);
  }
  const candidateBody = {
    systemId: ids.system,
    name: 'release',
    promptVersionId: ids.prompt,
    modelConfigId: ids.config,
    datasetIds: [ids.dataset],
    thresholds: PASSING,
  };
  ids.candidate = await created('/api/release-candidates', candidateBody);
  ids.draft = await created('/api/release-candidates', { ...candidateBody, name: 'draft' });
  expect((await owner.post(`/api/release-candidates/${ids.candidate}/submit`)).status).toBe(200);
  const run = await owner.post<Json>(`/api/release-candidates/${ids.candidate}/run-evals`, { executor: 'simulated' });
  expect(run.status).toBe(202);
  ids.run = run.body.id;
  // The stack's runner started the run before answering 202: once it is idle, the run has ended.
  await stack.evalRunner.idle();
  const finished = await owner.get<Json>(`/api/eval-runs/${ids.run}`);
  expect(finished.body.status).toBe('passed');
  const round = await owner.post<{ approvals: Json[] }>(`/api/release-candidates/${ids.candidate}/request-approval`);
  expect(round.status).toBe(200);
  const byRole = Object.fromEntries(round.body.approvals.map((a) => [a.role as string, a.id]));
  ids.technicalApproval = byRole.technical as string;
  ids.productApproval = byRole.product as string;
  expect((await technical.post(`/api/approvals/${ids.technicalApproval}/approve`, { comment: 'ok' })).status).toBe(200);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-bad-input-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-bad-input-${Date.now()}`,
    seed: false,
  });
  devKeys = await loadOrCreateDevKeys(devKeysDir(dataDir));
  await buildFixture();
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('bodies that are not JSON objects', () => {
  it('refuses malformed JSON, an array, a string, a number and null as a body with 400 and registers nothing', async () => {
    const owner = as('omar.owner');
    const raws = ['{"name": "half', '[{"name":"x"}]', '"register me"', '42', 'null'];
    const answers = await unchanged(async () => {
      const out: ApiResponse[] = [];
      for (const raw of raws) out.push(await owner.post('/api/systems', raw));
      return out;
    });
    for (const res of answers) expectProblem(res, 400);
  });

  it('refuses a body sent as text/plain with 415 and creates no prompt version', async () => {
    const res = await unchanged(() =>
      as('omar.owner').raw('POST', '/api/prompts', JSON.stringify(promptInput(ids.system)), {
        'content-type': 'text/plain',
      }),
    );
    expectProblem(res, 415);
  });

  it('refuses a body on a route that takes none with 400 and does not submit the draft', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post(`/api/release-candidates/${ids.draft}/submit`, { force: true }),
    );
    expectProblem(res, 400);
  });
});

describe('bodies of the wrong shape', () => {
  it('refuses a numeric risk tier with 400 naming riskTier', async () => {
    const res = await unchanged(() => as('omar.owner').post('/api/systems', { ...systemInput(), riskTier: 7 }));
    expect(refusesByName(expectProblem(res, 400), 'riskTier')).toBe(true);
  });

  it('refuses a numeric risk tier in a system patch with 400 naming riskTier', async () => {
    const res = await unchanged(() => as('omar.owner').patch(`/api/systems/${ids.system}`, { riskTier: 7 }));
    expect(refusesByName(expectProblem(res, 400), 'riskTier')).toBe(true);
  });

  it('refuses thresholds that are not an array with 400 naming thresholds', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/release-candidates', {
        systemId: ids.system,
        name: 'bad thresholds',
        promptVersionId: ids.prompt,
        modelConfigId: ids.config,
        datasetIds: [ids.dataset],
        thresholds: { metric: 'accuracy', direction: 'min', value: 0.5 },
      }),
    );
    expect(refusesByName(expectProblem(res, 400), 'thresholds')).toBe(true);
  });

  it('refuses a string where the model config wants a number with 400 naming timeoutMs', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/model-configs', { ...modelConfigInput(ids.system), timeoutMs: '5000' }),
    );
    expect(refusesByName(expectProblem(res, 400), 'timeoutMs')).toBe(true);
  });

  it('refuses a missing required field with 400 naming it', async () => {
    const { outputContract: _dropped, ...withoutContract } = promptInput(ids.system);
    const res = await unchanged(() => as('omar.owner').post('/api/prompts', withoutContract));
    expect(refusesByName(expectProblem(res, 400), 'outputContract')).toBe(true);
  });

  it('refuses an unknown field with 400 naming it', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/prompts', { ...promptInput(ids.system), temperature: 0.3 }),
    );
    expect(refusesByName(expectProblem(res, 400), 'temperature')).toBe(true);
  });

  it('refuses an unknown nested field with 400 naming it', async () => {
    const config = modelConfigInput(ids.system);
    const res = await unchanged(() =>
      as('omar.owner').post('/api/model-configs', { ...config, parameters: { ...config.parameters, seed: 7 } }),
    );
    expect(refusesByName(expectProblem(res, 400), 'seed')).toBe(true);
  });

  it('refuses an unknown query parameter and a page size out of range with 400', async () => {
    const owner = as('omar.owner');
    expect(refusesByName(expectProblem(await owner.get('/api/systems?admin=true'), 400), 'admin')).toBe(true);
    expect(refusesByName(expectProblem(await owner.get('/api/systems?limit=0'), 400), 'limit')).toBe(true);
    expect(refusesByName(expectProblem(await owner.get('/api/systems?limit=1000'), 400), 'limit')).toBe(true);
    expect(refusesByName(expectProblem(await owner.get('/api/prompts?systemId=nope'), 400), 'systemId')).toBe(true);
  });
});

describe('protected fields (no mass assignment)', () => {
  const candidateBody = () => ({
    systemId: ids.system,
    name: 'mass assignment',
    promptVersionId: ids.prompt,
    modelConfigId: ids.config,
    datasetIds: [ids.dataset],
    thresholds: PASSING,
  });
  const attempts: [string, string[], () => { method: 'POST' | 'PATCH'; path: string; body: object }][] = [
    [
      'system registration',
      ['status', 'createdBy', 'approvedBy', 'id', 'version', 'activeReleases'],
      () => ({ method: 'POST', path: '/api/systems', body: systemInput() }),
    ],
    [
      'system patch',
      ['createdBy', 'approvedBy', 'id', 'version', 'activeReleases', 'ownerTeam', 'name'],
      () => ({ method: 'PATCH', path: `/api/systems/${ids.system}`, body: { description: 'new' } }),
    ],
    [
      'prompt version',
      ['status', 'createdBy', 'approvedBy', 'id', 'version', 'contentHash'],
      () => ({ method: 'POST', path: '/api/prompts', body: promptInput(ids.system) }),
    ],
    [
      'model config',
      ['status', 'createdBy', 'version', 'contentHash'],
      () => ({ method: 'POST', path: '/api/model-configs', body: modelConfigInput(ids.system) }),
    ],
    [
      'release candidate',
      ['status', 'createdBy', 'approvedBy', 'id', 'version', 'snapshotHash', 'requiredRoles', 'approvalIds'],
      () => ({ method: 'POST', path: '/api/release-candidates', body: candidateBody() }),
    ],
    [
      'approval decision',
      ['status', 'approvedBy', 'reviewerId', 'role'],
      () => ({ method: 'POST', path: `/api/approvals/${ids.productApproval}/approve`, body: {} }),
    ],
    [
      'promotion',
      ['approvedBy', 'snapshotHash', 'activeReleases', 'status'],
      () => ({
        method: 'POST',
        path: `/api/release-candidates/${ids.candidate}/promote`,
        body: { expectedActiveCandidateId: null },
      }),
    ],
    [
      'eval dataset',
      ['createdBy', 'version', 'id'],
      () => ({
        method: 'POST',
        path: '/api/eval-datasets',
        body: { systemId: ids.system, name: 'more', kind: 'regression', cases: cases(2) },
      }),
    ],
  ];

  it.each(attempts)(
    'refuses a %s that sets any of %j, each by name, and changes nothing',
    async (_l, fields, request) => {
      const { method, path, body } = request();
      const owner = as('omar.owner');
      const answers = await unchanged(async () => {
        const out: [string, ApiResponse][] = [];
        for (const field of fields) {
          const value = field === 'activeReleases' ? { production: ids.candidate, staging: null } : 'ada.admin';
          out.push([field, await owner.raw(method, path, { ...body, [field]: value })]);
        }
        return out;
      });
      for (const [field, res] of answers) expect(refusesByName(expectProblem(res, 400), field), field).toBe(true);
    },
  );

  it('refuses a patch that sets the lifecycle to retired, naming status', async () => {
    const res = await unchanged(() =>
      as('omar.owner').patch(`/api/systems/${ids.system}`, { status: 'retired', retirementReason: 'bypass' }),
    );
    const problem = expectProblem(res, 400);
    expect(refusesByName(problem, 'status')).toBe(true);
    expect(refusesByName(problem, 'retirementReason')).toBe(true);
  });
});

describe('oversized bodies', () => {
  it('refuses a system registration over its 256 KiB limit with 413', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/systems', systemInput({ description: 'x'.repeat(300 * 1024) })),
    );
    expectProblem(res, 413);
  });

  it('refuses a prompt version over its 1 MiB limit with 413', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/prompts', { ...promptInput(ids.system), template: 'y'.repeat(1100 * 1024) }),
    );
    expectProblem(res, 413);
  });

  it('refuses a dataset over the server-wide limit with 413 before any handler runs', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/eval-datasets', {
        systemId: ids.system,
        name: 'huge',
        kind: 'baseline',
        description: 'z'.repeat(7 * 1024 * 1024),
        cases: cases(1),
      }),
    );
    expectProblem(res, 413);
  });

  it('refuses a dataset whose assertion schema does not compile with a 400 naming the case, writing nothing', async () => {
    // The datasets API lends the store ajv's compiler (ADR 0052): the check stays in one pass with the others.
    const bad = cases(3).map((c, i) =>
      i === 1 ? { ...c, assert: [{ type: 'json-schema', value: { type: 'no-such-type' } }] } : c,
    );
    const res = await unchanged(() =>
      as('omar.owner').post('/api/eval-datasets', {
        systemId: ids.system,
        name: 'schemas',
        kind: 'baseline',
        cases: bad,
      }),
    );
    const problem = expectProblem(res, 400);
    expect(problem.detail).toMatch(/case case-1 \(index 1\).*not a valid JSON Schema/);
    expect(JSON.stringify(problem)).toContain('cases.1.assert.0.value');
  });
});

/** A JSON Schema whose `const` nests objects so that the body (level 1) reaches `depth` levels: contract 2, const 3. */
function nestedContract(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = {};
  for (let level = depth; level > 3; level--) node = { n: node };
  return { const: node };
}

// DynamoDB refuses what no request may make it store (AWS DynamoDB Developer Guide, "Quotas in Amazon DynamoDB",
// docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html: "The maximum item size in DynamoDB is
// 400 KB"; "DynamoDB supports nested attributes up to 32 levels deep"; strings are Unicode with UTF-8 binary
// encoding, which a lone UTF-16 surrogate has none of). DynamoDB Local enforces the same: these run against it.
describe('input that reaches AWS limits', () => {
  it('refuses a lone UTF-16 surrogate in an audited text with 400 naming the field, and stores nothing', async () => {
    const res = await unchanged(() =>
      as('omar.owner').post('/api/systems', systemInput({ description: `broken \ud800 text` })),
    );
    const problem = expectProblem(res, 400);
    expect(refusesByName(problem, 'description')).toBe(true);
  });

  it('refuses a lone low surrogate deep in a prompt contract with 400 naming its path', async () => {
    const contract = { type: 'object', properties: { ticket: { type: 'string', description: 'tail \udc00' } } };
    const res = await unchanged(() =>
      as('omar.owner').post('/api/prompts', { ...promptInput(ids.system), name: 'surrogate', inputContract: contract }),
    );
    const problem = expectProblem(res, 400);
    expect(problem.errors?.[0]?.path).toBe('inputContract.properties.ticket.description');
  });

  it('refuses a lone surrogate in a key with 400, and in a query with 400', async () => {
    const keyed = await unchanged(() =>
      as('omar.owner').post('/api/prompts', {
        ...promptInput(ids.system),
        name: 'surrogate-key',
        outputContract: { type: 'object', properties: { '\ud83d': { type: 'string' } } },
      }),
    );
    expect(refusesByName(expectProblem(keyed, 400), 'outputContract')).toBe(true);
    const query = await as('omar.owner').get(`/api/systems?cursor=${encodeURIComponent('a')}%ED%A0%80`);
    expect(query.status).toBeGreaterThanOrEqual(400);
    expect(query.status).toBeLessThan(500);
  });

  it('keeps a surrogate pair (an emoji) as the text it is', async () => {
    const res = await as('omar.owner').post<Json>('/api/prompts', {
      ...promptInput(ids.system),
      name: 'emoji',
      template: 'Classify the ticket \ud83d\ude00: {{ticket}}',
    });
    expect(res.status).toBe(201);
    expect((res.body as unknown as { template: string }).template).toContain('\u{1F600}');
  });

  it('refuses JSON nested deeper than DynamoDB can store with 400 naming the path, and stores nothing', async () => {
    for (const depth of [21, 33, 200]) {
      const res = await unchanged(() =>
        as('omar.owner').post('/api/prompts', {
          ...promptInput(ids.system),
          name: 'deep',
          outputContract: nestedContract(depth),
        }),
      );
      const problem = expectProblem(res, 400);
      expect(problem.errors?.[0]?.path).toMatch(/^outputContract\.const\.n\./);
      expect(problem.errors?.[0]?.message).toContain('20 levels');
    }
  });

  it('stores a contract at the deepest nesting a body may have, audit event and all', async () => {
    const res = await as('omar.owner').post<Json>('/api/prompts', {
      ...promptInput(ids.system),
      name: 'deepest',
      outputContract: nestedContract(20),
    });
    expect(res.status).toBe(201);
    const submitted = await as('omar.owner').post<Json>(`/api/prompts/${res.body.id}/submit`, {});
    expect(submitted.status).toBe(200);
  });

  it('refuses a record over the 400 KB item size with 413 naming the field, and stores nothing', async () => {
    // Under the prompt route's 1 MiB body limit, over what one DynamoDB item holds.
    const res = await unchanged(() =>
      as('omar.owner').post('/api/prompts', {
        ...promptInput(ids.system),
        name: 'big',
        inputContract: { type: 'object', description: 't'.repeat(450 * 1024) },
      }),
    );
    expect(res.body).toMatchObject({ status: 413 });
    const problem = expectProblem(res, 413);
    expect(refusesByName(problem, 'inputContract')).toBe(true);
  });
});

describe('invalid transitions', () => {
  it('refuses to submit a prompt version twice with 409 INVALID_STATE', async () => {
    const res = await unchanged(() => as('omar.owner').post(`/api/prompts/${ids.prompt}/submit`));
    expect(expectProblem(res, 409).code).toBe('INVALID_STATE');
  });

  it('refuses to submit a release candidate twice with 409 INVALID_STATE', async () => {
    const res = await unchanged(() => as('omar.owner').post(`/api/release-candidates/${ids.candidate}/submit`));
    expect(expectProblem(res, 409).code).toBe('INVALID_STATE');
  });

  it('refuses to approve a decided approval again, by its reviewer or another, with 409 INVALID_STATE', async () => {
    for (const reviewer of ['tessa.technical', 'tom.technical']) {
      const res = await unchanged(() =>
        as(reviewer).post(`/api/approvals/${ids.technicalApproval}/approve`, { comment: 'again' }),
      );
      expect(expectProblem(res, 409).code).toBe('INVALID_STATE');
    }
  });

  it('refuses to promote a draft with 409 listing INVALID_STATE among its reasons, recording only the refusal', async () => {
    const res = await unchangedButTheRefusal(ids.draft, () =>
      as('omar.owner').post(`/api/release-candidates/${ids.draft}/promote`, { expectedActiveCandidateId: null }),
    );
    const problem = expectProblem(res, 409);
    expect(problem.reasons?.map((r) => r.code)).toEqual(expect.arrayContaining(['INVALID_STATE', 'EVAL_MISSING']));
  });

  it('refuses to open an approval round for a draft with 409 INVALID_STATE', async () => {
    const res = await unchanged(() => as('omar.owner').post(`/api/release-candidates/${ids.draft}/request-approval`));
    expect(expectProblem(res, 409).code).toBe('INVALID_STATE');
  });
});

describe("another team's objects", () => {
  let stranger: ReturnType<typeof apiClient>;
  beforeAll(async () => {
    const token = await stack.mint({
      userId: 'sam.stranger',
      name: 'Sam Stranger',
      roles: ['model_owner'],
      teams: ['other-team'],
      systems: [],
    });
    stranger = apiClient(stack.url, token);
  });

  it('answers 404 to every read of the support-ai objects by a model owner of other-team', async () => {
    const paths = [
      `/api/systems/${ids.system}`,
      `/api/prompts/${ids.prompt}`,
      `/api/model-configs/${ids.config}`,
      `/api/eval-datasets/${ids.dataset}`,
      `/api/release-candidates/${ids.candidate}`,
      `/api/release-candidates/${ids.candidate}/gate`,
      `/api/approvals/${ids.productApproval}`,
      `/api/eval-runs/${ids.run}`,
      `/api/eval-runs/${ids.run}/cases`,
      `/api/eval-runs?candidateId=${ids.candidate}`,
      `/api/prompts?systemId=${ids.system}`,
      `/api/release-candidates?systemId=${ids.system}`,
      `/api/incidents?systemId=${ids.system}`,
      `/api/audit-events?systemId=${ids.system}`,
      `/api/audit-events/verify?systemId=${ids.system}`,
    ];
    for (const path of paths) expectProblem(await stranger.get(path), 404);
  });

  it('answers 404, not 403, to every write on the support-ai objects and changes nothing', async () => {
    const writes: [string, string, unknown][] = [
      ['POST', '/api/prompts', promptInput(ids.system)],
      ['POST', '/api/model-configs', modelConfigInput(ids.system)],
      ['POST', '/api/eval-datasets', { systemId: ids.system, name: 'x', kind: 'baseline', cases: cases(1) }],
      [
        'POST',
        '/api/release-candidates',
        {
          systemId: ids.system,
          name: 'foreign',
          promptVersionId: ids.prompt,
          modelConfigId: ids.config,
          datasetIds: [ids.dataset],
          thresholds: PASSING,
        },
      ],
      ['POST', `/api/prompts/${ids.prompt}/submit`, undefined],
      ['POST', `/api/release-candidates/${ids.draft}/submit`, undefined],
      ['POST', `/api/release-candidates/${ids.candidate}/promote`, { expectedActiveCandidateId: null }],
      ['POST', `/api/approvals/${ids.productApproval}/approve`, {}],
      ['POST', '/api/incidents', { systemId: ids.system, title: 'fake outage', severity: 'critical' }],
      ['PATCH', `/api/systems/${ids.system}`, { riskTier: 'low' }],
      ['POST', `/api/systems/${ids.system}/retire`, { reason: 'hostile takeover' }],
    ];
    const answers = await unchanged(async () => {
      const out: ApiResponse[] = [];
      for (const [method, path, body] of writes) out.push(await stranger.raw(method, path, body));
      return out;
    });
    for (const [i, res] of answers.entries()) expect(expectProblem(res, 404).status, writes[i]?.[1]).toBe(404);
  });

  it.each([
    ['system', '/api/systems', () => ids.system, () => newId('sys')],
    ['prompt version', '/api/prompts', () => ids.prompt, () => newId('pv')],
    ['release candidate', '/api/release-candidates', () => ids.candidate, () => newId('rc')],
    ['approval', '/api/approvals', () => ids.productApproval, () => newId('apr')],
  ])(
    'answers a hidden %s exactly as an id that does not exist, so existence does not leak',
    async (_kind, base, hiddenId, missingId) => {
      const hidden = hiddenId();
      const missing = missingId();
      const a = await stranger.get(`${base}/${hidden}`);
      const b = await stranger.get(`${base}/${missing}`);
      expectProblem(a, 404);
      expectProblem(b, 404);
      const shape = (res: ApiResponse, id: string) => JSON.parse(JSON.stringify(res.body).replaceAll(id, '<id>'));
      expect(shape(a, hidden)).toEqual(shape(b, missing));
      // Nor does the answer about a version, a candidate or an approval name the system it belongs to.
      if (hidden !== ids.system) expect(JSON.stringify(a.body)).not.toContain(ids.system);
    },
  );
});

describe('malformed ids', () => {
  it.each([
    ['a system id without its prefix', '/api/systems/not-an-id'],
    ['a system id of the wrong kind', () => `/api/systems/${ids.prompt}`],
    ['a prompt id that is too short', '/api/prompts/pv_123'],
    ['a candidate id with key syntax in it', '/api/release-candidates/rc_X%23META'],
    ['an approval id of lower-case letters', '/api/approvals/apr_abcdefghijklmnopqrstuvwxyz'],
    ['an overlong system id', `/api/systems/sys_${'A'.repeat(3000)}`],
    ['an overlong prompt id', `/api/prompts/${'p'.repeat(3000)}`],
  ])('refuses %s in the path with 400', async (_label, path) => {
    const res = await as('ada.admin').get(typeof path === 'function' ? path() : path);
    expectProblem(res, 400);
  });

  it('refuses a malformed id in the path of a write with 400 and changes nothing', async () => {
    const res = await unchanged(() => as('omar.owner').post('/api/release-candidates/not-an-id/submit'));
    expectProblem(res, 400);
  });

  it('refuses malformed ids in a body and a query with 400 naming the field', async () => {
    const owner = as('omar.owner');
    const body = await unchanged(() =>
      owner.post('/api/release-candidates', {
        systemId: ids.system,
        name: 'bad ids',
        promptVersionId: 'pv_nope',
        modelConfigId: ids.config,
        datasetIds: [ids.dataset],
        thresholds: PASSING,
      }),
    );
    expect(refusesByName(expectProblem(body, 400), 'promptVersionId')).toBe(true);
    const query = await owner.get('/api/eval-runs?candidateId=rc_nope');
    expect(refusesByName(expectProblem(query, 400), 'candidateId')).toBe(true);
  });
});

describe('authentication', () => {
  const claims = () => ({ name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'], systems: [] });

  async function foreignToken(kid: string): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    expect((await exportJWK(publicKey)).x).not.toBe(devKeys.publicJwk.x);
    return new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(devKeys.issuer)
      .setAudience(devKeys.audience)
      .setSubject('omar.owner')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  }

  /** A read and a write with the given Authorization header (or none): both 401, the write changes nothing. */
  async function expectUnauthorized(authorization: string | undefined) {
    const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
    const client = apiClient(stack.url);
    expectProblem(await client.get(`/api/systems/${ids.system}`, headers), 401);
    const write = await unchanged(() => client.post('/api/prompts', promptInput(ids.system), headers));
    return expectProblem(write, 401);
  }

  it('refuses a request without a token with 401', async () => {
    await expectUnauthorized(undefined);
  });

  it('refuses a token signed by another key with the same kid with 401', async () => {
    await expectUnauthorized(`Bearer ${await foreignToken(devKeys.kid)}`);
  });

  it('refuses a token signed by another key with its own kid with 401', async () => {
    await expectUnauthorized(`Bearer ${await foreignToken('attacker-key')}`);
  });

  it('refuses an expired token with 401 TOKEN_EXPIRED', async () => {
    const expired = await mintToken({
      keys: devKeys,
      userId: 'omar.owner',
      name: 'Omar Owner',
      roles: ['model_owner'],
      teams: ['support-ai'],
      expiresIn: '-1h',
    });
    expect((await expectUnauthorized(`Bearer ${expired}`)).code).toBe('TOKEN_EXPIRED');
  });

  it('refuses a valid token whose payload was edited to claim admin with 401', async () => {
    const [header, payload, signature] = (stack.tokens['omar.owner']?.token ?? '').split('.');
    const forged = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    forged.roles = ['admin'];
    const edited = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    await expectUnauthorized(`Bearer ${edited}`);
  });

  it('refuses an unsigned token (alg none) with 401', async () => {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part({
      ...claims(),
      roles: ['admin'],
      sub: 'ada.admin',
      iss: devKeys.issuer,
      aud: devKeys.audience,
      iat: now,
      exp: now + 3600,
    })}.`;
    await expectUnauthorized(`Bearer ${unsigned}`);
  });

  it('refuses garbled Authorization headers with 401', async () => {
    const token = stack.tokens['omar.owner']?.token ?? '';
    const headers = [
      '',
      'Bearer',
      'Basic b21hcjpwYXNzd29yZA==',
      'Bearer {"sub":"ada.admin"}',
      'Bearer ...',
      'Bearer abc.def.ghi',
      `Bearer ${token.slice(0, 60)}`,
      `Bearer ${token} ${stack.tokens['ada.admin']?.token}`,
      `Bearer ${token}.${token}`,
      `Bearer ${'a'.repeat(12_000)}`,
    ];
    const client = apiClient(stack.url);
    const answers = await unchanged(async () => {
      const out: ApiResponse[] = [];
      for (const authorization of headers) {
        out.push(await client.get(`/api/systems/${ids.system}`, { authorization }));
        out.push(await client.post('/api/prompts', promptInput(ids.system), { authorization }));
      }
      return out;
    });
    for (const res of answers) expectProblem(res, 401);
  });
});

describe('routing', () => {
  it('answers an unknown API route with 404', async () => {
    const admin = as('ada.admin');
    expectProblem(await admin.get('/api/does-not-exist'), 404);
    expectProblem(await admin.get(`/api/systems/${ids.system}/secrets`), 404);
    const write = await unchanged(() => admin.post(`/api/systems/${ids.system}/clone`, systemInput()));
    expectProblem(write, 404);
  });

  it('answers a wrong method on a known route with 405 and the allowed methods', async () => {
    const admin = as('ada.admin');
    const [del, put, patch] = await unchanged(async () => [
      await admin.raw('DELETE', `/api/systems/${ids.system}`),
      await admin.raw('PUT', `/api/prompts/${ids.prompt}`, { template: 'x' }),
      await admin.raw('PATCH', '/api/audit-events', {}),
    ]);
    for (const res of [del, put, patch]) expectProblem(res as ApiResponse, 405);
    expect(del?.headers.get('allow')).toBe('GET, PATCH');
    expect(put?.headers.get('allow')).toBe('GET');
  });
});

describe('cursors', () => {
  it('refuses a cursor that is not base64 JSON with 400', async () => {
    const res = await as('omar.owner').get('/api/systems?cursor=not-a-cursor!!');
    expect(refusesByName(expectProblem(res, 400), 'cursor') || res.body.field === 'cursor').toBe(true);
  });

  it('refuses a cursor naming attributes that are not keys with 400', async () => {
    const cursor = Buffer.from(JSON.stringify({ pk: 'SYS#x', status: 'active' })).toString('base64url');
    expectProblem(await as('omar.owner').get(`/api/systems?cursor=${cursor}`), 400);
  });

  it('refuses a well-formed cursor that does not fit the list with 400, not 500', async () => {
    const owner = as('omar.owner');
    const crafted = Buffer.from(JSON.stringify({ pk: 'SYS#x' })).toString('base64url');
    expectProblem(await owner.get(`/api/systems?cursor=${crafted}`), 400);
  });

  it("refuses one list's cursor on another list with 400, not 500", async () => {
    const admin = as('ada.admin');
    const page = await admin.get<{ nextCursor: string | null }>('/api/systems?limit=1');
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const res = await admin.get(`/api/prompts?systemId=${ids.system}&cursor=${page.body.nextCursor}`);
    expectProblem(res, 400);
  });
});

describe('roles that may not write', () => {
  it('refuses every write of an auditor with 403 and changes nothing', async () => {
    const auditor = as('aud.auditor');
    const writes: [string, string, unknown][] = [
      ['POST', '/api/systems', systemInput({ ownerTeam: 'support-ai' })],
      ['POST', '/api/prompts', promptInput(ids.system)],
      [
        'POST',
        '/api/release-candidates',
        {
          systemId: ids.system,
          name: 'audited',
          promptVersionId: ids.prompt,
          modelConfigId: ids.config,
          datasetIds: [ids.dataset],
          thresholds: PASSING,
        },
      ],
      ['POST', `/api/release-candidates/${ids.draft}/submit`, undefined],
      ['POST', `/api/release-candidates/${ids.candidate}/promote`, { expectedActiveCandidateId: null }],
      ['POST', `/api/approvals/${ids.productApproval}/approve`, {}],
      ['POST', '/api/incidents', { systemId: ids.system, title: 'audit finding', severity: 'low' }],
      ['PATCH', `/api/systems/${ids.system}`, { description: 'audited' }],
      ['POST', `/api/systems/${ids.system}/retire`, { reason: 'audit' }],
    ];
    const answers = await unchanged(async () => {
      const out: ApiResponse[] = [];
      for (const [method, path, body] of writes) out.push(await auditor.raw(method, path, body));
      return out;
    });
    for (const [i, res] of answers.entries()) expect(expectProblem(res, 403).status, writes[i]?.[1]).toBe(403);
  });

  it('answers 404 to a pipeline scoped to another system, for reads and writes, and changes nothing', async () => {
    const token = await stack.mint({
      userId: 'docs.pipeline',
      name: 'Docs pipeline',
      roles: ['pipeline'],
      teams: [],
      systems: [ids.otherSystem],
    });
    const pipeline = apiClient(stack.url, token);
    expectProblem(await pipeline.get(`/api/systems/${ids.system}`), 404);
    expectProblem(await pipeline.get(`/api/release-candidates/${ids.candidate}`), 404);
    const writes: [string, string, unknown][] = [
      ['POST', '/api/prompts', promptInput(ids.system)],
      ['POST', '/api/model-configs', modelConfigInput(ids.system)],
      [
        'POST',
        '/api/release-candidates',
        {
          systemId: ids.system,
          name: 'cross-system',
          promptVersionId: ids.prompt,
          modelConfigId: ids.config,
          datasetIds: [ids.dataset],
          thresholds: PASSING,
        },
      ],
      ['POST', `/api/release-candidates/${ids.draft}/submit`, undefined],
      ['POST', `/api/release-candidates/${ids.candidate}/run-evals`, {}],
      ['POST', `/api/release-candidates/${ids.candidate}/promote`, { expectedActiveCandidateId: null }],
    ];
    const answers = await unchanged(async () => {
      const out: ApiResponse[] = [];
      for (const [method, path, body] of writes) out.push(await pipeline.raw(method, path, body));
      return out;
    });
    for (const [i, res] of answers.entries()) expect(expectProblem(res, 404).status, writes[i]?.[1]).toBe(404);
  });
});
