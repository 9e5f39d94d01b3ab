// Parsing as a middleware: the query and the JSON body (size limit, media type, an object, what DynamoDB can store)
// through the route's zod schemas; the route handler receives typed values or never runs.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../domain/errors.js';
import type { Route } from '../route.js';
import { apiState, required } from './state.js';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

/**
 * The deepest nesting of objects and arrays a body may have (the body itself is level 1). DynamoDB stores at most 32
 * levels of nested attributes, and a body's values are stored inside wrappers of their own (an audit event's `after`
 * holding a candidate's snapshot holding a prompt's contract): 20 leaves those wrappers 12 levels.
 */
const MAX_BODY_DEPTH = 20;

/** The first place in a parsed body that DynamoDB could not store: a lone UTF-16 surrogate or too deep a nesting. */
function unstorable(value: unknown): { path: string; message: string } | undefined {
  const visit = (node: unknown, path: string[], depth: number): { path: string; message: string } | undefined => {
    if (typeof node === 'string')
      return LONE_SURROGATE.test(node)
        ? { path: path.join('.'), message: 'contains a lone UTF-16 surrogate (not valid Unicode text)' }
        : undefined;
    if (node === null || typeof node !== 'object') return undefined;
    if (depth > MAX_BODY_DEPTH)
      return { path: path.join('.'), message: `nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels` };
    const entries: [string, unknown][] = Array.isArray(node)
      ? node.map((item, i) => [String(i), item])
      : Object.entries(node as Record<string, unknown>);
    for (const [key, child] of entries) {
      if (LONE_SURROGATE.test(key))
        return { path: [...path, key].join('.'), message: 'a key contains a lone UTF-16 surrogate' };
      const found = visit(child, [...path, key], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(value, [], 1);
}

/** With the `u` flag a surrogate class matches only an unpaired half: a pair is one code point. */
const LONE_SURROGATE = /\p{Cs}/u;

export function parseRequest(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'parse-request',
    before: (request) => {
      const state = apiState(request);
      const route = required(state.route, 'the route');
      const query = request.event.queryStringParameters ?? {};
      const refused = unstorable(query);
      if (refused) throw new ValidationError(`the query ${refused.path} ${refused.message}`, { errors: [refused] });
      state.query = route.query ? route.query.parse(query) : {};
      state.body = parseBody(request.event, route);
    },
  };
}

function parseBody(event: APIGatewayProxyEventV2, r: Route): unknown {
  if (!r.body) {
    if (event.body && event.body.trim() !== '' && event.body.trim() !== '{}') {
      throw new ValidationError('this route takes no request body');
    }
    return undefined;
  }
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  const limit = r.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (Buffer.byteLength(raw, 'utf8') > limit) throw new PayloadTooLargeError(`the body is larger than ${limit} bytes`);
  const contentType = (event.headers?.['content-type'] ?? 'application/json').toLowerCase();
  if (!contentType.includes('json')) throw new UnsupportedMediaTypeError('send the body as application/json');
  let parsed: unknown;
  try {
    parsed = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new ValidationError('the body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError('the body must be a JSON object');
  }
  const refused = unstorable(parsed);
  if (refused)
    throw new ValidationError(`the body cannot be stored: ${refused.path} ${refused.message}`, { errors: [refused] });
  return r.body.parse(parsed);
}
