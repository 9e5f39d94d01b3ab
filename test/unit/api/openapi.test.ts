// The OpenAPI document is generated from the route modules and their zod contracts (functions/api/openapi.ts): it must
// be valid OpenAPI 3.1, cover every route of every module (a success response schema, a request body when the route
// takes one, a parameter per path template variable and per query field), and match the committed
// functions/api/openapi.json that GET /api/openapi.json serves. The response schemas must agree with the domain types
// (checked by the compiler: functions/contracts/responses.ts `exact<T>()` and the type assertions below).
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Route } from '../../../functions/api/http.js';
import {
  type ApiModule,
  buildOpenApiDocument,
  type JsonObject,
  type OpenApiDocument,
  operationIdOf,
  pathParamsOf,
} from '../../../functions/api/openapi.js';
import { escapeHtml, OPENAPI_DOCUMENT, renderReferencePage } from '../../../functions/api/reference.js';
import { API_MODULES } from '../../../functions/api/routes.js';
import type { ArchiveStatus } from '../../../functions/audit/archive-status.js';
import {
  type archiveStatusResponse,
  type auditVerifyResponse,
  type caseEvidencePageResponse,
  type chainReportResponse,
  type decisionResponse,
  exact,
  type executionRecordResponse,
  gateResponse,
  type promoteResponse,
  type registrySummaryResponse,
  type relaxationRequestResponse,
  type requestApprovalResponse,
  type rollbackResponse,
  type rollbackValidationResponse,
} from '../../../functions/contracts/index.js';
import type { RegistrySummary } from '../../../functions/domain/overview.js';
import type { RelaxationRequest } from '../../../functions/domain/relaxation.js';
import type { RollbackValidationOutcome } from '../../../functions/domain/rollback.js';
import type { decideApproval } from '../../../functions/store/approvals.js';
import type { ChainReport } from '../../../functions/store/audit.js';
import type { GateView, promoteCandidate, requestApproval } from '../../../functions/store/candidates.js';
import type { ExecutionRecord } from '../../../functions/store/evidence-store.js';
import type { explainedCaseEvidence } from '../../../functions/workflows/case-evidence.js';
import type { requestRollback } from '../../../functions/workflows/rollback-validation.js';
import { OPENAPI_JSON_PATH, renderOpenApiJson } from '../../../scripts/api-doc.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** A type with its intersections flattened (`A & B` as one object), so equal shapes compare equal. */
type Flat<T> = T extends (infer U)[] ? Flat<U>[] : T extends object ? { [K in keyof T]: Flat<T[K]> } : T;

/**
 * Every way a route is missing from the document or described short: the test of the real modules expects none.
 * Returns one line per problem, naming the route.
 */
function coverageProblems(modules: Readonly<Record<string, ApiModule>>, doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  for (const [tag, module] of Object.entries(modules)) {
    for (const route of module.routes) {
      const key = `${route.method} ${route.path}`;
      if (!route.response) problems.push(`${key}: declares no response`);
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      if (!op) {
        problems.push(`${key}: not in the document`);
        continue;
      }
      if (!(op.tags as string[]).includes(tag)) problems.push(`${key}: not tagged ${tag}`);
      const success = Object.entries(op.responses as Record<string, JsonObject>).filter(([s]) => Number(s) < 400);
      if (success.length === 0) problems.push(`${key}: no success response`);
      for (const [status, response] of success) {
        const content = Object.entries((response.content ?? {}) as Record<string, JsonObject>);
        const declaresNoBody = route.response?.body === null;
        if (content.length === 0 && !declaresNoBody) problems.push(`${key}: ${status} has no content`);
        for (const [type, media] of content) {
          if (/json/.test(type) && !media.schema) problems.push(`${key}: ${status} ${type} has no schema`);
        }
      }
      if (route.body && !op.requestBody?.content?.['application/json']?.schema)
        problems.push(`${key}: takes a body but has no requestBody schema`);
      const params = (op.parameters ?? []) as JsonObject[];
      for (const name of pathParamsOf(route.path)) {
        if (!params.some((p) => p.in === 'path' && p.name === name && p.required === true))
          problems.push(`${key}: no path parameter ${name}`);
      }
      if (route.query) {
        const fields = Object.keys((z.toJSONSchema(route.query, { io: 'input' }).properties ?? {}) as object);
        for (const name of fields) {
          if (!params.some((p) => p.in === 'query' && p.name === name))
            problems.push(`${key}: no query parameter ${name}`);
        }
      }
      if (route.public && !(Array.isArray(op.security) && op.security.length === 0))
        problems.push(`${key}: public but not marked security: []`);
      if (route.method === 'POST' && !route.public && !params.some((p) => p.$ref?.endsWith('/IdempotencyKey')))
        problems.push(`${key}: an authenticated POST without the Idempotency-Key header`);
    }
  }
  return problems;
}

const synthetic = (routes: Partial<Route>[]): Record<string, ApiModule> => ({
  things: {
    routes: routes.map((r) => ({
      method: 'GET',
      path: '/api/things',
      summary: 'things',
      handle: async () => ({ status: 200 }),
      ...r,
    })) as Route[],
  },
});

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument(API_MODULES);

  it('is valid OpenAPI 3.1', async () => {
    // Prepare
    const validator = new Validator();

    // Act
    const result = await validator.validate(doc as unknown as Record<string, unknown>);

    // Assess
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const broken = await new Validator().validate({ ...doc, paths: { 'no-slash': {} } } as Record<string, unknown>);
    expect(broken.valid).toBe(false);
  });

  it('describes every route of every module: response schema, request body, path and query parameters', () => {
    // Prepare
    const routes = Object.values(API_MODULES).flatMap((m) => m.routes);
    const operations = Object.values(doc.paths).flatMap((item) => METHODS.filter((m) => item[m]));

    // Act
    const problems = coverageProblems(API_MODULES, doc);

    // Assess
    expect(problems).toEqual([]);
    expect(operations).toHaveLength(routes.length);
    expect(routes.length).toBeGreaterThan(45);
    expect(doc.tags.map((t) => t.name)).toEqual(Object.keys(API_MODULES));
  });

  it('fails a route that declares no response, or a body without a requestBody, a param without a parameter', () => {
    // Prepare
    const noResponse = synthetic([{ path: '/api/things/{id}' }]);
    const described = synthetic([
      { path: '/api/things/{id}', response: { status: 200, body: z.object({ a: z.string() }) } },
    ]);
    const shortDoc = buildOpenApiDocument(described);
    const op = shortDoc.paths['/api/things/{id}']?.get as JsonObject;
    op.parameters = [];
    const withBody = synthetic([{ method: 'POST', body: z.object({ a: z.string() }), response: { status: 201 } }]);
    const docWithoutBody = buildOpenApiDocument(synthetic([{ method: 'POST', response: { status: 201 } }]));

    // Act
    const build = () => buildOpenApiDocument(noResponse);

    // Assess
    expect(build).toThrow('GET /api/things/{id} declares no response');
    expect(coverageProblems(noResponse, buildOpenApiDocument(described))).toEqual([
      'GET /api/things/{id}: declares no response',
    ]);
    expect(coverageProblems(described, shortDoc)).toEqual(['GET /api/things/{id}: no path parameter id']);
    expect(coverageProblems(withBody, docWithoutBody)).toEqual([
      'POST /api/things: 201 has no content',
      'POST /api/things: takes a body but has no requestBody schema',
    ]);
  });

  it('is what functions/api/openapi.json holds and GET /api/openapi.json serves (fix: npx tsx scripts/api-doc.ts --write)', () => {
    // Prepare
    const committed = readFileSync(OPENAPI_JSON_PATH, 'utf8');

    // Act
    const generated = renderOpenApiJson(API_MODULES);

    // Assess
    expect(committed).toBe(generated);
    expect(OPENAPI_DOCUMENT).toEqual(JSON.parse(generated));
  });

  it('names each domain object once in components and refers to it from the operations', () => {
    // Prepare
    const systemGet = doc.paths['/api/systems/{id}']?.get as JsonObject;
    const incidents = doc.paths['/api/incidents']?.get as JsonObject;

    // Act
    const systemSchema = systemGet.responses['200'].content['application/json'].schema;
    const incidentItems = incidents.responses['200'].content['application/json'].schema.properties.items;

    // Assess
    expect(systemSchema).toEqual({ $ref: '#/components/schemas/AiSystem' });
    expect(incidentItems).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Incident' } });
    expect(doc.components.schemas.AiSystem?.additionalProperties).toBe(false);
    expect(doc.components.schemas.AiSystem?.required).toContain('activeReleases');
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });

  it('marks public routes, bearer security, idempotency keys and problem+json errors', () => {
    // Prepare
    const live = doc.paths['/health/live']?.get as JsonObject;
    const create = doc.paths['/api/systems']?.post as JsonObject;
    const promote = doc.paths['/api/release-candidates/{id}/promote']?.post as JsonObject;

    // Act
    const promoteStatuses = Object.keys(promote.responses);

    // Assess
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(live.security).toEqual([]);
    expect(create.security).toBeUndefined();
    expect(create.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
    expect(create.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    expect(promoteStatuses).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '409', '413', '415', '422', '500']),
    );
    expect(promote.responses['409']).toEqual({ $ref: '#/components/responses/Conflict' });
    expect(doc.components.responses.Conflict?.content['application/problem+json'].schema).toEqual({
      $ref: '#/components/schemas/Problem',
    });
    expect(promote.parameters[0]).toMatchObject({
      name: 'id',
      in: 'path',
      schema: { pattern: '^rc_[0-9A-HJKMNP-TV-Z]{26}$' },
    });
  });

  it('names a relative server, declares 429 on every operation and the headers of 201s, replays and 401s', () => {
    // Prepare
    const operations = Object.values(doc.paths).flatMap((item) => METHODS.filter((m) => item[m]).map((m) => item[m]));
    const create = doc.paths['/api/systems']?.post as JsonObject;
    const submit = doc.paths['/api/prompts/{id}/submit']?.post as JsonObject;
    const approve = doc.paths['/api/release-candidates/{id}/promote']?.post as JsonObject;

    // Act
    const unthrottled = operations.filter((op) => !(op as JsonObject).responses['429']);

    // Assess
    expect(doc.servers).toEqual([{ url: '/', description: expect.any(String) }]);
    expect(unthrottled).toEqual([]);
    expect(doc.components.responses.TooManyRequests?.content['application/json'].schema.properties).toEqual({
      message: { type: 'string' },
    });
    expect(Object.keys(create.responses['201'].headers)).toEqual(['location', 'idempotent-replayed']);
    expect(Object.keys(submit.responses['200'].headers)).toEqual(['idempotent-replayed']);
    expect(doc.components.responses.Unauthorized?.headers['www-authenticate']).toEqual({
      $ref: '#/components/headers/WwwAuthenticate',
    });
    expect(submit.requestBody.required).toBe(false);
    expect(approve.requestBody.required).toBe(true);
  });

  it('gives every operation a unique operationId from its method and path', () => {
    // Prepare
    const ids = Object.values(doc.paths).flatMap((item) =>
      METHODS.filter((m) => item[m]).map((m) => (item[m] as JsonObject).operationId as string),
    );

    // Act
    const named = operationIdOf('POST', '/api/release-candidates/{id}/run-evals');

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
    expect(named).toBe('postReleaseCandidatesByIdRunEvals');
    expect(() =>
      buildOpenApiDocument(
        synthetic([
          { path: '/api/a-b', response: { status: 200, body: null } },
          { path: '/api/a/b', response: { status: 200, body: null } },
        ]),
      ),
    ).toThrow(/operationId getAB/);
  });
});

describe('the response schemas agree with the domain', () => {
  it('fail to compile when a schema misses a field of its domain type', () => {
    // Prepare
    type Two = { a: string; b: number };

    // Act
    // @ts-expect-error the schema lacks `b`: exact<T>() refuses it at compile time.
    const missing = exact<Two>()(z.object({ a: z.string() }));
    // @ts-expect-error the schema has an extra `c` the type lacks.
    const extra = exact<Two>()(z.object({ a: z.string(), b: z.number(), c: z.string() }));
    const same = exact<Two>()(z.object({ a: z.string(), b: z.number() }));

    // Assess
    expect(same.parse({ a: 'x', b: 1 })).toEqual({ a: 'x', b: 1 });
    expect([missing, extra]).toHaveLength(2);
  });

  it('match the types of answers built outside functions/domain/types.ts', () => {
    // The contracts may import only domain/types.ts, so these types are compared here, by the compiler.
    expectTypeOf<Flat<z.output<typeof registrySummaryResponse>>>().toEqualTypeOf<Flat<RegistrySummary>>();
    expectTypeOf<Flat<z.output<typeof chainReportResponse>>>().toEqualTypeOf<Flat<ChainReport>>();
    expectTypeOf<Flat<z.output<typeof archiveStatusResponse>>>().toEqualTypeOf<Flat<ArchiveStatus>>();
    expectTypeOf<Flat<z.output<typeof auditVerifyResponse>['table']>>().toEqualTypeOf<Flat<ChainReport>>();
    expectTypeOf<Flat<z.output<typeof executionRecordResponse>>>().toEqualTypeOf<Flat<ExecutionRecord>>();
    expectTypeOf<Flat<z.output<typeof rollbackValidationResponse>>>().toEqualTypeOf<Flat<RollbackValidationOutcome>>();
    expectTypeOf<Flat<z.output<typeof rollbackResponse>['rollbackRequest']>>().toEqualTypeOf<
      Flat<Awaited<ReturnType<typeof requestRollback>>['request']>
    >();
    expectTypeOf<Flat<z.output<typeof promoteResponse>>>().toEqualTypeOf<
      Flat<Awaited<ReturnType<typeof promoteCandidate>>>
    >();
    expectTypeOf<Flat<z.output<typeof requestApprovalResponse>>>().toEqualTypeOf<
      Flat<Awaited<ReturnType<typeof requestApproval>>>
    >();
    expectTypeOf<Flat<z.output<typeof decisionResponse>>>().toEqualTypeOf<
      Flat<Awaited<ReturnType<typeof decideApproval>>>
    >();
    expectTypeOf<Flat<z.output<typeof caseEvidencePageResponse>>>().toEqualTypeOf<
      Flat<Awaited<ReturnType<typeof explainedCaseEvidence>>>
    >();
    expectTypeOf<Flat<z.output<typeof relaxationRequestResponse>>>().toEqualTypeOf<Flat<RelaxationRequest>>();
    // Flat keeps optionality: a field optional on one side only is a difference.
    // @ts-expect-error `b` is on one side only.
    expectTypeOf<Flat<{ a: string }>>().toEqualTypeOf<Flat<{ a: string; b?: number }>>();
    // The gate answer narrows GateView; its reason codes are the domain's BlockReasonCode strings.
    type GateAnswer = Pick<
      GateView,
      'environment' | 'requiredRoles' | 'promotable' | 'reasons' | 'waived' | 'pendingRelaxations'
    > & {
      candidateId: string;
      status: GateView['candidate']['status'];
      activeCandidateId: string | null;
    };
    expectTypeOf<GateAnswer>().toExtend<z.output<typeof gateResponse>>();
    expect(Object.keys(gateResponse.shape).sort()).toEqual(
      [
        'activeCandidateId',
        'candidateId',
        'environment',
        'pendingRelaxations',
        'promotable',
        'reasons',
        'requiredRoles',
        'status',
        'waived',
      ].sort(),
    );
  });
});

describe('the reference page (GET /api/docs)', () => {
  const doc = buildOpenApiDocument(API_MODULES);
  const html = renderReferencePage(doc);

  it('has an anchored section for every operation, grouped by tag, and every schema', () => {
    // Prepare
    const ids = Object.values(doc.paths).flatMap((item) =>
      METHODS.filter((m) => item[m]).map((m) => (item[m] as JsonObject).operationId as string),
    );

    // Act
    const missing = ids.filter((id) => !html.includes(`id="op-${id}"`) || !html.includes(`href="#op-${id}"`));

    // Assess
    expect(missing).toEqual([]);
    for (const tag of doc.tags) expect(html).toContain(`id="tag-${tag.name}"`);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    expect(html).toContain('href="#schema-AiSystem"');
  });

  it('loads nothing from elsewhere and runs no script', () => {
    // Act
    const external = html.match(/(src|href)="(?!#|\/api\/)[^"]*"/g);

    // Assess
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(external).toBeNull();
  });

  it('escapes every text taken from the document', () => {
    // Prepare
    const hostile = buildOpenApiDocument(
      synthetic([
        {
          summary: '<script>alert(1)</script> & "quotes"',
          response: { status: 200, body: z.object({ '<img src=x>': z.string().describe('<b>bold</b>') }) },
        },
      ]),
      { title: '<title>' },
    );

    // Act
    const page = renderReferencePage(hostile);

    // Assess
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>bold');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(page).toContain('&lt;title&gt;');
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });
});
