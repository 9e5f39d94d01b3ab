// The archive verifier: proves, from the archive alone (and a pinned public key), that nothing was changed, removed,
// reordered or inserted, or names the first broken place (a system and seq, a batch, or a digest).
//
// 1. Keys: the pinned PEMs, or those under audit/keys/ (each named by its fingerprint).
// 2. Digests, in order: no gap in digestSeq or in time, each links to the hash of the one before, each signature
//    verifies, each system's range starts right after its previous head, and the heads add up.
// 3. Batches, per system in key (first seq) order, streamed, checked on worker threads: every line's hash over its
//    own bytes, every link, seq contiguity inside the batch and across batches, overlaps identical (raw duplicates),
//    each batch a digest lists present with the listed root, and each digest's events root recomputed over the
//    events of its range.
import { createHash } from 'node:crypto';
import { chainLabel, GENESIS_HASH } from '../../domain/audit-chain.js';
import { canonicalJson } from '../../domain/hashing.js';
import type { BatchCheck } from '../batch-codec.js';
import {
  type AuditDigest,
  DIGEST_FORMAT,
  type DigestSystemEntry,
  GENESIS_DIGEST_HASH,
  publicKeyFingerprint,
  verifyDigestSignature,
} from '../digest.js';
import {
  batchListStart,
  DIGEST_PREFIX,
  digestKey,
  KEY_PREFIX,
  MAX_BATCH_EVENTS,
  parseBatchKey,
  parseDigestKey,
  SYSTEMS_PREFIX,
  systemIdOfPrefix,
  systemPrefix,
} from '../layout.js';
import { leafHash, rootFromLeafHashes } from '../merkle.js';
import type { ArchiveReader } from '../ports.js';
import { FastMerkle } from './fast-merkle.js';
import { type BatchChecker, inlineChecker } from './pool.js';

export interface BrokenPlace {
  kind: 'event' | 'batch' | 'digest' | 'key';
  systemId?: string;
  seq?: number;
  digestSeq?: number;
  key?: string;
  reason: string;
  message: string;
}

interface VerifyProgress {
  events: number;
  batches: number;
  systemsDone: number;
  systems: number;
  elapsedMs: number;
}

export interface VerifyOptions {
  archive: ArchiveReader;
  /** Only these systems' events (digests are always checked in full). */
  systems?: readonly string[];
  fromSeq?: number;
  toSeq?: number;
  /** Public keys (PEM) to trust; without them, the archive's own keys are used and the report says so. */
  publicKeys?: readonly string[];
  checker?: BatchChecker;
  /**
   * The digest seq an auditor saw before (recorded from an earlier run): the newest digests cannot be removed without
   * this, since nothing after them would point at them.
   */
  minDigestSeq?: number;
  /** Also require every line to be byte-for-byte canonical JSON (re-serialises every event). */
  strict?: boolean;
  onProgress?: (progress: VerifyProgress) => void;
  /**
   * Resume from a point verified before (a signed checkpoint, verify/checkpoint.ts): digests after `digestSeq` must
   * link to `digestHash`, and each listed system's events resume after its verified head. Without it, everything.
   */
  from?: VerifiedPoint;
}

/** What an earlier verification proved: the digest chain up to `digestSeq`, and some systems' events up to a head. */
export interface VerifiedPoint {
  digestSeq: number;
  /** Hex SHA-256 of digest `digestSeq`'s bytes. */
  digestHash: string;
  intervalEnd: string;
  /** Every system's sealed head after digest `digestSeq`. */
  heads: Record<string, { seq: number; hash: string }>;
  /** Per system: the head up to which its archived events were verified (at most its sealed head). */
  systems: Record<string, { seq: number; hash: string }>;
}

interface SystemSummary {
  systemId: string;
  /** Highest seq present without a gap. */
  archivedHead: number;
  /** Head sealed by the newest digest. */
  sealedHead: number;
  events: number;
  /** The hash of seq archivedHead (undefined when nothing was verified). */
  archivedHash?: string;
  /** Raw duplicates in batches that end at or before the sealed head (what a checkpoint at that head carries). */
  sealedDuplicates: number;
}

export interface VerifyReport {
  ok: boolean;
  brokenAt: BrokenPlace | null;
  keySource: 'pinned' | 'archive';
  keys: number;
  digests: number;
  lastDigest: { digestSeq: number; intervalEnd: string } | null;
  /** Hex SHA-256 of the newest digest's bytes (what a checkpoint names). */
  lastDigestHash: string | null;
  /** Every system's sealed head after the newest digest. */
  sealedHeads: Record<string, { seq: number; hash: string }>;
  systems: number;
  batches: number;
  listedBatches: number;
  unlistedBatches: number;
  events: number;
  sealedEvents: number;
  pendingEvents: number;
  rawDuplicateEvents: number;
  perSystem: SystemSummary[];
  elapsedMs: number;
}

class Broken extends Error {
  constructor(readonly place: BrokenPlace) {
    super(place.message);
  }
}

const fail = (place: BrokenPlace): never => {
  throw new Broken(place);
};

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

interface ExpectedBatch {
  key: string;
  firstSeq: number;
  lastSeq: number;
  root: string;
  digestSeq: number;
}

interface ExpectedRange {
  digestSeq: number;
  entry: DigestSystemEntry;
}

interface DigestState {
  count: number;
  last: AuditDigest | null;
  lastHash: string | null;
  batches: Map<string, ExpectedBatch[]>;
  ranges: Map<string, ExpectedRange[]>;
  heads: Record<string, { seq: number; hash: string }>;
}

async function loadKeys(options: VerifyOptions): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  if (options.publicKeys?.length) {
    for (const pem of options.publicKeys) keys.set(publicKeyFingerprint(pem), pem);
    return keys;
  }
  for await (const key of options.archive.list(KEY_PREFIX)) {
    const bytes = await options.archive.get(key);
    const pem = bytes ? Buffer.from(bytes).toString('utf8') : '';
    let fingerprint: string | undefined;
    try {
      fingerprint = publicKeyFingerprint(pem);
    } catch {
      fingerprint = undefined;
    }
    if (!fingerprint || key !== `${KEY_PREFIX}${fingerprint}.pem`)
      fail({ kind: 'key', key, reason: 'bad_key', message: `public key ${key} is not the key its name says` });
    keys.set(fingerprint as string, pem);
  }
  return keys;
}

function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** What a digest is checked against: the one before it, read now or proved by a checkpoint. */
interface PreviousDigest {
  hash: string;
  intervalEnd: string;
  heads: Record<string, { seq: number; hash: string }>;
}

/** Checks one digest against the one before it; returns the parsed digest. */
function checkDigest(
  key: string,
  bytes: Uint8Array,
  expectedSeq: number,
  previous: PreviousDigest | null,
  keys: Map<string, string>,
): AuditDigest {
  const broken = (reason: string, message: string): never =>
    fail({ kind: 'digest', digestSeq: expectedSeq, key, reason, message: `digest ${expectedSeq}: ${message}` });
  const text = Buffer.from(bytes).toString('utf8');
  let digest: AuditDigest;
  try {
    digest = JSON.parse(text) as AuditDigest;
  } catch {
    return broken('malformed', 'not JSON');
  }
  if (typeof digest !== 'object' || digest === null || digest.format !== DIGEST_FORMAT)
    return broken('malformed', 'not a digest');
  if (canonicalJson(digest) !== text) broken('not_canonical', 'the object is not canonical JSON');
  if (digest.digestSeq !== expectedSeq) broken('wrong_seq', `says it is digest ${digest.digestSeq}`);
  const previousHash = previous ? previous.hash : GENESIS_DIGEST_HASH;
  if (digest.previousDigestHash !== previousHash)
    broken('broken_link', `does not link to the hash of digest ${expectedSeq - 1}`);
  if (previous && digest.intervalStart !== previous.intervalEnd)
    broken(
      'interval_gap',
      `its interval starts at ${digest.intervalStart}, the previous ended at ${previous.intervalEnd}`,
    );
  if (!(Date.parse(digest.intervalEnd) >= Date.parse(digest.intervalStart)))
    broken('malformed', 'its interval ends before it starts');
  const pem = keys.get(digest.publicKeySha256);
  if (!pem) broken('unknown_key', `signed by key ${digest.publicKeySha256}, which is not trusted here`);
  if (!verifyDigestSignature(digest, pem as string)) broken('bad_signature', 'the signature does not verify');

  // Ranges start right after the previous heads, and the heads are the previous ones plus these ranges.
  const heads: Record<string, { seq: number; hash: string }> = { ...(previous?.heads ?? {}) };
  let lastSystem = '';
  const roots: Buffer[] = [];
  for (const entry of digest.systems) {
    if (entry.systemId <= lastSystem) broken('malformed', 'systems are not sorted and unique');
    lastSystem = entry.systemId;
    const head = heads[entry.systemId] ?? { seq: 0, hash: GENESIS_HASH };
    if (entry.fromSeq !== head.seq + 1 || entry.fromPrevHash !== head.hash)
      broken(
        'range_gap',
        `${chainLabel(entry.systemId)} resumes at seq ${entry.fromSeq}, its head was seq ${head.seq}`,
      );
    if (!(entry.toSeq >= entry.fromSeq) || entry.eventCount !== entry.toSeq - entry.fromSeq + 1)
      broken('malformed', `${chainLabel(entry.systemId)}'s range is inconsistent`);
    let covered = entry.fromSeq - 1;
    for (const batch of entry.batches) {
      const ref = parseBatchKey(batch.key);
      if (!ref || ref.systemId !== entry.systemId || ref.firstSeq !== batch.firstSeq || ref.lastSeq !== batch.lastSeq)
        broken('malformed', `batch ${batch.key} is not a batch of ${chainLabel(entry.systemId)}`);
      if (batch.firstSeq > covered + 1 || batch.lastSeq <= covered)
        broken('malformed', `batch ${batch.key} does not continue ${chainLabel(entry.systemId)} at seq ${covered + 1}`);
      covered = batch.lastSeq;
      roots.push(Buffer.from(batch.root, 'hex'));
    }
    if (covered !== entry.toSeq)
      broken('malformed', `${chainLabel(entry.systemId)}'s batches do not end at seq ${entry.toSeq}`);
    heads[entry.systemId] = { seq: entry.toSeq, hash: entry.lastHash };
  }
  if (!sameJson(heads, digest.heads)) broken('heads_mismatch', 'its heads are not the previous heads plus its ranges');
  if (rootFromLeafHashes(roots.map((r) => leafHash(r))).toString('hex') !== digest.batchesRoot)
    broken('root_mismatch', 'its batches root does not match the batches it lists');
  return digest;
}

async function loadDigests(options: VerifyOptions, keys: Map<string, string>): Promise<DigestState> {
  const from = options.from;
  const state: DigestState = {
    count: from?.digestSeq ?? 0,
    last: null,
    lastHash: from?.digestHash ?? null,
    batches: new Map(),
    ranges: new Map(),
    heads: from?.heads ?? {},
  };
  let previous: PreviousDigest | null = from
    ? { hash: from.digestHash, intervalEnd: from.intervalEnd, heads: from.heads }
    : null;
  // From a checkpoint, the listing starts after its digest: S3 lists from a marker without reading what is before.
  const startAfter = from && from.digestSeq > 0 ? digestKey(from.digestSeq) : undefined;
  for await (const key of options.archive.list(DIGEST_PREFIX, startAfter)) {
    const seq = parseDigestKey(key);
    const expected = state.count + 1;
    if (seq === undefined)
      fail({ kind: 'digest', key, reason: 'unexpected_object', message: `unexpected object ${key}` });
    if (seq !== expected)
      fail({
        kind: 'digest',
        digestSeq: expected,
        reason: 'missing',
        message: `digest ${expected} is missing (found ${key})`,
      });
    const bytes = await options.archive.get(key);
    if (!bytes)
      return fail({
        kind: 'digest',
        digestSeq: expected,
        key,
        reason: 'missing',
        message: `digest ${expected} vanished`,
      });
    const digest = checkDigest(key, bytes, expected, previous, keys);
    for (const entry of digest.systems) {
      const ranges = state.ranges.get(entry.systemId) ?? [];
      ranges.push({ digestSeq: digest.digestSeq, entry });
      state.ranges.set(entry.systemId, ranges);
      const batches = state.batches.get(entry.systemId) ?? [];
      for (const b of entry.batches) batches.push({ ...b, digestSeq: digest.digestSeq });
      state.batches.set(entry.systemId, batches);
    }
    const hash = sha256Hex(bytes);
    previous = { hash, intervalEnd: digest.intervalEnd, heads: digest.heads };
    state.count = expected;
    state.last = digest;
    state.lastHash = hash;
    state.heads = digest.heads;
  }
  return state;
}

interface Task {
  systemId: string;
  key?: string;
  end?: boolean;
  result?: Promise<Awaited<ReturnType<BatchChecker['check']>> | 'missing'>;
}

/** Verifies the archive; never throws for a broken archive (the report names the place), only for I/O failures. */
export async function verifyArchive(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  const checker = options.checker ?? inlineChecker();
  const fromSeq = Math.max(1, options.fromSeq ?? 1);
  const toSeq = options.toSeq ?? Number.MAX_SAFE_INTEGER;
  const report: VerifyReport = {
    ok: true,
    brokenAt: null,
    keySource: options.publicKeys?.length ? 'pinned' : 'archive',
    keys: 0,
    digests: 0,
    lastDigest: null,
    lastDigestHash: null,
    sealedHeads: {},
    systems: 0,
    batches: 0,
    listedBatches: 0,
    unlistedBatches: 0,
    events: 0,
    sealedEvents: 0,
    pendingEvents: 0,
    rawDuplicateEvents: 0,
    perSystem: [],
    elapsedMs: 0,
  };
  try {
    const keys = await loadKeys(options);
    report.keys = keys.size;
    const digests = await loadDigests(options, keys);
    report.digests = digests.count;
    if (options.minDigestSeq !== undefined && digests.count < options.minDigestSeq) {
      fail({
        kind: 'digest',
        digestSeq: digests.count + 1,
        reason: 'missing',
        message: `digest ${digests.count + 1} is missing: the archive ends at digest ${digests.count}, digest ${options.minDigestSeq} was seen before`,
      });
    }
    report.lastDigest = digests.last
      ? { digestSeq: digests.last.digestSeq, intervalEnd: digests.last.intervalEnd }
      : options.from && options.from.digestSeq > 0
        ? { digestSeq: options.from.digestSeq, intervalEnd: options.from.intervalEnd }
        : null;
    report.lastDigestHash = digests.lastHash;
    report.sealedHeads = digests.heads;

    const selected = await selectedSystems(options, digests);
    report.systems = selected.length;
    await verifySystems(options, checker, digests, selected, fromSeq, toSeq, report, started);
  } catch (error) {
    if (!(error instanceof Broken)) throw error;
    report.ok = false;
    report.brokenAt = error.place;
  } finally {
    if (!options.checker) await checker.close();
  }
  report.elapsedMs = Math.round(performance.now() - started);
  return report;
}

/** The systems to verify: every system the digests or the archive's folders name, or those of `systems` among them. */
async function selectedSystems(options: VerifyOptions, digests: DigestState): Promise<string[]> {
  if (options.systems?.length) {
    // Named systems: one listing each rather than a walk over every system's folder.
    const named: string[] = [];
    for (const id of new Set(options.systems)) {
      if (digests.heads[id] || (await hasAny(options.archive.list(systemPrefix(id))))) named.push(id);
    }
    return named.sort();
  }
  const systemIds = new Set<string>(Object.keys(digests.heads));
  for (const folder of await options.archive.listFolders(SYSTEMS_PREFIX)) {
    const id = systemIdOfPrefix(folder);
    if (id) systemIds.add(id);
  }
  return [...systemIds].sort();
}

async function hasAny(keys: AsyncIterable<string>): Promise<boolean> {
  for await (const _key of keys) return true;
  return false;
}

async function verifySystems(
  options: VerifyOptions,
  checker: BatchChecker,
  digests: DigestState,
  systemIds: string[],
  fromSeq: number,
  toSeq: number,
  report: VerifyReport,
  started: number,
): Promise<void> {
  const { archive } = options;
  const strict = options.strict ?? false;
  const window = Math.max(4, checker.parallelism * 4);

  // The tasks in order: each system's batches by key, then an end marker for the system.
  async function* tasks(): AsyncGenerator<Task> {
    for (const systemId of systemIds) {
      // Resuming after a verified head: only batches that can hold a later seq are listed.
      const resume = options.from?.systems[systemId];
      const listFrom = resume ? batchListStart(systemId, Math.max(1, resume.seq + 2 - MAX_BATCH_EVENTS)) : undefined;
      const skipBelow = Math.max(fromSeq, (resume?.seq ?? 0) + 1);
      for await (const key of archive.list(systemPrefix(systemId), listFrom)) {
        const ref = parseBatchKey(key);
        if (ref && (ref.lastSeq < skipBelow || ref.firstSeq > toSeq)) continue;
        const task: Task = { systemId, key };
        if (ref && ref.systemId === systemId) {
          task.result = archive
            .get(key)
            .then(
              (bytes): Promise<BatchCheck | 'missing'> =>
                bytes ? checker.check(bytes, ref, strict) : Promise.resolve('missing'),
            );
          // Keep a rejected read from being reported as unhandled before its turn comes.
          task.result.catch(() => undefined);
        }
        yield task;
      }
      yield { systemId, end: true };
    }
  }

  let state: SystemState | undefined;
  let lastProgress = performance.now();
  const queue: Task[] = [];
  const source = tasks();
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && queue.length < window) {
      const next = await source.next();
      if (next.done) exhausted = true;
      else queue.push(next.value);
    }
  };
  await fill();
  while (queue.length) {
    const task = queue.shift() as Task;
    if (!state || state.systemId !== task.systemId) {
      state = new SystemState(task.systemId, digests, fromSeq, toSeq, report, options.from?.systems[task.systemId]);
    }
    if (task.end) {
      state.finish();
      report.perSystem.push(state.summary());
      state = undefined;
    } else {
      const result = task.result ? await task.result : undefined;
      state.batch(task.key as string, result);
      report.batches++;
    }
    await fill();
    if (options.onProgress && performance.now() - lastProgress > 1000) {
      lastProgress = performance.now();
      options.onProgress({
        events: report.events,
        batches: report.batches,
        systemsDone: report.perSystem.length,
        systems: systemIds.length,
        elapsedMs: Math.round(lastProgress - started),
      });
    }
  }
}

const RING = 4 * MAX_BATCH_EVENTS;

class SystemState {
  private next: number;
  private lastHash: string | undefined;
  /** The hashes of the last RING seqs verified (seq at slot seq % RING), from `recordedFrom` on, for overlaps. */
  private readonly ring = Buffer.alloc(RING * 32);
  private recordedFrom: number | undefined;
  private readonly expected: ExpectedBatch[];
  private expectedAt = 0;
  private readonly ranges: ExpectedRange[];
  private rangeAt = 0;
  private tree: FastMerkle | null = null;
  private treePartial = false;
  private readonly sealedHead: number;
  private events = 0;
  private sealedDuplicates = 0;
  /** The verified head this state resumes after (a checkpoint's), or none: seqs up to it were proved before. */
  private readonly floor: { seq: number; hash: string } | undefined;

  constructor(
    readonly systemId: string,
    digests: DigestState,
    private fromSeq: number,
    private readonly toSeq: number,
    private readonly report: VerifyReport,
    resume?: { seq: number; hash: string },
  ) {
    this.floor = resume && resume.seq > 0 && resume.seq + 1 > fromSeq ? resume : undefined;
    this.fromSeq = this.floor ? this.floor.seq + 1 : fromSeq;
    this.next = this.fromSeq;
    this.lastHash = this.floor ? this.floor.hash : this.fromSeq === 1 ? GENESIS_HASH : undefined;
    const start = this.fromSeq;
    this.expected = (digests.batches.get(systemId) ?? []).filter((b) => b.lastSeq >= start && b.firstSeq <= toSeq);
    this.ranges = (digests.ranges.get(systemId) ?? []).filter(
      (r) => r.entry.toSeq >= start && r.entry.fromSeq <= toSeq,
    );
    this.sealedHead = digests.heads[systemId]?.seq ?? 0;
  }

  private broken(seq: number, reason: string, message: string): never {
    return fail({
      kind: 'event',
      systemId: this.systemId,
      seq,
      reason,
      message: `${chainLabel(this.systemId)} seq ${seq}: ${message}`,
    });
  }

  private missingBatch(batch: ExpectedBatch): never {
    return fail({
      kind: 'batch',
      systemId: this.systemId,
      seq: Math.max(batch.firstSeq, this.next),
      digestSeq: batch.digestSeq,
      key: batch.key,
      reason: 'missing',
      message: `${chainLabel(this.systemId)} seq ${Math.max(batch.firstSeq, this.next)}: batch ${batch.key} listed by digest ${batch.digestSeq} is missing`,
    });
  }

  batch(key: string, result: Awaited<ReturnType<BatchChecker['check']>> | 'missing' | undefined): void {
    const before = this.report.rawDuplicateEvents;
    this.checkBatch(key, result);
    const ref = parseBatchKey(key);
    if (ref && ref.lastSeq <= this.sealedHead) this.sealedDuplicates += this.report.rawDuplicateEvents - before;
  }

  private checkBatch(key: string, result: Awaited<ReturnType<BatchChecker['check']>> | 'missing' | undefined): void {
    const ref = parseBatchKey(key);
    if (!ref || ref.systemId !== this.systemId || result === undefined) {
      fail({
        kind: 'batch',
        systemId: this.systemId,
        key,
        reason: 'unexpected_object',
        message: `unexpected object ${key}`,
      });
      return;
    }
    let expected = this.expected[this.expectedAt];
    while (expected && expected.key < key) {
      this.missingBatch(expected);
      expected = this.expected[++this.expectedAt];
    }
    const listed = expected?.key === key ? expected : undefined;
    if (listed) this.expectedAt++;
    if (result === 'missing') {
      this.broken(ref.firstSeq, 'missing', `batch ${key} vanished while reading it`);
      return;
    }
    if (!result.ok) {
      this.broken(
        result.seq,
        result.reason,
        result.message.replace(/^(?:system \S+|organisation chain) seq \d+: /, ''),
      );
      return;
    }
    if (listed && result.root !== listed.root) {
      fail({
        kind: 'batch',
        systemId: this.systemId,
        seq: ref.firstSeq,
        digestSeq: listed.digestSeq,
        key,
        reason: 'root_mismatch',
        message: `${chainLabel(this.systemId)} seq ${ref.firstSeq}: batch ${key} is not the batch digest ${listed.digestSeq} sealed`,
      });
    }
    if (listed) this.report.listedBatches++;
    else this.report.unlistedBatches++;
    if (ref.firstSeq > this.next) this.broken(this.next, 'seq_gap', `seq ${this.next} is in no batch`);

    // Hashes stay bytes here: hex only where a hex string is compared (a batch's first link, a range's last hash).
    const { hashes, leaves } = result;
    const last = Math.min(ref.lastSeq, this.toSeq);
    let lastIndex = -1;
    const floor = this.floor;
    if (floor && ref.firstSeq <= floor.seq) {
      // A batch that crosses the checkpoint: its events up to the checkpoint's head were verified before. Each hash
      // covers the link to the one before, so the head's hash matching proves every earlier line of this batch too.
      const i = floor.seq - ref.firstSeq;
      if (hashes.toString('hex', i * 32, i * 32 + 32) !== floor.hash)
        this.broken(floor.seq, 'conflicting_duplicate', `batch ${key} holds a different event for this seq`);
      this.report.rawDuplicateEvents += floor.seq - ref.firstSeq + 1;
    }
    for (let seq = Math.max(ref.firstSeq, this.fromSeq); seq <= last; seq++) {
      const i = seq - ref.firstSeq;
      if (seq < this.next) {
        // Verified earlier and still held: the ring holds seqs next - RING .. next - 1 recorded since recordedFrom.
        const known = this.recordedFrom !== undefined && seq >= this.recordedFrom && seq >= this.next - RING;
        if (!known) {
          if (this.lastHash !== undefined && seq > this.next - RING)
            this.broken(seq, 'unverifiable_overlap', 'overlaps an event this verifier no longer holds');
        } else if (hashes.compare(this.ring, (seq % RING) * 32, (seq % RING) * 32 + 32, i * 32, i * 32 + 32) !== 0) {
          this.broken(seq, 'conflicting_duplicate', `batch ${key} holds a different event for this seq`);
        }
        this.report.rawDuplicateEvents++;
        continue;
      }
      if (i === 0 && this.lastHash !== undefined && result.firstPrevHash !== this.lastHash)
        this.broken(seq, 'broken_link', `does not link to the hash of seq ${seq - 1}`);
      this.seal(seq, hashes, leaves, i);
      hashes.copy(this.ring, (seq % RING) * 32, i * 32, i * 32 + 32);
      this.recordedFrom ??= seq;
      lastIndex = i;
      this.next = seq + 1;
      this.events++;
      this.report.events++;
      if (seq <= this.sealedHead) this.report.sealedEvents++;
      else this.report.pendingEvents++;
    }
    if (lastIndex >= 0) this.lastHash = hashes.toString('hex', lastIndex * 32, lastIndex * 32 + 32);
  }

  /** Feeds event `i` of a batch (its hash and leaf hash) into the events root of the digest range that holds it. */
  private seal(seq: number, hashes: Buffer, leaves: Buffer, i: number): void {
    const range = this.ranges[this.rangeAt];
    if (!range || seq < range.entry.fromSeq) return;
    if (seq === range.entry.fromSeq || !this.tree) {
      this.tree = new FastMerkle();
      this.treePartial = seq !== range.entry.fromSeq;
    }
    this.tree.push(leaves, i * 32);
    if (seq === range.entry.toSeq) {
      const hash = hashes.toString('hex', i * 32, i * 32 + 32);
      const place = {
        kind: 'digest' as const,
        digestSeq: range.digestSeq,
        systemId: this.systemId,
        seq: range.entry.fromSeq,
      };
      if (!this.treePartial && this.tree.root().toString('hex') !== range.entry.eventsRoot)
        fail({
          ...place,
          reason: 'events_root_mismatch',
          message: `digest ${range.digestSeq}: the events of ${chainLabel(this.systemId)} seq ${range.entry.fromSeq}-${range.entry.toSeq} do not match its root`,
        });
      if (hash !== range.entry.lastHash)
        fail({
          ...place,
          seq,
          reason: 'head_mismatch',
          message: `digest ${range.digestSeq}: ${chainLabel(this.systemId)} seq ${seq} is not the head it sealed`,
        });
      this.tree = null;
      this.rangeAt++;
    }
  }

  finish(): void {
    const expected = this.expected[this.expectedAt];
    if (expected) this.missingBatch(expected);
    const range = this.ranges[this.rangeAt];
    if (range && this.next <= Math.min(range.entry.toSeq, this.toSeq))
      this.broken(
        this.next,
        'missing',
        `digest ${range.digestSeq} sealed up to seq ${range.entry.toSeq}; the archive ends before`,
      );
  }

  summary(): SystemSummary {
    return {
      systemId: this.systemId,
      archivedHead: this.next - 1,
      sealedHead: this.sealedHead,
      events: this.events,
      ...(this.lastHash !== undefined ? { archivedHash: this.lastHash } : {}),
      sealedDuplicates: this.sealedDuplicates,
    };
  }
}

/** The keys a verification trusts (the pinned ones, else the archive's); undefined when the archive's keys are broken. */
export async function trustedKeys(
  archive: ArchiveReader,
  publicKeys?: readonly string[],
): Promise<Map<string, string> | undefined> {
  try {
    return await loadKeys({ archive, ...(publicKeys ? { publicKeys } : {}) });
  } catch (error) {
    if (error instanceof Broken) return undefined;
    throw error;
  }
}
