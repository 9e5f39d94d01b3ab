// Events and webhooks through the local stack: a subscription made over the API receives signed deliveries of real
// transitions (DynamoDB Local's stream -> the event bus -> the dispatcher), and its delivery log is served. The stack
// starts on a table that already holds a subscription with its secret in plain, as `npm start` on an older .data/.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../../docs/examples/webhook-receiver.js';
import type { OpenApiDocument } from '../../functions/api/openapi.js';
import { eventSchemaOf } from '../../functions/contracts/events.js';
import { EVENT_TYPES, type GovernanceEventType } from '../../functions/domain/events.js';
import { createDocumentClient } from '../../functions/store/client.js';
import { createStore } from '../../functions/store/index.js';
import { keys } from '../../functions/store/keys.js';
import { aesGcmSecretCipherFromKeyText } from '../../functions/store/webhook-secrets.js';
import { ensureTable, type LocalStack, startLocalStack } from '../../local/stack.js';
import { systemInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { putLegacyWebhook } from '../support/legacy-webhook.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown> & { id: string };

let stack: LocalStack;
let dataDir: string;
let systemId: string;
let receiver: Server | undefined;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

let legacy: { id: string; secret: string };
const startLines: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-events-'));
  const tableName = `e2e-events-${Date.now()}`;
  const doc = createDocumentClient({ endpoint: dynamoEndpoint() });
  await ensureTable(doc, tableName);
  legacy = await putLegacyWebhook(createStore({ doc, tableName }), {
    url: 'http://127.0.0.1:9/legacy',
    events: ['release.*'],
    systemId: 'sys_01JZZZZZZZZZZZZZZZZZZZZZZZ',
  });
  stack = await startLocalStack({
    port: 0,
    dataDir,
    dynamoEndpoint: dynamoEndpoint(),
    tableName,
    seed: false,
    webhookRetry: { attempts: 3, baseMs: 20, maxMs: 100 },
    log: (line) => startLines.push(line),
  });
  const system = await as('omar.owner').post<Json>('/api/systems', systemInput({ ownerTeam: 'support-ai' }));
  expect(system.status).toBe(201);
  systemId = system.body.id;
});

afterAll(async () => {
  if (receiver) await new Promise((done) => receiver?.close(done));
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('GET /api/events/schemas', () => {
  it('serves the envelope and a JSON Schema for every event type without a token', async () => {
    const res = await apiClient(stack.url).get<{ types: Record<string, { schema: { $schema: string } }> }>(
      '/api/events/schemas',
    );
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.types).sort()).toEqual([...EVENT_TYPES].sort());
    expect(res.body.types['incident.opened']?.schema.$schema).toMatch(/2020-12/);
  });
});

describe('webhooks', () => {
  it('seals on start a secret an older version stored in plain, with the key under .data/keys, as the same secret', async () => {
    const key = await readFile(join(dataDir, 'keys', 'webhook-secrets.key'), 'utf8');
    const stored = (
      await stack.doc.send(
        new GetCommand({ TableName: stack.tableName, Key: keys.webhook(legacy.id), ConsistentRead: true }),
      )
    ).Item;
    const targets = await stack.store.webhooks.webhookTargets(aesGcmSecretCipherFromKeyText(key));

    expect(startLines.join('\n')).toMatch(/migration 0002-encrypt-webhook-secrets: .* \(1 items/);
    expect(stored?.secret).toBeUndefined();
    expect(JSON.stringify(stored)).not.toContain(legacy.secret.slice('whsec_'.length));
    expect(await targets.find((t) => t.id === legacy.id)?.signingSecret()).toBe(legacy.secret);
  });

  it('delivers a signed event of a real transition to a model owner subscription, with its delivery log', async () => {
    const received: { id: string; type: string }[] = [];
    // The receiver listens first, on a port of its own, and hands requests to the example receiver once the
    // subscription's secret is known: a port probed free and closed again may be taken by then (two suites side by side).
    const { createServer } = await import('node:http');
    let withSecret: Server | undefined;
    receiver = createServer((req, res) => {
      if (withSecret) withSecret.emit('request', req, res);
      else res.writeHead(503).end();
    });
    await new Promise<void>((done) => receiver?.listen(0, '127.0.0.1', done));
    const port = (receiver.address() as AddressInfo).port;

    const created = await as('omar.owner').post<Json & { secret: string; events: string[] }>('/api/webhooks', {
      url: `http://127.0.0.1:${port}/hooks`,
      events: ['incident.*'],
      systemId,
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    withSecret = createReceiver(created.body.secret, (event) => received.push(event));

    const incident = await as('omar.owner').post<Json>('/api/incidents', {
      systemId,
      title: 'Wrong queue for refunds',
      description: 'seen in production',
      severity: 'low',
    });
    expect(incident.status).toBe(201);

    const event = await eventually(async () => received.find((e) => e.type === 'incident.opened')).catch(
      (error: Error) => {
        // Say where the pump and the deliveries were, so a failure on a loaded machine names its cause.
        throw new Error(
          `${error.message}: ${JSON.stringify({ pump: stack.events.pump.describe(), deliveries: stack.events.deliveries, received })}`,
        );
      },
    );
    expect(eventSchemaOf(event.type as GovernanceEventType).safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ systemId, entity: { type: 'incident', id: incident.body.id } });
    const log = await eventually(async () => {
      const res = await as('omar.owner').get<{ items: Json[] }>(`/api/webhooks/${created.body.id}/deliveries`);
      return res.body.items.length > 0 ? res.body.items : undefined;
    });
    expect(log[0]).toMatchObject({ eventId: event.id, outcome: 'delivered', statusCode: 204, attempt: 1 });
    // The system registration happened before the subscription: it is not delivered, nor other types.
    expect(received.map((e) => e.type)).toEqual(['incident.opened']);

    const shown = await as('omar.owner').get<Json>(`/api/webhooks/${created.body.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).not.toHaveProperty('secret');
    const listed = await as('aud.auditor').get<{ items: Json[] }>('/api/webhooks');
    expect(listed.body.items.map((w) => w.id)).toContain(created.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);

    // Every answer above is what the OpenAPI document declares (its response objects are closed).
    const deliveries = await as('omar.owner').get(`/api/webhooks/${created.body.id}/deliveries`);
    const document = (await apiClient(stack.url).get<OpenApiDocument>('/api/openapi.json')).body;
    const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
    ajv.addSchema({ ...document, $id: 'urn:governance:openapi' });
    const answers: [string, string, string, unknown][] = [
      ['/api/webhooks', 'post', '201', created.body],
      ['/api/webhooks', 'get', '200', listed.body],
      ['/api/webhooks/{id}', 'get', '200', shown.body],
      ['/api/webhooks/{id}/deliveries', 'get', '200', deliveries.body],
    ];
    for (const [path, method, status, body] of answers) {
      const at = ['paths', path, method, 'responses', status, 'content', 'application/json', 'schema']
        .map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`)
        .join('');
      const check = ajv.compile({ $ref: `urn:governance:openapi#${at}` });
      expect(check(body), `${method} ${path}: ${ajv.errorsText(check.errors)}`).toBe(true);
    }
  });

  it('refuses subscriptions from reviewers, to every system from model owners, and to unknown event types', async () => {
    const body = { url: 'http://127.0.0.1:9/hooks', events: ['release.*'], systemId };
    expect((await as('tessa.technical').post('/api/webhooks', body)).status).toBe(403);
    expect((await as('omar.owner').post('/api/webhooks', { ...body, systemId: undefined })).status).toBe(403);
    expect((await as('omar.owner').post('/api/webhooks', { ...body, events: ['release.exploded'] })).status).toBe(400);
    expect((await as('omar.owner').post('/api/webhooks', { ...body, url: 'ftp://127.0.0.1/x' })).status).toBe(400);
    expect((await as('omar.owner').post('/api/webhooks', { ...body, url: 'http://hooks.example.org/x' })).status).toBe(
      400,
    );
    expect(
      (await as('omar.owner').post('/api/webhooks', { ...body, url: 'https://u:p@hooks.example.org/' })).status,
    ).toBe(400);
  });

  it('lets the owner delete a subscription and hides it afterwards; an auditor may not delete', async () => {
    const created = await as('omar.owner').post<Json>('/api/webhooks', {
      url: 'http://127.0.0.1:9/hooks',
      events: ['*'],
      systemId,
    });
    expect(created.status).toBe(201);
    const path = `/api/webhooks/${created.body.id}`;
    expect((await as('aud.auditor').raw('DELETE', path)).status).toBe(403);
    expect((await as('omar.owner').raw('DELETE', path)).status).toBe(204);
    expect((await as('omar.owner').get(path)).status).toBe(404);
  });
});
