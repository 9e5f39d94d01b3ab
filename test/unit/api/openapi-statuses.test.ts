// Every status a route can answer is in the OpenAPI document: each route of every module is run through the HTTP
// handler (the whole middleware stack, the real store over a DynamoDB client that answers as an empty table) with
// probes derived from the route itself: no token, a token without roles, a malformed path id, an unknown id in the
// path, query or body, a body that is not JSON, not an object, not JSON-typed or too large, a body where none is
// taken, and a reused, in-flight or replayed Idempotency-Key. Each answer's status must be one the document declares
// for the operation, no answer may be a 500, and the headers the document promises (`location` on 201 and 202,
// `idempotent-replayed` on a replay, `www-authenticate` on a 401) must be declared where they are sent. A new route,
// or a handler that learns a new refusal, is probed the same way, so an undocumented status fails here.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Deps } from '../../../functions/api/deps.js';
import { createHttpHandler, DEFAULT_MAX_BODY_BYTES, type Route } from '../../../functions/api/http.js';
import {
  buildOpenApiDocument,
  type JsonObject,
  pathParamsOf,
  REFERENCE_FIELD,
} from '../../../functions/api/openapi.js';
import { API_MODULES } from '../../../functions/api/routes.js';
import { UnauthorizedError } from '../../../functions/domain/errors.js';
import type { Principal } from '../../../functions/domain/types.js';
import { createStore, type GovernanceStore } from '../../../functions/store/index.js';
import { createAesGcmSecretCipher } from '../../../functions/store/webhook-secrets.js';
import { type Captured, captureOutput } from '../observability/output-capture.js';

const TABLE = 'governance-contract';
const ROUTES = Object.values(API_MODULES).flatMap((m) => m.routes);
const DOC = buildOpenApiDocument(API_MODULES);

const PRINCIPALS: Record<string, Principal> = {
  'Bearer admin': { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], systems: [] },
  'Bearer nobody': { userId: 'nora.nobody', name: 'Nora Nobody', roles: [], teams: [], systems: [] },
};

/** The headers the document promises where they are sent, by the response they belong to. */
const PROMISED_HEADERS = ['location', 'idempotent-replayed', 'www-authenticate', 'retry-after'];

// ---------------------------------------------------------------------------------------------------------------
// Sample requests, derived from the route's zod schemas (their JSON Schema, io 'input'): the smallest value that the
// schema accepts, with every id a fresh one that the empty table does not hold.

type Schema = JsonObject;

interface SampleOptions {
  /** Also fill the optional top-level fields that refer to another object by id. */
  references: boolean;
}

let serial = 0;

function resolveRef(schema: Schema, root: Schema): Schema {
  if (typeof schema.$ref !== 'string') return schema;
  const name = schema.$ref.replace(/^#\/(\$defs|definitions)\//, '');
  return resolveRef(((root.$defs ?? {}) as Record<string, Schema>)[name] ?? {}, root);
}

function sampleString(schema: Schema): string {
  serial += 1;
  // A string the route checks beyond its JSON schema (a judge's rubric prompt and its placeholders) gives an example.
  if (Array.isArray(schema.examples) && typeof schema.examples[0] === 'string') return schema.examples[0];
  if (typeof schema.pattern === 'string') {
    const [value] = fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { numRuns: 1, seed: serial });
    return value ?? '';
  }
  if (schema.format === 'date-time') return new Date(Date.UTC(2026, 0, 1, 0, 0, serial)).toISOString();
  if (schema.format === 'date') return '2026-01-01';
  if (schema.format === 'uri' || schema.format === 'url') return `https://example.test/hook/${serial}`;
  if (schema.format === 'email') return `user${serial}@example.test`;
  const min = Math.max(1, (schema.minLength as number | undefined) ?? 1);
  const text = `sample-${serial}`.padEnd(min, 'x');
  return typeof schema.maxLength === 'number' ? text.slice(0, schema.maxLength) : text;
}

function sampleOf(schemaIn: Schema, root: Schema, options: SampleOptions, depth = 0): unknown {
  const schema = resolveRef(schemaIn, root);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const options1 = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options1) {
    const first = options1.find((o) => resolveRef(o, root).type !== 'null') ?? options1[0] ?? {};
    return sampleOf(first, root, options, depth);
  }
  if (Array.isArray(schema.allOf)) return sampleOf((schema.allOf as Schema[])[0] ?? {}, root, options, depth);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const required = new Set<string>((schema.required as string[] | undefined) ?? []);
      const out: Record<string, unknown> = {};
      for (const [name, member] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        const reference = depth === 0 && options.references && REFERENCE_FIELD.test(name);
        if (required.has(name) || reference) out[name] = sampleOf(member, root, options, depth + 1);
      }
      return out;
    }
    case 'array': {
      const count = Math.max(1, (schema.minItems as number | undefined) ?? 1);
      return Array.from({ length: count }, () => sampleOf((schema.items ?? {}) as Schema, root, options, depth + 1));
    }
    case 'string':
      return sampleString(schema);
    case 'integer':
    case 'number': {
      const low = (schema.minimum as number | undefined) ?? ((schema.exclusiveMinimum as number | undefined) ?? 0) + 1;
      return typeof schema.maximum === 'number' ? Math.min(low, schema.maximum) : low;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return {};
  }
}

/** Samples of a request schema the schema accepts: the required fields alone, and with the optional references. */
function samplesOf(schema: z.ZodType | undefined): Record<string, unknown>[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Schema;
  const candidates = [sampleOf(json, json, { references: false }), sampleOf(json, json, { references: true })];
  const accepted = candidates.filter((c) => schema.safeParse(c).success) as Record<string, unknown>[];
  return accepted.filter((c, i) => accepted.findIndex((o) => JSON.stringify(o) === JSON.stringify(c)) === i);
}

/** A query's values as strings, as API Gateway passes them. */
const asQuery = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));

// ---------------------------------------------------------------------------------------------------------------
// The probes of one route.

interface Probe {
  name: string;
  authorization?: string;
  params: Record<string, string>;
  query?: Record<string, string>;
  body?: string;
  contentType?: string;
  idempotency?: 'mismatch' | 'in_progress' | 'replay';
}

/** A well-formed id for each path parameter (from the document's pattern), of an object the empty table lacks. */
function unknownParams(r: Route): Record<string, string> {
  const declared = (DOC.paths[r.path]?.[r.method.toLowerCase()]?.parameters ?? []) as JsonObject[];
  return Object.fromEntries(
    pathParamsOf(r.path).map((name) => {
      const schema = declared.find((p) => p.in === 'path' && p.name === name)?.schema as Schema | undefined;
      return [name, sampleString(schema ?? { type: 'string' })];
    }),
  );
}

function probesOf(r: Route): Probe[] {
  const params = unknownParams(r);
  const queries = r.query ? samplesOf(r.query).map(asQuery) : [{}];
  const bodies = r.body ? samplesOf(r.body).map((b) => JSON.stringify(b)) : [undefined];
  const valid = (name: string, authorization: string): Probe[] =>
    queries.flatMap((query, qi) =>
      bodies.map((body, bi) => ({ name: `${name} q${qi} b${bi}`, authorization, params, query, body })),
    );
  const probes: Probe[] = [
    ...valid('unknown ids', 'Bearer admin'),
    ...valid('no roles', 'Bearer nobody'),
    // Authentication runs before parsing: without a token a non-public route answers the same for every sample.
    ...(r.public ? valid('no token', '') : valid('no token', '').slice(0, 1)),
    { name: 'an unknown query parameter', authorization: 'Bearer admin', params, query: { 'no-such': 'x' } },
  ];
  if (pathParamsOf(r.path).length > 0) {
    const malformed = Object.fromEntries(Object.keys(params).map((name) => [name, 'not-an-id']));
    probes.push({ name: 'a malformed path id', authorization: 'Bearer admin', params: malformed, body: bodies[0] });
  }
  if (r.body) {
    const limit = r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    probes.push(
      { name: 'a body that is not JSON', authorization: 'Bearer admin', params, body: '{"a":' },
      { name: 'a body that is an array', authorization: 'Bearer admin', params, body: '[1]' },
      { name: 'a body of unknown fields', authorization: 'Bearer admin', params, body: '{"no-such":1}' },
      {
        name: 'a text body',
        authorization: 'Bearer admin',
        params,
        body: bodies[0] ?? '{}',
        contentType: 'text/plain',
      },
      { name: 'a body too large', authorization: 'Bearer admin', params, body: `{"a":"${'x'.repeat(limit)}"}` },
    );
  } else {
    probes.push({ name: 'a body where none is taken', authorization: 'Bearer admin', params, body: '{"a":1}' });
  }
  if (r.method === 'POST' && !r.public) {
    for (const idempotency of ['mismatch', 'in_progress', 'replay'] as const) {
      probes.push({ name: `an Idempotency-Key: ${idempotency}`, authorization: 'Bearer admin', params, idempotency });
      const last = probes[probes.length - 1] as Probe;
      if (bodies[0] !== undefined) last.body = bodies[0];
    }
  }
  return probes;
}

function eventOf(r: Route, probe: Probe): APIGatewayProxyEventV2 {
  const rawPath = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(probe.params[name] ?? ''));
  const headers: Record<string, string> = {
    ...(probe.authorization ? { authorization: probe.authorization } : {}),
    ...(probe.body !== undefined ? { 'content-type': probe.contentType ?? 'application/json' } : {}),
    ...(probe.idempotency ? { 'idempotency-key': `probe-${probe.idempotency}` } : {}),
  };
  const query = probe.query && Object.keys(probe.query).length ? probe.query : undefined;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: new URLSearchParams(query ?? {}).toString(),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    ...(probe.body !== undefined ? { body: probe.body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'contract',
      domainName: 'api.example.test',
      domainPrefix: 'api',
      http: { method: r.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'vitest' },
      requestId: 'contract-probe',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The document's side.

/** The response object the document declares for a status of an operation, its $ref resolved; undefined if none. */
function documented(r: Route, status: number): JsonObject | undefined {
  const op = DOC.paths[r.path]?.[r.method.toLowerCase()] as JsonObject | undefined;
  const response = op?.responses?.[String(status)] as JsonObject | undefined;
  if (typeof response?.$ref === 'string') return DOC.components.responses[response.$ref.split('/').pop() as string];
  return response;
}

/** What is wrong with one answer in the light of the document: an undocumented status, a 500, an undeclared header. */
function answerProblems(r: Route, probe: Probe, answer: APIGatewayProxyStructuredResultV2): string[] {
  const status = answer.statusCode ?? 200;
  const where = `${r.method} ${r.path} (${probe.name}) answered ${status}`;
  if (status === 500) return [`${where}: no input may produce a 500 (${answer.body ?? ''})`];
  const response = documented(r, status);
  if (!response) return [`${where}, which the document does not declare`];
  const declared = new Set(Object.keys((response.headers ?? {}) as JsonObject).map((h) => h.toLowerCase()));
  const sent = Object.keys(answer.headers ?? {}).map((h) => h.toLowerCase());
  const problems = sent
    .filter((h) => PROMISED_HEADERS.includes(h) && !declared.has(h))
    .map((h) => `${where} with a ${h} header the document does not declare there`);
  if ((status === 201 || status === 202) && !sent.includes('location'))
    problems.push(`${where} without the location header the document declares`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------

let handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;
let store: GovernanceStore;
let logged: Captured;
/** The claim the next probe's Idempotency-Key meets; a replay answers the route's own success, as first kept. */
const idempotency: {
  state?: Probe['idempotency'];
  replay?: { statusCode: number; headers: Record<string, string>; body: string };
} = {};

beforeAll(() => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
    }),
  );
  // An empty table: nothing to get, nothing to query, and every write accepted.
  const empty = mockClient(doc);
  empty.on(GetCommand).resolves({});
  empty.on(QueryCommand).resolves({ Items: [], Count: 0 });
  empty.on(ScanCommand).resolves({ Items: [], Count: 0 });
  empty.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
  empty.on(TransactGetCommand).resolves({ Responses: [] });
  empty.on(PutCommand).resolves({});
  empty.on(UpdateCommand).resolves({ Attributes: {} });
  empty.on(DeleteCommand).resolves({});
  empty.on(TransactWriteCommand).resolves({});
  empty.on(BatchWriteCommand).resolves({});
  const real = createStore({ doc, tableName: TABLE, maxAttempts: 1 });
  // The Idempotency-Key's claim as each probe asks for it: the store's own conditions are proved elsewhere.
  store = {
    ...real,
    idempotency: {
      ...real.idempotency,
      claimIdempotencyKey: async (...args: Parameters<typeof real.idempotency.claimIdempotencyKey>) => {
        if (idempotency.state === 'mismatch') return { state: 'mismatch' };
        if (idempotency.state === 'in_progress') return { state: 'in_progress' };
        if (idempotency.state === 'replay') return { state: 'replay', response: idempotency.replay };
        return real.idempotency.claimIdempotencyKey(...args);
      },
      completeIdempotencyKey: async () => undefined,
    },
  } as GovernanceStore;
  const deps: Deps = {
    store,
    verifyToken: async (authorization) => {
      const principal = authorization ? PRINCIPALS[authorization] : undefined;
      if (!principal) throw new UnauthorizedError('the Authorization header is missing', { code: 'TOKEN_MISSING' });
      return principal;
    },
    evalRunner: { start: () => undefined, idle: async () => undefined },
    // As every composition root provides: without it a subscription whose sampled body passed validation crashed.
    webhookSecrets: createAesGcmSecretCipher(Buffer.alloc(32, 7)),
    evalAllowedHosts: ['example.test'],
    // As every composition root that serves the audit module provides (the job and the links of ADR 0044).
    auditExports: { start: async () => undefined, link: async (id, format) => `https://exports.test/${id}.${format}` },
  };
  handler = createHttpHandler(ROUTES, () => deps) as typeof handler;
  logged = captureOutput();
});
afterAll(() => logged.restore());

describe('the statuses a route can answer', () => {
  it('derives a sample path, query and body the route accepts for every route', () => {
    // Act
    const unsampled = ROUTES.filter(
      (r) => (r.query && samplesOf(r.query).length === 0) || (r.body && samplesOf(r.body).length === 0),
    ).map((r) => `${r.method} ${r.path}`);

    // Assess
    expect(unsampled, 'teach sampleOf() the schema construct these routes use').toEqual([]);
  });

  it('are all in the document, with the headers they carry, and none is a 500', async () => {
    // Prepare
    const problems: string[] = [];
    const seen = new Map<string, Set<number>>();
    // The samples are seeded from a counter: start it here, so that the routes another test sampled first (a module
    // added to the API) do not change which samples this one draws. Pattern samples are random strings: from 400 the
    // webhook's event filter sample names a known event type, so its systemId reference reaches the 404 (401 since the catalogue grew by the judge-config, refusal and rollback-request events).
    serial = 401;

    // Act
    for (const r of ROUTES) {
      for (const probe of probesOf(r)) {
        idempotency.state = probe.idempotency;
        const status = r.response?.status ?? 200;
        const location: Record<string, string> = status === 201 || status === 202 ? { location: '/api/kept/1' } : {};
        idempotency.replay = {
          statusCode: status,
          headers: { 'content-type': 'application/json', ...location },
          body: '{}',
        };
        const answer = (await handler(eventOf(r, probe), {
          awsRequestId: 'contract',
        } as Context)) as APIGatewayProxyStructuredResultV2;
        problems.push(...answerProblems(r, probe, answer));
        const key = `${r.method} ${r.path}`;
        seen.set(key, (seen.get(key) ?? new Set()).add(answer.statusCode ?? 200));
      }
    }
    idempotency.state = undefined;

    // Assess
    expect(problems).toEqual([]);
    // The other way for 404: the document declares it exactly where an unknown id was answered with it.
    const notFound = [...seen].filter(([, statuses]) => statuses.has(404)).map(([key]) => key);
    const declaresNotFound = ROUTES.filter((r) => documented(r, 404)).map((r) => `${r.method} ${r.path}`);
    expect(notFound.sort()).toEqual(declaresNotFound.sort());
    expect(notFound).toEqual(expect.arrayContaining(['GET /api/prompts', 'POST /api/release-candidates']));
    expect(seen.get('POST /api/systems')).toEqual(new Set([201, 400, 401, 403, 409, 413, 415, 422]));
  });

  it('fails an answer whose status the document does not declare', () => {
    // Prepare
    const listSystems = ROUTES.find((r) => r.method === 'GET' && r.path === '/api/systems') as Route;
    const probe: Probe = { name: 'synthetic', params: {} };

    // Act
    const undocumented = answerProblems(listSystems, probe, { statusCode: 404, headers: {} });
    const crashed = answerProblems(listSystems, probe, { statusCode: 500, headers: {} });
    const created = answerProblems(listSystems, probe, { statusCode: 200, headers: { location: '/x' } });

    // Assess
    expect(undocumented).toEqual(['GET /api/systems (synthetic) answered 404, which the document does not declare']);
    expect(crashed[0]).toMatch(/no input may produce a 500/);
    expect(created).toEqual([
      'GET /api/systems (synthetic) answered 200 with a location header the document does not declare there',
    ]);
  });
});
