// What the archive's puts carry on the wire. S3 refuses a PutObject to a bucket under Object Lock that has neither
// Content-MD5 nor an x-amz-checksum-* header ("Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object
// requests with Object Lock parameters"; PutObject, docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html:
// "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to upload an object with a
// retention period configured using Amazon S3 Object Lock"). The SDK's own checksums go into an aws-chunked trailer
// for stream bodies, which the local stand-in (s3rver) stores corrupted, so the checksum must be a plain header over
// bytes the archive computed itself.
import { createHash } from 'node:crypto';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { createArchiveS3Client, S3Archive, sha256Base64 } from '../../../functions/audit/s3-archive.js';

interface Captured {
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A client whose HTTP handler records the signed request and answers 200 (or `status`), with no network. */
function recordingClient(config: S3ClientConfig = {}, status = 200) {
  const captured: Captured[] = [];
  const requestHandler = {
    handle: async (request: Captured) => {
      captured.push({ method: request.method, headers: { ...request.headers }, body: request.body });
      return { response: { statusCode: status, headers: {}, body: new Uint8Array() } };
    },
  };
  const client = createArchiveS3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    ...config,
    requestHandler: requestHandler as never,
  });
  return { client, captured };
}

const body = new TextEncoder().encode('{"seq":1,"note":"é ✓"}\n{"seq":2}\n');
const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

describe('the archive put on the wire', () => {
  it('sends the SHA-256 of the exact bytes as a plain x-amz-checksum-sha256 header', async () => {
    const { client, captured } = recordingClient();
    await new S3Archive(client, 'audit').putIfAbsent('audit/systems/s/batches/1.jsonl', body, 'application/x-ndjson');
    const headers = lower(captured[0]?.headers ?? {});
    expect(headers['x-amz-checksum-sha256']).toBe(createHash('sha256').update(body).digest('base64'));
    expect(headers['if-none-match']).toBe('*');
    expect(Buffer.from(captured[0]?.body as Uint8Array).equals(Buffer.from(body))).toBe(true);
  });

  it('never switches to aws-chunked encoding or a trailing checksum', async () => {
    const { client, captured } = recordingClient();
    await new S3Archive(client, 'audit').putIfAbsent('k', body, 'application/json');
    const headers = lower(captured[0]?.headers ?? {});
    expect(headers['content-encoding'] ?? '').not.toContain('aws-chunked');
    expect(headers['x-amz-trailer']).toBeUndefined();
    expect(headers['x-amz-content-sha256'] ?? '').not.toMatch(/^STREAMING-/);
    expect(headers['x-amz-decoded-content-length']).toBeUndefined();
    expect(headers['content-length']).toBe(String(body.byteLength));
    // One checksum only: S3 refuses a request with several x-amz-checksum-* headers.
    expect(Object.keys(headers).filter((name) => name.startsWith('x-amz-checksum-'))).toEqual([
      'x-amz-checksum-sha256',
    ]);
  });

  it('sends its own checksum even through a client with the SDK default checksum settings', async () => {
    const captured: Captured[] = [];
    const { S3Client } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      requestHandler: {
        handle: async (request: Captured) => {
          captured.push({ method: request.method, headers: { ...request.headers }, body: request.body });
          return { response: { statusCode: 200, headers: {}, body: new Uint8Array() } };
        },
      } as never,
    });
    await new S3Archive(client, 'audit').putIfAbsent('k', body, 'application/json');
    const headers = lower(captured[0]?.headers ?? {});
    expect(headers['x-amz-checksum-sha256']).toBe(sha256Base64(body));
    expect(headers['x-amz-checksum-crc32']).toBeUndefined();
    expect(headers['content-encoding'] ?? '').not.toContain('aws-chunked');
  });

  it('sends an empty body with the SHA-256 of no bytes', async () => {
    const { client, captured } = recordingClient();
    await new S3Archive(client, 'audit').putIfAbsent('empty', new Uint8Array(), 'application/json');
    expect(lower(captured[0]?.headers ?? {})['x-amz-checksum-sha256']).toBe(
      '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    );
  });

  it('reports an existing key (412) as already archived', async () => {
    const { client } = recordingClient({}, 412);
    await expect(new S3Archive(client, 'audit').putIfAbsent('k', body, 'application/json')).resolves.toBe('exists');
  });
});
