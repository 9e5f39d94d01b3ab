// Verification that does not get slower every day (issue 13 R3): the verify route's archive answer and the EU AI Act
// report's archive check (the same reader) on archives of 10 and of 10,000 digests (a digest every 15 minutes is 96 a
// day: 10,000 is about 104 days) holding the same events, in the steady state: the system's checkpoint names the
// digest before the newest, which sealed a few new events. The full verification of the same archives is measured
// beside it (what the route did before, and what the background job does). The archive here lists from a marker by
// binary search, as S3 lists from a key without reading what sorts before it; MemoryArchive sorts every key per listing.

import { createHash } from 'node:crypto';
import { createArchiveStatusReader } from '../functions/audit/archive-status.js';
import { createArchiver } from '../functions/audit/archiver.js';
import {
  type AuditDigest,
  DIGEST_FORMAT,
  encodeDigest,
  latestDigest,
  publicKeyFingerprint,
  signedBytes,
  type UnsignedDigest,
  writeDigest,
} from '../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../functions/audit/key-signer.js';
import { digestKey } from '../functions/audit/layout.js';
import { rootFromLeafHashes } from '../functions/audit/merkle.js';
import type { ArchiveStore, DigestSigner, PutOutcome } from '../functions/audit/ports.js';
import { MemoryCheckpointStore } from '../functions/audit/verify/checkpoint.js';
import { verifyArchive } from '../functions/audit/verify/verifier.js';
import { makeEvents, streamEvent, streamRecord, systemIds } from '../test/unit/audit/fixture.js';

const SYSTEMS = 3;
const EVENTS_PER_SYSTEM = 200;
const RUNS = 41;
const log = (line: string) => process.stderr.write(`  verify: ${line}\n`);

/** An archive in memory whose listing starts at a marker by binary search (as S3's does), counting its reads. */
class IndexedArchive implements ArchiveStore {
  private readonly objects = new Map<string, Buffer>();
  private keys: string[] = [];
  gets = 0;

  async putIfAbsent(key: string, body: Uint8Array): Promise<PutOutcome> {
    if (this.objects.has(key)) return 'exists';
    this.objects.set(key, Buffer.from(body));
    const at = this.lowerBound(key);
    this.keys.splice(at, 0, key);
    return 'created';
  }
  async get(key: string) {
    this.gets++;
    return this.objects.get(key);
  }
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  async *list(prefix: string, startAfter?: string): AsyncIterable<string> {
    const from = startAfter && startAfter > prefix ? startAfter : prefix;
    for (let i = this.lowerBound(from); i < this.keys.length; i++) {
      const key = this.keys[i] as string;
      if (key === startAfter) continue;
      if (!key.startsWith(prefix)) return;
      yield key;
    }
  }
  async listFolders(prefix: string): Promise<string[]> {
    const folders = new Set<string>();
    for await (const key of this.list(prefix)) {
      const slash = key.indexOf('/', prefix.length);
      if (slash >= 0) folders.add(key.slice(0, slash + 1));
    }
    return [...folders];
  }
}

/** Appends an empty interval's digest (what writeDigest writes when nothing arrived), without re-listing the chain. */
async function appendEmptyDigest(
  archive: ArchiveStore,
  signer: DigestSigner,
  previous: { digest: AuditDigest; bytes: Buffer },
  end: Date,
): Promise<{ digest: AuditDigest; bytes: Buffer }> {
  const pem = await signer.publicKeyPem();
  const unsigned: UnsignedDigest = {
    format: DIGEST_FORMAT,
    digestSeq: previous.digest.digestSeq + 1,
    previousDigestHash: createHash('sha256').update(previous.bytes).digest('hex'),
    intervalStart: previous.digest.intervalEnd,
    intervalEnd: end.toISOString(),
    systems: [],
    heads: previous.digest.heads,
    batchesRoot: rootFromLeafHashes([]).toString('hex'),
    keyId: signer.keyId,
    algorithm: signer.algorithm,
    publicKeySha256: publicKeyFingerprint(pem),
  };
  const digest: AuditDigest = {
    ...unsigned,
    signature: Buffer.from(await signer.sign(signedBytes(unsigned))).toString('base64'),
  };
  const bytes = encodeDigest(digest);
  await archive.putIfAbsent(digestKey(digest.digestSeq), bytes, 'application/json');
  return { digest, bytes };
}

/** The same events over `digests` digests: most sealed by the first, a few new ones by the last. */
async function buildArchive(digests: number) {
  const archive = new IndexedArchive();
  const signer = createKeySigner(generateSigningKeyPem());
  const ids = systemIds(SYSTEMS);
  const events = makeEvents(ids, EVENTS_PER_SYSTEM, 11);
  const archiver = createArchiver({ archive });
  const records = events.map((e, i) => streamRecord(e, i + 1));
  const newest = records.length - 12;
  let clock = Date.parse('2026-08-01T00:00:00.000Z');
  const now = () => {
    clock += 15 * 60_000;
    return new Date(clock);
  };
  for (let at = 0; at < newest; at += 25) await archiver(streamEvent(records.slice(at, Math.min(newest, at + 25))));
  await writeDigest({ archive, signer, now });
  let previous = (await latestDigest(archive)) as { digest: AuditDigest; bytes: Buffer };
  for (let seq = 2; seq < digests; seq++) previous = await appendEmptyDigest(archive, signer, previous, now());
  await archiver(streamEvent(records.slice(newest)));
  await writeDigest({ archive, signer, now });
  return { archive, signer, systemId: ids[0] as string, publicKeys: [await signer.publicKeyPem()] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round = (ms: number) => Math.round(ms * 100) / 100;

/** An archive of `digests` digests and its reader, with the checkpoint of the answer before the newest digest. */
async function prepare(digests: number) {
  const built = await buildArchive(digests);
  const { archive, signer, systemId, publicKeys } = built;
  const checkpoints = new MemoryCheckpointStore();
  const reader = createArchiveStatusReader(archive, publicKeys, { checkpoints, signer });
  // The previous answer, before the newest digest: verify with the archive cut at digest n - 1, then keep its text.
  const cut = new IndexedArchive();
  for await (const key of archive.list('')) {
    if (key === digestKey(digests)) continue;
    await cut.putIfAbsent(key, (await archive.get(key)) as Uint8Array);
  }
  await createArchiveStatusReader(cut, publicKeys, { checkpoints, signer })(systemId);
  const before = (await checkpoints.getCheckpoint(systemId)) as string;
  const samples = { route: [] as number[], report: [] as number[], reads: 0 };
  let answer: Awaited<ReturnType<typeof reader>> | undefined;
  /** One answer from the checkpoint before the newest digest, timed into `into`. */
  const answerOnce = async (into: number[] | undefined) => {
    checkpoints.texts.set(`checkpoint:${systemId}`, before);
    archive.gets = 0;
    const t0 = performance.now();
    answer = await reader(systemId);
    into?.push(performance.now() - t0);
    samples.reads = archive.gets;
    if (answer.status !== 'ok' || answer.verification.mode !== 'incremental')
      throw new Error(`the route did not verify incrementally: ${JSON.stringify(answer.verification)}`);
  };
  const fullOnce = async () => {
    const t0 = performance.now();
    const r = await verifyArchive({ archive, systems: [systemId], publicKeys });
    if (!r.ok) throw new Error(`the bench archive does not verify: ${r.brokenAt?.message}`);
    return performance.now() - t0;
  };
  return { digests, samples, answerOnce, fullOnce, verification: () => answer?.verification };
}

async function measure(small: Awaited<ReturnType<typeof prepare>>, large: Awaited<ReturnType<typeof prepare>>) {
  // Warm-up (module loading, JIT), then both sizes interleaved, so that a busy moment of a shared machine falls on both.
  await small.answerOnce(undefined);
  await large.answerOnce(undefined);
  for (let i = 0; i < RUNS; i++) {
    for (const side of [small, large]) await side.answerOnce(side.samples.route);
    for (const side of [large, small]) await side.answerOnce(side.samples.report);
  }
  const figures = [];
  for (const side of [small, large]) {
    const full = [await side.fullOnce(), await side.fullOnce(), await side.fullOnce()];
    const figure = {
      digests: side.digests,
      routeMedianMs: round(median(side.samples.route)),
      routeMinMs: round(Math.min(...side.samples.route)),
      reportArchiveCheckMedianMs: round(median(side.samples.report)),
      fullVerificationMedianMs: round(median(full)),
      objectsReadPerRouteCall: side.samples.reads,
      verification: side.verification(),
    };
    log(
      `${side.digests} digests: route ${figure.routeMedianMs} ms, report ${figure.reportArchiveCheckMedianMs} ms, full ${figure.fullVerificationMedianMs} ms, ${figure.objectsReadPerRouteCall} objects read`,
    );
    figures.push(figure);
  }
  return figures as [(typeof figures)[number], (typeof figures)[number]];
}

export async function benchAuditVerifyIncremental(): Promise<Record<string, unknown>> {
  const [small, large] = await measure(await prepare(10), await prepare(10_000));
  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const result = {
    events: SYSTEMS * EVENTS_PER_SYSTEM,
    runs: RUNS,
    small,
    large,
    routeRatio10000to10: ratio(large.routeMedianMs, small.routeMedianMs),
    routeMinRatio10000to10: ratio(large.routeMinMs, small.routeMinMs),
    reportRatio10000to10: ratio(large.reportArchiveCheckMedianMs, small.reportArchiveCheckMedianMs),
    fullVerificationRatio10000to10: ratio(large.fullVerificationMedianMs, small.fullVerificationMedianMs),
    target: 'the 10,000-digest case at most 1.5x the 10-digest case (issue 13)',
  };
  log(
    `ratio 10,000 / 10 digests: route ${result.routeRatio10000to10}x, report ${result.reportRatio10000to10}x ` +
      `(full verification ${result.fullVerificationRatio10000to10}x)`,
  );
  return result;
}
