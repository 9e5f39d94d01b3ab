// The archive in an S3 bucket (AWS, or the local stand-in). Puts are conditional (`If-None-Match: *`): S3 answers
// 412 PreconditionFailed when the key exists, which for a deterministic key means "already archived".
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveStore, PutOutcome } from './ports.js';

export class S3Archive implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<PutOutcome> {
    try {
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType, IfNoneMatch: '*' }),
      );
      return 'created';
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const name = (error as Error).name;
      // 409 ConditionalRequestConflict: a concurrent conditional put of the same key; one of them wins.
      if (status === 412 || name === 'PreconditionFailed' || status === 409) return 'exists';
      throw error;
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if ((error as Error).name === 'NoSuchKey' || status === 404) return undefined;
      throw error;
    }
  }

  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        }),
      );
      for (const object of out.Contents ?? []) if (object.Key) yield object.Key;
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async listFolders(prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          Delimiter: '/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) folders.push(p.Prefix);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return folders.sort();
  }
}
