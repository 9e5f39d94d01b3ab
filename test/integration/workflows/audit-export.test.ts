// The audit export job (ADR 0044) on DynamoDB Local and the local S3 stand-in: the JSON Lines and CSV objects hold
// exactly the filtered range, oldest first; CSV fields with commas, quotes and line breaks are quoted (RFC 4180);
// an object larger than a part goes up as a multipart upload.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS, auditExportKey } from '../../../functions/domain/audit-export.js';
import { newId } from '../../../functions/domain/ids.js';
import type { AuditEvent } from '../../../functions/domain/types.js';
import type { AuditFilter } from '../../../functions/store/audit.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { runAuditExport } from '../../../functions/workflows/audit-export.js';
import { createObjectWriter } from '../../../functions/workflows/audit-export-objects.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { promptInput, systemInput } from '../../support/fixtures.js';
import { owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

/** RFC 4180 records of a CSV text (quoted fields may hold commas, doubled quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('the audit export job', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let standIn: S3StandInHandle;
  let s3: S3Client;
  const bucket = 'audit-exports-test';
  let systemId: string;
  const reason = 'retired, "for good"\nsee the review notes';

  const text = async (key: string) =>
    (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString('utf8') ?? '';

  async function everything(filter: AuditFilter): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.audit.listAuditEvents({ ...filter, order: 'asc' }, { limit: 100, cursor });
      events.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return events;
  }

  async function exportOf(filter: AuditFilter) {
    const job = await store.auditExports.createAuditExport({
      id: newId('aex'),
      filter,
      requestedBy: { userId: 'aud.auditor', name: 'Aud Auditor' },
    });
    const outcome = await runAuditExport(
      { store, s3, bucket, remainingMs: () => Number.POSITIVE_INFINITY },
      { exportId: job.id },
    );
    return { id: job.id, outcome };
  }

  beforeAll(async () => {
    // Prepare: a system with prompts, retired with a reason a naive CSV would break on; another system beside it
    ({ store, drop } = await createTestStore());
    standIn = await startS3StandIn({ buckets: [bucket] });
    s3 = createS3Client(standIn.endpoint);
    systemId = (await store.systems.createSystem(owner, systemInput({ name: '=HYPERLINK("x")' }))).system.id;
    for (const name of ['a', 'b']) await store.artefacts.createPrompt(owner, promptInput(systemId, { name }));
    await store.systems.retireSystem(owner, systemId, { reason });
    await store.systems.createSystem(owner, systemInput({ name: 'other' }));
  }, 60_000);

  afterAll(async () => {
    s3?.destroy();
    await standIn?.stop();
    await drop?.();
  });

  it("writes one system's whole chain as JSON Lines equal to the timeline, oldest first, and records the counts", async () => {
    // Prepare
    const expected = await everything({ systemId });

    // Act
    const { id, outcome } = await exportOf({ systemId });

    // Assess
    expect(outcome).toBe('succeeded');
    const jsonl = await text(auditExportKey(id, 'jsonl'));
    const lines = jsonl.trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(expected);
    expect(expected.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    const job = await store.auditExports.getAuditExport(id);
    expect(job).toMatchObject({
      status: 'succeeded',
      events: 4,
      bytes: { jsonl: Buffer.byteLength(jsonl), csv: expect.any(Number) },
      error: null,
    });
  });

  it('writes the same events as CSV, quoting commas, quotes and line breaks and defusing formulas', async () => {
    // Act
    const { id } = await exportOf({ systemId });

    // Assess
    const rows = parseCsv(await text(auditExportKey(id, 'csv')));
    expect(rows[0]).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(rows).toHaveLength(5);
    const column = (name: (typeof AUDIT_CSV_COLUMNS)[number]) => AUDIT_CSV_COLUMNS.indexOf(name);
    const retired = rows[4] as string[];
    expect(retired[column('action')]).toBe('system.retired');
    expect(retired[column('reason')]).toBe(reason);
    expect(retired[column('seq')]).toBe('4');
    const registered = rows[1] as string[];
    expect(JSON.parse(registered[column('after')] as string)).toMatchObject({ name: '=HYPERLINK("x")' });
    expect(rows.every((row) => row.length === AUDIT_CSV_COLUMNS.length)).toBe(true);
  });

  it('exports only what the filters select, across every chain', async () => {
    // Prepare
    const expected = await everything({ action: 'system.registered' });

    // Act
    const { id } = await exportOf({ action: 'system.registered' });

    // Assess
    const lines = (await text(auditExportKey(id, 'jsonl'))).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(expected);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(new Set(expected.map((e) => e.action))).toEqual(new Set(['system.registered']));
  });

  it('writes an empty range as a CSV header and an empty JSON Lines object', async () => {
    // Act
    const { id, outcome } = await exportOf({ systemId, action: 'incident.opened' });

    // Assess
    expect(outcome).toBe('succeeded');
    expect(await text(auditExportKey(id, 'jsonl'))).toBe('');
    expect(await text(auditExportKey(id, 'csv'))).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
    expect((await store.auditExports.getAuditExport(id)).events).toBe(0);
  });

  it('runs a job once: a second delivery of the same request finds it claimed or ended and writes nothing', async () => {
    // Prepare
    const { id } = await exportOf({ systemId });

    // Act
    const again = await runAuditExport(
      { store, s3, bucket, remainingMs: () => Number.POSITIVE_INFINITY },
      { exportId: id },
    );

    // Assess
    expect(again).toBe('superseded');
  });

  it('uploads an object larger than a part in parts that S3 joins in order', async () => {
    // Prepare: three parts of 5 MiB (S3's smallest part but the last)
    const writer = createObjectWriter(s3, {
      bucket,
      key: 'exports/multipart/test.jsonl',
      contentType: 'application/x-ndjson',
      partBytes: 5 * 1024 * 1024,
    });
    const line = (i: number) => `${JSON.stringify({ i, pad: 'x'.repeat(1000) })}\n`;
    let expectedBytes = 0;

    // Act
    for (let i = 0; i < 12_000; i++) {
      expectedBytes += Buffer.byteLength(line(i));
      await writer.write(line(i));
    }
    const bytes = await writer.end();

    // Assess
    const stored = await text('exports/multipart/test.jsonl');
    expect(bytes).toBe(expectedBytes);
    expect(Buffer.byteLength(stored)).toBe(expectedBytes);
    const lines = stored.trimEnd().split('\n');
    expect(lines).toHaveLength(12_000);
    expect(JSON.parse(lines[11_999] as string).i).toBe(11_999);
  });
});
