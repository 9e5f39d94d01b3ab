// The local S3 stand-in: s3rver (an S3 API on the file system) behind a small HTTP proxy, both on 127.0.0.1.
//
// s3rver ignores `If-None-Match` on PutObject and always overwrites. The proxy restores what S3 does: a PutObject
// carrying `If-None-Match: *` whose key already exists (checked with a HEAD to s3rver) is refused with 412
// PreconditionFailed and S3's XML error body; conditional puts of one key are serialised inside the proxy, so two
// concurrent writers cannot both succeed.
//
// On every bucket, as S3 does: a put's `Content-MD5` or `x-amz-checksum-*` header is checked against the body (400
// BadDigest on a mismatch). An aws-chunked body (a streamed upload with a trailing checksum) is refused with 501
// NotImplemented: s3rver would store the chunk framing as the object's bytes.
//
// On a bucket under Object Lock (created with `bucket(name, { objectLock: true })`, the `objectLockBuckets` option, or
// CreateBucket with `x-amz-bucket-object-lock-enabled: true`), what S3 and the archive's bucket policy refuse
// (local/s3-object-lock.ts): a put without `Content-MD5` or an `x-amz-checksum-*` header (400 InvalidRequest), every
// DeleteObject (403 AccessDenied) and every key of a DeleteObjects (AccessDenied per key), PutObjectRetention and
// puts that set retention themselves (403 AccessDenied). Which buckets are locked is held in memory: whoever starts
// the stand-in names them again on each start (the local audit archive does).
//
// Presigned requests (SigV4 in the query string, as the audit export's download links are) are checked as S3 checks
// them (local/s3-presigned.ts): an expired or tampered URL is refused with S3's error; a valid one is passed to
// s3rver without its authentication parameters.
//
// Not enforced locally (AWS enforces it, and the CDK template tests prove the bucket is configured for it):
// - Retention itself: no retention mode or retain-until date is stored; a locked bucket refuses deletes for ever.
// - Versioning: an overwrite (a put without If-None-Match) replaces the only copy; no version ids.
// - Legal holds, bucket policies other than the archive's, encryption settings and signatures (s3rver does not
//   verify SigV4 of requests signed in their Authorization header); CRC32C and CRC64NVME checksums are refused (501) rather than verified.
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
import {
  checksumHeaderNames,
  checksumRefusal,
  deleteObjectsRefusalXml,
  isAwsChunked,
  isDeleteObjects,
  isObjectUpload,
  lockedBucketRefusal,
  type S3Refusal,
  targetOf,
} from './s3-object-lock.js';
import { anonymousForm, isPresigned, presignedRefusal } from './s3-presigned.js';

export interface S3StandInOptions {
  /** Folder for the objects; undefined uses a temporary folder that stop() removes. */
  dataDir?: string;
  /** Port of the proxy (the endpoint clients use); default: a free port. s3rver itself takes a free port. */
  port?: number;
  /** Buckets to create at start. */
  buckets?: string[];
  /** Buckets to create at start under Object Lock (they hold S3's Object Lock rules and the archive's policy). */
  objectLockBuckets?: string[];
}

interface BucketOptions {
  /** The bucket is under Object Lock with the archive's bucket policy (see the header of this file). */
  objectLock?: boolean;
}

export interface S3StandInHandle {
  /** `http://127.0.0.1:<port>`: the proxy, which is what clients talk to. */
  endpoint: string;
  port: number;
  /** Stops the proxy and s3rver; removes the temporary folder when no dataDir was given. Idempotent. */
  stop(): Promise<void>;
  /** Creates the bucket if it does not exist yet and resolves to its name; `objectLock` marks it locked. */
  bucket(name: string, options?: BucketOptions): Promise<string>;
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

  const locked = new Set<string>();
  const proxy = createServer((req, res) => {
    handle(req, res, upstreamPort, locked).catch((error: unknown) => {
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
  const bucket = async (name: string, bucketOptions: BucketOptions = {}) => {
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
    }
    if (bucketOptions.objectLock) locked.add(name);
    return name;
  };
  try {
    for (const name of options.buckets ?? []) await bucket(name);
    for (const name of options.objectLockBuckets ?? []) await bucket(name, { objectLock: true });
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, stop, bucket };
}

// Conditional puts in flight, by path: the next conditional put of the same key waits for the previous one.
const keyLocks = new Map<string, Promise<void>>();

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPort: number,
  locked: Set<string>,
): Promise<void> {
  if (req.url && isPresigned(req.url)) {
    const secrets = { [S3_STANDIN_CREDENTIALS.accessKeyId]: S3_STANDIN_CREDENTIALS.secretAccessKey };
    const refused = presignedRefusal(
      { method: req.method ?? 'GET', rawUrl: req.url, headers: req.headers },
      secrets,
      new Date(),
    );
    if (refused) {
      await drain(req);
      sendError(res, refused.status, refused.code, refused.message);
      return;
    }
    // Checked here; s3rver serves it as an anonymous request, and the proxy applies its response-* overrides.
    const anonymous = anonymousForm(req.url);
    req.url = anonymous.url;
    await forward(req, res, upstreamPort, undefined, anonymous.responseHeaders);
    return;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const target = targetOf(url);
  const isLocked = target !== undefined && locked.has(target.bucket);

  if (isLocked && isDeleteObjects(req.method, url)) {
    const requestXml = (await readBody(req)).toString('utf8');
    sendXml(res, 200, deleteObjectsRefusalXml(requestXml));
    return;
  }
  const refusal: S3Refusal | undefined = isLocked ? lockedBucketRefusal(req.method, url, req.headers) : undefined;
  if (refusal) {
    await drain(req);
    sendError(res, refusal.status, refusal.code, refusal.message);
    return;
  }

  let body: Buffer | undefined;
  if (isObjectUpload(req.method, url, req.headers)) {
    if (isAwsChunked(req.headers)) {
      await drain(req);
      sendError(
        res,
        501,
        'NotImplemented',
        'The local S3 stand-in does not store aws-chunked bodies; send the checksum as a header',
      );
      return;
    }
    if (checksumHeaderNames(req.headers).length > 0) {
      body = await readBody(req);
      const mismatch = checksumRefusal(req.headers, body);
      if (mismatch) {
        sendError(res, mismatch.status, mismatch.code, mismatch.message);
        return;
      }
    }
  }

  if (!isConditionalObjectPut(req, url)) {
    await forward(req, res, upstreamPort, body);
    if (isObjectLockCreateBucket(req, target) && res.statusCode === 200) locked.add(target?.bucket ?? '');
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
      if (!body) await drain(req);
      sendError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
        Condition: 'If-None-Match',
      });
      return;
    }
    await forward(req, res, upstreamPort, body);
  } finally {
    release();
    if (keyLocks.get(lockKey) === chained) keyLocks.delete(lockKey);
  }
}

/** CreateBucket asking for Object Lock (the SDK's `ObjectLockEnabledForBucket: true`). */
function isObjectLockCreateBucket(req: IncomingMessage, target: { key?: string } | undefined): boolean {
  return (
    req.method === 'PUT' &&
    target !== undefined &&
    target.key === undefined &&
    String(req.headers['x-amz-bucket-object-lock-enabled'] ?? '').toLowerCase() === 'true'
  );
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

/** Forwards the request to s3rver: its body streamed through, or `body` when the proxy has already read it. */
async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstreamPort: number,
  body?: Buffer,
  responseHeaders: Record<string, string> = {},
): Promise<void> {
  const headers = upstreamHeaders(req.headers, upstreamPort);
  if (body) {
    delete headers['transfer-encoding'];
    headers['content-length'] = String(body.byteLength);
  }
  return new Promise((done, fail) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers,
      },
      (response) => {
        const status = response.statusCode ?? 502;
        const headers = status < 300 ? { ...response.headers, ...responseHeaders } : response.headers;
        res.writeHead(status, response.statusMessage, headers);
        response.pipe(res);
        response.once('end', () => done());
        response.once('error', fail);
      },
    );
    upstream.once('error', fail);
    if (body) {
      upstream.end(body);
      return;
    }
    req.once('error', (error) => upstream.destroy(error));
    req.pipe(upstream);
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
  });
  res.end(body);
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
