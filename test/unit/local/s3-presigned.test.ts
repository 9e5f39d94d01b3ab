// The stand-in's check of presigned requests, after the Amazon S3 API Reference's "Authenticating Requests: Using
// Query Parameters (AWS Signature Version 4)": a URL signed by the SDK's signer holds until X-Amz-Date plus
// X-Amz-Expires; past it S3 answers 403 AccessDenied, and any change to what was signed 403 SignatureDoesNotMatch.
import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { presignedGetUrl } from '../../../functions/workflows/audit-export-objects.js';
import { anonymousForm, isPresigned, presignedRefusal } from '../../../local/s3-presigned.js';

const SECRETS = { AKIDEXAMPLE: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const s3 = new S3Client({
  endpoint: 'http://127.0.0.1:4150',
  region: 'eu-west-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRETS.AKIDEXAMPLE },
});
const signedAt = new Date('2026-12-07T10:00:00.000Z');

async function signed(key = 'exports/aex_1/audit-events.csv') {
  const url = new URL(
    await presignedGetUrl(s3, { bucket: 'exports', key, fileName: 'a b.csv', expiresIn: 300, now: signedAt }),
  );
  return { url, request: (u: URL) => ({ method: 'GET', rawUrl: u.pathname + u.search, headers: { host: u.host } }) };
}

describe('presigned requests in the S3 stand-in', () => {
  it('accepts a URL the SDK signer made, within its expiry', async () => {
    // Prepare
    const { url, request } = await signed();

    // Act
    const refusal = presignedRefusal(request(url), SECRETS, new Date(signedAt.getTime() + 299_000));

    // Assess
    expect(isPresigned(url.pathname + url.search)).toBe(true);
    expect(refusal).toBeUndefined();
  });

  it('refuses it once X-Amz-Date plus X-Amz-Expires has passed: 403 AccessDenied', async () => {
    // Prepare
    const { url, request } = await signed();

    // Act
    const refusal = presignedRefusal(request(url), SECRETS, new Date(signedAt.getTime() + 301_000));

    // Assess
    expect(refusal).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Request has expired' });
  });

  it('refuses a changed key, parameter, host or signature: 403 SignatureDoesNotMatch', async () => {
    // Prepare
    const { url, request } = await signed();
    const now = signedAt;
    const key = new URL(url);
    key.pathname = key.pathname.replace('.csv', '.jsonl');
    const disposition = new URL(url);
    disposition.searchParams.set('response-content-disposition', 'inline');
    const signature = new URL(url);
    signature.searchParams.set('X-Amz-Signature', '0'.repeat(64));

    // Act
    const refusals = [
      presignedRefusal(request(key), SECRETS, now),
      presignedRefusal(request(disposition), SECRETS, now),
      presignedRefusal(request(signature), SECRETS, now),
      presignedRefusal({ ...request(url), headers: { host: 'elsewhere:4150' } }, SECRETS, now),
    ];

    // Assess
    expect(refusals.map((r) => r?.code)).toEqual(Array(4).fill('SignatureDoesNotMatch'));
    expect(refusals.every((r) => r?.status === 403)).toBe(true);
  });

  it('refuses an unknown access key (403 InvalidAccessKeyId) and an expiry above seven days (400)', async () => {
    // Prepare
    const { url, request } = await signed();
    const week = new URL(url);
    week.searchParams.set('X-Amz-Expires', '604801');

    // Act
    const unknown = presignedRefusal(request(url), { OTHER: 'x' }, signedAt);
    const tooLong = presignedRefusal(request(week), SECRETS, signedAt);

    // Assess
    expect(unknown).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    expect(tooLong).toMatchObject({ status: 400, code: 'AuthorizationQueryParametersError' });
  });

  it('hands s3rver the request without its authentication parameters, and the overrides as response headers', async () => {
    // Prepare
    const { url } = await signed();

    // Act
    const anonymous = anonymousForm(url.pathname + url.search);

    // Assess
    expect(anonymous.url).toBe('/exports/exports/aex_1/audit-events.csv?x-id=GetObject');
    expect(anonymous.responseHeaders).toEqual({ 'content-disposition': 'attachment; filename="a b.csv"' });
  });
});
