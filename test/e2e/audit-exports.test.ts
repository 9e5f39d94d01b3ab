// The audit export over HTTP on the seeded demo (issue 18, item 6; ADR 0044): an auditor starts an export of a
// filtered range (202 with a status link), it runs in the background, its status then gives presigned links that
// download the JSON Lines and CSV objects from the S3 stand-in; a tampered or expired link is refused as S3 refuses
// it; a model owner may not export; a bad filter is a 400 naming the field, with nothing written.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../functions/domain/types.js';
import { apiClient } from '../support/http.js';
import { type SeededStack, startSeededStack } from '../support/seeded-stack.js';

interface ExportBody {
  id: string;
  status: string;
  events: number;
  bytes: { jsonl: number; csv: number } | null;
  downloads: { format: 'jsonl' | 'csv'; url: string; expiresAt: string }[];
}

let seeded: SeededStack;
const as = (user: string) => apiClient(seeded.stack.url, seeded.stack.tokens[user]?.token);

async function storedExports(): Promise<number> {
  const out = await seeded.stack.doc.send(
    new ScanCommand({
      TableName: seeded.stack.tableName,
      FilterExpression: 'begins_with(pk, :p)',
      ExpressionAttributeValues: { ':p': 'AEX#' },
      Select: 'COUNT',
    }),
  );
  return out.Count ?? 0;
}

beforeAll(async () => {
  seeded = await startSeededStack({ name: 'audit-exports' });
});
afterAll(async () => seeded?.stop());

describe('audit exports over HTTP', () => {
  it('starts an export (202), which succeeds in the background, and downloads it through presigned links', async () => {
    // Prepare: the range a system's chain holds, as the list route serves it
    const systems = await as('aud.auditor').get<{ items: { id: string }[] }>('/api/systems?limit=1');
    const systemId = systems.body.items[0]?.id as string;
    const listed = await as('aud.auditor').get<{ items: AuditEvent[] }>(
      `/api/audit-events?systemId=${systemId}&order=asc&limit=100`,
    );

    // Act
    const started = await as('aud.auditor').post<ExportBody>('/api/audit-exports', { systemId });
    await seeded.stack.auditExports.idle();
    const done = await as('aud.auditor').get<ExportBody>(started.headers.get('location') as string);
    const links = Object.fromEntries(done.body.downloads.map((d) => [d.format, d.url]));
    const jsonl = await fetch(links.jsonl as string);
    const csv = await fetch(links.csv as string);

    // Assess
    expect(started.status).toBe(202);
    expect(started.headers.get('location')).toBe(`/api/audit-exports/${started.body.id}`);
    expect(started.body).toMatchObject({ status: 'running', downloads: [] });
    expect(done.body).toMatchObject({ status: 'succeeded', events: listed.body.items.length });
    expect(jsonl.status).toBe(200);
    const lines = (await jsonl.text()).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(listed.body.items);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toContain(`${started.body.id}-audit-events.csv`);
    expect((await csv.text()).startsWith('systemId,seq,at,action')).toBe(true);
  });

  it('refuses a tampered download link with 403 SignatureDoesNotMatch, as S3 does', async () => {
    // Prepare
    const started = await as('ada.admin').post<ExportBody>('/api/audit-exports', { action: 'system.registered' });
    await seeded.stack.auditExports.idle();
    const done = await as('ada.admin').get<ExportBody>(`/api/audit-exports/${started.body.id}`);
    const link = new URL(done.body.downloads.find((d) => d.format === 'jsonl')?.url as string);
    link.pathname = link.pathname.replace(started.body.id, 'aex_01JZZZZZZZZZZZZZZZZZZZZZZZ');

    // Act
    const response = await fetch(link);

    // Assess
    expect(done.body.status).toBe('succeeded');
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it('lets admins and auditors export, not a model owner (403), and refuses a bad filter (400) writing nothing', async () => {
    // Prepare
    const before = await storedExports();

    // Act
    const owner = await as('omar.owner').post<{ status: number }>('/api/audit-exports', {});
    const bad = await as('aud.auditor').post<{ errors?: { field: string }[] }>('/api/audit-exports', {
      from: '2026-12-02T00:00:00Z',
      to: '2026-12-01T00:00:00Z',
    });
    const unknown = await as('aud.auditor').post<unknown>('/api/audit-exports', { limit: 5 });
    const missing = await as('aud.auditor').get<unknown>('/api/audit-exports/aex_01JZZZZZZZZZZZZZZZZZZZZZZZ');

    // Assess
    expect(owner.status).toBe(403);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('to');
    expect(unknown.status).toBe(400);
    expect(missing.status).toBe(404);
    expect(await storedExports()).toBe(before);
  });
});
