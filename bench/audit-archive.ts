// The audit archive: verifier throughput on 1,000,000 events (events/s and peak RSS, inline, one worker and every
// core) beside the raw SHA-256 rate of 600-byte messages on this machine (one core, and one hashing worker per core);
// fault injection at 10,000 events over 10 systems (missing and duplicate counts); archive lag in the local stack.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { encodeBatch } from '../functions/audit/batch-codec.js';
import { writeDigest } from '../functions/audit/digest.js';
import { createKeySigner, generateSigningKeyPem } from '../functions/audit/key-signer.js';
import { batchKey } from '../functions/audit/layout.js';
import { reconcile } from '../functions/audit/reconciler.js';
import { S3Archive } from '../functions/audit/s3-archive.js';
import { createTableSource } from '../functions/audit/table-source.js';
import { DirArchive } from '../functions/audit/verify/dir-archive.js';
import { inlineChecker, workerChecker } from '../functions/audit/verify/pool.js';
import { verifyArchive } from '../functions/audit/verify/verifier.js';
import { buildAuditEvent, GENESIS_HASH } from '../functions/domain/audit-chain.js';
import type { AuditEvent } from '../functions/domain/types.js';
import { batchPut } from '../functions/store/batch-write.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { createS3Client, startS3StandIn } from '../local/s3-standin.js';
import { startLocalStack } from '../local/stack.js';
import { deliverWithFaults, tableItems } from '../test/integration/audit/faults.js';
import { systemInput } from '../test/support/fixtures.js';
import { makeEvents, streamRecord, systemIds } from '../test/unit/audit/fixture.js';

const log = (line: string) => process.stderr.write(`  audit: ${line}\n`);

/** SHA-256 of 600-byte messages for ~1 s on `threads` threads (0: this thread). */
async function shaRate(threads: number): Promise<number> {
  const code = `
    const { createHash } = require('node:crypto');
    const { parentPort } = require('node:worker_threads');
    const msg = Buffer.alloc(600, 97); let n = 0; const until = Date.now() + 1000;
    while (Date.now() < until) { for (let i = 0; i < 1000; i++) createHash('sha256').update(msg).digest(); n += 1000; }
    parentPort ? parentPort.postMessage(n) : (globalThis.__n = n);`;
  if (threads === 0) {
    const msg = Buffer.alloc(600, 97);
    let n = 0;
    const started = performance.now();
    while (performance.now() - started < 1000) {
      for (let i = 0; i < 1000; i++) createHash('sha256').update(msg).digest();
      n += 1000;
    }
    return Math.round(n / ((performance.now() - started) / 1000));
  }
  const counts = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((done, fail) => {
          const w = new Worker(code, { eval: true });
          w.once('message', (n: number) => {
            done(n);
            void w.terminate();
          });
          w.once('error', fail);
        }),
    ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

async function measure<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; peakRssMiB: number }> {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const started = performance.now();
  try {
    const result = await run();
    return { result, seconds: (performance.now() - started) / 1000, peakRssMiB: Math.round(peak / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}

/** 1,000,000 events (10 systems) written as 500-event batch files, sealed by one digest. */
export async function verifierThroughput(total: number) {
  const dir = await mkdtemp(join(tmpdir(), 'audit-bench-'));
  try {
    const { archive, publicKeys } = await writeBenchArchive(dir, total);
    const bytes = await dirBytes(dir);
    const cores = availableParallelism();
    const runs: Record<string, unknown> = {};
    for (const [name, make] of [
      ['inline', () => inlineChecker()],
      ['oneWorker', () => workerChecker(1)],
      [`workers${cores}`, () => workerChecker(cores)],
    ] as const) {
      const checker = make();
      const m = await measure(() => verifyArchive({ archive, publicKeys, checker }));
      await checker.close();
      if (!m.result.ok) throw new Error(`the benchmark archive did not verify: ${m.result.brokenAt?.message}`);
      runs[name] = {
        eventsPerSecond: Math.round(m.result.events / m.seconds),
        seconds: Number(m.seconds.toFixed(1)),
        peakRssMiB: m.peakRssMiB,
      };
      log(`verify ${name}: ${JSON.stringify(runs[name])}`);
    }
    return { events: total, systems: 10, archiveMiB: Math.round(bytes / 2 ** 20), ...runs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the benchmark archive (10 systems, 500-event batch files, one digest) under `dir`; also for profiling. */
export async function writeBenchArchive(dir: string, total: number) {
  const archive = new DirArchive(dir);
  const systems = systemIds(10);
  const perSystem = total / systems.length;
  const started = performance.now();
  for (const [i, systemId] of systems.entries()) {
    // Chains per system, 500 events per batch file, generated a batch at a time (memory stays flat).
    let head: { seq: number; hash: string } | undefined;
    for (let first = 1; first <= perSystem; first += 500) {
      const events = makeChainSegment(systemId, first, Math.min(500, perSystem - first + 1), head, i);
      head = { seq: events.at(-1)?.seq ?? 0, hash: events.at(-1)?.hash ?? '' };
      await archive.putIfAbsent(batchKey(systemId, first, first + events.length - 1), encodeBatch(events));
    }
  }
  log(`generated ${total} events in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const signer = createKeySigner(generateSigningKeyPem());
  await writeDigest({ archive, signer });
  return { archive, publicKeys: [await signer.publicKeyPem()] };
}

function makeChainSegment(
  systemId: string,
  first: number,
  count: number,
  head: { seq: number; hash: string } | undefined,
  salt: number,
): AuditEvent[] {
  let previous = head ?? { seq: first - 1, hash: GENESIS_HASH };
  const out: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    const event = buildAuditEvent(previous, {
      systemId,
      action: 'candidate.promoted',
      entityType: 'candidate',
      entityId: `rc_01JBENCH${String(n).padStart(17, '0')}`,
      actor: { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin', 'reviewer:governance'] },
      at: new Date(Date.UTC(2026, 10, 1) + n * 1000 + salt).toISOString(),
      before: { status: 'approved', environment: 'staging', version: n },
      after: { status: 'promoted', environment: 'production', releaseId: `rel_${n}`, note: 'é ✓ "quoted"' },
      reason: 'all gates passed and the required approvals are recorded',
    });
    out.push(event);
    previous = { seq: event.seq, hash: event.hash };
  }
  return out;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** As the fault-injection test, at 10,000 events over 10 systems, on DynamoDB Local and the S3 stand-in. */
async function faultInjection() {
  const dynamo = await startDynamoDbLocal({});
  const standIn = await startS3StandIn({ buckets: ['audit-bench'] });
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    const tableName = `bench-audit-${Date.now()}`;
    await doc.send(new CreateTableCommand(createTableInput(tableName)));
    const events = makeEvents(systemIds(10), 1000, 9);
    await batchPut({ doc, tableName, now: () => new Date() }, tableItems(events));
    const archive = new S3Archive(createS3Client(standIn.endpoint), 'audit-bench');
    const poisoned = new Set(systemIds(3));
    const started = performance.now();
    const run = await deliverWithFaults(
      events.map((e, i) => streamRecord(e, i + 1)),
      archive,
      {
        seed: 99,
        invocationFailure: 0.15,
        putFailure: 0.08,
        batchSize: 200,
        maxRetries: 2,
        poison: (systemId, a, b) => poisoned.has(systemId) && a <= 500 && 500 <= b,
      },
    );
    const table = createTableSource(doc, tableName);
    const pass = await reconcile({ archive, table });
    const after = await reconcile({ archive, table, dryRun: true });
    const signer = createKeySigner(generateSigningKeyPem());
    await writeDigest({ archive, signer });
    const report = await verifyArchive({ archive, publicKeys: [await signer.publicKeyPem()] });
    return {
      events: events.length,
      systems: 10,
      invocations: run.invocations,
      failedInvocations: run.failedInvocations,
      injectedPutFailures: run.injectedPutFailures,
      deadLettered: run.deadLettered,
      alreadyArchived412: run.stats.reduce((n, s) => n + s.batchesAlreadyArchived, 0),
      missingBeforeReconcile: pass.missing,
      backFilled: pass.backFilled,
      missingAfter: after.missing,
      conflictingDuplicates: after.conflicts,
      rawDuplicateEvents: report.rawDuplicateEvents,
      verified: report.ok,
      verifiedEvents: report.events,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
  } finally {
    await standIn.stop();
    await dynamo.stop();
  }
}

/** Commit-to-archive lag of governed transitions (system registrations over HTTP) in the local stack. */
async function archiveLag(samples: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'audit-lag-'));
  const stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: false });
  try {
    const token = stack.tokens['omar.owner']?.token;
    const lags: number[] = [];
    for (let i = 0; i < samples; i++) {
      const response = await fetch(`${stack.url}/api/systems`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(systemInput({ name: `lag-${i}-${Date.now()}`, riskTier: 'low' })),
      });
      const committed = performance.now();
      const body = (await response.json()) as { id?: string };
      if (!body.id) throw new Error(`registration failed: ${JSON.stringify(body)}`);
      for (;;) {
        let found = false;
        for await (const _ of stack.auditArchive.archive.list(`audit/systems/${body.id}/batches/`)) found = true;
        if (found) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      lags.push(performance.now() - committed);
    }
    lags.sort((a, b) => a - b);
    const at = (q: number) => Math.round(lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? 0);
    return { samples, medianMs: at(0.5), p99Ms: at(0.99), maxMs: Math.round(lags.at(-1) ?? 0), pumpPollMs: 100 };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function benchAuditArchive() {
  const total = Number(process.env.AUDIT_BENCH_EVENTS ?? 1_000_000);
  const cores = availableParallelism();
  const sha = { perCore: await shaRate(0), [`workers${cores}`]: await shaRate(cores) };
  log(`sha-256 of 600-byte messages: ${JSON.stringify(sha)}`);
  const verifier = await verifierThroughput(total);
  const faults = await faultInjection();
  log(`faults: ${JSON.stringify(faults)}`);
  const lag = await archiveLag(50);
  log(`lag: ${JSON.stringify(lag)}`);
  return {
    sha256Of600ByteMessagesPerSecond: sha,
    verifier,
    faultInjection: faults,
    archiveLag: lag,
    note: 'measured on a shared machine; compare ratios within one run (verifier events/s against SHA-256 messages/s)',
  };
}
