// Per-object authorisation and separation of duties over HTTP against the local stack: who may see, write and
// decide what is decided on the verified principal and the stored object, never on the request.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../functions/domain/types.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../support/fixtures.js';
import { type ApiResponse, apiClient } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string; status: string };
type Client = ReturnType<typeof apiClient>;
type Approval = Json & { role: string; candidateId: string; reviewerId: string | null };
type Page<T> = { items: T[]; nextCursor: string | null };

const PASSING = [{ metric: 'accuracy', direction: 'min', value: 0 }];

let stack: LocalStack;
let dataDir: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);
const asPrincipal = async (p: Principal) => apiClient(stack.url, await stack.mint(p));
const person = (userId: string, roles: Principal['roles'], extra: Partial<Principal> = {}): Principal => ({
  userId,
  name: userId,
  roles,
  teams: [],
  systems: [],
  ...extra,
});

interface Governed {
  systemId: string;
  name: string;
  prompt: string;
  config: string;
  dataset: string;
}

/** What the fixture built: support-ai's system A and claims-ai's system B, each with approved artefacts. */
let a: Governed;
let b: Governed;

async function created(client: Client, path: string, body: unknown): Promise<Json> {
  const res = await client.post<Json>(path, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** A registered system with a prompt and a model config approved by the technical reviewer, and a dataset. */
async function governed(ownerTeam: string): Promise<Governed> {
  const owner = as('omar.owner');
  const input = systemInput({ ownerTeam, riskTier: 'medium' });
  const system = await created(owner, '/api/systems', input);
  const prompt = await created(owner, '/api/prompts', promptInput(system.id));
  const config = await created(owner, '/api/model-configs', modelConfigInput(system.id));
  const dataset = await created(owner, '/api/eval-datasets', {
    systemId: system.id,
    name: 'baseline',
    kind: 'baseline',
    cases: cases(4),
  });
  for (const [kind, id] of [
    ['prompts', prompt.id],
    ['model-configs', config.id],
  ] as const) {
    expect((await owner.post(`/api/${kind}/${id}/submit`)).status).toBe(200);
    expect((await as('tessa.technical').post(`/api/${kind}/${id}/approve`, { comment: 'ok' })).status).toBe(200);
  }
  return { systemId: system.id, name: input.name, prompt: prompt.id, config: config.id, dataset: dataset.id };
}

const candidateBody = (g: Governed, name = 'release') => ({
  systemId: g.systemId,
  name,
  promptVersionId: g.prompt,
  modelConfigId: g.config,
  datasetIds: [g.dataset],
  thresholds: PASSING,
});

/** A candidate built by `author`, submitted, evaluated (passed) and with its approval round open. */
async function awaitingApproval(
  author: Client,
  g: Governed,
  name = 'release',
): Promise<{ id: string; approvals: Record<string, string> }> {
  const candidate = await created(author, '/api/release-candidates', candidateBody(g, name));
  expect((await author.post(`/api/release-candidates/${candidate.id}/submit`)).status).toBe(200);
  const run = await author.post<Json>(`/api/release-candidates/${candidate.id}/run-evals`, { executor: 'simulated' });
  expect(run.status).toBe(202);
  // The stack's runner started the run before answering 202: once it is idle, the run has ended.
  await stack.evalRunner.idle();
  const finished = await author.get<Json>(`/api/eval-runs/${run.body.id}`);
  expect(finished.body.status).toBe('passed');
  const round = await author.post<{ approvals: Approval[] }>(
    `/api/release-candidates/${candidate.id}/request-approval`,
  );
  expect(round.status).toBe(200);
  return { id: candidate.id, approvals: Object.fromEntries(round.body.approvals.map((x) => [x.role, x.id])) };
}

/** Every item of a list, following its cursors; also the cursors it was handed. */
async function everything<T>(client: Client, path: string, limit = 1): Promise<{ items: T[]; cursors: string[] }> {
  const items: T[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: ApiResponse<Page<T>> = await client.get<Page<T>>(
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    if (cursor) cursors.push(cursor);
  } while (cursor);
  return { items, cursors };
}

/**
 * The length of the system's stored chain, verified: the `table` member of GET /api/audit-events/verify, read through
 * the store as that route reads it (the route also reads the S3 archive, which no refused request reaches and which is
 * the costlier part of the route; e2e/bad-input does the same).
 */
async function chainLength(systemId: string): Promise<number> {
  const table = await stack.store.audit.verifyStoredChain(systemId);
  expect(table.ok).toBe(true);
  return table.events;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-authz-'));
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName: `e2e-authz-${Date.now()}`,
    seed: false,
  });
  a = await governed('support-ai');
  b = await governed('claims-ai');
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('pipelines are scoped to their systems', () => {
  let pipeline: Client;
  beforeAll(async () => {
    pipeline = await asPrincipal(person('a.pipeline', ['pipeline'], { systems: [a.systemId] }));
  });

  it('lets a pipeline register versions and build a candidate of its own system', async () => {
    const prompt = await created(pipeline, '/api/prompts', {
      ...promptInput(a.systemId),
      changeSummary: 'from CI',
    });
    expect(prompt).toMatchObject({ systemId: a.systemId, version: 2, status: 'draft', createdBy: 'a.pipeline' });
    const config = await created(pipeline, '/api/model-configs', modelConfigInput(a.systemId));
    expect(config).toMatchObject({ systemId: a.systemId, version: 2, createdBy: 'a.pipeline' });
    const dataset = await created(pipeline, '/api/eval-datasets', {
      systemId: a.systemId,
      name: 'regression',
      kind: 'regression',
      cases: cases(2),
    });
    const candidate = await created(pipeline, '/api/release-candidates', {
      ...candidateBody(a, 'ci build'),
      promptVersionId: prompt.id,
      modelConfigId: config.id,
      datasetIds: [dataset.id, a.dataset],
    });
    expect(candidate).toMatchObject({ systemId: a.systemId, status: 'draft', createdBy: 'a.pipeline' });
    expect((await pipeline.post(`/api/prompts/${prompt.id}/submit`)).status).toBe(200);
    expect((await pipeline.get(`/api/release-candidates/${candidate.id}`)).status).toBe(200);
  });

  it("answers 404 when a pipeline writes to another system, and leaves that system's chain as it was", async () => {
    const before = await chainLength(b.systemId);
    const attempts = [
      await pipeline.post('/api/prompts', promptInput(b.systemId)),
      await pipeline.post('/api/model-configs', modelConfigInput(b.systemId)),
      await pipeline.post('/api/eval-datasets', { systemId: b.systemId, name: 'x', kind: 'baseline', cases: cases(1) }),
      await pipeline.post('/api/release-candidates', candidateBody(b, 'cross-system')),
      await pipeline.post(`/api/prompts/${b.prompt}/submit`),
      await pipeline.get(`/api/systems/${b.systemId}`),
      await pipeline.get(`/api/release-candidates?systemId=${b.systemId}`),
    ];
    expect(attempts.map((r) => r.status)).toEqual(attempts.map(() => 404));
    expect(await chainLength(b.systemId)).toBe(before);
    const listed = await as('ada.admin').get<Page<Json>>(`/api/release-candidates?systemId=${b.systemId}`);
    expect(listed.body.items).toEqual([]);
  });

  it("refuses a candidate of the pipeline's own system that points at another system's versions", async () => {
    const before = await chainLength(a.systemId);
    const res = await pipeline.post('/api/release-candidates', {
      ...candidateBody(a, 'smuggled'),
      promptVersionId: b.prompt,
    });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('promptVersionId');
    expect(await chainLength(a.systemId)).toBe(before);
  });

  it('does not let a pipeline change system metadata even for its own system', async () => {
    const before = await chainLength(a.systemId);
    const res = await pipeline.patch(`/api/systems/${a.systemId}`, { riskTier: 'low' });
    expect(res.status).toBe(403);
    expect(await chainLength(a.systemId)).toBe(before);
  });
});

describe('visibility of systems', () => {
  let stranger: Client;
  beforeAll(async () => {
    stranger = await asPrincipal(person('sam.stranger', ['model_owner'], { teams: ['other-team'] }));
  });

  it("keeps the system out of another team's model owner's GET /api/systems, page after page", async () => {
    const seen = await everything<Json>(stranger, '/api/systems');
    expect(seen.items.map((s) => s.id)).not.toContain(a.systemId);
    expect(seen.items.map((s) => s.id)).not.toContain(b.systemId);
    const owned = await everything<Json>(as('omar.owner'), '/api/systems');
    expect(owned.items.map((s) => s.id)).toEqual(expect.arrayContaining([a.systemId, b.systemId]));
    const claimsOnly = await asPrincipal(person('cleo.claims', ['model_owner'], { teams: ['claims-ai'] }));
    const claims = await everything<Json>(claimsOnly, '/api/systems');
    expect(claims.items.map((s) => s.id)).toContain(b.systemId);
    expect(claims.items.map((s) => s.id)).not.toContain(a.systemId);
  });

  it("does not reveal another team's system names or ids in the list's cursors either", async () => {
    const seen = await everything<Json>(stranger, '/api/systems');
    const decoded = seen.cursors.map((c) => Buffer.from(c, 'base64url').toString('utf8')).join('\n');
    for (const secret of [a.systemId, b.systemId, a.name.toLowerCase(), b.name.toLowerCase()]) {
      expect(decoded).not.toContain(secret);
    }
  });

  it("keeps another team's candidates, versions and approvals out of the unfiltered lists", async () => {
    const round = await awaitingApproval(as('omar.owner'), a, 'visibility');
    for (const path of ['/api/release-candidates', '/api/prompts', '/api/model-configs', '/api/approvals']) {
      const seen = await everything<Json & { systemId: string }>(stranger, path, 100);
      expect(seen.items.filter((x) => x.systemId === a.systemId || x.systemId === b.systemId)).toEqual([]);
    }
    const reviewer = await everything<Approval>(as('priya.product'), '/api/approvals', 100);
    expect(reviewer.items.map((x) => x.id)).toContain(round.approvals.product);
  });
});

describe('registering systems', () => {
  it('refuses reviewers, auditors, pipelines and owners of other teams, and registers nothing', async () => {
    const before = await everything<Json>(as('ada.admin'), '/api/systems', 100);
    const pipeline = await asPrincipal(person('a.pipeline', ['pipeline'], { systems: [a.systemId] }));
    const refused = [
      await as('tessa.technical').post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await as('priya.product').post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await as('rahul.risk').post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await as('greta.governance').post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await as('aud.auditor').post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await pipeline.post('/api/systems', systemInput({ ownerTeam: 'support-ai' })),
      await as('omar.owner').post('/api/systems', systemInput({ ownerTeam: 'other-team' })),
    ];
    expect(refused.map((r) => r.status)).toEqual(refused.map(() => 403));
    for (const r of refused) expect(r.headers.get('content-type')).toContain('application/problem+json');
    const after = await everything<Json>(as('ada.admin'), '/api/systems', 100);
    expect(after.items).toEqual(before.items);
  });

  it('lets an owner register for their own team and an admin for any team, recording who did', async () => {
    const own = await created(as('omar.owner'), '/api/systems', systemInput({ ownerTeam: 'docs-ai' }));
    expect(own).toMatchObject({ ownerTeam: 'docs-ai', createdBy: 'omar.owner', status: 'draft' });
    const any = await created(as('ada.admin'), '/api/systems', systemInput({ ownerTeam: 'brand-new-team' }));
    expect(any).toMatchObject({ ownerTeam: 'brand-new-team', createdBy: 'ada.admin' });
  });
});

describe('separation of duties', () => {
  it("refuses the candidate's author every decision on it, even an admin who holds the reviewer roles", async () => {
    const author = await asPrincipal(
      person('alex.admin', ['admin', 'reviewer:technical', 'reviewer:product'], { name: 'Alex Admin' }),
    );
    const round = await awaitingApproval(author, a, 'admin authored');
    const before = await chainLength(a.systemId);
    const tries = [
      await author.post(`/api/approvals/${round.approvals.technical}/approve`, { comment: 'mine' }),
      await author.post(`/api/approvals/${round.approvals.product}/approve`, {}),
      await author.post(`/api/approvals/${round.approvals.product}/reject`, { comment: 'mine' }),
      await author.post(`/api/approvals/${round.approvals.technical}/request-changes`, { comment: 'mine' }),
    ];
    for (const res of tries) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('SEPARATION_OF_DUTIES');
    }
    // An admin without reviewer roles and the system's owner (not the author) hold no reviewer role at all.
    expect((await as('ada.admin').post(`/api/approvals/${round.approvals.technical}/approve`, {})).status).toBe(403);
    expect((await as('omar.owner').post(`/api/approvals/${round.approvals.technical}/approve`, {})).status).toBe(403);
    expect(await chainLength(a.systemId)).toBe(before);
    const candidate = await as('ada.admin').get<Json>(`/api/release-candidates/${round.id}`);
    expect(candidate.body.status).toBe('awaiting_approval');

    // Reviewers who did not write it approve it.
    expect((await as('tessa.technical').post(`/api/approvals/${round.approvals.technical}/approve`, {})).status).toBe(
      200,
    );
    const last = await as('priya.product').post<{ candidate: Json }>(
      `/api/approvals/${round.approvals.product}/approve`,
      {},
    );
    expect(last.body.candidate.status).toBe('approved');
  });

  it("refuses a prompt version's author its review, even an admin who is a technical reviewer", async () => {
    const author = await asPrincipal(person('alex.admin', ['admin', 'reviewer:technical']));
    const prompt = await created(author, '/api/prompts', { ...promptInput(a.systemId), name: 'admin-authored' });
    expect((await author.post(`/api/prompts/${prompt.id}/submit`)).status).toBe(200);
    const own = await author.post(`/api/prompts/${prompt.id}/approve`, { comment: 'lgtm' });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe('SEPARATION_OF_DUTIES');
    expect((await as('ada.admin').get<Json>(`/api/prompts/${prompt.id}`)).body.status).toBe('in_review');
  });

  it('refuses one person a second role on the same candidate', async () => {
    const dual = await asPrincipal(person('dana.dual', ['reviewer:technical', 'reviewer:product']));
    const round = await awaitingApproval(as('omar.owner'), a, 'dual reviewer');
    expect(
      (await dual.post(`/api/approvals/${round.approvals.technical}/approve`, { comment: 'tech ok' })).status,
    ).toBe(200);
    const before = await chainLength(a.systemId);
    const second = await dual.post(`/api/approvals/${round.approvals.product}/approve`, { comment: 'product ok' });
    expect(second.status).toBe(403);
    expect(second.body.code).toBe('SEPARATION_OF_DUTIES');
    expect(await chainLength(a.systemId)).toBe(before);
    expect((await as('ada.admin').get<Json>(`/api/approvals/${round.approvals.product}`)).body.status).toBe('pending');
    const gate = await as('omar.owner').get<{ reasons: { code: string }[] }>(
      `/api/release-candidates/${round.id}/gate`,
    );
    expect(gate.body.reasons.map((r) => r.code)).toContain('APPROVALS_INCOMPLETE');

    const last = await as('priya.product').post<{ candidate: Json }>(
      `/api/approvals/${round.approvals.product}/approve`,
      {},
    );
    expect(last.status).toBe(200);
    expect(last.body.candidate.status).toBe('approved');
  });

  it('refuses a reviewer a role they do not hold', async () => {
    const round = await awaitingApproval(as('omar.owner'), a, 'wrong role');
    const res = await as('priya.product').post(`/api/approvals/${round.approvals.technical}/approve`, {});
    expect(res.status).toBe(403);
    expect(res.body.requiredRole).toBe('reviewer:technical');
  });
});

describe('the approval queue', () => {
  it('lists by role and status exactly the approvals in that state, and nothing to another team', async () => {
    // Prepare: candidate P with both approvals pending; candidate Q with its technical approval decided.
    const owner = as('omar.owner');
    const p = await awaitingApproval(owner, b, 'queue P');
    const q = await awaitingApproval(owner, b, 'queue Q');
    expect((await as('tom.technical').post(`/api/approvals/${q.approvals.technical}/approve`, {})).status).toBe(200);
    const ours = new Set([p.id, q.id]);
    const queue = async (query: string, client: Client = as('greta.governance')) => {
      const all = await everything<Approval>(client, `/api/approvals${query}`, 100);
      return all.items;
    };
    const idsOf = (items: Approval[]) =>
      items
        .filter((x) => ours.has(x.candidateId))
        .map((x) => x.id)
        .sort();

    // Act
    const pendingTechnical = await queue('?role=technical');
    const pendingProduct = await queue('?role=product&status=pending');
    const pending = await queue('');
    const approvedTechnical = await queue('?status=approved&role=technical');
    const approvedProduct = await queue('?status=approved&role=product');
    const strangers = await queue(
      '?role=product',
      await asPrincipal(person('sam.stranger', ['model_owner'], { teams: ['other-team'] })),
    );
    const owners = await queue('?role=product', owner);

    // Assess
    expect(idsOf(pendingTechnical)).toEqual([p.approvals.technical].sort());
    expect(pendingTechnical.every((x) => x.role === 'technical' && x.status === 'pending')).toBe(true);
    expect(idsOf(pendingProduct)).toEqual([p.approvals.product, q.approvals.product].sort());
    expect(pendingProduct.every((x) => x.role === 'product' && x.status === 'pending')).toBe(true);
    expect(idsOf(pending)).toEqual([p.approvals.technical, p.approvals.product, q.approvals.product].sort());
    expect(pending.every((x) => x.status === 'pending')).toBe(true);
    expect(idsOf(approvedTechnical)).toEqual([q.approvals.technical]);
    expect(approvedTechnical.find((x) => x.id === q.approvals.technical)?.reviewerId).toBe('tom.technical');
    expect(approvedTechnical.every((x) => x.role === 'technical' && x.status === 'approved')).toBe(true);
    expect(idsOf(approvedProduct)).toEqual([]);
    expect(idsOf(strangers)).toEqual([]);
    expect(idsOf(owners)).toEqual([p.approvals.product, q.approvals.product].sort());
  });

  it('moves a rejected approval to the rejected queue and takes its candidate out of review', async () => {
    const round = await awaitingApproval(as('omar.owner'), b, 'queue R');
    const rejected = await as('priya.product').post<{ candidate: Json }>(
      `/api/approvals/${round.approvals.product}/reject`,
      { comment: 'the tone is wrong' },
    );
    expect(rejected.body.candidate.status).toBe('rejected');
    const inRejected = await everything<Approval>(
      as('aud.auditor'),
      '/api/approvals?status=rejected&role=product',
      100,
    );
    expect(inRejected.items.map((x) => x.id)).toContain(round.approvals.product);
    const pendingProduct = await everything<Approval>(as('aud.auditor'), '/api/approvals?role=product', 100);
    expect(pendingProduct.items.map((x) => x.id)).not.toContain(round.approvals.product);
  });

  it("takes a rejected candidate's undecided approvals out of the queue and refuses late decisions on them", async () => {
    const round = await awaitingApproval(as('omar.owner'), b, 'queue S');
    expect(
      (await as('priya.product').post(`/api/approvals/${round.approvals.product}/reject`, { comment: 'no' })).status,
    ).toBe(200);
    const before = await chainLength(b.systemId);

    const pendingTechnical = await everything<Approval>(as('tessa.technical'), '/api/approvals?role=technical', 100);
    const late = await as('tessa.technical').post(`/api/approvals/${round.approvals.technical}/approve`, {});

    expect(pendingTechnical.items.map((x) => x.id)).not.toContain(round.approvals.technical);
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('INVALID_STATE');
    expect(await chainLength(b.systemId)).toBe(before);
  });

  it('refuses malformed queue filters with 400', async () => {
    for (const query of ['?role=admin', '?status=done', '?role=technical&team=x']) {
      const res = await as('tessa.technical').get(`/api/approvals${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});
