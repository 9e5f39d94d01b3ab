// Idempotency-Key over HTTP against the local stack: a replayed POST answers with the first response and changes
// nothing; a key is bound to its first request and to the user who sent it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { promptInput, systemInput } from '../support/fixtures.js';
import { type ApiResponse, apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };
type Page = { items: Json[]; nextCursor: string | null };

let stack: LocalStack;
let dataDir: string;
let systemId: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);
const key = () => `key-${randomUUID()}`;
const idem = (k: string) => ({ 'idempotency-key': k });

/** What the admin sees of the system: its chain, its prompt versions and the systems list. */
async function state() {
  const admin = as('ada.admin');
  const [chain, prompts, systems] = await Promise.all([
    admin.get<{ table: { ok: boolean; events: number; headSeq: number; headHash: string } }>(
      `/api/audit-events/verify?systemId=${systemId}`,
    ),
    admin.get<Page>(`/api/prompts?systemId=${systemId}&limit=100`),
    admin.get<Page>('/api/systems?limit=100'),
  ]);
  expect(chain.body.table.ok).toBe(true);
  return {
    chain: chain.body.table,
    prompts: prompts.body.items.map((p) => p.id).sort(),
    systems: systems.body.items.map((s) => s.id).sort(),
  };
}

function expectReplayOf(replay: ApiResponse, first: ApiResponse) {
  expect(replay.status).toBe(first.status);
  expect(replay.body).toEqual(first.body);
  expect(replay.headers.get('idempotent-replayed')).toBe('true');
  expect(replay.headers.get('content-type')).toBe(first.headers.get('content-type'));
  expect(replay.headers.get('location')).toBe(first.headers.get('location'));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-idem-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-idem-${Date.now()}`,
    seed: false,
  });
  const system = await as('omar.owner').post<Json>('/api/systems', systemInput({ ownerTeam: 'support-ai' }));
  expect(system.status).toBe(201);
  systemId = system.body.id;
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('replaying a POST with the same Idempotency-Key', () => {
  it('answers a replayed prompt version with the first status and body and creates nothing new', async () => {
    const owner = as('omar.owner');
    const k = key();
    const first = await owner.post<Json>('/api/prompts', promptInput(systemId), idem(k));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const before = await state();
    expect(before.prompts).toContain(first.body.id);

    const replays = [
      await owner.post<Json>('/api/prompts', promptInput(systemId), idem(k)),
      await owner.post<Json>('/api/prompts', promptInput(systemId), idem(k)),
    ];

    for (const replay of replays) {
      expectReplayOf(replay, first);
      expect(replay.body.id).toBe(first.body.id);
    }
    expect(await state()).toEqual(before);
  });

  it('answers a replayed system registration with the same system and registers no second one', async () => {
    const owner = as('omar.owner');
    const k = key();
    const input = systemInput({ ownerTeam: 'claims-ai' });
    const first = await owner.post<Json>('/api/systems', input, idem(k));
    expect(first.status).toBe(201);
    const before = await state();

    const replay = await owner.post<Json>('/api/systems', input, idem(k));

    expectReplayOf(replay, first);
    expect(replay.body.id).toBe(first.body.id);
    expect(await state()).toEqual(before);
    const listed = await as('ada.admin').get<Page>('/api/systems?limit=100');
    expect(listed.body.items.filter((s) => s.name === input.name)).toHaveLength(1);
  });

  it('replays a transition with its first outcome instead of running it again', async () => {
    const owner = as('omar.owner');
    const prompt = await owner.post<Json>('/api/prompts', { ...promptInput(systemId), name: 'transition' });
    const k = key();
    const first = await owner.post<Json>(`/api/prompts/${prompt.body.id}/submit`, undefined, idem(k));
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('in_review');
    const before = await state();

    const replay = await owner.post<Json>(`/api/prompts/${prompt.body.id}/submit`, undefined, idem(k));
    const fresh = await owner.post(`/api/prompts/${prompt.body.id}/submit`);

    expectReplayOf(replay, first);
    expect(fresh.status).toBe(409);
    expect(await state()).toEqual(before);
  });

  it('replays a refusal too, so a retried 4xx answers as it did the first time', async () => {
    const owner = as('omar.owner');
    const k = key();
    const input = systemInput({ ownerTeam: 'other-team' });
    const first = await owner.post('/api/systems', input, idem(k));
    expect(first.status).toBe(403);
    const before = await state();

    const replay = await owner.post('/api/systems', input, idem(k));

    expectReplayOf(replay, first);
    expect(await state()).toEqual(before);
  });

  it('creates one prompt version when two requests with the same key race', async () => {
    const owner = as('omar.owner');
    const k = key();
    const body = { ...promptInput(systemId), name: 'raced' };
    const before = await state();

    const answers = await Promise.all([
      owner.post<Json>('/api/prompts', body, idem(k)),
      owner.post<Json>('/api/prompts', body, idem(k)),
    ]);

    const statuses = answers.map((r) => r.status).sort();
    expect([
      [201, 201],
      [201, 409],
    ]).toContainEqual(statuses);
    for (const r of answers.filter((x) => x.status === 409)) expect(r.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    const after = await state();
    expect(after.prompts.length).toBe(before.prompts.length + 1);
    expect(after.chain.events).toBe(before.chain.events + 1);
    const created = answers.filter((r) => r.status === 201).map((r) => r.body.id);
    expect(new Set(created).size).toBe(1);
  });
});

describe('reusing a key for a different request', () => {
  it('refuses the same key with a different body with 422 IDEMPOTENCY_KEY_REUSED and creates nothing', async () => {
    const owner = as('omar.owner');
    const k = key();
    const first = await owner.post<Json>('/api/prompts', { ...promptInput(systemId), name: 'reused' }, idem(k));
    expect(first.status).toBe(201);
    const before = await state();

    const reused = await owner.post(
      '/api/prompts',
      { ...promptInput(systemId), name: 'reused', template: 'B' },
      idem(k),
    );
    const otherRoute = await owner.post(`/api/prompts/${first.body.id}/submit`, undefined, idem(k));

    for (const res of [reused, otherRoute]) {
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }
    expect(await state()).toEqual(before);
    expect((await as('ada.admin').get<Json>(`/api/prompts/${first.body.id}`)).body.status).toBe('draft');
  });

  it("keeps one user's key independent of another user's same key", async () => {
    const k = key();
    const body = { ...promptInput(systemId), name: 'shared-key' };
    const omar = await as('omar.owner').post<Json>('/api/prompts', body, idem(k));
    expect(omar.status).toBe(201);
    const before = await state();

    const ada = await as('ada.admin').post<Json>('/api/prompts', body, idem(k));
    const omarAgain = await as('omar.owner').post<Json>('/api/prompts', body, idem(k));

    expect(ada.status).toBe(201);
    expect(ada.headers.get('idempotent-replayed')).toBeNull();
    expect(ada.body.id).not.toBe(omar.body.id);
    expect(ada.body).toMatchObject({ createdBy: 'ada.admin', version: (omar.body.version as number) + 1 });
    expectReplayOf(omarAgain, omar);
    const after = await state();
    expect(after.prompts).toEqual([...before.prompts, ada.body.id].sort());
    expect(after.chain.events).toBe(before.chain.events + 1);
    const adaReplay = await as('ada.admin').post<Json>('/api/prompts', body, idem(k));
    expectReplayOf(adaReplay, ada);
  });
});

describe('invalid keys', () => {
  it.each([
    ['an empty key', ''],
    ['a key with spaces', 'my key'],
    ['a key with a slash', 'a/b'],
    ['a key with a hash', 'IDEMP#x'],
    ['a key over 128 characters', 'k'.repeat(129)],
  ])('refuses %s with 400 and creates nothing', async (_label, k) => {
    const before = await state();
    const res = await as('omar.owner').post('/api/prompts', { ...promptInput(systemId), name: 'bad-key' }, idem(k));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: expect.any(String), title: 'Bad Request', status: 400 });
    expect(await state()).toEqual(before);
  });

  it('accepts a key of exactly 128 allowed characters', async () => {
    const k = `${'A-z0_.:'.repeat(18)}ab`;
    expect(k).toHaveLength(128);
    const res = await as('omar.owner').post('/api/prompts', { ...promptInput(systemId), name: 'long-key' }, idem(k));
    expect(res.status).toBe(201);
  });
});
