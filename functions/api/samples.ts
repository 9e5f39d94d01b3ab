// Production samples (ADR 0042): an application posts batches of its active release's traffic, redacted before
// anything is written and kept for the system's retention; admins and owners read them and set the redaction rules.
import {
  listSamplesQuery,
  pageOf,
  postSamplesRequest,
  postSamplesResponse,
  putSampleSettingsRequest,
  relaxationRequestResponse,
  sampleResponse,
  sampleSettingsBody,
} from '../contracts/index.js';
import { assertCanPostSamples, assertCanReadSamples } from '../domain/authorization.js';
import { actorOf, relaxationOr } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';

/** The system, once the principal may read its samples (404 when it may not see it, 403 when it may only see it). */
async function readableSamples(req: IdRequest) {
  const system = await req.deps.store.systems.getSystem(req.params.id);
  assertCanReadSamples(req.principal, system);
  return system;
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/systems/{id}/samples',
    summary: "Post a batch of production samples of the system's active release (its application, admins, owners)",
    body: postSamplesRequest,
    // A full batch of the largest samples, JSON-escaped: the domain bounds each sample in bytes.
    maxBodyBytes: 2 * 1024 * 1024,
    response: { status: 201, body: postSamplesResponse },
    handle: async (req) => {
      const system = await req.deps.store.systems.getSystem(req.params.id);
      assertCanPostSamples(req.principal, system);
      const posted = await req.deps.store.samples.postSamples(actorOf(req.principal), system.id, {
        environment: req.body.environment ?? 'production',
        ...(req.body.releaseId ? { releaseId: req.body.releaseId } : {}),
        samples: req.body.samples,
      });
      return { status: 201, body: posted };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems/{id}/samples',
    summary: "A page of the system's production samples, newest first (admins and owners)",
    query: listSamplesQuery,
    response: { status: 200, body: pageOf(sampleResponse) },
    handle: async (req) => {
      await readableSamples(req);
      const page = await req.deps.store.samples.listSamples(
        req.params.id,
        { ...(req.query.releaseId ? { releaseId: req.query.releaseId } : {}) },
        { ...(req.query.limit ? { limit: req.query.limit } : {}), cursor: req.query.cursor ?? null },
      );
      return { status: 200, body: page };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems/{id}/sample-settings',
    summary: "The system's redaction rules and retention of production samples (the defaults until set)",
    response: { status: 200, body: sampleSettingsBody },
    handle: async (req) => {
      await readableSamples(req);
      return { status: 200, body: await req.deps.store.samples.sampleSettings(req.params.id) };
    },
  }),
  route({
    method: 'PUT',
    path: '/api/systems/{id}/sample-settings',
    summary:
      "Replace the system's redaction rules and retention of production samples (admins and owners); removing a rule or lengthening retention is a relaxation request (202)",
    body: putSampleSettingsRequest,
    response: {
      status: 200,
      body: sampleSettingsBody,
      alternatives: [
        {
          status: 202,
          description:
            'The settings switch a built-in redaction off, remove or change a pattern, or lengthen retention: nothing changed, a relaxation request waits for a risk reviewer',
          body: relaxationRequestResponse,
        },
      ],
    },
    handle: async (req) => {
      await readableSamples(req);
      const out = await req.deps.store.relaxations.putSampleSettingsOrRequest(actorOf(req.principal), req.params.id, {
        redaction: {
          builtIn: req.body.redaction.builtIn,
          patterns: req.body.redaction.patterns.map((p) => ({
            name: p.name,
            pattern: p.pattern,
            ...(p.ignoreCase === undefined ? {} : { ignoreCase: p.ignoreCase }),
          })),
        },
        retentionDays: req.body.retentionDays,
        ...(req.body.reason ? { reason: req.body.reason } : {}),
      });
      return relaxationOr(out, (changed) => changed.settings);
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
