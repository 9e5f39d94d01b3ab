// The API's own reference, public: GET /api/openapi.json (the OpenAPI 3.1 document, generated from the zod contracts
// by functions/api/openapi.ts and written to functions/api/openapi.json by scripts/api-doc.ts) and GET /api/docs, a
// self-contained HTML page rendered here from that document: no script, no external style or font, every text
// escaped, operations grouped by tag with anchors. The page is rendered once per process and cached by clients.
import * as z from 'zod';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';
import type { JsonObject, OpenApiDocument } from './openapi.js';
import generated from './openapi.json' with { type: 'json' };

/** The committed document (test/unit/api/openapi.test.ts fails when it differs from what the routes declare). */
export const OPENAPI_DOCUMENT = generated as unknown as OpenApiDocument;

const CACHE = 'public, max-age=300';

/** The Content-Security-Policy of the page: nothing loads, nothing runs; only its own inline style applies. */
export const DOCS_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** An id-safe anchor from free text. */
const anchor = (prefix: string, name: string) => `${prefix}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

const REF_PREFIX = '#/components/schemas/';

/** A schema as a short type expression with a nested list of its properties (refs link to the Schemas section). */
function schemaHtml(schema: JsonObject | undefined, depth = 0): string {
  if (!schema || typeof schema !== 'object') return '<span class="t">any</span>';
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.startsWith(REF_PREFIX) ? schema.$ref.slice(REF_PREFIX.length) : schema.$ref;
    return `<a class="t" href="#${escapeHtml(anchor('schema', name))}">${escapeHtml(name)}</a>`;
  }
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonObject[] | undefined;
  if (Array.isArray(alternatives)) {
    return alternatives.map((s) => schemaHtml(s, depth)).join(' <span class="or">or</span> ');
  }
  const parts: string[] = [];
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : schema.type ? [schema.type as string] : [];
  if (schema.const !== undefined) parts.push(`<code>${escapeHtml(JSON.stringify(schema.const))}</code>`);
  else if (Array.isArray(schema.enum))
    parts.push(`one of ${schema.enum.map((v: unknown) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(', ')}`);
  else if (types.includes('array'))
    parts.push(`array of ${schemaHtml(schema.items as JsonObject | undefined, depth + 1)}`);
  else if (types.includes('object') && !schema.properties && schema.additionalProperties)
    parts.push(
      `map of string to ${schema.additionalProperties === true ? 'any' : schemaHtml(schema.additionalProperties, depth + 1)}`,
    );
  else if (types.length === 1 && types[0] === 'null') parts.push('<span class="t">null</span>');
  else if (types.length && !schema.properties)
    parts.push(`<span class="t">${escapeHtml(types.filter((t) => t !== 'null').join(' or '))}</span>`);
  else if (!schema.properties) parts.push('<span class="t">any</span>');
  if (types.includes('null') && types.length > 1) parts.push('<span class="t">or null</span>');
  const constraints = [
    schema.format ? `format ${schema.format}` : '',
    schema.pattern ? `pattern ${schema.pattern}` : '',
    schema.minLength !== undefined ? `min length ${schema.minLength}` : '',
    schema.maxLength !== undefined ? `max length ${schema.maxLength}` : '',
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : '',
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : '',
    schema.minItems !== undefined ? `≥ ${schema.minItems} items` : '',
    schema.maxItems !== undefined ? `≤ ${schema.maxItems} items` : '',
    schema.default !== undefined ? `default ${JSON.stringify(schema.default)}` : '',
  ].filter(Boolean);
  if (constraints.length) parts.push(`<span class="c">(${escapeHtml(constraints.join(', '))})</span>`);
  if (typeof schema.description === 'string' && depth > 0)
    parts.push(`<span class="d">${escapeHtml(schema.description)}</span>`);
  if (schema.properties && typeof schema.properties === 'object') {
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    const rows = Object.entries(schema.properties as Record<string, JsonObject>).map(
      ([name, member]) =>
        `<li><code class="p">${escapeHtml(name)}</code>${required.has(name) ? '' : ' <span class="opt">optional</span>'} ${schemaHtml(member, depth + 1)}</li>`,
    );
    parts.push(`<span class="t">object</span><ul class="props">${rows.join('')}</ul>`);
  }
  return parts.join(' ');
}

function parameterRows(parameters: JsonObject[], doc: OpenApiDocument): string {
  const resolved = parameters.map((p) =>
    typeof p.$ref === 'string'
      ? (doc.components.parameters[p.$ref.replace('#/components/parameters/', '')] ?? { name: p.$ref })
      : p,
  );
  return `<table><thead><tr><th>name</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr></thead><tbody>${resolved
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in ?? '')}</td><td>${p.required ? 'yes' : 'no'}</td><td>${schemaHtml(p.schema)}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
    )
    .join('')}</tbody></table>`;
}

function responseHtml(status: string, response: JsonObject, doc: OpenApiDocument): string {
  const ref = typeof response.$ref === 'string' ? response.$ref.replace('#/components/responses/', '') : undefined;
  const resolved = ref ? (doc.components.responses[ref] ?? {}) : response;
  const content = Object.entries((resolved.content ?? {}) as Record<string, JsonObject>);
  const body = content
    .map(([type, media]) => `<div><code>${escapeHtml(type)}</code> ${schemaHtml(media.schema)}</div>`)
    .join('');
  return `<li><strong>${escapeHtml(status)}</strong> ${escapeHtml(resolved.description ?? '')}${body}</li>`;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** The reference page of an OpenAPI document: a table of contents, the operations by tag, then the schemas. */
export function renderReferencePage(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as JsonObject })),
  );
  const byTag = doc.tags.map((tag) => ({
    tag,
    ops: operations.filter(({ op }) => (op.tags as string[] | undefined)?.includes(tag.name)),
  }));
  const toc = byTag
    .map(
      ({ tag, ops }) =>
        `<li><a href="#${escapeHtml(anchor('tag', tag.name))}">${escapeHtml(tag.name)}</a><ul>${ops
          .map(
            ({ path, method, op }) =>
              `<li><a href="#${escapeHtml(anchor('op', op.operationId))}"><span class="m ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
          )
          .join('')}</ul></li>`,
    )
    .join('');
  const sections = byTag
    .map(({ tag, ops }) => {
      const items = ops.map(({ path, method, op }) => {
        const isPublic = Array.isArray(op.security) && op.security.length === 0;
        const parameters = (op.parameters ?? []) as JsonObject[];
        const requestSchema = op.requestBody?.content?.['application/json']?.schema as JsonObject | undefined;
        const responses = Object.entries((op.responses ?? {}) as Record<string, JsonObject>)
          .map(([status, r]) => responseHtml(status, r, doc))
          .join('');
        return [
          `<section class="op" id="${escapeHtml(anchor('op', op.operationId))}">`,
          `<h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
          `<p>${escapeHtml(op.summary ?? '')}</p>`,
          `<p class="meta">operationId <code>${escapeHtml(op.operationId)}</code> · ${isPublic ? 'public: no token' : 'bearer JWT'}</p>`,
          parameters.length ? `<h4>Parameters</h4>${parameterRows(parameters, doc)}` : '',
          requestSchema ? `<h4>Request body (application/json)</h4><div>${schemaHtml(requestSchema)}</div>` : '',
          `<h4>Responses</h4><ul class="responses">${responses}</ul>`,
          '</section>',
        ].join('');
      });
      return `<section id="${escapeHtml(anchor('tag', tag.name))}"><h2>${escapeHtml(tag.name)}</h2>${
        tag.description ? `<p>${escapeHtml(tag.description)}</p>` : ''
      }${items.join('')}</section>`;
    })
    .join('');
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, schema]) =>
        `<section class="schema" id="${escapeHtml(anchor('schema', name))}"><h3>${escapeHtml(name)}</h3>${
          typeof schema.description === 'string' ? `<p>${escapeHtml(schema.description)}</p>` : ''
        }<div>${schemaHtml({ ...schema, description: undefined })}</div></section>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{padding:1rem 2rem;background:#f3f5f8;border-bottom:1px solid #d8dde3}
main{display:grid;grid-template-columns:minmax(14rem,22rem) 1fr;gap:2rem;padding:0 2rem}
nav{position:sticky;top:0;max-height:100vh;overflow:auto;font-size:13px;padding:1rem 0}
nav ul{list-style:none;padding-left:.75rem;margin:.2rem 0}
a{color:#0b57d0}code{font:13px ui-monospace,monospace;background:#f3f5f8;padding:0 .2rem;border-radius:3px}
.op{border-top:1px solid #d8dde3;padding:.5rem 0 1rem}.m{font:bold 12px ui-monospace,monospace;padding:.1rem .35rem;border-radius:3px;color:#fff;background:#555}
.m.get{background:#1a7f37}.m.post{background:#0b57d0}.m.patch{background:#9a6700}.m.put{background:#8250df}.m.delete{background:#cf222e}
.meta,.d,.c{color:#57606a;font-size:13px}.opt{color:#57606a;font-size:12px;font-style:italic}
ul.props{margin:.2rem 0;padding-left:1.2rem}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #d8dde3;padding:.2rem .5rem;text-align:left;vertical-align:top}
</style></head>
<body><header><h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description ?? '')}</p>
<p>OpenAPI ${escapeHtml(doc.openapi)} document: <a href="/api/openapi.json">/api/openapi.json</a>. Authenticated routes take <code>Authorization: Bearer &lt;JWT&gt;</code>.</p></header>
<main><nav aria-label="Operations"><ul>${toc}<li><a href="#schemas">Schemas</a></li></ul></nav>
<div>${sections}<section id="schemas"><h2>Schemas</h2>${schemas}</section></div></main></body></html>
`;
}

let page: Buffer | undefined;

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/openapi.json',
    summary: 'The OpenAPI 3.1 document of this API, generated from its zod contracts',
    public: true,
    response: {
      status: 200,
      body: z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document'),
    },
    handle: async () => ({ status: 200, body: OPENAPI_DOCUMENT, headers: { 'cache-control': CACHE } }),
  }),
  route({
    method: 'GET',
    path: '/api/docs',
    summary: 'A browsable HTML reference of the API, rendered from the OpenAPI document',
    public: true,
    response: { status: 200, contentType: 'text/html' },
    handle: async () => {
      page ??= Buffer.from(renderReferencePage(OPENAPI_DOCUMENT), 'utf8');
      return {
        status: 200,
        body: page,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': CACHE,
          'content-security-policy': DOCS_CSP,
          'x-content-type-options': 'nosniff',
        },
      };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
