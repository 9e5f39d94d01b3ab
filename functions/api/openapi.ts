// The OpenAPI 3.1 document of the API, built from the route modules: every route's method, path and summary, its
// zod query and body schemas (io 'input': what a caller may send) and its declared success response (io 'output':
// what the handler answers), converted by zod 4's z.toJSONSchema. The contracts stay the one source: nothing here
// describes a field by hand. Pure: no I/O. scripts/api-doc.ts writes the result to functions/api/openapi.json, which
// GET /api/openapi.json serves (functions/api/reference.ts); test/unit/api/openapi.test.ts keeps that file current.
import * as z from 'zod';
import { problem } from '../contracts/common.js';
import { RESPONSE_COMPONENTS } from '../contracts/responses.js';
import { idPatternSource } from '../domain/id-format.js';
import type { Method, Route } from './http.js';
import { ID_PREFIX_BY_RESOURCE } from './middleware/path-params.js';

/** A JSON value of the document. */
// biome-ignore lint/suspicious/noExplicitAny: the document is open JSON (OpenAPI and JSON Schema objects).
export type JsonObject = Record<string, any>;

export interface OpenApiDocument extends JsonObject {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers: { url: string; description?: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, JsonObject>>;
  components: {
    schemas: Record<string, JsonObject>;
    responses: Record<string, JsonObject>;
    parameters: Record<string, JsonObject>;
    headers: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
  };
}

export interface ApiModule {
  routes: Route[];
}

/** The problem+json error answers, by status: their component names and descriptions. */
const PROBLEMS: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The path, query or body is invalid (`errors` names each field).' },
  401: {
    name: 'Unauthorized',
    description: 'No valid bearer token (`code` says why); carries `WWW-Authenticate: Bearer realm="governance"`.',
  },
  403: {
    name: 'Forbidden',
    description:
      "The caller's roles do not allow this; or, on any route, the request did not come through the deployment's CloudFront distribution (`code: ORIGIN_NOT_VERIFIED`).",
  },
  404: {
    name: 'NotFound',
    description:
      'No such object, or one the caller may not see: the one the path names, or one the query or body refers to (`systemId`, say).',
  },
  409: {
    name: 'Conflict',
    description:
      'The object is not in a state that allows this (`code`; gate refusals list `reasons`), or a request with this Idempotency-Key is still in progress.',
  },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than the route accepts.' },
  415: { name: 'UnsupportedMediaType', description: 'The body is not sent as application/json.' },
  422: {
    name: 'Unprocessable',
    description: 'The request is well formed but cannot be applied (an Idempotency-Key reused with a different body).',
  },
  429: {
    name: 'TooManyRequests',
    description:
      "API Gateway throttled the request (the stage's rate and burst limits apply to every route): retry later, with backoff. The body is API Gateway's own (`message`), not problem+json, and no Retry-After header is sent.",
  },
  500: { name: 'InternalError', description: 'An unexpected error; it has been logged.' },
  503: { name: 'Unavailable', description: 'Contention on the system: retry with the same Idempotency-Key.' },
};

const PROBLEM_JSON = 'application/problem+json';

/** operationId: the method and the path's segments in camel case, `{id}` as `ById` (GET /api/systems/{id}: getSystemsById). */
export function operationIdOf(method: Method, path: string): string {
  const words = path
    .split('/')
    .filter((s) => s && s !== 'api')
    .flatMap((segment) => {
      const param = /^\{(.+)\}$/.exec(segment);
      return param ? ['by', ...(param[1] as string).split(/[^A-Za-z0-9]+/)] : segment.split(/[^A-Za-z0-9]+/);
    })
    .filter(Boolean);
  return [method.toLowerCase(), ...words.map((w) => w.charAt(0).toUpperCase() + w.slice(1))].join('');
}

/** The `{name}` parameters of a path template, in order. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/**
 * A metadata registry for z.toJSONSchema: the global registry's metadata (descriptions) without its ids, plus the
 * component ids given here, so exactly these schemas are extracted as `$defs` (then moved to components/schemas).
 */
function registryWithIds(ids: Map<z.ZodType, string>): z.core.$ZodRegistry<JsonObject> {
  const registry = z.registry<JsonObject>();
  return Object.assign(registry, {
    get(schema: z.core.$ZodType): JsonObject | undefined {
      const { id: _ignored, ...inherited } = z.globalRegistry.get(schema) ?? {};
      const id = ids.get(schema as z.ZodType);
      const meta = { ...inherited, ...(id ? { id } : {}) };
      return Object.keys(meta).length ? meta : undefined;
    },
  });
}

/** Replaces every `#/$defs/X` reference with `#/components/schemas/X`. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonObject = {};
  for (const [key, member] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof member === 'string'
        ? member.replace(/^#\/\$defs\//, '#/components/schemas/')
        : rewriteRefs(member);
  }
  return out;
}

class SchemaConverter {
  readonly components: Record<string, JsonObject> = {};
  private readonly outputRegistry: z.core.$ZodRegistry<JsonObject>;
  private readonly inputRegistry = registryWithIds(new Map());

  constructor(named: Record<string, z.ZodType>) {
    this.outputRegistry = registryWithIds(new Map(Object.entries(named).map(([id, schema]) => [schema, id])));
  }

  /** A JSON Schema (2020-12, OpenAPI 3.1's dialect) of a zod schema; named output schemas become component refs. */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      metadata: io === 'output' ? this.outputRegistry : this.inputRegistry,
      // z.number().int() bounds itself to the safe integers; the document says `integer` without that noise.
      override: ({ jsonSchema }) => {
        if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
        if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
      },
    }) as JsonObject;
    const { $schema: _dialect, $defs, ...rest } = rewriteRefs(json) as JsonObject;
    for (const [name, def] of Object.entries(($defs ?? {}) as Record<string, JsonObject>)) {
      const known = this.components[name];
      if (known && JSON.stringify(known) !== JSON.stringify(def)) {
        throw new Error(`components/schemas/${name} converts to two different JSON Schemas`);
      }
      this.components[name] = def;
    }
    return rest;
  }
}

function pathParameter(route: Route, name: string): JsonObject {
  const resource = route.path.split('/')[2] ?? '';
  const prefix = ID_PREFIX_BY_RESOURCE[resource];
  // A route that declares its own parameters' schema (a policy version number, say) is documented by it.
  if (route.params) {
    const json = z.toJSONSchema(route.params, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    const own = ((json as JsonObject).properties as Record<string, JsonObject> | undefined)?.[name];
    if (own) return { name, in: 'path', required: true, schema: own };
  }
  return {
    name,
    in: 'path',
    required: true,
    schema:
      name === 'id' && prefix
        ? { type: 'string', pattern: idPatternSource(prefix), description: `a ${prefix}_ id` }
        : { type: 'string' },
  };
}

function queryParameters(route: Route, convert: SchemaConverter): JsonObject[] {
  if (!route.query) return [];
  const json = convert.convert(route.query, 'input');
  const required = new Set<string>((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties ?? {}) as Record<string, JsonObject>).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: 'query',
      required: required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** The top-level field names of a request schema (a body or a query), in its input form. */
function fieldsOf(schema: z.ZodType | undefined): string[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonObject;
  return Object.keys((json.properties ?? {}) as JsonObject);
}

/**
 * True when a field names another object by id (`systemId`, `datasetIds`) or by number (`draftVersion`, a stored
 * policy version): the object may not exist, or be hidden.
 */
export const REFERENCE_FIELD = /[a-z]Ids?$|^draftVersion$/;

/**
 * The statuses a route can answer besides its success, from what it takes and whether it authenticates: a 404 when
 * its path names an object or its query or body refers to one by id (an unknown or invisible parent); 429 for every
 * route, since API Gateway's stage throttles them all. test/unit/api/openapi-statuses.test.ts runs every route
 * through the HTTP handler and fails on any answer whose status is not among these.
 */
export function problemStatusesOf(route: Route): number[] {
  // 403 on every route: in AWS a request that bypassed CloudFront is refused before routing (origin-verify.ts).
  const statuses = new Set<number>([400, 403, 429, 500]);
  const writes = route.method !== 'GET';
  if (!route.public) {
    statuses.add(401);
    if (writes) statuses.add(409).add(503);
    if (route.method === 'POST') statuses.add(422);
  }
  const references = [...fieldsOf(route.query), ...fieldsOf(route.body)].some((f) => REFERENCE_FIELD.test(f));
  if (pathParamsOf(route.path).length > 0 || references) statuses.add(404);
  if (route.body) statuses.add(413).add(415);
  return [...statuses].sort((a, b) => a - b);
}

/** True when a request body may be left out: the route parses an absent body as `{}` and its schema accepts that. */
export function bodyIsOptional(route: Route): boolean {
  return route.body?.safeParse({}).success === true;
}

/** The response headers of a success answer: `location` on 201 and 202, `idempotent-replayed` on replayable POSTs. */
function successHeaders(route: Route, status: number): JsonObject | undefined {
  const headers: JsonObject = {};
  if (status === 201 || status === 202) headers.location = { $ref: '#/components/headers/Location' };
  if (route.method === 'POST' && !route.public)
    headers['idempotent-replayed'] = { $ref: '#/components/headers/IdempotentReplayed' };
  return Object.keys(headers).length ? headers : undefined;
}

function successResponses(route: Route, convert: SchemaConverter): JsonObject {
  const spec = route.response;
  if (!spec) throw new Error(`${route.method} ${route.path} declares no response`);
  const contentType = spec.contentType ?? 'application/json';
  const isJson = /json/.test(contentType);
  let content: JsonObject | undefined;
  if (isJson && spec.body) content = { [contentType]: { schema: convert.convert(spec.body, 'output') } };
  else if (!isJson) content = { [contentType]: { schema: { type: 'string', contentMediaType: contentType } } };
  const alternatives = (spec.alternatives ?? []).map((alt) => {
    const headers = successHeaders(route, alt.status);
    return [
      String(alt.status),
      {
        description: alt.description,
        ...(headers ? { headers } : {}),
        content: { 'application/json': { schema: convert.convert(alt.body, 'output') } },
      },
    ];
  });
  return Object.fromEntries([
    ...[spec.status, ...(spec.alsoStatuses ?? [])].map((status) => {
      const headers = successHeaders(route, status);
      return [
        String(status),
        {
          description: spec.description ?? route.summary,
          ...(headers ? { headers } : {}),
          ...(content ? { content } : {}),
        },
      ];
    }),
    ...alternatives,
  ]);
}

/** One operation object of a route. */
function operation(tag: string, route: Route, convert: SchemaConverter): JsonObject {
  const parameters: JsonObject[] = [
    ...pathParamsOf(route.path).map((name) => pathParameter(route, name)),
    ...queryParameters(route, convert),
  ];
  if (route.method === 'POST' && !route.public) parameters.push({ $ref: '#/components/parameters/IdempotencyKey' });
  const responses: JsonObject = successResponses(route, convert);
  for (const status of problemStatusesOf(route)) {
    const problemResponse = PROBLEMS[status];
    if (problemResponse && !(String(status) in responses)) {
      responses[String(status)] = { $ref: `#/components/responses/${problemResponse.name}` };
    }
  }
  return {
    operationId: operationIdOf(route.method, route.path),
    summary: route.summary,
    tags: [tag],
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !bodyIsOptional(route),
            content: { 'application/json': { schema: convert.convert(route.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

/** A shared error answer: problem+json, but API Gateway's own body for its 429; a 401 names the scheme to use. */
function sharedResponse(status: number, description: string): JsonObject {
  if (status === 429) {
    return {
      description,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: { message: { type: 'string' } },
            examples: [{ message: 'Too Many Requests' }],
          },
        },
      },
    };
  }
  return {
    description,
    ...(status === 401 ? { headers: { 'www-authenticate': { $ref: '#/components/headers/WwwAuthenticate' } } } : {}),
    content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

export interface OpenApiOptions {
  title?: string;
  version?: string;
  description?: string;
  /** Descriptions of the tags (one per module). */
  tagDescriptions?: Record<string, string>;
}

const DEFAULT_DESCRIPTION =
  'AI model and prompt governance control plane: versioned prompts and model configs, gated release candidates, ' +
  'approvals, promotion, rollback, incidents and a hash-chained audit trail. Generated from the zod contracts ' +
  '(functions/contracts) and the route modules (functions/api). Errors are RFC 9457 problem+json. Every POST that ' +
  'needs a token takes an Idempotency-Key: a retry with the same key and body replays the first answer.';

/** The OpenAPI 3.1 document of the given route modules (module name = tag), in their order. */
export function buildOpenApiDocument(
  modules: Readonly<Record<string, ApiModule>>,
  options: OpenApiOptions = {},
): OpenApiDocument {
  const convert = new SchemaConverter(RESPONSE_COMPONENTS);
  const paths: OpenApiDocument['paths'] = {};
  const seen = new Map<string, string>();
  for (const [tag, module] of Object.entries(modules)) {
    for (const route of module.routes) {
      const op = operation(tag, route, convert);
      const other = seen.get(op.operationId as string);
      if (other) throw new Error(`operationId ${op.operationId} of ${route.method} ${route.path} is also ${other}'s`);
      seen.set(op.operationId as string, `${route.method} ${route.path}`);
      paths[route.path] ??= {};
      (paths[route.path] as Record<string, JsonObject>)[route.method.toLowerCase()] = op;
    }
  }
  const problemSchema = convert.convert(problem, 'input');
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'Governance control plane API',
      version: options.version ?? '0.1.0',
      description: options.description ?? DEFAULT_DESCRIPTION,
    },
    tags: Object.keys(modules).map((name) => ({
      name,
      ...(options.tagDescriptions?.[name] ? { description: options.tagDescriptions[name] } : {}),
    })),
    // Relative: the origin that serves this document (GET /api/openapi.json), CloudFront's domain in AWS and the local
    // stack's address locally; the paths carry their /api prefix. OpenAPI 3.1 resolves it against the document's URL.
    servers: [
      { url: '/', description: 'the origin that serves this document (CloudFront in AWS, `npm start` locally)' },
    ],
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas: {
        ...Object.fromEntries(Object.entries(convert.components).sort(([a], [b]) => a.localeCompare(b))),
        Problem: { ...problemSchema, description: 'RFC 9457 problem details; further members may appear.' },
      },
      responses: Object.fromEntries(
        Object.entries(PROBLEMS).map(([status, { name, description }]) => [
          name,
          sharedResponse(Number(status), description),
        ]),
      ),
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retried write safe: the first answer (below 500) is kept and replayed (header `idempotent-replayed: true`); the same key with a different request is a 422.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,128}$' },
        },
      },
      headers: {
        Location: {
          description: 'The path of the object created (201) or of the run started (202).',
          schema: { type: 'string' },
        },
        IdempotentReplayed: {
          description:
            '`true` when this is the kept answer of an earlier request with the same Idempotency-Key (a replayed refusal carries it too).',
          schema: { type: 'string', enum: ['true'] },
        },
        WwwAuthenticate: {
          description: 'RFC 6750: the scheme to authenticate with, `Bearer realm="governance"`.',
          schema: { type: 'string' },
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT verified on every request (ES256 or RS256 against the configured JWKS; issuer and audience checked).',
        },
      },
    },
  };
}
