// The archive in an S3 bucket (AWS, or the local stand-in). Puts are conditional (`If-None-Match: *`): S3 answers
// 412 PreconditionFailed when the key exists, which for a deterministic key means "already archived".
//
// The bucket is under Object Lock with a default retention, and S3 refuses a PutObject there that carries neither
// `Content-MD5` nor an `x-amz-checksum-*` header (400 InvalidRequest; ADR 0012). Every put therefore sends the SHA-256
// of its bytes, computed here over the whole body and passed as a plain header: the body is always bytes, never a
// stream, so the SDK never switches to aws-chunked encoding with a trailing checksum (which the local stand-in,
// s3rver, would store corrupted).
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import type { ArchiveStore, PutOutcome } from './ports.js';

/**
 * An S3 client for the archive bucket: the SDK adds no checksum of its own (S3Archive sends one it computed) and
 * validates none on reads (the verifier checks every hash itself).
 */
export function createArchiveS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    ...config,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Base64 of the SHA-256 of the bytes: the value of S3's `x-amz-checksum-sha256` header. */
export function sha256Base64(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64');
}

export class S3Archive implements ArchiveStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async putIfAbsent(key: string, body: Uint8Array, contentType: string): Promise<PutOutcome> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          IfNoneMatch: '*',
          // Sent as the x-amz-checksum-sha256 header; with it present the SDK computes no checksum of its own.
          ChecksumSHA256: sha256Base64(body),
        }),
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
    // ListObjects (version 1) paged by Marker (the last key seen): the same on S3, and the local stand-in cannot
    // answer a truncated ListObjectsV2 page (its continuation tokens use a cipher OpenSSL 3 no longer offers).
    let after = startAfter && startAfter > prefix ? startAfter : prefix;
    for (;;) {
      const out = await this.s3.send(new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: after }));
      const keys = (out.Contents ?? []).map((o) => o.Key).filter((k): k is string => k !== undefined);
      yield* keys;
      const last = keys.at(-1);
      if (!out.IsTruncated || !last) return;
      after = last;
    }
  }

  async listFolders(prefix: string): Promise<string[]> {
    // Walks the folders one request each (Marker past the folder found: `~` sorts after every key character used
    // here) rather than Delimiter/CommonPrefixes, which the local stand-in does not answer.
    const folders: string[] = [];
    let startAfter = prefix;
    for (;;) {
      const out = await this.s3.send(
        new ListObjectsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: 1,
          Marker: startAfter,
        }),
      );
      const key = out.Contents?.[0]?.Key;
      if (!key) return folders;
      const slash = key.indexOf('/', prefix.length);
      if (slash < 0) {
        startAfter = key;
        continue;
      }
      const folder = key.slice(0, slash + 1);
      folders.push(folder);
      startAfter = `${folder}~`;
    }
  }
}
