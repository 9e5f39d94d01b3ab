// The error mapping of the HTTP handlers, with DynamoDB mocked by aws-sdk-client-mock: what the store's failures
// (an absent item, a cancelled transaction, throttling, any unexpected error) become on the wire.
import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { routes as approvalRoutes } from '../../../functions/api/approvals.js';
import { routes as candidateRoutes } from '../../../functions/api/candidates.js';
import type { Deps } from '../../../functions/api/deps.js';
import { createHttpHandler, type Route } from '../../../functions/api/http.js';
import { routes as incidentRoutes } from '../../../functions/api/incidents.js';
import { routes as promptRoutes } from '../../../functions/api/prompts.js';
import { routes as systemRoutes } from '../../../functions/api/systems.js';
import { UnauthorizedError } from '../../../functions/domain/errors.js';
import { snapshotHash } from '../../../functions/domain/snapshot.js';
import type { Principal } from '../../../functions/domain/types.js';
import { createStore } from '../../../functions/store/index.js';
import { keys } from '../../../functions/store/keys.js';
import { promptInput, systemInput } from '../../support/fixtures.js';
import { type Captured, captureOutput } from '../observability/output-capture.js';

const TABLE = 'governance-unit';
const SYSTEM_ID = 'sys_01J9Z3Q8X4K7M2N5P6R7S8T9V0';
const CANDIDATE_ID = 'rc_01J9Z3Q8X4K7M2N5P6R7S8T9V1';
const PROMPT_ID = 'pv_01J9Z3Q8X4K7M2N5P6R7S8T9V2';
const CONFIG_ID = 'mc_01J9Z3Q8X4K7M2N5P6R7S8T9V3';
const DATASET_ID = 'ds_01J9Z3Q8X4K7M2N5P6R7S8T9V4';

const ddb = mockClient(DynamoDBDocumentClient);
const admin: Principal = { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], systems: [] };
let principal: Principal = admin;
let verifyToken: (authorization: string | undefined) => Promise<Principal>;
let logged: Captured;

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

// Each resource's handler as its Lambda entry composes it, with the test's dependencies passed in.
let deps: Deps;
const handlerOf = (routes: Route[]): Handler => createHttpHandler(routes, () => deps) as Handler;
const approvalsHandler = handlerOf(approvalRoutes);
const candidatesHandler = handlerOf(candidateRoutes);
const incidentsHandler = handlerOf(incidentRoutes);
const promptsHandler = handlerOf(promptRoutes);
const systemsHandler = handlerOf(systemRoutes);

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: Record<string, unknown> & {
    errors?: { path: string; message: string }[];
    reasons?: { code: string; message: string }[];
  };
}

/** An API Gateway HTTP API (payload 2.0) event for a route key such as `GET /api/systems/{id}`. */
function event(
  routeKey: string,
  options: {
    params?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    headers?: Record<string, string>;
    rawPath?: string;
    method?: string;
  } = {},
): APIGatewayProxyEventV2 {
  const [keyMethod = 'GET', pattern = '/'] = routeKey.split(' ');
  const method = options.method ?? keyMethod;
  const rawPath =
    options.rawPath ??
    pattern.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(options.params?.[name] ?? ''));
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { authorization: 'Bearer unit-test', 'content-type': 'application/json', ...options.headers },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.params ? { pathParameters: options.params } : {}),
    ...(options.body !== undefined
      ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }
      : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'unit',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'gateway-request-1',
      routeKey,
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
  };
}

async function invoke(handler: Handler, ev: APIGatewayProxyEventV2): Promise<Answer> {
  const context = { awsRequestId: 'lambda-request-1' } as Context;
  const res = (await handler(ev, context)) as APIGatewayProxyStructuredResultV2;
  const text = res.body ?? '';
  return {
    status: res.statusCode ?? 200,
    headers: (res.headers ?? {}) as Record<string, string>,
    text,
    body: text ? JSON.parse(text) : {},
  };
}

/** A problem+json of `status` that says nothing about the server's insides. */
function expectProblem(answer: Answer, status: number, type?: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status });
  if (type) expect(answer.body.type).toBe(`/problems/${type}`);
  expect(answer.body).not.toHaveProperty('stack');
  expect(answer.text).not.toMatch(/node_modules|\/work\/|\/var\/task|\.[cm]?[jt]s:\d+|\bat \S+ \(/);
}

const systemItem = (overrides: Record<string, unknown> = {}) => ({
  ...keys.system(SYSTEM_ID),
  ...keys.systemsIndex('Ticket triage', SYSTEM_ID),
  itemType: 'system',
  ...systemInput({ name: 'Ticket triage', ownerTeam: 'support-ai', riskTier: 'medium' }),
  id: SYSTEM_ID,
  status: 'active',
  activeReleases: { staging: null, production: null },
  openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
  retirementReason: null,
  replacementSystemId: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'omar.owner',
  updatedAt: '2026-01-01T00:00:00.000Z',
  version: 3,
  auditSeq: 3,
  auditHash: 'a'.repeat(64),
  counters: {},
  ...overrides,
});

const artefactItem = (kind: 'prompt' | 'model_config', id: string, status: string) => ({
  ...(kind === 'prompt' ? keys.prompt(id) : keys.modelConfig(id)),
  itemType: kind,
  id,
  systemId: SYSTEM_ID,
  name: 'triage',
  version: 1,
  contentHash: `sha256:${kind}`,
  status,
  createdBy: 'omar.owner',
});

function candidateItem(overrides: Record<string, unknown> = {}) {
  const snapshot = {
    systemId: SYSTEM_ID,
    environment: 'production' as const,
    promptVersionId: PROMPT_ID,
    promptContentHash: 'sha256:prompt',
    modelConfigId: CONFIG_ID,
    modelConfigContentHash: 'sha256:model_config',
    datasetIds: [DATASET_ID],
    thresholds: [{ metric: 'accuracy' as const, direction: 'min' as const, value: 0.5, regressionTolerance: null }],
  };
  return {
    ...keys.candidate(CANDIDATE_ID),
    ...keys.candidateIndexes(SYSTEM_ID, CANDIDATE_ID),
    itemType: 'candidate',
    id: CANDIDATE_ID,
    name: 'release',
    ...snapshot,
    snapshotHash: snapshotHash(snapshot),
    status: 'draft',
    latestEvalRunId: null,
    latestEvalStatus: null,
    requiredRoles: [],
    approvalIds: [],
    policyVersion: null,
    notes: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'omar.owner',
    submittedAt: null,
    activatedAt: null,
    deactivatedAt: null,
    version: 1,
    ...overrides,
  };
}

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const SECRET = 'arn:aws:dynamodb:eu-west-1:123456789012:table/governance-prod at /var/task/index.mjs:812:17';

beforeAll(() => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
    }),
  );
  deps = {
    store: createStore({ doc, tableName: TABLE, maxAttempts: 2 }),
    verifyToken: (authorization) => verifyToken(authorization),
    evalRunner: { start: () => undefined, idle: async () => undefined },
  };
});

beforeEach(() => {
  ddb.reset();
  // DynamoDB answers a GetItem of an absent item with no Item (the policy pointer, a guard) and a Query of an empty
  // partition (a candidate's waivers) with no items: a test that needs one names it.
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  principal = admin;
  verifyToken = async (authorization) => {
    if (!authorization) throw new UnauthorizedError('the Authorization header is missing', { code: 'TOKEN_MISSING' });
    return principal;
  };
  logged = captureOutput();
});

afterEach(() => {
  logged.restore();
});

describe('an item that is not in the table', () => {
  it.each([
    ['GET /api/systems/{id}', systemsHandler, SYSTEM_ID],
    ['GET /api/prompts/{id}', promptsHandler, PROMPT_ID],
    ['GET /api/release-candidates/{id}', candidatesHandler, CANDIDATE_ID],
    ['GET /api/approvals/{id}', approvalsHandler, 'apr_01J9Z3Q8X4K7M2N5P6R7S8T9V5'],
    ['GET /api/incidents/{id}', incidentsHandler, 'inc_01J9Z3Q8X4K7M2N5P6R7S8T9V6'],
  ] as [string, Handler, string][])('answers %s with a 404 problem', async (routeKey, handler, id) => {
    ddb.on(GetCommand).resolves({});

    const answer = await invoke(handler, event(routeKey, { params: { id } }));

    expectProblem(answer, 404, 'not-found');
    expect(answer.body.detail).toContain(id);
    expect(answer.body.instance).toBe(routeKey.split(' ')[1]?.replace('{id}', id));
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ TableName: TABLE, ConsistentRead: true });
    expect(logged.lines.filter((l) => l.level === 'ERROR')).toEqual([]);
  });
});

describe('a cancelled transaction', () => {
  it('answers a taken system name (its guard failed its condition) with a 409 conflict naming the field', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None', 'None'));

    const answer = await invoke(systemsHandler, event('POST /api/systems', { body: systemInput({ name: 'Taken' }) }));

    expectProblem(answer, 409, 'conflict');
    expect(answer.body).toMatchObject({ field: 'name', detail: expect.stringContaining('Taken') });
    expect(answer.text).not.toMatch(/ConditionalCheckFailed|CancellationReasons|Transaction/);
    const sent = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(sent[0]?.Put?.Item).toMatchObject(keys.systemName('Taken'));
  });

  it('answers a system change that keeps losing its optimistic lock with 503 contention, not 500', async () => {
    ddb.on(GetCommand).resolves({ Item: systemItem() });
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [systemItem()] } });
    ddb.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed'));

    const answer = await invoke(
      systemsHandler,
      event('PATCH /api/systems/{id}', { params: { id: SYSTEM_ID }, body: { riskTier: 'high' } }),
    );

    expectProblem(answer, 503, 'contention');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('answers a cancellation that is not the name guard with a plain 500', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ValidationError'));

    const answer = await invoke(systemsHandler, event('POST /api/systems', { body: systemInput() }));

    expectProblem(answer, 500, 'internal');
    expect(answer.text).not.toMatch(/ValidationError|Transaction/);
  });
});

describe('a submit with a comment', () => {
  it('keeps the comment as the reason of the audit event it commits with the transition', async () => {
    // Prepare
    const prompt = artefactItem('prompt', PROMPT_ID, 'draft');
    ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
      Item: input.Key.pk === prompt.pk && input.Key.sk === prompt.sk ? prompt : systemItem(),
    }));
    ddb.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [systemItem(), prompt] } });
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const answer = await invoke(
      promptsHandler,
      event('POST /api/prompts/{id}/submit', { params: { id: PROMPT_ID }, body: { comment: 'ready for review' } }),
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('in_review');
    const items = ddb.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    const audit = items.map((i) => i.Put?.Item).find((item) => item?.action === 'prompt.submitted');
    expect(audit).toMatchObject({ reason: 'ready for review', entityId: PROMPT_ID });
  });
});

describe('an unexpected failure', () => {
  it('answers throttling that persists with a 500 problem that leaks neither message nor stack, and logs both', async () => {
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: SECRET, $metadata: {} }));

    const answer = await invoke(systemsHandler, event('GET /api/systems/{id}', { params: { id: SYSTEM_ID } }));

    expectProblem(answer, 500, 'internal');
    expect(answer.body).toEqual({
      type: '/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      detail: 'an unexpected error occurred; it has been logged',
      instance: `/api/systems/${SYSTEM_ID}`,
    });
    expect(answer.text).not.toMatch(/ProvisionedThroughput|arn:aws|governance-prod|index\.mjs/);
    const errors = logged.lines.filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    const line = errors[0] as { requestId: string; correlation_id: string; error: { message: string; stack: string } };
    expect(line).toMatchObject({ requestId: 'lambda-request-1', error: { message: SECRET } });
    expect(line.correlation_id).toBeTruthy();
    expect(line.error.stack).toContain('ProvisionedThroughputExceededException');
  });

  it('answers a generic Error from a query with a 500 problem without its message', async () => {
    ddb.on(QueryCommand).rejects(new Error(`socket hang up talking to ${SECRET}`));

    const answer = await invoke(systemsHandler, event('GET /api/systems', { query: { limit: '5' } }));

    expectProblem(answer, 500, 'internal');
    expect(answer.text).not.toMatch(/socket|arn:aws|index\.mjs/);
  });

  it('answers a thrown value that is not an Error with a 500 problem', async () => {
    ddb.on(GetCommand).callsFake(() => {
      throw `plain string from ${SECRET}`;
    });

    const answer = await invoke(systemsHandler, event('GET /api/systems/{id}', { params: { id: SYSTEM_ID } }));

    expectProblem(answer, 500, 'internal');
    expect(answer.text).not.toContain('plain string');
  });

  it('answers a verifier that cannot reach its keys with a 500 that does not say why', async () => {
    verifyToken = async () => {
      throw new Error('token verification is unavailable', { cause: new Error(`fetch failed: ${SECRET}`) });
    };

    const answer = await invoke(systemsHandler, event('GET /api/systems'));

    expectProblem(answer, 500, 'internal');
    expect(answer.text).not.toMatch(/verification|fetch|arn:aws/);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('a request that does not match the contract', () => {
  it('answers a ZodError of the body with 400 naming the field, before touching the table', async () => {
    const answer = await invoke(
      systemsHandler,
      event('POST /api/systems', { body: { ...systemInput(), riskTier: 7, createdBy: 'x' } }),
    );

    expectProblem(answer, 400, 'validation-error');
    const paths = answer.body.errors?.map((e) => e.path) ?? [];
    expect(paths).toContain('riskTier');
    expect(paths.join(',')).toContain('createdBy');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers a ZodError of the query with 400 naming the parameter', async () => {
    const answer = await invoke(systemsHandler, event('GET /api/systems', { query: { limit: 'many' } }));

    expectProblem(answer, 400, 'validation-error');
    expect(answer.body.errors?.map((e) => e.path)).toEqual(['limit']);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers a nested ZodError with the dotted path of the field', async () => {
    const answer = await invoke(
      candidatesHandler,
      event('POST /api/release-candidates', {
        body: {
          systemId: SYSTEM_ID,
          name: 'rc',
          promptVersionId: PROMPT_ID,
          modelConfigId: CONFIG_ID,
          datasetIds: [DATASET_ID],
          thresholds: [{ metric: 'accuracy', direction: 'up', value: 0.5 }],
        },
      }),
    );

    expectProblem(answer, 400, 'validation-error');
    expect(answer.body.errors?.map((e) => e.path)).toEqual(['thresholds.0.direction']);
  });

  it('answers a missing token with 401 and a route the module does not serve with 404', async () => {
    const anonymous = await invoke(systemsHandler, event('GET /api/systems', { headers: { authorization: '' } }));
    expectProblem(anonymous, 401, 'unauthorized');
    expect(anonymous.body.code).toBe('TOKEN_MISSING');

    const unknown = await invoke(systemsHandler, event('GET /api/prompts'));
    expectProblem(unknown, 404, 'not-found');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('answers a catch-all route with a broken percent-encoding in the path with 400, not 500', async () => {
    ddb.on(GetCommand).resolves({});
    const wellFormed = await invoke(
      systemsHandler,
      event('$default', { method: 'GET', rawPath: `/api/systems/${SYSTEM_ID}` }),
    );
    expectProblem(wellFormed, 404, 'not-found');

    const answer = await invoke(systemsHandler, event('$default', { method: 'GET', rawPath: '/api/systems/%E0%A4%A' }));

    expectProblem(answer, 400);
  });
});

describe('a blocked promotion', () => {
  it('answers a GateBlockedError with 409 and every reason at once, writing only the refusal record', async () => {
    ddb.on(GetCommand, { Key: keys.candidate(CANDIDATE_ID) }).resolves({ Item: candidateItem() });
    ddb
      .on(GetCommand, { Key: keys.system(SYSTEM_ID) })
      .resolves({ Item: systemItem({ openIncidents: { low: 0, medium: 0, high: 1, critical: 0 } }) });
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          systemItem({ openIncidents: { low: 0, medium: 0, high: 1, critical: 0 } }),
          candidateItem(),
          artefactItem('prompt', PROMPT_ID, 'draft'),
          artefactItem('model_config', CONFIG_ID, 'in_review'),
        ],
      },
    });

    const answer = await invoke(
      candidatesHandler,
      event('POST /api/release-candidates/{id}/promote', {
        params: { id: CANDIDATE_ID },
        body: { expectedActiveCandidateId: 'rc_01J9Z3Q8X4K7M2N5P6R7S8T9V9' },
      }),
    );

    expectProblem(answer, 409, 'gate-blocked');
    const codes = answer.body.reasons?.map((r) => r.code) ?? [];
    expect([...new Set(codes)].sort()).toEqual(
      [
        'ACTIVE_RELEASE_CHANGED',
        'APPROVALS_INCOMPLETE',
        'BLOCKING_INCIDENT_OPEN',
        'EVAL_MISSING',
        'INVALID_STATE',
        'SNAPSHOT_INELIGIBLE',
      ].sort(),
    );
    expect(codes.filter((c) => c === 'SNAPSHOT_INELIGIBLE')).toHaveLength(2);
    for (const reason of answer.body.reasons ?? []) expect(reason.message).toEqual(expect.any(String));
    // The one transaction is the refusal's record (ADR 0037): the audit head, a dedup item and the audit event, with
    // the reasons the 409 answered; nothing of the candidate changes.
    const transactions = ddb.commandCalls(TransactWriteCommand);
    expect(transactions).toHaveLength(1);
    const items = transactions[0]?.args[0].input.TransactItems ?? [];
    expect(items.some((i) => i.Update?.Key?.pk === keys.candidate(CANDIDATE_ID).pk)).toBe(false);
    const recorded = items.find((i) => i.Put?.Item?.itemType === 'audit')?.Put?.Item;
    expect(recorded).toMatchObject({ action: 'release.promotion_refused', entityId: CANDIDATE_ID });
    expect(recorded?.after.reasons).toEqual(answer.body.reasons);
  });
});

describe('Idempotency-Key bookkeeping', () => {
  const K = 'retry-42';
  const body = JSON.stringify(promptInput(SYSTEM_ID));
  const hash = createHash('sha256').update(`POST /api/prompts\n${body}`).digest('hex');
  const withKey = () => event('POST /api/prompts', { body, headers: { 'idempotency-key': K } });

  it('releases the key when the request fails on the server, so that a retry runs again', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: SECRET, $metadata: {} }));
    ddb.on(DeleteCommand).resolves({});

    const answer = await invoke(promptsHandler, withKey());

    expectProblem(answer, 500, 'internal');
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input.Key).toEqual(keys.idempotency('ada.admin', K));
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('keeps the answer of a refused request, so that a retry gets the same refusal', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(GetCommand).resolves({});
    ddb.on(UpdateCommand).resolves({});

    const answer = await invoke(promptsHandler, withKey());

    expectProblem(answer, 404, 'not-found');
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.Key).toEqual(keys.idempotency('ada.admin', K));
    expect(Object.values(update?.ExpressionAttributeValues ?? {})).toContainEqual(
      expect.objectContaining({ statusCode: 404, body: answer.text }),
    );
  });

  it('replays a stored answer without running the handler again', async () => {
    const stored = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"id":"pv_stored"}' };
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb
      .on(GetCommand, { Key: keys.idempotency('ada.admin', K) })
      .resolves({ Item: { requestHash: hash, state: 'done', response: stored } });

    const answer = await invoke(promptsHandler, withKey());

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ id: 'pv_stored' });
    expect(answer.headers['idempotent-replayed']).toBe('true');
    expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('answers a key that was used for another request with 422 IDEMPOTENCY_KEY_REUSED', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: { requestHash: 'f'.repeat(64), state: 'done', response: {} } });

    const answer = await invoke(promptsHandler, withKey());

    expectProblem(answer, 422, 'unprocessable');
    expect(answer.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('answers a key whose first request is still running with 409 IDEMPOTENCY_IN_PROGRESS', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: { requestHash: hash, state: 'in_progress' } });

    const answer = await invoke(promptsHandler, withKey());

    expectProblem(answer, 409, 'conflict');
    expect(answer.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
  });
});

describe('retiring a system in favour of a replacement the caller cannot read', () => {
  const HIDDEN_ID = 'sys_01J9Z3Q8X4K7M2N5P6R7S8T9W1';
  const MISSING_ID = 'sys_01J9Z3Q8X4K7M2N5P6R7S8T9W2';
  const owner: Principal = {
    userId: 'omar.owner',
    name: 'Omar Owner',
    roles: ['model_owner'],
    teams: ['support-ai'],
    systems: [],
  };
  // The retired system has an active release, so a replacement must be named; the other team's system exists.
  const retiring = systemItem({ activeReleases: { staging: null, production: CANDIDATE_ID } });
  const hidden = {
    ...systemItem(),
    ...keys.system(HIDDEN_ID),
    id: HIDDEN_ID,
    name: 'Fraud scoring',
    ownerTeam: 'risk-ai',
  };

  async function retireNaming(replacementSystemId: string) {
    return invoke(
      systemsHandler,
      event('POST /api/systems/{id}/retire', {
        params: { id: SYSTEM_ID },
        body: { reason: 'merged into another system', replacementSystemId },
      }),
    );
  }

  beforeEach(() => {
    ddb.on(GetCommand).resolves({ Item: retiring });
    // BatchGetItem answers the keys asked for that exist: the retiring system and, if named, the hidden one.
    ddb.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: { pk: string }[] }> }) => ({
      Responses: {
        [TABLE]: [retiring, hidden].filter((item) => input.RequestItems[TABLE]?.Keys.some((key) => key.pk === item.pk)),
      },
    }));
    ddb.on(TransactWriteCommand).resolves({});
  });

  it('answers byte for byte as for a system that does not exist', async () => {
    principal = owner;

    const missing = await retireNaming(MISSING_ID);
    const unreadable = await retireNaming(HIDDEN_ID);

    expectProblem(missing, 400);
    expect(unreadable.status).toBe(missing.status);
    expect(unreadable.headers['content-type']).toBe(missing.headers['content-type']);
    expect(unreadable.text.replaceAll(HIDDEN_ID, '<id>')).toBe(missing.text.replaceAll(MISSING_ID, '<id>'));
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('lets a caller who can read the replacement name it (the system exists)', async () => {
    principal = admin;

    const answer = await retireNaming(HIDDEN_ID);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'retired', replacementSystemId: HIDDEN_ID });
  });
});
