// What S3 refuses on a bucket under Object Lock (default retention) with the archive's bucket policy, and how it checks
// a checksum a put carries, as pure decisions over a request's method, URL, headers and body. The local S3 stand-in
// (s3-standin.ts) applies them in its proxy; test/integration/s3-standin.test.ts pins each with the AWS document.
//
// - PutObject / UploadPart without `Content-MD5` or an `x-amz-checksum-*` header: 400 InvalidRequest (PutObject API
//   reference: "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to upload an
//   object with a retention period configured using Amazon S3 Object Lock").
// - A checksum that does not match the body: 400 BadDigest; a malformed one: 400 InvalidDigest (Content-MD5) or
//   InvalidRequest (x-amz-checksum-*) ("Checking object integrity for data uploads in Amazon S3"; "Error responses").
// - DeleteObject: 403 AccessDenied; DeleteObjects: 200 with an AccessDenied error for every key, since S3 authorises
//   a multi-object delete per key (the bucket policy denies s3:DeleteObject and s3:DeleteObjectVersion to everyone).
// - PutObjectRetention, and a put carrying `x-amz-object-lock-*` retention headers (which needs the same permission):
//   403 AccessDenied (the policy denies s3:PutObjectRetention; ADR 0012).
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { crc32 } from 'node:zlib';

export interface S3Refusal {
  status: number;
  code: string;
  message: string;
}

export interface S3Target {
  bucket: string;
  /** The object key (still URL-encoded as in the path), or undefined for a bucket-level request. */
  key?: string;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape: s3rver answers it; the proxy only needs the bucket to look rules up
  }
}

/** Bucket and key of a path-style request (`/<bucket>/<key...>`). */
export function targetOf(url: URL): S3Target | undefined {
  const path = url.pathname;
  if (path.length < 2) return undefined;
  const slash = path.indexOf('/', 1);
  if (slash < 0 || slash === path.length - 1) return { bucket: decoded(path.slice(1, slash < 0 ? undefined : slash)) };
  return { bucket: decoded(path.slice(1, slash)), key: path.slice(slash + 1) };
}

/** A PutObject or UploadPart: a PUT of an object's bytes (not a copy, not a sub-resource such as ?retention). */
export function isObjectUpload(method: string | undefined, url: URL, headers: IncomingHttpHeaders): boolean {
  if (method !== 'PUT' || targetOf(url)?.key === undefined || headers['x-amz-copy-source'] !== undefined) return false;
  const params = [...url.searchParams.keys()].filter((name) => !name.startsWith('x-id'));
  const isPart = url.searchParams.has('uploadId') && url.searchParams.has('partNumber');
  return params.length === 0 || isPart;
}

/** The integrity headers a request carries: `content-md5` and every `x-amz-checksum-<algorithm>` (lower-cased). */
export function checksumHeaderNames(headers: IncomingHttpHeaders): string[] {
  return Object.keys(headers).filter(
    (name) => name === 'content-md5' || (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-type'),
  );
}

const ACCESS_DENIED: S3Refusal = { status: 403, code: 'AccessDenied', message: 'Access Denied' };

/**
 * What S3 answers instead of doing the request on a locked bucket, or undefined when it lets it through.
 * DeleteObjects is not here: it answers 200 with per-key errors (deleteObjectsRefusalXml).
 */
export function lockedBucketRefusal(
  method: string | undefined,
  url: URL,
  headers: IncomingHttpHeaders,
): S3Refusal | undefined {
  const target = targetOf(url);
  if (target?.key === undefined) return undefined;
  if (method === 'DELETE' && !url.searchParams.has('uploadId')) return ACCESS_DENIED;
  if (method === 'PUT' && url.searchParams.has('retention')) return ACCESS_DENIED;
  if (!isObjectUpload(method, url, headers)) return undefined;
  if (headers['x-amz-object-lock-mode'] !== undefined || headers['x-amz-object-lock-retain-until-date'] !== undefined) {
    return ACCESS_DENIED;
  }
  const trailer = String(headers['x-amz-trailer'] ?? '').toLowerCase();
  if (checksumHeaderNames(headers).length === 0 && !trailer.startsWith('x-amz-checksum-')) {
    return {
      status: 400,
      code: 'InvalidRequest',
      message:
        'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    };
  }
  return undefined;
}

/** A multi-object delete (`POST /<bucket>?delete`). */
export function isDeleteObjects(method: string | undefined, url: URL): boolean {
  return method === 'POST' && url.searchParams.has('delete') && targetOf(url)?.key === undefined;
}

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlUnescape(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** S3's DeleteResult for a multi-object delete the bucket policy denies: an AccessDenied error for every key. */
export function deleteObjectsRefusalXml(requestXml: string): string {
  const objects = [...requestXml.matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => m[1] ?? '');
  const errors = objects.map((object) => {
    const key = xmlUnescape(/<Key>([\s\S]*?)<\/Key>/.exec(object)?.[1] ?? '');
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(object)?.[1];
    return (
      `<Error><Key>${xmlEscape(key)}</Key>${versionId ? `<VersionId>${versionId}</VersionId>` : ''}` +
      `<Code>${ACCESS_DENIED.code}</Code><Message>${ACCESS_DENIED.message}</Message></Error>`
    );
  });
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${errors.join('')}</DeleteResult>`
  );
}

const CHECKSUMS: Record<string, { name: string; bytes: number; compute?: (body: Buffer) => Buffer }> = {
  'x-amz-checksum-crc32': {
    name: 'CRC32',
    bytes: 4,
    compute: (body) => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc32(body) >>> 0);
      return out;
    },
  },
  'x-amz-checksum-crc32c': { name: 'CRC32C', bytes: 4 },
  'x-amz-checksum-crc64nvme': { name: 'CRC64NVME', bytes: 8 },
  'x-amz-checksum-sha1': { name: 'SHA1', bytes: 20, compute: (body) => createHash('sha1').update(body).digest() },
  'x-amz-checksum-sha256': { name: 'SHA256', bytes: 32, compute: (body) => createHash('sha256').update(body).digest() },
};

function decodeBase64(value: string, bytes: number): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64');
  return decoded.length === bytes ? decoded : undefined;
}

/** Whether the body matches the checksum headers it came with, as S3 checks them on any bucket; undefined if so. */
export function checksumRefusal(headers: IncomingHttpHeaders, body: Buffer): S3Refusal | undefined {
  const md5 = headers['content-md5'];
  if (typeof md5 === 'string') {
    const expected = decodeBase64(md5.trim(), 16);
    if (!expected)
      return { status: 400, code: 'InvalidDigest', message: 'The Content-MD5 you specified is not valid.' };
    if (!expected.equals(createHash('md5').update(body).digest())) {
      return {
        status: 400,
        code: 'BadDigest',
        message: 'The Content-MD5 you specified did not match what we received.',
      };
    }
  }
  const names = checksumHeaderNames(headers).filter((name) => name !== 'content-md5');
  if (names.length > 1) {
    return {
      status: 400,
      code: 'InvalidRequest',
      message: 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    };
  }
  const name = names[0];
  if (name === undefined) return undefined;
  const algorithm = CHECKSUMS[name];
  const value = String(headers[name] ?? '').trim();
  const expected = algorithm ? decodeBase64(value, algorithm.bytes) : undefined;
  if (!algorithm || !expected) {
    return { status: 400, code: 'InvalidRequest', message: `Value for ${name} header is invalid.` };
  }
  if (!algorithm.compute) {
    // Node has no CRC32C or CRC64NVME; refusing is safer than storing an unverified body as verified.
    return {
      status: 501,
      code: 'NotImplemented',
      message: `The local S3 stand-in does not verify ${algorithm.name} checksums; send SHA256, SHA1, CRC32 or Content-MD5.`,
    };
  }
  if (!expected.equals(algorithm.compute(body))) {
    return {
      status: 400,
      code: 'BadDigest',
      message: `The ${algorithm.name} you specified did not match the calculated checksum.`,
    };
  }
  return undefined;
}

/** A body the SDK framed as aws-chunked (a streamed upload with a trailing checksum). */
export function isAwsChunked(headers: IncomingHttpHeaders): boolean {
  const encoding = String(headers['content-encoding'] ?? '').toLowerCase();
  const payload = String(headers['x-amz-content-sha256'] ?? '');
  return encoding.includes('aws-chunked') || payload.startsWith('STREAMING-');
}
