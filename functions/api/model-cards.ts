// Model cards (docs/model-cards.md): the card of a release or of a system's current release, generated from the
// registry on each request, and the card's JSON Schema.
import { jsonSchemaDocument } from '../contracts/common.js';
import { MODEL_CARD_SCHEMA_PATH, modelCardJsonSchema, modelCardSchema } from '../contracts/model-card.js';
import { NotFoundError } from '../domain/errors.js';
import { childAccess, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

let schema: Record<string, unknown> | undefined;

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/release-candidates/{id}/model-card',
    summary: 'The model card of a release candidate, generated from the registry',
    response: {
      status: 200,
      body: modelCardSchema,
      description: 'The model card; completeness.gaps lists empty sections',
    },
    handle: async (req) => {
      const candidate = await req.deps.store.candidates.getCandidate(req.params.id);
      await childAccess(req, candidate, 'release candidate', 'read');
      return { status: 200, body: await req.deps.store.modelCards.releaseModelCard(candidate.id) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/systems/{id}/model-card',
    summary: "The model card of a system's active production release, else of its newest release candidate",
    response: {
      status: 200,
      body: modelCardSchema,
      description: 'The model card; 404 when the system has no candidate',
    },
    handle: async (req) => {
      const system = await systemFor(req, req.params.id, 'read');
      const candidateId = await req.deps.store.modelCards.systemCardCandidateId(system);
      if (!candidateId) {
        throw new NotFoundError(`system ${system.id} has no release candidate, so no model card yet`, {
          id: system.id,
        });
      }
      return { status: 200, body: await req.deps.store.modelCards.releaseModelCard(candidateId) };
    },
  }),
  route({
    method: 'GET',
    path: MODEL_CARD_SCHEMA_PATH,
    summary: 'The JSON Schema (draft 2020-12) of a model card',
    public: true,
    response: { status: 200, body: jsonSchemaDocument, description: 'The schema every model card validates against' },
    handle: async () => {
      schema ??= modelCardJsonSchema();
      return { status: 200, body: schema, headers: { 'cache-control': 'public, max-age=300' } };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
