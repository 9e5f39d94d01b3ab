// The local S3 stand-in: s3rver (an S3 API on the file system) behind a small HTTP proxy, both on 127.0.0.1.
//
// s3rver ignores `If-None-Match` on PutObject and always overwrites. The proxy restores what S3 does: a PutObject
// carrying `If-None-Match: *` whose key already exists (checked with a HEAD to s3rver) is refused with 412
// PreconditionFailed and S3's XML error body; conditional puts of one key are serialised inside the proxy, so two
// concurrent writers cannot both succeed. Everything else is streamed through unchanged.
//
// Not enforced locally (AWS enforces it, and the CDK template tests prove the bucket is configured for it):
// - Object Lock: no retention mode or retain-until date is stored or checked; DeleteObject always succeeds.
// - Versioning: an overwrite (a put without If-None-Match) replaces the only copy; no version ids.
// - Legal holds, bucket policies, encryption settings and signatures (s3rver does not verify SigV4).
// - `If-Match` and the other conditional headers of PutObject; only `If-None-Match: *` is honoured.

import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3StandInOptions {
  /** Folder for the objects; undefined uses a temporary folder that stop() removes. */
  dataDir?: string;
  /** Port of the proxy (the endpoint clients use); default: a free port. s3rver itself takes a free port. */
  port?: number;
  /** Buckets to create at start. */
  buckets?: string[];
}

export interface S3StandInHandle {
  /** `http://127.0.0.1:<port>`: the proxy, which is what clients talk to. */
  endpoint: string;
  port: number;
  /** Stops the proxy and s3rver; removes the temporary folder when no dataDir was given. Idempotent. */
  stop(): Promise<void>;
  /** Creates the bucket if it does not exist yet and resolves to its name. */
  bucket(name: string): Promise<string>;
}

// The credentials s3rver knows (its built-in dummy account); it does not check SigV4 signatures.
const S3_STANDIN_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** An S3 client for the stand-in (path-style, dummy credentials, checksums only when an operation requires them). */
export function createS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_STANDIN_CREDENTIALS,
    // Without these, the SDK sends aws-chunked bodies with trailing checksums, which s3rver stores corrupted.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

/** Starts s3rver and the proxy in front of it; resolves once both listen. */
export async function startS3StandIn(options: S3StandInOptions = {}): Promise<S3StandInHandle> {
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)) {
    throw new Error(`invalid S3 stand-in port: ${options.port}`);
  }
  const temporary = options.dataDir === undefined;
  const directory =
    options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 's3-standin-')) : resolve(options.dataDir);
  mkdirSync(directory, { recursive: true });

  const require = createRequire(import.meta.url);
  const S3rver = require('s3rver') as S3rverConstructor;
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false });
  let upstreamPort: number;
  try {
    upstreamPort = (await s3rver.run()).port;
  } catch (error) {
    if (temporary) rmSync(directory, { recursive: true, force: true });
    throw error;
  }

  const proxy = createServer((req, res) => {
    handle(req, res, upstreamPort).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalError', error instanceof Error ? error.message : 'error');
      else res.destroy();
    });
  });
  try {
    await listen(proxy, options.port ?? 0);
  } catch (error) {
    await s3rver.close();
    if (temporary) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const port = (proxy.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      await new Promise<void>((done) => {
        proxy.close(() => done());
        proxy.closeAllConnections();
      });
      await s3rver.close();
      if (temporary) rmSync(directory, { recursive: true, force: true });
    })();
    return stopped;
  };

  const client = createS3Client(endpoint);
  const bucket = async (name: string) => {
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
    }
    return name;
  };
  try {
    for (const name of options.buckets ?? []) await bucket(name);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop, bucket };
}

// Conditional puts in flight, by path: the next conditional put of the same key waits for the previous one.
const keyLocks = new Map<string, Promise<void>>();

async function handle(req: IncomingMessage, res: ServerResponse, upstreamPort: number): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (!isConditionalObjectPut(req, url)) {
    await forward(req, res, upstreamPort);
    return;
  }
  const lockKey = `${upstreamPort}${url.pathname}`;
  const previous = keyLocks.get(lockKey) ?? Promise.resolve();
  let release: () => void = () => {};
  const mine = new Promise<void>((done) => {
    release = done;
  });
  const chained = previous.then(() => mine);
  keyLocks.set(lockKey, chained);
  await previous;
  try {
    if (await objectExists(url.pathname, upstreamPort)) {
      await drain(req);
      sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      });
      return;
    }
    await forward(req, res, upstreamPort);
  } finally {
    release();
    if (keyLocks.get(lockKey) === chained) keyLocks.delete(lockKey);
  }
}

/** A PutObject (not a part upload or a bucket operation) with `If-None-Match: *`. */
function isConditionalObjectPut(req: IncomingMessage, url: URL): boolean {
  if (req.method !== 'PUT' || req.headers['if-none-match']?.trim() !== '*') return false;
  if (url.searchParams.has('uploadId') || url.searchParams.has('partNumber')) return false;
  // Path-style: /<bucket>/<key...>; a bucket-level PUT has no key.
  const slash = url.pathname.indexOf('/', 1);
  return slash > 0 && slash < url.pathname.length - 1;
}

function upstreamHeaders(headers: IncomingHttpHeaders, upstreamPort: number): IncomingHttpHeaders {
  const copy: IncomingHttpHeaders = { ...headers, host: `127.0.0.1:${upstreamPort}` };
  // The proxy has already answered (or skipped) any 100-continue; s3rver gets the body straight away.
  delete copy.expect;
  return copy;
}

async function objectExists(path: string, upstreamPort: number): Promise<boolean> {
  // Anonymous: s3rver authorises requests without credentials, and the PUT's signature does not cover a HEAD.
  return new Promise((done, fail) => {
    const head = request({ host: '127.0.0.1', port: upstreamPort, method: 'HEAD', path }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      if (status === 200) done(true);
      else if (status === 404) done(false);
      else fail(new Error(`HEAD ${path} answered ${status}`));
    });
    head.once('error', fail);
    head.end();
  });
}

async function forward(req: IncomingMessage, res: ServerResponse, upstreamPort: number): Promise<void> {
  return new Promise((done, fail) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(req.headers, upstreamPort),
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.statusMessage, response.headers);
        response.pipe(res);
        response.once('end', () => done());
        response.once('error', fail);
      },
    );
    upstream.once('error', fail);
    req.once('error', (error) => upstream.destroy(error));
    req.pipe(upstream);
  });
}

async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  await new Promise<void>((done) => {
    req.once('end', done);
    req.once('error', () => done());
    req.resume();
  });
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const requestId = randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase();
  const fields = Object.entries(extra)
    .map(([name, value]) => `<${name}>${xmlEscape(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}<RequestId>${requestId}</RequestId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
  });
  res.end(body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.removeListener('error', fail);
      done();
    });
  });
}
