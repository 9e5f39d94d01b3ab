// Parsing as a middleware: the query and the JSON body (size limit, media type, an object) through the route's zod
// schemas; the route handler receives typed values or never runs.
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../../domain/errors.js';
import type { Route } from '../route.js';
import { apiState, required } from './state.js';

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024;

export function parseRequest(): middy.MiddlewareObj<APIGatewayProxyEventV2> {
  return {
    name: 'parse-request',
    before: (request) => {
      const state = apiState(request);
      const route = required(state.route, 'the route');
      state.query = route.query ? route.query.parse(request.event.queryStringParameters ?? {}) : {};
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
  return r.body.parse(parsed);
}
