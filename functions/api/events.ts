// GET /api/events/schemas: the JSON Schemas of every governance event type (public, like an API reference).
import { eventJsonSchemas, eventSchemasResponse } from '../contracts/events.js';
import { EVENT_CATALOGUE, EVENT_SOURCE, EVENT_SPEC_VERSION, EVENT_TYPES } from '../domain/events.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

let cached: unknown;

/** The reply body, built once per container: the schemas are a function of the code. */
function schemasBody() {
  if (!cached) {
    const { envelope, types } = eventJsonSchemas();
    cached = {
      specVersion: EVENT_SPEC_VERSION,
      source: EVENT_SOURCE,
      envelope,
      types: Object.fromEntries(
        EVENT_TYPES.map((type) => [
          type,
          { entity: EVENT_CATALOGUE[type].entity, summary: EVENT_CATALOGUE[type].summary, schema: types[type] },
        ]),
      ),
    };
  }
  return cached;
}

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/events/schemas',
    summary: 'JSON Schemas of the governance event envelope and of every event type',
    public: true,
    response: { status: 200, body: eventSchemasResponse },
    handle: async () => ({ status: 200, body: schemasBody(), headers: { 'cache-control': 'public, max-age=300' } }),
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
