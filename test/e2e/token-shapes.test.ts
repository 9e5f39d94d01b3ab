// The owner's scope comes only from the token the hosted dashboard sends (issue 13, R2). Cognito's ID token carries
// the user's custom attributes (custom:teams, custom:systems); its access token carries the groups but no user
// attributes, so an owner or a pipeline service user holding only the access token has a role without a scope:
// their own system answers 404, as if it did not exist (docs/api.md, "Roles and what they may do").
// - "Understanding the identity (ID) token": docs.aws.amazon.com/cognito/latest/developerguide/
//   amazon-cognito-user-pools-using-the-id-token.html
// - "Understanding the access token": .../amazon-cognito-user-pools-using-the-access-token.html
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../functions/domain/types.js';
import { type DevKeys, loadOrCreateDevKeys, mintPipelineToken, mintToken } from '../../local/dev-keys.js';
import { devKeysDir } from '../../local/token.js';
import { apiClient, eventually } from '../support/http.js';
import { type SeededStack, startSeededStack } from '../support/seeded-stack.js';

type System = { id: string; name: string; ownerTeam: string; description?: string };

let seeded: SeededStack;
let keys: DevKeys;
let system: System;

const omar: Principal = {
  userId: 'omar.owner',
  name: 'Omar Owner',
  roles: ['model_owner'],
  teams: ['support-ai', 'claims-ai', 'risk-ai', 'docs-ai'],
  systems: [],
};

const client = (token: string) => apiClient(seeded.stack.url, token);
const asAdmin = () => client(seeded.stack.tokens['ada.admin']?.token ?? '');

beforeAll(async () => {
  seeded = await startSeededStack({ name: 'token-shapes' });
  keys = await loadOrCreateDevKeys(devKeysDir(seeded.dataDir));
  const systems = await asAdmin().get<{ items: System[] }>('/api/systems?limit=100');
  const owned = systems.body.items.find((item) => omar.teams.includes(item.ownerTeam));
  if (owned === undefined) throw new Error('the seeded demo has no system of the owner teams');
  system = owned;
});

afterAll(async () => seeded?.stop());

describe("an owner's tokens on the owner's own system", () => {
  it('the ID token reads and changes the system, and the audit names the owner', async () => {
    const owner = client(await mintToken({ keys, ...omar }));

    const read = await owner.get<System>(`/api/systems/${system.id}`);
    const changed = await owner.patch<System>(`/api/systems/${system.id}`, { description: 'changed with an ID token' });

    expect(read.status).toBe(200);
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    const timeline = await asAdmin().get<{ items: { actor: { userId: string; name: string } }[] }>(
      `/api/audit-events?systemId=${system.id}&limit=1`,
    );
    expect(timeline.body.items[0]?.actor).toMatchObject({ userId: 'omar.owner', name: 'Omar Owner' });
  });

  it('the access token of the same owner can neither read nor change it: 404, and nothing is written', async () => {
    const before = await asAdmin().get<System>(`/api/systems/${system.id}`);
    const owner = client(await mintToken({ keys, ...omar, shape: 'access' }));

    const read = await owner.get(`/api/systems/${system.id}`);
    const changed = await owner.patch(`/api/systems/${system.id}`, { description: 'changed with an access token' });

    expect(read.status).toBe(404);
    expect(changed.status).toBe(404);
    expect((await asAdmin().get<System>(`/api/systems/${system.id}`)).body).toEqual(before.body);
  });

  it('an access token that carries custom:teams anyway gains nothing: the API does not read them there', async () => {
    // Cognito never writes user attributes into an access token; one that has them was not shaped by Cognito, and
    // the API reads an access token for its groups alone.
    const forged = await new SignJWT({
      token_use: 'access',
      client_id: keys.audience,
      username: 'omar.owner',
      'cognito:groups': ['model_owner'],
      'custom:teams': omar.teams.join(','),
      teams: omar.teams,
    })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid, typ: 'JWT' })
      .setIssuer(keys.issuer)
      .setSubject('omar.owner')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.privateKey);

    expect((await client(forged).get(`/api/systems/${system.id}`)).status).toBe(404);
  });

  it("a pipeline service user's ID token acts on the systems in custom:systems, its access token on none", async () => {
    const pipeline: Principal = {
      userId: 'svc.pipeline',
      name: 'Service pipeline',
      roles: ['pipeline'],
      teams: [],
      systems: [system.id],
    };

    const withId = client(await mintToken({ keys, ...pipeline }));
    const withAccess = client(await mintToken({ keys, ...pipeline, shape: 'access' }));

    expect((await withId.get(`/api/systems/${system.id}`)).status).toBe(200);
    expect((await withAccess.get(`/api/systems/${system.id}`)).status).toBe(404);
  });

  it("an access token keeps its groups' roles that need no scope: an auditor reads every system", async () => {
    const auditor = client(
      await mintToken({ keys, userId: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'], shape: 'access' }),
    );

    expect((await auditor.get(`/api/systems/${system.id}`)).status).toBe(200);
  });
});

// Separation of duties through the CI link (issue 15, item 5; ADR 0022): a pipeline's writes record its GitHub
// Actions token's `actor`, and a person whose admin-linked `custom:github_login` is that login counts as an author.
// The demo's logins differ from the user ids (tessa.technical is tessa-gh), so only the link connects the two.
describe("the human behind a pipeline's token", () => {
  it('cannot approve a candidate a pipeline built from the prompt version their push registered', async () => {
    // Prepare: Tessa's push runs the workflow that registers and submits the prompt; Omar's run builds the rest.
    const systems = await asAdmin().get<{ items: System[] }>('/api/systems?limit=100');
    const notes = systems.body.items.find((item) => item.name === 'Support Note Classifier') as System;
    const tessasRun = client(await mintPipelineToken({ keys, actor: 'tessa-gh' }));
    const omarsRun = client(await mintPipelineToken({ keys, actor: 'omar-gh' }));
    const prompt = await tessasRun.post<{ id: string }>('/api/prompts', {
      systemId: notes.id,
      name: 'sod-router',
      template: 'Route: {{ticket}}',
      variables: ['ticket'],
      outputContract: { type: 'object', required: ['label'], properties: { label: { type: 'string' } } },
    });
    expect(prompt.status, JSON.stringify(prompt.body)).toBe(201);
    const submitted = await tessasRun.post<{ submittedBy: string; ciAuthors: unknown[] }>(
      `/api/prompts/${prompt.body.id}/submit`,
    );
    const config = await omarsRun.post<{ id: string }>('/api/model-configs', {
      systemId: notes.id,
      name: 'sod-primary',
      provider: 'openai',
      model: 'gpt-4o-mini',
      parameters: { temperature: 0, maxTokens: 64 },
      timeoutMs: 4000,
      routingPolicy: { strategy: 'single', routes: [{ target: 'gpt-4o-mini', weight: 1 }] },
      fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
      costRates: { inputPer1k: 0.00015, outputPer1k: 0.0006 },
      lineage: { artifactUri: 's3://models/gpt-4o-mini', trainingDataVersion: 'vendor-2024-07', codeCommit: '4f2c9e1' },
    });
    await omarsRun.post(`/api/model-configs/${config.body.id}/submit`);
    const dataset = await omarsRun.post<{ id: string }>('/api/eval-datasets', {
      systemId: notes.id,
      name: 'sod-baseline',
      kind: 'baseline',
      cases: [
        { caseId: 'c1', input: { ticket: 'refund please' }, expectedLabel: 'refund', tags: ['lang:en'] },
        { caseId: 'c2', input: { ticket: 'login broken' }, expectedLabel: 'other', tags: ['lang:en'] },
      ],
    });
    const candidate = await omarsRun.post<{ id: string }>('/api/release-candidates', {
      systemId: notes.id,
      name: 'sod router v1',
      promptVersionId: prompt.body.id,
      modelConfigId: config.body.id,
      datasetIds: [dataset.body.id],
      thresholds: [{ metric: 'accuracy', direction: 'min', value: 0 }],
    });
    expect(candidate.status, JSON.stringify(candidate.body)).toBe(201);
    await omarsRun.post(`/api/release-candidates/${candidate.body.id}/submit`);
    const run = await omarsRun.post<{ id: string }>(`/api/release-candidates/${candidate.body.id}/run-evals`, {
      executor: 'simulated',
    });
    await eventually(async () => {
      const status = (await omarsRun.get<{ status: string }>(`/api/eval-runs/${run.body.id}`)).body.status;
      return ['passed', 'failed', 'error'].includes(status) ? status : undefined;
    });
    const round = await omarsRun.post<{ approvals: { id: string; role: string }[] }>(
      `/api/release-candidates/${candidate.body.id}/request-approval`,
    );
    expect(round.status, JSON.stringify(round.body)).toBe(200);
    const technical = round.body.approvals.find((a) => a.role === 'technical') as { id: string };

    // Act
    const byTessa = await client(seeded.stack.tokens['tessa.technical']?.token ?? '').post<{
      code: string;
      detail: string;
    }>(`/api/approvals/${technical.id}/approve`, { comment: 'looks fine to me' });
    const byTom = await client(seeded.stack.tokens['tom.technical']?.token ?? '').post(
      `/api/approvals/${technical.id}/approve`,
      { comment: 'reviewed the eval evidence' },
    );

    // Assess: the pipeline's writes name the people behind them; Tessa is refused for the prompt, Tom may approve.
    expect(submitted.body.submittedBy).toBe('github:acme/governed-ai');
    expect(submitted.body.ciAuthors).toEqual([
      { login: 'tessa-gh', claim: 'actor', step: 'created' },
      { login: 'tessa-gh', claim: 'actor', step: 'submitted' },
    ]);
    expect(byTessa.status).toBe(403);
    expect(byTessa.body.code).toBe('SEPARATION_OF_DUTIES');
    expect(byTessa.body.detail).toContain(
      `prompt version ${prompt.body.id} as GitHub login tessa-gh (the actor of a pipeline's token)`,
    );
    expect(byTessa.body.detail).not.toContain('model config');
    expect(byTom.status, JSON.stringify(byTom.body)).toBe(200);
    const timeline = await asAdmin().get<{ items: { action: string; entityId: string; after: unknown }[] }>(
      `/api/audit-events?systemId=${notes.id}&order=desc&limit=50`,
    );
    const created = timeline.body.items.find((e) => e.action === 'prompt.created' && e.entityId === prompt.body.id);
    expect(created?.after).toMatchObject({ ciAuthors: [{ login: 'tessa-gh', claim: 'actor', step: 'created' }] });
  });
});
