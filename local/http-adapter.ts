// The local stand-in for API Gateway (HTTP API, payload format 2.0): a Node http server that turns each request
// into the event Lambda would receive, invokes the same handler, and writes its result back. What no route matches
// goes to the `$default` route's handler, as in AWS; the adapter decides no API answer of its own.

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { problem, problemResponse } from '../functions/api/problem.js';

export interface LocalRoute {
  /** An HTTP method (`GET`, `POST`, ...) or `ANY`. */
  method: string;
  /** API Gateway path syntax: `/api/systems/{id}/retire`. */
  path: string;
  // Method syntax on purpose: handlers typed with a narrower event (middy, zod) are accepted.
  handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyResultV2>;
}

export interface LocalServerOptions {
  routes: LocalRoute[];
  /**
   * The `$default` route: what no route matches (an unknown path, a known path with another method, a path that is
   * not valid percent-encoding) goes here with routeKey `$default`, as in AWS. Without it, API Gateway's own bare
   * 404 (`{"message":"Not Found"}`).
   */
  defaultHandler?: LocalRoute['handler'];
  /** Largest request body accepted (default 1 MiB); a bigger one gets 413 and no handler runs. */
  maxBodyBytes?: number;
  /** Serves what no route matches (static files), except paths under `apiPrefix`. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
  /** Paths under this prefix never reach the fallback: an unknown API path is a 404 problem (default `/api/`). */
  apiPrefix?: string;
  /** One line per request; default: stdout. */
  log?: (line: string) => void;
  /** Lambda's timeout as seen by `context.getRemainingTimeInMillis()` (default 30 s). */
  timeoutMs?: number;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

interface CompiledRoute {
  route: LocalRoute;
  method: string;
  routeKey: string;
  segments: ({ literal: string } | { param: string })[];
}

interface RouteMatch {
  route: CompiledRoute;
  params: Record<string, string>;
}

/** An http.Server that dispatches to Lambda-style handlers the way API Gateway's HTTP API does. */
export function createLocalServer(options: LocalServerOptions): Server {
  const routes = options.routes.map(compileRoute);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const apiPrefix = options.apiPrefix ?? '/api/';
  const log = options.log ?? ((line: string) => console.log(line));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const rawQueryString = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${method} ${rawPath} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });

    void (async () => {
      const found = routes.some((route) => matchPath(route, rawPath) !== undefined);
      if (!found && options.fallback !== undefined && !rawPath.startsWith(apiPrefix)) {
        await options.fallback(req, res);
        return;
      }
      const selected = found ? selectRoute(routes, method, rawPath) : undefined;
      const match = selected === undefined || selected === 'bad-path' ? undefined : selected;
      if (match === undefined && options.defaultHandler === undefined) {
        drain(req);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const body = await readBody(req, maxBodyBytes);
      if (body === 'too-large') {
        sendProblem(res, 413, 'payload-too-large', `the request body is larger than ${maxBodyBytes} bytes`, {
          connection: 'close',
        });
        return;
      }
      const event = toEvent(req, method, rawPath, rawQueryString, body, match);
      const handler = match?.route.route.handler ?? options.defaultHandler;
      if (handler === undefined) throw new Error('no handler for this request');
      const result = await handler(event, lambdaContext(timeoutMs, event.requestContext.requestId));
      writeResult(res, result);
    })().catch((error: unknown) => {
      // The handler's failure stays in the local log; the caller learns only that it failed.
      log(`${method} ${rawPath} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendProblem(res, 500, 'internal', 'an unexpected error occurred; it has been logged');
    });
  });
}

/** Listens on `host` (default loopback only) and resolves with the port; a busy port is a clear error. */
export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.removeListener('listening', onListening);
      if (error.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} is busy; set PORT=... to use another port`));
      } else if (error.code === 'EACCES') {
        reject(new Error(`port ${port} needs privileges; set PORT=... to a port above 1023`));
      } else {
        reject(error);
      }
    };
    const onListening = () => {
      server.removeListener('error', onError);
      const address = server.address();
      resolve(address !== null && typeof address === 'object' ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function compileRoute(route: LocalRoute): CompiledRoute {
  const method = route.method.toUpperCase();
  const segments = splitPath(route.path).map((segment) => {
    const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
    return param?.[1] !== undefined ? { param: param[1] } : { literal: segment };
  });
  return { route, method, routeKey: `${method} ${route.path}`, segments };
}

function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

/** Path parameters when `rawPath` fits the route; 'bad-path' when a parameter is not valid percent-encoding. */
function matchPath(route: CompiledRoute, rawPath: string): Record<string, string> | 'bad-path' | undefined {
  const parts = splitPath(rawPath);
  if (parts.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  let badEncoding = false;
  for (const [index, segment] of route.segments.entries()) {
    const part = parts[index] ?? '';
    if ('literal' in segment) {
      if (part !== segment.literal) return undefined;
      continue;
    }
    if (part === '') return undefined;
    try {
      params[segment.param] = decodeURIComponent(part);
    } catch {
      badEncoding = true;
    }
  }
  return badEncoding ? 'bad-path' : params;
}

/** The most specific route for this method: literal segments beat parameters, left to right; a method beats ANY. */
function selectRoute(routes: CompiledRoute[], method: string, rawPath: string): RouteMatch | 'bad-path' | undefined {
  let best: { route: CompiledRoute; params: Record<string, string> | 'bad-path' } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const params = matchPath(route, rawPath);
    if (params === undefined) continue;
    if (best === undefined || compareSpecificity(route, best.route) < 0) best = { route, params };
  }
  if (best === undefined) return undefined;
  if (best.params === 'bad-path') return 'bad-path';
  return { route: best.route, params: best.params };
}

function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  for (const [index, segment] of a.segments.entries()) {
    const other = b.segments[index];
    if (other === undefined) break;
    const aLiteral = 'literal' in segment;
    const bLiteral = 'literal' in other;
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  if (a.method !== b.method) return a.method === 'ANY' ? 1 : -1;
  return 0;
}

function drain(req: IncomingMessage): void {
  req.resume();
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      drain(req);
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Keep reading (and discarding) so that the client receives the 413 instead of a reset connection.
        req.removeListener('data', onData);
        req.removeListener('end', onEnd);
        drain(req);
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

function isTextContent(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type === '' ||
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript'
  );
}

function toEvent(
  req: IncomingMessage,
  method: string,
  rawPath: string,
  rawQueryString: string,
  body: Buffer,
  match: RouteMatch | undefined,
): APIGatewayProxyEventV2 {
  const routeKey = match?.route.routeKey ?? '$default';
  // Like API Gateway: lower-cased names, repeated headers joined with commas, cookies in their own field.
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values !== undefined && name !== 'cookie') headers[name.toLowerCase()] = values.join(',');
  }
  const cookies = (req.headersDistinct.cookie ?? [])
    .flatMap((value) => value.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');

  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] === undefined ? value : `${query[name]},${value}`;
  }

  const now = new Date();
  const requestId = randomUUID();
  const domainName = headers.host ?? '127.0.0.1';
  const text = isTextContent(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method,
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: body.length > 0 && !text,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (match !== undefined && Object.keys(match.params).length > 0) event.pathParameters = match.params;
  if (body.length > 0) event.body = text ? body.toString('utf8') : body.toString('base64');
  return event;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's request time format: `12/Mar/2020:19:03:58 +0000`. */
function apiGatewayTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function lambdaContext(timeoutMs: number, requestId: string): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'local-api',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local-api',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/local-api',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function writeResult(res: ServerResponse, result: unknown): void {
  // As API Gateway does: a result without statusCode is a 200 whose JSON body is the whole value.
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : (JSON.stringify(result) ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  const structured = result as APIGatewayProxyStructuredResultV2;
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  if (structured.cookies !== undefined && structured.cookies.length > 0)
    res.setHeader('set-cookie', structured.cookies);
  res.statusCode = structured.statusCode ?? 200;
  const body = structured.body ?? '';
  res.end(structured.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
}

function sendProblem(
  res: ServerResponse,
  status: number,
  type: string,
  detail: string,
  extraHeaders: Record<string, string> = {},
): void {
  // The same problem documents the handlers produce (functions/api/problem.ts), so clients see one format.
  writeResult(
    res,
    problemResponse(problem(status, type, detail), { 'x-content-type-options': 'nosniff', ...extraHeaders }),
  );
}
