// Clients built once per Lambda container from the environment: AUDIT_BUCKET, AUDIT_SIGNING_KEY_ID (KMS key ARN),
// TABLE_NAME; S3_ENDPOINT only for a local stand-in.
import { KMSClient } from '@aws-sdk/client-kms';
import { createKmsSigner } from './kms-signer.js';
import type { DigestSigner } from './ports.js';
import { createArchiveS3Client, S3Archive } from './s3-archive.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

let archive: S3Archive | undefined;
export function archiveFromEnv(): S3Archive {
  archive ??= new S3Archive(
    // Every put carries a SHA-256 checksum header computed by S3Archive (Object Lock requires one; ADR 0012).
    createArchiveS3Client(process.env.S3_ENDPOINT ? { endpoint: process.env.S3_ENDPOINT, forcePathStyle: true } : {}),
    required('AUDIT_BUCKET'),
  );
  return archive;
}

let signer: DigestSigner | undefined;
export function signerFromEnv(): DigestSigner {
  signer ??= createKmsSigner(new KMSClient({}), required('AUDIT_SIGNING_KEY_ID'));
  return signer;
}
