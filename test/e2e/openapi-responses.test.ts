// What keeps the OpenAPI document's response schemas true: a governed lifecycle over HTTP against the local stack,
// and then every GET of the document, each real answer validated (ajv, JSON Schema 2020-12) against the schema the
// document served at GET /api/openapi.json declares for that operation and status. Response objects are closed
// (additionalProperties: false), so a field a handler adds without its schema fails here too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject, OpenApiDocument } from '../../functions/api/openapi.js';
import { DEFAULT_POLICY } from '../../functions/domain/policy.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, OUTPUT_CONTRACT, promptInput, systemInput } from '../support/fixtures.js';
import { eventually } from '../support/http.js';
import { dynamoEndpoint } from '../support/store.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
// biome-ignore lint/suspicious/noExplicitAny: answers are checked against the document's schemas, not typed here.
type Body = any;

const DOC_ID = 'urn:governance:openapi';
const REVIEWER_BY_ROLE: Record<string, string> = {
  technical: 'tessa.technical',
  product: 'priya.product',
  risk: 'rahul.risk',
  governance: 'greta.governance',
};

/** A JSON pointer into the document, URI-encoded for a $ref fragment. */
const pointer = (...segments: string[]) =>
  segments.map((s) => `/${encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))}`).join('');

describe('real answers of the local stack against the OpenAPI document', () => {
  let stack: LocalStack;
  let dataDir: string;
  let doc: OpenApiDocument;
  const ajv = addFormats.default(new Ajv2020({ strict: false, allErrors: true }));
  /** `METHOD path status` of every checked answer. */
  const checked = new Set<string>();
  const failures: string[] = [];
  const validators = new Map<string, ValidateFunction>();

  /** Validates one answer against the operation's declared response for its status. */
  function validate(method: Method, template: string, status: number, contentType: string, body: unknown) {
    const key = `${method} ${template} ${status}`;
    checked.add(key);
    const op = doc.paths[template]?.[method.toLowerCase()];
    if (!op) return failures.push(`${key}: no such operation in the document`);
    let response = op.responses[String(status)] as JsonObject | undefined;
    let at = pointer('paths', template, method.toLowerCase(), 'responses', String(status));
    if (!response) return failures.push(`${key}: status not documented`);
    if (typeof response.$ref === 'string') {
      const name = response.$ref.replace('#/components/responses/', '');
      response = doc.components.responses[name];
      at = pointer('components', 'responses', name);
    }
    const content = Object.keys((response?.content ?? {}) as JsonObject);
    if (content.length === 0) {
      if (body !== null && body !== '') failures.push(`${key}: a body where the document declares none`);
      return;
    }
    const mediaType = content.find((type) => contentType.startsWith(type.split(';')[0] as string));
    if (!mediaType) return failures.push(`${key}: content-type ${contentType}, documented ${content.join(', ')}`);
    if (!/json/.test(mediaType)) return;
    const ref = `${DOC_ID}#${at}${pointer('content', mediaType, 'schema')}`;
    // One compiled validator per schema: ajv caches by the schema object, so a fresh `{ $ref }` per answer compiled
    // the operation's schema again for every repeated answer (a few milliseconds each).
    const check = validators.get(ref) ?? ajv.compile({ $ref: ref });
    validators.set(ref, check);
    if (!check(body)) failures.push(`${key}: ${ajv.errorsText(check.errors, { separator: '; ' })}`);
  }

  /** Calls the stack as `user` (undefined: no token) and validates the answer; `template` names the operation. */
  function as(user: string | undefined) {
    return async (
      method: Method,
      template: string,
      params: Record<string, string> = {},
      options: { body?: unknown; query?: string } = {},
    ): Promise<{ status: number; body: Body }> => {
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
      const token = user ? stack.tokens[user]?.token : undefined;
      const send = () =>
        fetch(`${stack.url}${path}${options.query ? `?${options.query}` : ''}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        });
      // A GET is sent again once if the connection drops (a kept-alive socket reset on a loaded machine): the
      // transport is not what this test checks. Writes are never resent.
      const res = await send().catch((error: unknown) => (method === 'GET' ? send() : Promise.reject(error)));
      const contentType = res.headers.get('content-type') ?? '';
      const text = await res.text();
      const body = /json/.test(contentType) && text ? JSON.parse(text) : text;
      validate(method, template, res.status, contentType, body);
      return { status: res.status, body };
    };
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-openapi-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName: `e2e-openapi-${Date.now()}`,
      seed: false,
      log: () => {},
    });
    const res = await fetch(`${stack.url}/api/openapi.json`);
    doc = (await res.json()) as OpenApiDocument;
    ajv.addSchema({ ...doc, $id: DOC_ID });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves the document and the reference page without a token', async () => {
    const anonymous = as(undefined);

    const json = await anonymous('GET', '/api/openapi.json');
    const page = await anonymous('GET', '/api/docs');

    expect(json.status).toBe(200);
    expect(json.body.openapi).toBe('3.1.0');
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="op-getSystemsById"');
    expect(failures).toEqual([]);
  });

  it('answers a governed lifecycle, and every GET, exactly as the document declares', async () => {
    const owner = as('omar.owner');
    const admin = as('ada.admin');
    const tessa = as('tessa.technical');
    const auditor = as('aud.auditor');
    const anonymous = as(undefined);
    const ids: Record<string, string> = {};

    for (const path of ['/health/live', '/health/ready', '/health/deps'])
      expect((await anonymous('GET', path)).status).toBe(200);

    // A system and its artefacts, reviewed.
    const system = await owner('POST', '/api/systems', {}, { body: systemInput({ riskTier: 'high' }) });
    expect(system.status).toBe(201);
    const systemId = system.body.id as string;
    ids.systems = systemId;
    expect((await owner('GET', '/api/systems', {}, { query: 'limit=5' })).status).toBe(200);
    expect((await owner('GET', '/api/systems', {}, { query: 'q=test&riskTier=high' })).status).toBe(200);
    expect(
      (await owner('PATCH', '/api/systems/{id}', { id: systemId }, { body: { description: 'Routes tickets' } })).status,
    ).toBe(200);
    const prompt = await owner(
      'POST',
      '/api/prompts',
      {},
      { body: { ...promptInput(systemId), outputContract: OUTPUT_CONTRACT } },
    );
    const config = await owner('POST', '/api/model-configs', {}, { body: modelConfigInput(systemId) });
    expect([prompt.status, config.status]).toEqual([201, 201]);
    ids.prompts = prompt.body.id;
    ids['model-configs'] = config.body.id;
    for (const kind of ['prompts', 'model-configs'] as const) {
      expect((await owner('POST', `/api/${kind}/{id}/submit`, { id: ids[kind] as string })).status).toBe(200);
      const approved = await tessa('POST', `/api/${kind}/{id}/approve`, { id: ids[kind] as string }, { body: {} });
      expect(approved.status).toBe(200);
      expect((await owner('GET', `/api/${kind}`, {}, { query: `systemId=${systemId}` })).status).toBe(200);
    }
    const second = await owner(
      'POST',
      '/api/prompts',
      {},
      { body: promptInput(systemId, { template: 'v2 {{ticket}}' }) },
    );
    await owner('POST', '/api/prompts/{id}/submit', { id: second.body.id });
    const rejected = await tessa(
      'POST',
      '/api/prompts/{id}/reject',
      { id: second.body.id },
      { body: { comment: 'no' } },
    );
    expect(rejected.status).toBe(200);
    const dataset = await owner(
      'POST',
      '/api/eval-datasets',
      {},
      { body: { systemId, name: 'baseline', kind: 'baseline', cases: cases(12) } },
    );
    expect(dataset.status).toBe(201);
    ids['eval-datasets'] = dataset.body.id;

    // Candidates: evaluated, approved by every required role, promoted; a second one promoted and rolled back.
    const newCandidate = async () => {
      const rc = await owner(
        'POST',
        '/api/release-candidates',
        {},
        {
          body: {
            systemId,
            name: 'release',
            promptVersionId: ids.prompts,
            modelConfigId: ids['model-configs'],
            datasetIds: [ids['eval-datasets']],
            thresholds: [{ metric: 'accuracy', direction: 'min', value: 0 }],
          },
        },
      );
      expect(rc.status).toBe(201);
      expect((await owner('POST', '/api/release-candidates/{id}/submit', { id: rc.body.id })).status).toBe(200);
      return rc.body.id as string;
    };
    const evaluate = async (id: string, executor = 'simulated') => {
      const run = await owner('POST', '/api/release-candidates/{id}/run-evals', { id }, { body: { executor } });
      expect(run.status).toBe(202);
      return run.body.id as string;
    };
    const finished = (runId: string) =>
      eventually(async () => {
        const r = await owner('GET', '/api/eval-runs/{id}', { id: runId });
        return ['passed', 'failed', 'error'].includes(r.body.status) ? r.body : undefined;
      });
    const openRound = async (id: string) => {
      const round = await owner('POST', '/api/release-candidates/{id}/request-approval', { id });
      expect(round.status).toBe(200);
      return round.body.approvals as { id: string; role: string }[];
    };
    const approveAll = async (id: string) => {
      for (const approval of await openRound(id)) {
        const reviewer = as(REVIEWER_BY_ROLE[approval.role]);
        expect((await reviewer('POST', '/api/approvals/{id}/approve', { id: approval.id }, { body: {} })).status).toBe(
          200,
        );
        ids.approvals = approval.id;
      }
    };

    const first = await newCandidate();
    ids['release-candidates'] = first;
    expect((await owner('GET', '/api/release-candidates/{id}/gate', { id: first })).body.promotable).toBe(false);
    const blocked = await owner(
      'POST',
      '/api/release-candidates/{id}/promote',
      { id: first },
      { body: { expectedActiveCandidateId: null } },
    );
    expect(blocked.status).toBe(409);
    const runId = await evaluate(first);
    ids['eval-runs'] = runId;
    expect((await finished(runId)).status).toBe('passed');
    expect((await owner('GET', '/api/eval-runs/{id}/cases', { id: runId }, { query: 'limit=5' })).status).toBe(200);
    expect((await owner('GET', '/api/eval-runs', {}, { query: `candidateId=${first}` })).status).toBe(200);
    await approveAll(first);
    const promoted = await owner(
      'POST',
      '/api/release-candidates/{id}/promote',
      { id: first },
      { body: { expectedActiveCandidateId: null } },
    );
    expect(promoted.status).toBe(200);

    const next = await newCandidate();
    expect((await finished(await evaluate(next))).status).toBe('passed');
    await approveAll(next);
    expect(
      (
        await owner(
          'POST',
          '/api/release-candidates/{id}/promote',
          { id: next },
          { body: { expectedActiveCandidateId: first } },
        )
      ).status,
    ).toBe(200);
    const rollback = await owner(
      'POST',
      '/api/release-candidates/{id}/rollback',
      { id: next },
      { body: { reason: 'latency regression' } },
    );
    // A rollback is a request (ADR 0032): 202, committed at once here (no rollback_validation datasets), and the
    // release's latest request is read back as documented.
    expect(rollback.status).toBe(202);
    expect(rollback.body.status).toBe('rolled_back');
    const rollbackRequest = await owner('GET', '/api/release-candidates/{id}/rollback', { id: next });
    expect(rollbackRequest.status).toBe(200);
    expect(rollbackRequest.body).toMatchObject({
      status: 'rolled_back',
      fromCandidateId: next,
      targetCandidateId: first,
    });

    // A round answered with a request for changes and a rejection; a pipeline's submitted run.
    const third = await newCandidate();
    expect((await finished(await evaluate(third))).status).toBe('passed');
    const round = await openRound(third);
    const [one, two] = round;
    if (one && two) {
      const changes = await as(REVIEWER_BY_ROLE[one.role])(
        'POST',
        '/api/approvals/{id}/request-changes',
        { id: one.id },
        { body: { comment: 'tighten the prompt' } },
      );
      expect(changes.status).toBe(200);
    }
    expect((await admin('GET', '/api/approvals', {}, { query: 'status=pending' })).status).toBe(200);
    if (two) {
      const rejection = await as(REVIEWER_BY_ROLE[two.role])(
        'POST',
        '/api/approvals/{id}/reject',
        { id: two.id },
        { body: { comment: 'not yet' } },
      );
      expect([200, 409]).toContain(rejection.status);
    }
    const fourth = await newCandidate();
    const submittedRun = await evaluate(fourth, 'submitted');
    const results = await owner(
      'POST',
      '/api/eval-runs/{id}/results',
      { id: submittedRun },
      {
        body: {
          results: cases(12).map((c) => ({
            caseId: c.caseId,
            output: { label: c.expectedLabel, confidence: 0.9 },
            latencyMs: 120,
          })),
        },
      },
    );
    expect(results.status).toBe(202);
    expect((await owner('GET', '/api/eval-runs/{id}/cases', { id: submittedRun })).status).toBe(200);

    // Incidents through their life.
    const incident = await tessa(
      'POST',
      '/api/incidents',
      {},
      { body: { systemId, candidateId: first, title: 'Misrouted refunds', severity: 'high' } },
    );
    expect(incident.status).toBe(201);
    ids.incidents = incident.body.id;
    expect(
      (await owner('PATCH', '/api/incidents/{id}', { id: incident.body.id }, { body: { status: 'mitigating' } }))
        .status,
    ).toBe(200);
    expect((await owner('GET', '/api/incidents', {}, { query: `systemId=${systemId}` })).status).toBe(200);
    // A high incident blocks: resolving it is a relaxation request (202), decided by a risk reviewer.
    const asked = await owner(
      'POST',
      '/api/incidents/{id}/resolve',
      { id: incident.body.id },
      { body: { resolution: 'routing table fixed' } },
    );
    expect(asked.status).toBe(202);
    ids['relaxation-requests'] = asked.body.id;
    expect(
      (
        await as('rahul.risk')(
          'POST',
          '/api/relaxation-requests/{id}/approve',
          { id: asked.body.id },
          { body: { reason: 'fix verified' } },
        )
      ).status,
    ).toBe(200);

    // Audit, metrics and a retired system.
    expect((await auditor('GET', '/api/audit-events', {}, { query: `systemId=${systemId}&limit=10` })).status).toBe(
      200,
    );
    expect((await admin('GET', '/api/audit-events', {}, { query: 'limit=5' })).status).toBe(200);
    expect((await auditor('GET', '/api/audit-events/verify', {}, { query: `systemId=${systemId}` })).status).toBe(200);
    expect((await owner('GET', '/api/metrics/overview', {}, { query: `systemId=${systemId}` })).status).toBe(200);
    expect((await auditor('GET', '/api/metrics/overview', {}, { query: 'tier=high&limit=5' })).status).toBe(200);
    expect((await owner('GET', '/api/metrics/registry', {}, { query: `systemIds=${systemId}` })).status).toBe(200);
    const spare = await owner('POST', '/api/systems', {}, { body: systemInput() });
    expect(
      (await owner('POST', '/api/systems/{id}/retire', { id: spare.body.id }, { body: { reason: 'replaced' } })).status,
    ).toBe(200);

    // A policy dry run: started (202), and read back with its result once the job has run.
    const { version: _version, effectiveFrom: _from, ...draft } = DEFAULT_POLICY;
    const dryRun = await admin('POST', '/api/policy-dry-runs', {}, { body: { document: draft } });
    expect(dryRun.status).toBe(202);
    await stack.policyDryRuns.idle();
    const dryRunResult = await admin('GET', '/api/policy-dry-runs/{id}', { id: dryRun.body.id }, { query: 'limit=5' });
    expect(dryRunResult.body.status).toBe('succeeded');

    // Errors are problem+json as documented.
    expect((await owner('GET', '/api/systems/{id}', { id: 'sys_bad' })).status).toBe(400);
    expect((await owner('GET', '/api/systems/{id}', { id: 'sys_00000000000000000000000000' })).status).toBe(404);
    expect((await anonymous('GET', '/api/systems')).status).toBe(401);
    expect(
      (await auditor('POST', '/api/incidents', {}, { body: { systemId, title: 'x', severity: 'low' } })).status,
    ).toBe(403);
    expect((await owner('POST', '/api/systems', {}, { body: { name: 'x' } })).status).toBe(400);

    // Every GET of the document with the ids made above (routes of other modules included).
    for (const [template, item] of Object.entries(doc.paths)) {
      if (!item.get) continue;
      const resource = template.split('/')[2] ?? '';
      const id = ids[resource];
      if (template.includes('{') && (!id || /\{(?!id\})/.test(template))) continue;
      const query = /\/audit-events\/verify$/.test(template) ? `systemId=${systemId}` : undefined;
      const res = await admin('GET', template, id ? { id } : {}, query ? { query } : {});
      if (res.status >= 500) failures.push(`GET ${template}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    }

    expect(failures).toEqual([]);
    const operations = new Set([...checked].map((key) => key.split(' ').slice(0, 2).join(' ')));
    expect(operations.size).toBeGreaterThanOrEqual(45);
    expect([...checked]).toEqual(
      expect.arrayContaining([
        'POST /api/release-candidates/{id}/rollback 202',
        'GET /api/release-candidates/{id}/rollback 200',
        'POST /api/approvals/{id}/request-changes 200',
        'POST /api/eval-runs/{id}/results 202',
        'GET /api/audit-events/verify 200',
        'GET /api/metrics/overview 200',
        'GET /api/metrics/registry 200',
        'POST /api/release-candidates/{id}/promote 409',
      ]),
    );
  }, 120_000);

  it('fails an answer with a field the schema does not name', () => {
    // Prepare
    const before = failures.length;

    // Act
    validate('GET', '/health/live', 200, 'application/json', { status: 'ok', extra: true });
    validate('GET', '/health/live', 418, 'application/json', {});

    // Assess
    expect(failures.slice(before)).toEqual([
      expect.stringContaining('must NOT have additional properties'),
      'GET /health/live 418: status not documented',
    ]);
    failures.splice(before);
  });
});
