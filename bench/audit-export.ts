// The audit export job (ADR 0044) over 100,000 audit events: the real job (runAuditExport) streaming JSON Lines and
// CSV into the local S3 stand-in by multipart upload, from pages of generated events (as listAuditEvents answers
// them, 100 a page; no DynamoDB read, so the figures are the job's and the upload's). Memory is sampled every 50 ms:
// peak RSS and heap, and the mean heap of the first and last quarter of the run, which stay level when memory is
// flat (the job holds a page and one part per object, whatever the range). s3rver runs in this process, so its
// memory is in the figures too.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { type AuditExport, auditExportKey } from '../functions/domain/audit-export.js';
import type { AuditEvent } from '../functions/domain/types.js';
import type { GovernanceStore } from '../functions/store/index.js';
import { type AuditEventPages, runAuditExport } from '../functions/workflows/audit-export.js';
import { createS3Client, startS3StandIn } from '../local/s3-standin.js';

const EVENTS = Number(process.env.BENCH_EXPORT_EVENTS ?? 100_000);
const BUCKET = 'bench-audit-exports';
const EXPORT_ID = 'aex_01JBENCH0000000000000000000';

function event(i: number): AuditEvent {
  const hex = (n: number) => n.toString(16).padStart(64, '0');
  return {
    systemId: `sys_01JBENCHSYSTEM${String(i % 50).padStart(12, '0')}`,
    seq: i + 1,
    prevHash: hex(i),
    hash: hex(i + 1),
    action: i % 3 === 0 ? 'candidate.submitted' : 'approval.approved',
    entityType: i % 3 === 0 ? 'candidate' : 'approval',
    entityId: `rc_01JBENCHCANDIDATE${String(i).padStart(9, '0')}`,
    actor: { userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'] },
    at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    before: { status: 'draft' },
    after: { status: 'submitted', note: 'approved, with "conditions"\nsee the review' },
    reason: i % 10 === 0 ? 'promoted from the pipeline, "release 42"' : null,
  };
}

/** Pages of generated events behind cursors, as the store's listAuditEvents answers them. */
const pages: AuditEventPages = async (_filter, page) => {
  const start = page.cursor === null ? 0 : Number(page.cursor);
  const end = Math.min(EVENTS, start + page.limit);
  const items: AuditEvent[] = [];
  for (let i = start; i < end; i++) items.push(event(i));
  return { items, nextCursor: end < EVENTS ? String(end) : null };
};

/** The job's item in memory: what runAuditExport needs of the store. */
function memoryStore(): { store: GovernanceStore; job: () => Partial<AuditExport> } {
  let job: Partial<AuditExport> = { id: EXPORT_ID, status: 'running', filter: {}, events: 0 };
  const auditExports = {
    claimAuditExport: async () => ({ ...job }) as AuditExport,
    recordAuditExportProgress: async (_id: string, events: number) => {
      job = { ...job, events };
    },
    finishAuditExport: async (_id: string, result: Pick<AuditExport, 'events'> & { bytes: AuditExport['bytes'] }) => {
      job = { ...job, ...result, status: 'succeeded' };
    },
    failAuditExport: async (_id: string, error: string) => {
      job = { ...job, status: 'failed', error };
    },
  };
  return { store: { auditExports } as unknown as GovernanceStore, job: () => job };
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

export async function benchAuditExport() {
  const standIn = await startS3StandIn({ buckets: [BUCKET] });
  const s3 = createS3Client(standIn.endpoint);
  try {
    const { store, job } = memoryStore();
    const samples: { ms: number; rss: number; heap: number }[] = [];
    const started = performance.now();
    const sample = () => {
      const { rss, heapUsed } = process.memoryUsage();
      samples.push({ ms: Math.round(performance.now() - started), rss, heap: heapUsed });
    };
    sample();
    const timer = setInterval(sample, 50);
    const outcome = await runAuditExport(
      { store, s3, bucket: BUCKET, remainingMs: () => Number.POSITIVE_INFINITY, pages },
      { exportId: EXPORT_ID },
    );
    clearInterval(timer);
    sample();
    const seconds = (performance.now() - started) / 1000;
    // The object S3 holds, as stored.
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: auditExportKey(EXPORT_ID, 'jsonl') }));
    const stored = head.ContentLength ?? 0;
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const heaps = samples.map((s) => s.heap);
    const firstQuarterHeapMiB = mb(mean(heaps.slice(0, quarter)));
    const lastQuarterHeapMiB = mb(mean(heaps.slice(-quarter)));
    const step = Math.max(1, Math.floor(samples.length / 20));
    return {
      events: EVENTS,
      outcome,
      job: job(),
      seconds: Math.round(seconds * 10) / 10,
      eventsPerSecond: Math.round(EVENTS / seconds),
      jsonlStoredMiB: mb(stored),
      peakRssMiB: mb(Math.max(...samples.map((s) => s.rss))),
      peakHeapMiB: mb(Math.max(...heaps)),
      firstQuarterHeapMiB,
      lastQuarterHeapMiB,
      lastToFirstQuarterHeap: Math.round((lastQuarterHeapMiB / firstQuarterHeapMiB) * 100) / 100,
      samples: samples.length,
      heapOverTimeMiB: samples.filter((_, i) => i % step === 0).map((s) => [s.ms, mb(s.heap), mb(s.rss)]),
      note: 'generated pages of 100 events; real job, real multipart upload to the local S3 stand-in (in-process)',
    };
  } finally {
    s3.destroy();
    await standIn.stop();
  }
}
