// The audit export's objects in S3 (ADR 0044): written as a stream with bounded memory (a multipart upload whose
// parts are flushed as they fill; an export smaller than one part is one PutObject), and read through presigned GET
// URLs the API signs on each status read. The bucket is the export bucket, not the Object Lock archive.
import { createHash, createHmac } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

/** Bytes buffered per part before it is uploaded: above S3's 5 MiB minimum part, and what bounds the memory. */
const EXPORT_PART_BYTES = 8 * 1024 * 1024;

/** A text object written in order; `end` resolves to its size in bytes. */
export interface ObjectWriter {
  write(text: string): Promise<void>;
  end(): Promise<number>;
  abort(): Promise<void>;
}

/** Writes `key` in `bucket` part by part as text arrives; memory holds at most one part (`partBytes`). */
export function createObjectWriter(
  s3: S3Client,
  target: { bucket: string; key: string; contentType: string; partBytes?: number },
): ObjectWriter {
  const partBytes = target.partBytes ?? EXPORT_PART_BYTES;
  const { bucket: Bucket, key: Key, contentType: ContentType } = target;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let uploadId: string | undefined;
  const parts: { ETag: string; PartNumber: number }[] = [];

  const take = () => {
    const body = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return body;
  };
  const uploadPart = async (Body: Buffer) => {
    uploadId ??= (await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ContentType }))).UploadId;
    if (!uploadId) throw new Error('S3 did not return an upload id for the export');
    const PartNumber = parts.length + 1;
    const out = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber, Body }));
    if (!out.ETag) throw new Error(`S3 did not return an ETag for part ${PartNumber} of the export`);
    parts.push({ ETag: out.ETag, PartNumber });
  };

  return {
    async write(text) {
      const chunk = Buffer.from(text, 'utf8');
      pending.push(chunk);
      pendingBytes += chunk.byteLength;
      total += chunk.byteLength;
      if (pendingBytes >= partBytes) await uploadPart(take());
    },
    async end() {
      if (uploadId === undefined) {
        // Smaller than one part: one PutObject.
        await s3.send(new PutObjectCommand({ Bucket, Key, ContentType, Body: take() }));
        return total;
      }
      if (pendingBytes > 0) await uploadPart(take());
      await s3.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
      return total;
    },
    async abort() {
      pending = [];
      pendingBytes = 0;
      if (uploadId === undefined) return;
      await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId: uploadId }));
    },
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytesOf(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 and HMAC-SHA-256 of node:crypto in the shape the SigV4 signer takes. */
class NodeSha256 {
  readonly #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {}
}

interface RequestShape {
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query: Record<string, string | string[] | null>;
}

/**
 * A presigned GET URL of `key` valid for `expiresIn` seconds, signed with the client's own credentials (SigV4 in the
 * query string, payload UNSIGNED-PAYLOAD, only `host` signed), that saves the object under `fileName`. The request
 * is the SDK's own GetObject, built up to its endpoint and stopped before it is signed and sent.
 */
export async function presignedGetUrl(
  s3: S3Client,
  target: { bucket: string; key: string; fileName: string; expiresIn: number; now?: Date },
): Promise<string> {
  const command = new GetObjectCommand({
    Bucket: target.bucket,
    Key: target.key,
    ResponseContentDisposition: `attachment; filename="${target.fileName}"`,
  });
  let built: RequestShape | undefined;
  command.middlewareStack.add(
    () => async (args) => {
      built = args.request as RequestShape;
      // Stop here: nothing is sent; the URL is signed below.
      return { output: { $metadata: {} }, response: {} } as never;
    },
    { step: 'finalizeRequest', priority: 'high', name: 'auditExportPresignIntercept' },
  );
  await s3.send(command);
  if (!built) throw new Error('the GetObject request was not built');
  const host = built.port ? `${built.hostname}:${built.port}` : built.hostname;
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(built.query)) if (value !== null) query[name] = value;
  const signer = new SignatureV4({
    service: 's3',
    region: await s3.config.region(),
    credentials: s3.config.credentials,
    sha256: NodeSha256,
    // S3 signs the path as sent (the SDK has encoded the key once).
    uriEscapePath: false,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: built.protocol,
      hostname: built.hostname,
      ...(built.port ? { port: built.port } : {}),
      path: built.path,
      query,
      headers: { host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    { expiresIn: target.expiresIn, ...(target.now ? { signingDate: target.now } : {}) },
  );
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(signed.query ?? {})) {
    for (const one of Array.isArray(value) ? value : [value]) if (one !== null) search.append(name, one);
  }
  // URLSearchParams writes a space as '+'; S3 reads '+' in a query as a space too, but the signature covers %20.
  return `${built.protocol}//${host}${built.path}?${search.toString().replace(/\+/g, '%20')}`;
}
