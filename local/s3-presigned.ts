// What S3 checks of a presigned request (SigV4 in the query string), as a pure decision over a request's method, raw
// URL, headers and the time, after the Amazon S3 API Reference's "Authenticating Requests: Using Query Parameters
// (AWS Signature Version 4)". The local S3 stand-in (s3-standin.ts) applies it in its proxy to every request that
// carries X-Amz-Signature; test/unit/local/s3-presigned.test.ts and test/integration/s3-standin-presigned.test.ts pin
// each rule with that document.
//
// - X-Amz-Algorithm other than AWS4-HMAC-SHA256, or a missing X-Amz-Credential, -Date, -Expires, -SignedHeaders:
//   400 AuthorizationQueryParametersError.
// - X-Amz-Expires above 604800 (seven days): 400 AuthorizationQueryParametersError.
// - An access key the stand-in does not know: 403 InvalidAccessKeyId.
// - X-Amz-Date in the future: 403 AccessDenied "Request is not valid yet"; X-Amz-Date + X-Amz-Expires in the past:
//   403 AccessDenied "Request has expired".
// - A signature that is not the HMAC of the canonical request (method, the path as sent, every query parameter but
//   the signature, the signed headers, UNSIGNED-PAYLOAD) under the key derived from the secret, the date, the region
//   and the service: 403 SignatureDoesNotMatch. Any changed parameter, path or signed header is one.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { S3Refusal } from './s3-object-lock.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_EXPIRES_SECONDS = 604_800;

/** Whether the request is presigned (its signature in the query string); the raw `path?query` of the request line. */
export function isPresigned(rawUrl: string): boolean {
  const query = rawUrl.indexOf('?');
  return query >= 0 && new URLSearchParams(rawUrl.slice(query + 1)).has('X-Amz-Signature');
}

/** RFC 3986 percent-encoding, as SigV4's canonical query string has it. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `20261207T154500Z` as a Date, or undefined when it is not one. */
function amzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const date = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const refusal = (status: number, code: string, message: string): S3Refusal => ({ status, code, message });

/**
 * Why S3 would refuse the presigned request, or undefined when its signature holds and it has not expired.
 * `secrets` maps access key ids to their secret keys; `now` is the server's clock.
 */
export function presignedRefusal(
  request: { method: string; rawUrl: string; headers: IncomingHttpHeaders },
  secrets: Readonly<Record<string, string>>,
  now: Date,
): S3Refusal | undefined {
  const queryAt = request.rawUrl.indexOf('?');
  const path = queryAt < 0 ? request.rawUrl : request.rawUrl.slice(0, queryAt);
  const params = [...new URLSearchParams(queryAt < 0 ? '' : request.rawUrl.slice(queryAt + 1))];
  const param = (name: string) => params.find(([key]) => key === name)?.[1];
  const algorithm = param('X-Amz-Algorithm');
  const credential = param('X-Amz-Credential');
  const date = param('X-Amz-Date');
  const expires = param('X-Amz-Expires');
  const signedHeaders = param('X-Amz-SignedHeaders');
  const signature = param('X-Amz-Signature') ?? '';
  if (algorithm !== ALGORITHM || !credential || !date || !expires || !signedHeaders) {
    return refusal(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, ' +
        'X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
    );
  }
  const seconds = Number(expires);
  if (!/^\d+$/.test(expires) || seconds > MAX_EXPIRES_SECONDS) {
    return refusal(
      400,
      'AuthorizationQueryParametersError',
      'X-Amz-Expires must be less than a week (in seconds) that is; 604800 seconds',
    );
  }
  const [accessKeyId, scopeDate, region, service, terminator, ...rest] = credential.split('/');
  const signedAt = amzDate(date);
  if (!accessKeyId || !scopeDate || !region || !service || terminator !== 'aws4_request' || rest.length || !signedAt) {
    return refusal(400, 'AuthorizationQueryParametersError', 'Error parsing the X-Amz-Credential parameter');
  }
  const secret = secrets[accessKeyId];
  if (secret === undefined) {
    return refusal(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (signedAt.getTime() > now.getTime() + 15 * 60_000) {
    return refusal(403, 'AccessDenied', 'Request is not valid yet');
  }
  if (now.getTime() > signedAt.getTime() + seconds * 1000) {
    return refusal(403, 'AccessDenied', 'Request has expired');
  }

  const canonicalQuery = params
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [uriEncode(key), uriEncode(value)] as const)
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const headerNames = signedHeaders.split(';');
  const canonicalHeaders = headerNames
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, scopeDate), region), service), 'aws4_request');
  const expected = Buffer.from(hmac(signingKey, stringToSign).toString('hex'));
  const given = Buffer.from(signature);
  if (!headerNames.includes('host') || expected.byteLength !== given.byteLength || !timingSafeEqual(expected, given)) {
    return refusal(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  return undefined;
}

/** The response headers a request overrides with `response-*` parameters (GetObject), by header name. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-disposition': 'content-disposition',
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-content-encoding': 'content-encoding',
  'response-cache-control': 'cache-control',
  'response-expires': 'expires',
};

/**
 * What s3rver is sent for a checked presigned request: the request line's `path?query` without the query-string
 * authentication parameters and the `response-*` overrides (s3rver, as S3, refuses overrides on an anonymous GET),
 * and those overrides as the response headers the proxy sets.
 */
export function anonymousForm(rawUrl: string): { url: string; responseHeaders: Record<string, string> } {
  const queryAt = rawUrl.indexOf('?');
  if (queryAt < 0) return { url: rawUrl, responseHeaders: {} };
  const kept = new URLSearchParams(rawUrl.slice(queryAt + 1));
  const responseHeaders: Record<string, string> = {};
  for (const [name, value] of [...kept]) {
    const header = RESPONSE_OVERRIDES[name];
    if (header) responseHeaders[header] = value;
    if (header || name.startsWith('X-Amz-') || name === 'x-amz-content-sha256') kept.delete(name);
  }
  const query = kept.toString();
  return { url: query ? `${rawUrl.slice(0, queryAt)}?${query}` : rawUrl.slice(0, queryAt), responseHeaders };
}
