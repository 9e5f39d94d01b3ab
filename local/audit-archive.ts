// The audit archive on this machine: the archiver handler fed by the stream pump from DynamoDB Local's real stream,
// a bucket in the S3 stand-in, the digest writer on a timer, signed with a key file created on first start.
//
// The bucket is created under Object Lock in the stand-in, so it holds what S3 and the archive's bucket policy hold:
// puts need a checksum header (S3Archive sends SHA-256), deletes and retention changes are refused, overwrites of an
// existing key with If-None-Match answer 412. Not enforced locally (AWS enforces it): the retention period itself
// (COMPLIANCE) and versioning (local/s3-standin.ts says what else).
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { createArchiveStatusReader } from '../functions/audit/archive-status.js';
import { type ArchiverStats, createArchiver } from '../functions/audit/archiver.js';
import { type DigestRunResult, writeDigest } from '../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../functions/audit/key-signer.js';
import type { DigestSigner } from '../functions/audit/ports.js';
import { S3Archive } from '../functions/audit/s3-archive.js';
import { runFullVerification } from '../functions/audit/verify/full-job.js';
import { TableCheckpointStore } from '../functions/audit/verify/table-checkpoints.js';
import { createDocumentClient } from '../functions/store/client.js';
import { AUDIT_ENTITY_TYPE, ITEM_TYPE_ATTRIBUTE } from '../functions/store/table-definition.js';
import { createS3Client } from './s3-standin.js';
import { type StreamPump, startStreamPump } from './stream-pump.js';

const LOCAL_AUDIT_BUCKET = 'governance-audit';

export interface LocalAuditArchiveOptions {
  dynamoEndpoint: string;
  tableName: string;
  s3Endpoint: string;
  /** Creates the bucket in the stand-in; `objectLock` puts it under the stand-in's Object Lock rules. */
  createBucket: (name: string, options?: { objectLock?: boolean }) => Promise<string>;
  dataDir: string;
  /** Digest interval; default 60 s (AUDIT_DIGEST_INTERVAL_MS). */
  digestIntervalMs?: number;
  log?: (line: string) => void;
}

export interface LocalAuditArchive {
  archive: S3Archive;
  bucket: string;
  endpoint: string;
  /** The digest signing key's public half, for auditors (`npm run audit:verify -- --public-key <file>`). */
  publicKeyFile: string;
  signer: DigestSigner;
  pump: StreamPump;
  stats: ArchiverStats[];
  digestNow(): Promise<DigestRunResult>;
  statusReader: ReturnType<typeof createArchiveStatusReader>;
  stop(): Promise<void>;
}

/** The signing key file (PKCS#8 PEM, mode 0600) under the data folder, created on first use. */
async function loadOrCreateSigningKey(dir: string): Promise<{ signer: DigestSigner; publicKeyFile: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'digest-signing-key.pem');
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch {
    await writeFile(file, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' }).catch(() => undefined);
    pem = await readFile(file, 'utf8');
  }
  await chmod(file, 0o600);
  const signer = createKeySigner(pem);
  const publicKeyFile = join(dir, 'digest-signing-key.pub.pem');
  await writeFile(publicKeyFile, await signer.publicKeyPem());
  return { signer, publicKeyFile };
}

/** Lambda's filter criteria of the archiver's event source: `{ dynamodb: { NewImage: { itemType: { S: ['audit'] } } } }`. */
export function isAuditRecord(record: DynamoDBRecord): boolean {
  return record.dynamodb?.NewImage?.[ITEM_TYPE_ATTRIBUTE]?.S === AUDIT_ENTITY_TYPE;
}

export async function startLocalAuditArchive(options: LocalAuditArchiveOptions): Promise<LocalAuditArchive> {
  const log = options.log ?? (() => undefined);
  // Under Object Lock, as in AWS (lib/constructs/audit-archive.ts); an existing bucket of an older data folder too.
  const bucket = await options.createBucket(LOCAL_AUDIT_BUCKET, { objectLock: true });
  const archive = new S3Archive(createS3Client(options.s3Endpoint), bucket);
  const { signer, publicKeyFile } = await loadOrCreateSigningKey(join(options.dataDir, 'audit'));
  const stats: ArchiverStats[] = [];
  const archiver = createArchiver({
    archive,
    log,
    onStats: (s) => {
      stats.push(s);
      if (stats.length > 1000) stats.shift();
    },
  });
  const pump = await startStreamPump({
    endpoint: options.dynamoEndpoint,
    tableName: options.tableName,
    handler: archiver,
    filter: isAuditRecord,
    deadLetterFile: join(options.dataDir, 'audit', 'dead-letter.jsonl'),
    log,
  });

  let digesting: Promise<DigestRunResult> | undefined;
  const digestNow = () => {
    // One digest at a time in this process; a concurrent writer elsewhere would get a 412 ('raced').
    const run = (digesting ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => writeDigest({ archive, signer, log }));
    digesting = run;
    return run;
  };
  const interval = options.digestIntervalMs ?? Number(process.env.AUDIT_DIGEST_INTERVAL_MS ?? 60_000);
  const timer = setInterval(() => {
    digestNow().catch((error: unknown) => log(`audit digest failed: ${(error as Error).message}`));
  }, interval);
  timer.unref();

  const publicKeys = [await signer.publicKeyPem()];
  const checkpoints = new TableCheckpointStore(
    createDocumentClient({ endpoint: options.dynamoEndpoint }),
    options.tableName,
  );
  let fullRun: Promise<unknown> | undefined;

  return {
    archive,
    bucket,
    endpoint: options.s3Endpoint,
    publicKeyFile,
    signer,
    pump,
    stats,
    digestNow,
    // Checkpoints in the table, advanced with the key file; a full verification runs in this process when asked.
    statusReader: createArchiveStatusReader(archive, publicKeys, {
      checkpoints,
      signer,
      requestFull: async () => {
        fullRun ??= runFullVerification({ archive, checkpoints, signer, publicKeys })
          .catch((error: unknown) => log(`audit full verification failed: ${(error as Error).message}`))
          .finally(() => {
            fullRun = undefined;
          });
      },
    }),
    async stop() {
      clearInterval(timer);
      await pump.stop();
      await digesting?.catch(() => undefined);
      await fullRun;
    },
  };
}
