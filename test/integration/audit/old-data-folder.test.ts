// `npm start` on a `.data/` folder written before issue 13 still serves and verifies its archive. The fixture was
// written by the stand-in and archive writer of that time (test/fixtures/s3-data-before-issue-13/README.md): a bucket
// without Object Lock, puts without a checksum. Today's stand-in starts on a copy of it with the archive bucket under
// Object Lock, as local/audit-archive.ts creates it.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDigest } from '../../../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../../../functions/audit/key-signer.js';
import { S3Archive } from '../../../functions/audit/s3-archive.js';
import { verifyArchive } from '../../../functions/audit/verify/verifier.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/s3-data-before-issue-13');
const BUCKET = 'governance-audit';
const OBJECT_SUFFIX = '._S3rver_object';

/** Every object key of the fixture's bucket and the bytes s3rver stored for it. */
function fixtureObjects(): Map<string, Buffer> {
  const root = join(FIXTURE, 's3', BUCKET);
  const objects = new Map<string, Buffer>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith(OBJECT_SUFFIX)) {
        objects.set(`${prefix}${entry.name.slice(0, -OBJECT_SUFFIX.length)}`, readFileSync(join(dir, entry.name)));
      }
    }
  };
  walk(root, '');
  return objects;
}

interface OnCopy {
  standIn: S3StandInHandle;
  archive: S3Archive;
  stop(): Promise<void>;
}

/** Today's stand-in on a fresh copy of the fixture, its archive bucket under Object Lock as local/audit-archive.ts does. */
async function startOnCopy(): Promise<OnCopy> {
  const dataDir = mkdtempSync(join(tmpdir(), 's3-old-data-'));
  cpSync(join(FIXTURE, 's3'), join(dataDir, 's3'), { recursive: true });
  const standIn = await startS3StandIn({ dataDir: join(dataDir, 's3') });
  // What local/audit-archive.ts does on every start: the bucket exists already and is put under Object Lock.
  await standIn.bucket(BUCKET, { objectLock: true });
  return {
    standIn,
    archive: new S3Archive(createS3Client(standIn.endpoint), BUCKET),
    async stop() {
      await standIn.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('the local S3 stand-in on a data folder written before issue 13', () => {
  let copy: OnCopy;
  const oldPublicKey = readFileSync(join(FIXTURE, 'digest-signing-key.pub.pem'), 'utf8');

  beforeAll(async () => {
    copy = await startOnCopy();
  });

  afterAll(async () => {
    await copy?.stop();
  });

  it('serves every object of the old folder byte for byte', async () => {
    const objects = fixtureObjects();
    expect(objects.size).toBeGreaterThan(5);
    for (const [key, bytes] of objects) {
      const served = await copy.archive.get(key);
      expect(served && Buffer.from(served).equals(bytes), key).toBe(true);
    }
  });

  it('verifies the old archive against the key that signed it', async () => {
    const report = await verifyArchive({ archive: copy.archive, publicKeys: [oldPublicKey] });
    expect(report.brokenAt).toBeNull();
    expect(report.ok).toBe(true);
    expect([report.events, report.digests, report.systems]).toEqual([12, 2, 2]);
  });

  it('refuses to delete an object the old stand-in wrote, now that the bucket is under Object Lock', async () => {
    const [key] = fixtureObjects().keys();
    const refused = await createS3Client(copy.standIn.endpoint)
      .send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }))
      .then(
        () => null,
        (error: { name: string; $metadata: { httpStatusCode?: number } }) => error,
      );
    expect([refused?.$metadata.httpStatusCode, refused?.name]).toEqual([403, 'AccessDenied']);
    expect(await copy.archive.get(key as string)).toBeDefined();
  });

  it('takes the next digest with a checksum, and the old and new digests verify as one chain', async () => {
    // Its own copy: this test writes, the others read the fixture as it was.
    const own = await startOnCopy();
    try {
      const signer = createKeySigner(generateSigningKeyPem());
      const result = await writeDigest({ archive: own.archive, signer });
      expect(result).toMatchObject({ status: 'written', digestSeq: 3 });
      const report = await verifyArchive({
        archive: own.archive,
        publicKeys: [oldPublicKey, await signer.publicKeyPem()],
      });
      expect(report.brokenAt).toBeNull();
      expect([report.ok, report.digests]).toEqual([true, 3]);
    } finally {
      await own.stop();
    }
  });
});
