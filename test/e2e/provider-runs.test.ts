// Provider connections and `provider` eval runs over HTTP against the local stack and the local model server: an
// admin registers a connection (its secret in a file under the stack's data folder), a model config pins its
// version, a candidate is evaluated through the state machine and the official OpenAI SDK, its evidence holds usage
// and cost, and a search of the table, the audit events, the evidence and the stack's logs finds the secret nowhere.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelServer, startModelServer } from '../../local/model-server.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { modelConfigInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { approveArtefact, draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;
const SECRET = 'sk-local-e2e-9b8c7d6e5f4a';

describe('provider connections and provider runs over HTTP', () => {
  let stack: LocalStack;
  let server: ModelServer;
  let dataDir: string;
  const logs: string[] = [];
  const tableName = `e2e-providers-${Date.now()}`;
  const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-providers-'));
    await mkdir(join(dataDir, 'provider-secrets'), { recursive: true });
    await writeFile(join(dataDir, 'provider-secrets', 'local-openai'), `${SECRET}\n`);
    server = await startModelServer({ apiKey: SECRET });
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName,
      seed: false,
      log: (line) => void logs.push(line),
      evalRunnerOptions: { batchSize: 5, retryIntervalMs: 5 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lets an admin register a connection and refuses others, pasted keys and hosts off the allow-list', async () => {
    // Prepare
    const body = {
      name: 'Refusals',
      provider: 'openai',
      baseUrl: server.baseUrl('openai'),
      secretRef: 'file:local-openai',
    };

    // Act
    const byOwner = await as('omar.owner').post('/api/provider-connections', body);
    const pasted = await as('ada.admin').post<Json>('/api/provider-connections', { ...body, secretRef: SECRET });
    const offList = await as('ada.admin').post<Json>('/api/provider-connections', {
      ...body,
      baseUrl: 'http://169.254.169.254/v1',
    });
    const ok = await as('ada.admin').post<Json>('/api/provider-connections', body);

    // Assess
    expect(byOwner.status).toBe(403);
    expect(pasted.status).toBe(400);
    expect(JSON.stringify(pasted.body)).toContain('secretRef');
    expect(JSON.stringify(pasted.body)).not.toContain(SECRET);
    expect(offList.status).toBe(400);
    expect(JSON.stringify(offList.body)).toContain('baseUrl');
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ version: 1, latestVersion: 1, secretRef: 'file:local-openai' });
  });

  it('evaluates a candidate through the openai SDK with usage and cost, and the secret is in no record or log', async () => {
    // Prepare
    const admin = as('ada.admin');
    const created = await admin.post<Json & { id: string }>('/api/provider-connections', {
      name: 'Local OpenAI',
      provider: 'openai',
      baseUrl: server.baseUrl('openai'),
      secretRef: 'file:local-openai',
      concurrencyLimit: 4,
    });
    const changed = await admin.post<Json>(`/api/provider-connections/${created.body.id}/versions`, {
      baseUrl: server.baseUrl('openai'),
      secretRef: 'file:local-openai',
      concurrencyLimit: 2,
      changeSummary: 'fewer calls at once',
    });
    const base = await governedSystem(stack.store, { cases: 10 });
    const configBody = (version: number) =>
      modelConfigInput(base.system.id, {
        name: `openai-v${version}`,
        provider: 'openai',
        model: 'gpt-4o-mini',
        routingPolicy: {
          strategy: 'single',
          routes: [{ target: 'local', weight: 1, connection: { id: created.body.id, version } }],
        },
        costRates: { inputPer1k: 0.15, outputPer1k: 0.6 },
      });
    const missing = await as('omar.owner').post<Json>('/api/model-configs', configBody(9));
    const config = await as('omar.owner').post<Json & { id: string }>('/api/model-configs', configBody(2));
    await approveArtefact(stack.store, 'model_config', config.body.id);
    const draft = await draftCandidate(stack.store, base, { modelConfigId: config.body.id });
    const rc = await stack.store.candidates.submitCandidate(owner, draft.id);

    // Act
    const queued = await as('omar.owner').post<Json & { id: string }>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'provider',
    });
    const done = await eventually(async () => {
      const { body } = await as('omar.owner').get<Json & { status: string }>(`/api/eval-runs/${queued.body.id}`);
      return body.status === 'queued' || body.status === 'running' || body.status === 'aggregating' ? undefined : body;
    });
    const cases = await as('omar.owner').get<{ items: (Json & { execution: Json; costUsd: number })[] }>(
      `/api/eval-runs/${queued.body.id}/cases?limit=100`,
    );

    // Assess
    expect(changed.status).toBe(201);
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body)).toContain('routingPolicy.routes.0.connection');
    expect(queued.status).toBe(202);
    expect(['passed', 'failed']).toContain(done.status);
    expect(cases.body.items).toHaveLength(10);
    for (const item of cases.body.items) {
      expect(item.costUsd).toBeGreaterThan(0);
      expect(item.execution).toMatchObject({ route: 'local', attempts: 1 });
      expect(item.execution.tokensIn).toBeGreaterThan(0);
      expect((item.execution.calls as Json[])[0]).toMatchObject({ connection: `${created.body.id}@2`, status: 200 });
    }
    const table = JSON.stringify((await stack.store.ctx.doc.send(new ScanCommand({ TableName: tableName }))).Items);
    const audit = await as('aud.auditor').get(`/api/audit-events?systemId=org&limit=100`);
    for (const place of [table, JSON.stringify(cases.body), JSON.stringify(audit.body), logs.join('\n')])
      expect(place).not.toContain(SECRET);
    expect(table).toContain('provider_connection.versioned');
  });
});
