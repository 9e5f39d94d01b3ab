// Shared by the audit scripts: where the archive and the table are (flags, or the running `npm start` stack's
// stack.json), and an archive reader over a folder or a bucket.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createArchiveS3Client, S3Archive } from '../functions/audit/s3-archive.js';
import { DirArchive } from '../functions/audit/verify/dir-archive.js';
import { createS3Client } from './s3-standin.js';

export interface RunningStack {
  dynamoEndpoint?: string;
  tableName?: string;
  audit?: { endpoint: string; bucket: string; publicKeyFile: string };
}

/** The running local stack's endpoints (`<data dir>/stack.json`), or {} when none runs. */
export async function runningStack(dataDir = process.env.DATA_DIR ?? '.data'): Promise<RunningStack> {
  try {
    return JSON.parse(await readFile(join(resolve(dataDir), 'stack.json'), 'utf8')) as RunningStack;
  } catch {
    return {};
  }
}

/** An S3 archive: the local stand-in when an endpoint is given, AWS (default credentials) otherwise. */
export function s3Archive(bucket: string, endpoint?: string): S3Archive {
  // Both clients leave checksums to S3Archive, which sends one on every put (the archive bucket is under Object Lock).
  const client = endpoint ? createS3Client(endpoint) : createArchiveS3Client();
  return new S3Archive(client, bucket);
}

export function dirArchive(dir: string): DirArchive {
  return new DirArchive(resolve(dir));
}
