// The local S3 stand-in serves presigned GETs and refuses them as S3 does, after the Amazon S3 API Reference's
// "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)": an expired URL is 403 AccessDenied
// ("Request has expired"), any changed parameter, path or signature 403 SignatureDoesNotMatch.
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignedGetUrl } from '../../functions/workflows/audit-export-objects.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';

describe('presigned GETs through the local S3 stand-in', () => {
  let standIn: S3StandInHandle;
  let s3: S3Client;
  const bucket = 'exports-test';
  const key = 'exports/aex_1/audit-events.csv';
  const body = 'systemId,seq\r\nsys_1,1\r\n';

  beforeAll(async () => {
    standIn = await startS3StandIn({ buckets: [bucket] });
    s3 = createS3Client(standIn.endpoint);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  });

  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
  });

  const presign = (options: { expiresIn?: number; now?: Date } = {}) =>
    presignedGetUrl(s3, {
      bucket,
      key,
      fileName: 'aex_1-audit-events.csv',
      expiresIn: options.expiresIn ?? 300,
      ...(options.now ? { now: options.now } : {}),
    });

  const errorCode = async (response: Response) => /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];

  it('serves the object to a plain GET of a fresh presigned URL, as an attachment under its file name', async () => {
    // Prepare
    const url = await presign();

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="aex_1-audit-events.csv"');
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('refuses an expired URL with 403 AccessDenied, as S3 does past X-Amz-Date plus X-Amz-Expires', async () => {
    // Prepare: signed ten minutes ago for five minutes
    const url = await presign({ expiresIn: 300, now: new Date(Date.now() - 600_000) });

    // Act
    const response = await fetch(url);

    // Assess
    expect(response.status).toBe(403);
    expect(await errorCode(response)).toBe('AccessDenied');
  });

  it('refuses a URL whose key, expiry or signature was changed with 403 SignatureDoesNotMatch', async () => {
    // Prepare
    const url = new URL(await presign());
    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('audit-events.csv', 'audit-events.jsonl');
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '3600');
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    const forged = new URL(url);
    forged.searchParams.set('X-Amz-Signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);

    // Act
    const responses = await Promise.all([otherKey, longer, forged].map((tampered) => fetch(tampered)));

    // Assess
    expect(responses.map((r) => r.status)).toEqual([403, 403, 403]);
    expect(await Promise.all(responses.map(errorCode))).toEqual([
      'SignatureDoesNotMatch',
      'SignatureDoesNotMatch',
      'SignatureDoesNotMatch',
    ]);
  });
});
