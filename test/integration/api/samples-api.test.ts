// Production samples through the samples API on DynamoDB Local (ADR 0042): an application posts a batch for its
// system's active release, redacted, each item with the table's TTL attribute and one audit event for the batch;
// over the limit is a 400 naming the field, no active release a 409 naming it, another system a 404, a reviewer a
// 403, and none of these writes anything.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../../../functions/api/deps.js';
import { createHttpHandler } from '../../../functions/api/http.js';
import { routes as sampleRoutes } from '../../../functions/api/samples.js';
import { eventSchemaOf } from '../../../functions/contracts/events.js';
import { isEventType, toGovernanceEvent } from '../../../functions/domain/events.js';
import type { AuditEvent, Principal } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { allPages } from '../../../functions/store/pagination.js';
import { TTL_ATTRIBUTE } from '../../../functions/store/table-definition.js';
import { activeCandidate, type GovernedSystem, governedSystem, people } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

interface Answer {
  status: number;
  body: Record<string, unknown> & { code?: string; errors?: { path: string }[]; items?: Record<string, unknown>[] };
}

describe('the samples API', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let active: GovernedSystem;
  let releaseId: string;
  let idle: GovernedSystem;
  const application = (systemId: string) => principal('app.service', ['application'], { systems: [systemId] });

  async function call(
    caller: Principal,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    routePath: string,
    body?: unknown,
  ): Promise<Answer> {
    const deps: Deps = {
      store,
      evalRunner: { start: () => undefined, idle: async () => undefined },
      verifyToken: async () => caller,
    };
    const handler = createHttpHandler(sampleRoutes, () => deps, {});
    const id = path.split('/')[3] as string;
    const routeKey = `${method} ${routePath}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath: path,
      rawQueryString: '',
      headers: { authorization: 'Bearer test', 'content-type': 'application/json' },
      pathParameters: { id },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      isBase64Encoded: false,
      requestContext: {
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
        requestId: 'gateway-request',
        routeKey,
        stage: '$default',
      },
    } as unknown as APIGatewayProxyEventV2;
    const res = (await handler(event, {
      awsRequestId: 'lambda-request',
    } as Context)) as APIGatewayProxyStructuredResultV2;
    return { status: res.statusCode ?? 200, body: res.body ? JSON.parse(res.body) : {} };
  }

  const post = (caller: Principal, systemId: string, body: unknown) =>
    call(caller, 'POST', `/api/systems/${systemId}/samples`, '/api/systems/{id}/samples', body);

  const rawSampleItems = async (systemId: string) =>
    (
      await store.ctx.doc.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.samplesPartition(systemId) },
        }),
      )
    ).Items ?? [];

  const eventsOf = async (systemId: string): Promise<AuditEvent[]> =>
    allPages((page) => store.audit.listAuditEvents({ systemId, order: 'asc' }, page));

  beforeAll(async () => {
    ({ store, tableName, drop } = await createTestStore());
    active = await governedSystem(store, { system: { riskTier: 'low' }, cases: 2 });
    releaseId = (await activeCandidate(store, active, { name: 'release 1' })).id;
    idle = await governedSystem(store, { system: { riskTier: 'low' }, cases: 2 });
  });
  afterAll(async () => drop());

  it('accepts an application’s batch, redacted, with a TTL on each item and one audit event for the batch', async () => {
    // Prepare
    const before = (await eventsOf(active.system.id)).length;

    // Act
    const answer = await post(application(active.system.id), active.system.id, {
      samples: [
        { input: { ticket: 'I am ada@example.org' }, output: 'Routed to billing', latencyMs: 80, costUsd: 0.0004 },
        { input: 'card 4111 1111 1111 1111 was charged twice', output: 'Routed to refunds', metadata: { lang: 'en' } },
      ],
    });

    // Assess
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ accepted: 2, releaseId, environment: 'production', retentionDays: 30 });
    expect(answer.body.redactions).toEqual({ email: 1, card: 1 });
    const items = await rawSampleItems(active.system.id);
    expect(items).toHaveLength(2);
    for (const item of items) {
      expect(item.itemType).toBe('sample');
      expect(typeof item[TTL_ATTRIBUTE]).toBe('number');
      expect(item[TTL_ATTRIBUTE]).toBe(Math.ceil(Date.parse(item.expiresAt as string) / 1000));
      expect(JSON.stringify(item)).not.toMatch(/ada@example\.org|4111 1111/);
    }
    const events = (await eventsOf(active.system.id)).slice(before);
    expect(events.map((e) => e.action)).toEqual(['monitoring.samples_received']);
    expect(events[0]).toMatchObject({ entityId: releaseId, after: { count: 2, sampleIds: answer.body.sampleIds } });
    expect(JSON.stringify(events[0])).not.toMatch(/billing|refunds|REDACTED/);
    const event = toGovernanceEvent(events[0] as AuditEvent);
    expect(eventSchemaOf('monitoring.samples_received').safeParse(event).success).toBe(true);
  });

  it('refuses a batch over the limit with a 400 naming samples, writing nothing', async () => {
    // Prepare
    const before = await store.audit.verifyStoredChain(active.system.id);
    const samples = Array.from({ length: 26 }, () => ({ input: 'q', output: 'a' }));

    // Act
    const answer = await post(application(active.system.id), active.system.id, { samples });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.errors?.map((e) => e.path)).toContain('samples');
    expect(await store.audit.verifyStoredChain(active.system.id)).toMatchObject({ events: before.events });
    expect(await rawSampleItems(active.system.id)).toHaveLength(2);
  });

  it('answers 409 NO_ACTIVE_RELEASE for a system without an active release, naming the environment', async () => {
    // Act
    const answer = await post(application(idle.system.id), idle.system.id, {
      environment: 'staging',
      samples: [{ input: 'q', output: 'a' }],
    });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({ code: 'NO_ACTIVE_RELEASE', environment: 'staging' });
    expect(await rawSampleItems(idle.system.id)).toHaveLength(0);
  });

  it('hides a system from another system’s application (404) and refuses a reviewer (403), writing nothing', async () => {
    // Act
    const otherApp = await post(application(idle.system.id), active.system.id, {
      samples: [{ input: 'q', output: 'a' }],
    });
    const reviewer = await post(people.technical, active.system.id, { samples: [{ input: 'q', output: 'a' }] });
    const appReads = await call(
      application(active.system.id),
      'GET',
      `/api/systems/${active.system.id}/samples`,
      '/api/systems/{id}/samples',
    );

    // Assess
    expect(otherApp.status).toBe(404);
    expect(reviewer.status).toBe(403);
    expect(appReads.status).toBe(404);
    expect(await rawSampleItems(active.system.id)).toHaveLength(2);
  });

  it('lets the owner read the samples, newest first, without the TTL and key attributes', async () => {
    // Act
    const answer = await call(
      people.owner,
      'GET',
      `/api/systems/${active.system.id}/samples`,
      '/api/systems/{id}/samples',
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.items).toHaveLength(2);
    expect(answer.body.items?.[0]).not.toHaveProperty('ttl');
    expect(answer.body.items?.[0]).toMatchObject({ releaseId, systemId: active.system.id });
  });

  it('refuses a redaction pattern that cannot run in linear time, naming it, and applies a valid one', async () => {
    // Prepare
    const path = `/api/systems/${active.system.id}/sample-settings`;
    const route = '/api/systems/{id}/sample-settings';
    // Every built-in rule kept, a pattern added and a shorter retention: a tightening, applied at once.
    const settings = (pattern: string) => ({
      redaction: { builtIn: ['email', 'phone', 'card'], patterns: [{ name: 'claim', pattern }] },
      retentionDays: 7,
    });

    // Act
    const refused = await call(people.owner, 'PUT', path, route, settings('(a+)\\1'));
    const saved = await call(people.owner, 'PUT', path, route, settings('CLM-[0-9]{4}'));
    const posted = await post(application(active.system.id), active.system.id, {
      samples: [{ input: 'about CLM-1234', output: 'ok' }],
    });

    // Assess
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('redaction.patterns[0].pattern');
    expect(saved.status).toBe(200);
    expect(posted.body).toMatchObject({ redactions: { claim: 1 }, retentionDays: 7 });
    const events = await eventsOf(active.system.id);
    const changed = events.filter((e) => e.action === 'system.sample_settings_changed');
    expect(changed).toHaveLength(1);
    const event = toGovernanceEvent(changed[0] as AuditEvent);
    expect(eventSchemaOf('system.sample_settings_changed').safeParse(event).success).toBe(true);
  });

  it('makes settings that redact less or keep samples longer a request one person cannot decide alone, applied when a risk reviewer decides it while the settings it was bound to hold', async () => {
    // Prepare: the idle system keeps the defaults (every built-in rule, 30 days)
    const systemId = idle.system.id;
    const path = `/api/systems/${systemId}/sample-settings`;
    const route = '/api/systems/{id}/sample-settings';
    const put = (body: unknown) => call(people.owner, 'PUT', path, route, body);
    const read = async () => (await call(people.owner, 'GET', path, route)).body;
    const defaults = await read();
    const before = (await eventsOf(systemId)).length;

    // Act: a mix, a loosening alone, the requester deciding it, a risk reviewer deciding it, then a tightening
    const mixed = await put({ redaction: { builtIn: ['email', 'card'], patterns: [] }, retentionDays: 7 });
    const afterMixed = (await eventsOf(systemId)).length;
    const asked = await put({
      redaction: { builtIn: ['email', 'card'], patterns: [] },
      retentionDays: 60,
      reason: 'phone numbers are the product',
    });
    const rival = await put({ redaction: { builtIn: ['email', 'phone', 'card'], patterns: [] }, retentionDays: 90 });
    const whileOpen = await read();
    const requestId = asked.body.id as string;
    const byRequester = await store.relaxations
      .decideRelaxation({ ...actorOf(people.owner), teams: ['support-ai'] }, requestId, 'approve', 'mine')
      .catch((e: unknown) => e);
    const eventsBeforeDecision = (await eventsOf(systemId)).length;
    const decided = await store.relaxations.decideRelaxation(
      { ...actorOf(people.risk), teams: [] },
      requestId,
      'approve',
      'no personal numbers in this product',
    );
    const applied = await read();
    const stale = await store.relaxations
      .decideRelaxation({ ...actorOf(people.risk), teams: [] }, rival.body.id as string, 'approve', 'also fine')
      .catch((e: unknown) => e);
    const afterStale = await read();
    const tightened = await put({
      redaction: { builtIn: ['email', 'phone', 'card'], patterns: [] },
      retentionDays: 60,
    });

    // Assess: the mix is a 400 naming the loosened field, nothing written
    expect(mixed.status).toBe(400);
    expect(JSON.stringify(mixed.body)).toContain('redaction.builtIn.phone');
    expect(afterMixed).toBe(before);
    // the loosening is a 202 request that changes nothing until decided
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({
      kind: 'sample-settings',
      status: 'open',
      deciderRole: 'risk',
      reason: 'phone numbers are the product',
      loosens: [
        { field: 'redaction.builtIn.phone', from: true, to: false },
        { field: 'retentionDays', from: 30, to: 60 },
      ],
    });
    expect(whileOpen).toEqual(defaults);
    expect(byRequester).toMatchObject({ status: 403, detail: { code: 'SEPARATION_OF_DUTIES' } });
    expect(eventsBeforeDecision).toBe(afterMixed + 2);
    // the second person's approval applies exactly the settings asked for, in the decision's transaction
    expect(decided.status).toBe('approved');
    expect(applied).toEqual({ redaction: { builtIn: ['email', 'card'], patterns: [] }, retentionDays: 60 });
    // a request bound to the settings that were replaced meanwhile applies nothing
    expect(rival.status).toBe(202);
    expect(stale).toMatchObject({ status: 409, detail: { code: 'RELAXATION_SUPERSEDED' } });
    expect(afterStale).toEqual(applied);
    expect(tightened.status).toBe(200);
    const events = (await eventsOf(systemId)).slice(before);
    expect(events.map((e) => e.action)).toEqual([
      'relaxation.requested',
      'relaxation.requested',
      'relaxation.approved',
      'system.sample_settings_changed',
      'relaxation.superseded',
      'system.sample_settings_changed',
    ]);
    expect(events[3]).toMatchObject({ after: { loosens: asked.body.loosens, tightens: [] } });
    expect(events[3]?.reason).toContain(requestId);
    expect(events[5]).toMatchObject({
      after: { loosens: [], tightens: [{ field: 'redaction.builtIn.phone', from: false, to: true }] },
    });
    for (const event of events.map((e) => toGovernanceEvent(e))) {
      const parsed = isEventType(event.type) ? eventSchemaOf(event.type).safeParse(event) : null;
      expect(parsed?.success, event.type).toBe(true);
    }
  });
});
