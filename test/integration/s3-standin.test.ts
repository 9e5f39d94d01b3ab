import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
