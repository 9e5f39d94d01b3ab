// The candidates API records what the gate refused (ADR 0037), on DynamoDB Local through the HTTP handler: a
// gate-blocked promotion or rollback of a caller allowed to ask leaves release.promotion_refused with the problem's
// reasons; 403, 404 and ACTIVE_RELEASE_CHANGED leave nothing; the answer stays the 409 when the record must wait.
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes as candidateRoutes } from '../../../functions/api/candidates.js';
import type { Deps } from '../../../functions/api/deps.js';
import { createHttpHandler } from '../../../functions/api/http.js';
import type { AuditEvent, Principal, ReleaseCandidate } from '../../../functions/domain/types.js';
import { createDocumentClient } from '../../../functions/store/client.js';
import { createStore, type GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import {
  activeCandidate,
  draftCandidate,
  type GovernedSystem,
  governedSystem,
  people,
} from '../../support/lifecycle.js';
import { createTestStore, dynamoEndpoint, principal } from '../../support/store.js';

const callers: Record<string, Principal> = {
  owner: people.owner,
  reviewer: principal('tessa.technical', ['reviewer:technical']),
  stranger: principal('sam.stranger', ['model_owner'], { teams: ['another-team'] }),
};

interface Answer {
  status: number;
  body: { type?: string; code?: string; reasons?: { code: string; message: string }[] };
}

describe('refused promotions through the candidates API', () => {
  let store: GovernanceStore;
  let tableName: string;
  let drop: () => Promise<void>;
  let base: GovernedSystem;
  let draft: ReleaseCandidate;

  /** Calls POST /api/release-candidates/{id}/{action} as `caller`, through a handler over `over`. */
  async function post(
    over: GovernanceStore,
    caller: keyof typeof callers,
    id: string,
    action: 'promote' | 'rollback',
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    // No rollback here reaches its validation run (each is refused first): a runner that would say so if one did.
    const evalRunner = {
      start: () => {
        throw new Error('no validation run starts in these tests');
      },
      idle: async () => undefined,
    };
    const deps: Deps = { store: over, evalRunner, verifyToken: async () => callers[caller] as Principal };
    const handler = createHttpHandler(candidateRoutes, () => deps, {});
    const routeKey = `POST /api/release-candidates/{id}/${action}`;
    const rawPath = `/api/release-candidates/${id}/${action}`;
    const event = {
      version: '2.0',
      routeKey,
      rawPath,
      rawQueryString: '',
      headers: { authorization: 'Bearer test', 'content-type': 'application/json', ...headers },
      pathParameters: { id },
      body: JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'POST', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
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

  const refusalsOf = async (systemId: string): Promise<AuditEvent[]> => {
    const events = await allPages((page) => store.audit.listAuditEvents({ systemId, order: 'asc' }, page));
    return events.filter((e) => e.action === 'release.promotion_refused');
  };

  beforeAll(async () => {
    ({ store, tableName, drop } = await createTestStore());
    base = await governedSystem(store, { system: { riskTier: 'low', ownerTeam: 'support-ai' }, cases: 2 });
    draft = await draftCandidate(store, base, { name: 'draft' });
  });
  afterAll(async () => drop());

  it('records a gate-blocked promotion with the reasons the 409 answered, and its Idempotency-Key', async () => {
    // Act
    const answer = await post(
      store,
      'owner',
      draft.id,
      'promote',
      { expectedActiveCandidateId: null },
      {
        'idempotency-key': 'ci-run-7',
      },
    );

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.type).toBe('/problems/gate-blocked');
    const refusals = await refusalsOf(base.system.id);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      entityId: draft.id,
      actor: { userId: people.owner.userId },
      after: {
        kind: 'promote',
        environment: draft.environment,
        reasons: answer.body.reasons,
        idempotencyKey: 'ci-run-7',
      },
    });
  });

  it('writes nothing for a caller who may not promote (403) or may not see the system (404)', async () => {
    // Prepare
    const before = await store.audit.verifyStoredChain(base.system.id);

    // Act
    const forbidden = await post(store, 'reviewer', draft.id, 'promote', { expectedActiveCandidateId: null });
    const hidden = await post(store, 'stranger', draft.id, 'promote', { expectedActiveCandidateId: null });

    // Assess
    expect(forbidden.status).toBe(403);
    expect(hidden.status).toBe(404);
    expect(await store.audit.verifyStoredChain(base.system.id)).toMatchObject({ events: before.events });
  });

  it('writes nothing when the active release is not the one the caller named (ACTIVE_RELEASE_CHANGED)', async () => {
    // Prepare
    const before = await store.audit.verifyStoredChain(base.system.id);

    // Act: a rollback of a release that is not active
    const answer = await post(store, 'owner', draft.id, 'rollback', { reason: 'a stale look' });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.code).toBe('ACTIVE_RELEASE_CHANGED');
    expect(await store.audit.verifyStoredChain(base.system.id)).toMatchObject({ events: before.events });
  });

  it('records a gate-blocked rollback: no earlier release to go back to', async () => {
    // Prepare: the first release of staging is active
    const active = await activeCandidate(store, base, { name: 'live', environment: 'staging' });

    // Act
    const answer = await post(store, 'owner', active.id, 'rollback', { reason: 'nothing to go back to' });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.reasons?.map((r) => r.code)).toEqual(['ROLLBACK_TARGET_INELIGIBLE']);
    const rollbacks = (await refusalsOf(base.system.id)).filter((e) => e.after?.kind === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ entityId: active.id, after: { environment: 'staging' } });
  });

  it('answers the 409 when DynamoDB throttles the record, which waits in the outbox', async () => {
    // Prepare: a process whose transactions are throttled
    const doc = createDocumentClient({ endpoint: dynamoEndpoint() });
    const send = doc.send.bind(doc) as (command: unknown) => Promise<unknown>;
    (doc as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
      if (command instanceof TransactWriteCommand) {
        throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      }
      return send(command);
    };
    const throttled = createStore({ doc, tableName });
    const before = (await refusalsOf(base.system.id)).length;

    // Act
    const answer = await post(throttled, 'owner', draft.id, 'promote', { expectedActiveCandidateId: null });

    // Assess
    expect(answer.status).toBe(409);
    expect(answer.body.type).toBe('/problems/gate-blocked');
    expect(await refusalsOf(base.system.id)).toHaveLength(before);
    expect(await store.refusals.refusalOutboxDepth()).toBe(1);
    expect(await store.refusals.drainRefusalOutbox()).toMatchObject({ failed: 0 });
    expect(await store.refusals.refusalOutboxDepth()).toBe(0);
  });
});
