import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectRetentionCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Archive } from '../../functions/audit/s3-archive.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';

describe('the local S3 stand-in', () => {
  let standIn: S3StandInHandle;
  let s3: S3Client;
  const bucket = 'evidence-test';

  beforeAll(async () => {
    standIn = await startS3StandIn({ buckets: [bucket] });
    s3 = createS3Client(standIn.endpoint);
  });

  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
  });

  const text = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString('utf8');

  it('listens on the loopback address only', () => {
    expect(standIn.endpoint).toBe(`http://127.0.0.1:${standIn.port}`);
  });

  it('round-trips an object through put, get and list with the AWS SDK', async () => {
    const body = `${'{"caseId":"c1"}\n'.repeat(2_000)}`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'runs/r1/batches/000000.jsonl', Body: body }));
    expect(await text('runs/r1/batches/000000.jsonl')).toBe(body);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'runs/r1/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['runs/r1/batches/000000.jsonl']);
  });

  it('refuses to overwrite an existing key with 412 when the put carries If-None-Match *', async () => {
    const Key = 'conditional/first.txt';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'original', IfNoneMatch: '*' }));
    const refused = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'replacement', IfNoneMatch: '*' }))
      .then(
        () => null,
        (error: unknown) => error as { name: string; $metadata: { httpStatusCode?: number } },
      );
    expect(refused?.$metadata.httpStatusCode).toBe(412);
    expect(refused?.name).toBe('PreconditionFailed');
    expect(await text(Key)).toBe('original');
  });

  it('lets exactly one of several concurrent conditional puts of one key succeed', async () => {
    const Key = 'conditional/race.txt';
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) =>
        s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: `writer ${n}`, IfNoneMatch: '*' })),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(await text(Key)).toMatch(/^writer [1-5]$/);
  });

  it('overwrites an existing key when the put has no If-None-Match, as S3 does', async () => {
    const Key = 'plain/overwrite.txt';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'first' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'second' }));
    expect(await text(Key)).toBe('second');
  });

  it('creates a bucket on request and accepts a bucket that already exists', async () => {
    await expect(standIn.bucket('another-bucket')).resolves.toBe('another-bucket');
    await expect(standIn.bucket('another-bucket')).resolves.toBe('another-bucket');
  });
});

describe('the data folder of the local S3 stand-in', () => {
  it('keeps objects across a restart on the same data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 's3-standin-test-'));
    try {
      const first = await startS3StandIn({ dataDir, buckets: ['kept'] });
      const s3 = createS3Client(first.endpoint);
      await s3.send(new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'survives', IfNoneMatch: '*' }));
      s3.destroy();
      await first.stop();

      const second = await startS3StandIn({ dataDir, buckets: ['kept'] });
      const again = createS3Client(second.endpoint);
      try {
        const object = await again.send(new GetObjectCommand({ Bucket: 'kept', Key: 'a.txt' }));
        expect(await object.Body?.transformToString('utf8')).toBe('survives');
        const refused = await again
          .send(new PutObjectCommand({ Bucket: 'kept', Key: 'a.txt', Body: 'x', IfNoneMatch: '*' }))
          .catch((error: { $metadata: { httpStatusCode?: number } }) => error.$metadata.httpStatusCode);
        expect(refused).toBe(412);
      } finally {
        again.destroy();
        await second.stop();
      }
      expect(existsSync(dataDir)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

type S3Failure = { name: string; message: string; $metadata: { httpStatusCode?: number } };
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) => error as S3Failure,
  );
const md5 = (body: string | Uint8Array) => createHash('md5').update(body).digest('base64');
const sha256 = (body: string | Uint8Array) => createHash('sha256').update(body).digest('base64');

// The archive bucket is under Object Lock with a default retention (lib/constructs/audit-archive.ts); the stand-in holds
// S3's rules for such a bucket and the archive's bucket policy (local/s3-object-lock.ts).
describe('a bucket under Object Lock in the local S3 stand-in', () => {
  let standIn: S3StandInHandle;
  let s3: S3Client;
  const locked = 'audit-locked';
  const open = 'evidence-open';

  beforeAll(async () => {
    standIn = await startS3StandIn({ buckets: [open], objectLockBuckets: [locked] });
    s3 = createS3Client(standIn.endpoint);
  });

  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
  });

  const text = async (Bucket: string, Key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body?.transformToString('utf8');
  const exists = (Bucket: string, Key: string) =>
    s3.send(new GetObjectCommand({ Bucket, Key })).then(
      () => true,
      () => false,
    );

  // PutObject, Amazon S3 API Reference (docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html), Content-MD5:
  // "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to upload an object with a
  // retention period configured using Amazon S3 Object Lock" (Uploading objects to an Object Lock enabled bucket,
  // docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html). S3 answers 400 InvalidRequest
  // "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters".
  it('refuses a put without Content-MD5 or an x-amz-checksum header, as the archive client sent it before (400 InvalidRequest)', async () => {
    // Exactly the request the archive made before issue 13: a WHEN_REQUIRED client, bytes, If-None-Match, no checksum.
    const body = new TextEncoder().encode('{"seq":1}\n');
    const refused = await failureOf(
      s3.send(
        new PutObjectCommand({
          Bucket: locked,
          Key: 'audit/systems/s1/batches/1.jsonl',
          Body: body,
          ContentType: 'application/x-ndjson',
          IfNoneMatch: '*',
        }),
      ),
    );
    expect(refused?.$metadata.httpStatusCode).toBe(400);
    expect(refused?.name).toBe('InvalidRequest');
    expect(refused?.message).toBe(
      'Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters',
    );
    expect(await exists(locked, 'audit/systems/s1/batches/1.jsonl')).toBe(false);
  });

  it('stores a put that carries Content-MD5, or a SHA-256 or CRC32 checksum header, byte for byte', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: locked, Key: 'md5.txt', Body: 'with md5', ContentMD5: md5('with md5') }),
    );
    await s3.send(
      new PutObjectCommand({ Bucket: locked, Key: 'sha.txt', Body: 'with sha', ChecksumSHA256: sha256('with sha') }),
    );
    // CRC32 of "with crc" computed by the SDK itself (a string body: sent as a plain header, not aws-chunked).
    await s3.send(
      new PutObjectCommand({ Bucket: locked, Key: 'crc.txt', Body: 'with crc', ChecksumAlgorithm: 'CRC32' }),
    );
    expect(await text(locked, 'md5.txt')).toBe('with md5');
    expect(await text(locked, 'sha.txt')).toBe('with sha');
    expect(await text(locked, 'crc.txt')).toBe('with crc');
  });

  it("accepts the archive's own puts (S3Archive) and still answers an existing key with 412", async () => {
    const archive = new S3Archive(createS3Client(standIn.endpoint), locked);
    const bytes = new TextEncoder().encode('{"seq":2,"note":"é ✓"}\n');
    expect(await archive.putIfAbsent('audit/systems/s1/batches/2.jsonl', bytes, 'application/x-ndjson')).toBe(
      'created',
    );
    expect(await archive.putIfAbsent('audit/systems/s1/batches/2.jsonl', bytes, 'application/x-ndjson')).toBe('exists');
    expect(Buffer.from((await archive.get('audit/systems/s1/batches/2.jsonl')) ?? []).equals(Buffer.from(bytes))).toBe(
      true,
    );
  });

  // Checking object integrity for data uploads in Amazon S3
  // (docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity-upload.html): "If the checksum value
  // calculated by S3 matches your provided value, the request is accepted. If the values don't match, the request is
  // rejected." Error responses (docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): BadDigest, 400, "The
  // Content-MD5 or checksum value that you specified did not match what the server received"; InvalidDigest, 400.
  it('refuses a Content-MD5 or SHA-256 that does not match the body (400 BadDigest) and stores nothing', async () => {
    const badMd5 = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: locked, Key: 'bad-md5.txt', Body: 'sent', ContentMD5: md5('other') })),
    );
    expect([badMd5?.$metadata.httpStatusCode, badMd5?.name]).toEqual([400, 'BadDigest']);
    const badSha = await failureOf(
      s3.send(
        new PutObjectCommand({ Bucket: locked, Key: 'bad-sha.txt', Body: 'sent', ChecksumSHA256: sha256('other') }),
      ),
    );
    expect([badSha?.$metadata.httpStatusCode, badSha?.name]).toEqual([400, 'BadDigest']);
    expect(badSha?.message).toBe('The SHA256 you specified did not match the calculated checksum.');
    expect(await exists(locked, 'bad-md5.txt')).toBe(false);
    expect(await exists(locked, 'bad-sha.txt')).toBe(false);
  });

  it('refuses a malformed Content-MD5 (400 InvalidDigest) and a malformed SHA-256 header (400 InvalidRequest)', async () => {
    const md5Refused = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: locked, Key: 'm.txt', Body: 'x', ContentMD5: 'not-an-md5' })),
    );
    expect([md5Refused?.$metadata.httpStatusCode, md5Refused?.name]).toEqual([400, 'InvalidDigest']);
    const shaRefused = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: locked, Key: 'm.txt', Body: 'x', ChecksumSHA256: md5('x') })),
    );
    expect([shaRefused?.$metadata.httpStatusCode, shaRefused?.name]).toEqual([400, 'InvalidRequest']);
  });

  it('checks a checksum a put carries on a bucket without Object Lock too, as S3 does on every bucket', async () => {
    const refused = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: open, Key: 'x.txt', Body: 'sent', ChecksumSHA256: sha256('other') })),
    );
    expect([refused?.$metadata.httpStatusCode, refused?.name]).toEqual([400, 'BadDigest']);
  });

  // Amazon S3 Object Lock (docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html) and the archive's bucket
  // policy (lib/constructs/audit-archive.ts, DenyDeletingAuditEvidence): an explicit Deny of s3:DeleteObject and
  // s3:DeleteObjectVersion to every principal; S3 answers 403 AccessDenied (Error responses: "Access Denied").
  it('refuses every DeleteObject (403 AccessDenied) and keeps the object', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: locked, Key: 'kept.txt', Body: 'kept', ChecksumSHA256: sha256('kept') }),
    );
    const refused = await failureOf(s3.send(new DeleteObjectCommand({ Bucket: locked, Key: 'kept.txt' })));
    expect([refused?.$metadata.httpStatusCode, refused?.name]).toEqual([403, 'AccessDenied']);
    const missing = await failureOf(s3.send(new DeleteObjectCommand({ Bucket: locked, Key: 'never-written.txt' })));
    expect(missing?.$metadata.httpStatusCode).toBe(403);
    expect(await text(locked, 'kept.txt')).toBe('kept');
  });

  // DeleteObjects, Amazon S3 API Reference (docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html): "For each
  // key, Amazon S3 performs a delete action and returns the result of that delete, success, or failure, in the
  // response": a policy that denies s3:DeleteObject fails every key with AccessDenied in a 200 answer.
  it('refuses every key of a DeleteObjects with AccessDenied and deletes nothing', async () => {
    await s3.send(new PutObjectCommand({ Bucket: locked, Key: 'a&b.txt', Body: 'a', ChecksumSHA256: sha256('a') }));
    const out = await s3.send(
      new DeleteObjectsCommand({ Bucket: locked, Delete: { Objects: [{ Key: 'a&b.txt' }, { Key: 'kept.txt' }] } }),
    );
    expect(out.Deleted ?? []).toEqual([]);
    expect(out.Errors?.map((e) => [e.Key, e.Code])).toEqual([
      ['a&b.txt', 'AccessDenied'],
      ['kept.txt', 'AccessDenied'],
    ]);
    expect(await text(locked, 'a&b.txt')).toBe('a');
  });

  // Object Lock retention (object-lock.html, "Retention periods"): placing or changing an object version's retention
  // needs s3:PutObjectRetention, which the archive's bucket policy denies to everyone (ADR 0012), so neither
  // PutObjectRetention nor a put that sets a retention mode itself gets through.
  it('refuses PutObjectRetention and a put that sets its own retention (403 AccessDenied)', async () => {
    const retention = await failureOf(
      s3.send(
        new PutObjectRetentionCommand({
          Bucket: locked,
          Key: 'kept.txt',
          Retention: { Mode: 'GOVERNANCE', RetainUntilDate: new Date(Date.now() + 86_400_000) },
          ContentMD5: md5('x'),
        }),
      ),
    );
    expect([retention?.$metadata.httpStatusCode, retention?.name]).toEqual([403, 'AccessDenied']);
    const put = await failureOf(
      s3.send(
        new PutObjectCommand({
          Bucket: locked,
          Key: 'short.txt',
          Body: 'short',
          ChecksumSHA256: sha256('short'),
          ObjectLockMode: 'GOVERNANCE',
          ObjectLockRetainUntilDate: new Date(Date.now() + 86_400_000),
        }),
      ),
    );
    expect([put?.$metadata.httpStatusCode, put?.name]).toEqual([403, 'AccessDenied']);
    expect(await exists(locked, 'short.txt')).toBe(false);
  });

  it('refuses an aws-chunked streamed upload rather than storing its chunk framing as the object', async () => {
    // The SDK's default checksum setting turns a stream body into aws-chunked with a trailing CRC32.
    const defaults = new S3Client({
      endpoint: standIn.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const refused = await failureOf(
        defaults.send(
          new PutObjectCommand({ Bucket: open, Key: 'chunked.txt', Body: Readable.from(['a', 'b']), ContentLength: 2 }),
        ),
      );
      expect([refused?.$metadata.httpStatusCode, refused?.name]).toEqual([501, 'NotImplemented']);
      expect(await exists(open, 'chunked.txt')).toBe(false);
    } finally {
      defaults.destroy();
    }
  });

  it('leaves a bucket without Object Lock as it was: puts without a checksum and deletes succeed', async () => {
    await s3.send(new PutObjectCommand({ Bucket: open, Key: 'plain.txt', Body: 'plain' }));
    await s3.send(new DeleteObjectCommand({ Bucket: open, Key: 'plain.txt' }));
    expect(await exists(open, 'plain.txt')).toBe(false);
  });

  it('puts a bucket created with Object Lock enabled (CreateBucket) under the same rules', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'created-locked', ObjectLockEnabledForBucket: true }));
    const refused = await failureOf(s3.send(new PutObjectCommand({ Bucket: 'created-locked', Key: 'k', Body: 'x' })));
    expect([refused?.$metadata.httpStatusCode, refused?.name]).toEqual([400, 'InvalidRequest']);
  });

  /** A raw PUT (unsigned: s3rver checks no signature) with exactly these headers. */
  const rawPut = (key: string, body: string, headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(`${standIn.endpoint}/${locked}/${key}`, { method: 'PUT', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body: text }));
      });
      req.once('error', fail);
      req.end(body);
    });

  it('counts neither x-amz-checksum-type alone as a checksum nor accepts two checksum algorithms at once', async () => {
    const typeOnly = await rawPut('type-only.txt', 'x', { 'x-amz-checksum-type': 'FULL_OBJECT' });
    expect(typeOnly.status).toBe(400);
    expect(typeOnly.body).toContain('<Code>InvalidRequest</Code>');
    const two = await rawPut('two.txt', 'x', { 'x-amz-checksum-sha256': sha256('x'), 'x-amz-checksum-sha1': 'AAAA' });
    expect(two.status).toBe(400);
    expect(two.body).toContain('Multiple checksum Types are not allowed');
    expect(await exists(locked, 'type-only.txt')).toBe(false);
    expect(await exists(locked, 'two.txt')).toBe(false);
  });

  it('refuses a CRC32C checksum it cannot verify (501) rather than storing the body unverified', async () => {
    const answer = await rawPut('crc32c.txt', 'x', { 'x-amz-checksum-crc32c': 'AAAAAA==' });
    expect(answer.status).toBe(501);
    expect(answer.body).toContain('<Code>NotImplemented</Code>');
    expect(await exists(locked, 'crc32c.txt')).toBe(false);
  });

  it("answers a refused request with S3's XML error body", async () => {
    const answer = await new Promise<{ status: number; body: string }>((done, fail) => {
      const req = request(`${standIn.endpoint}/${locked}/kept.txt`, { method: 'DELETE' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      req.once('error', fail);
      req.end();
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(/<Error><Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  });
});
