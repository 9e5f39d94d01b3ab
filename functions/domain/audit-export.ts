// The audit export (issue 18, item 6; ADR 0044): a whole filtered range of the audit timeline written as JSON Lines
// and CSV objects by a background job, because API Gateway's HTTP API cannot answer more than 6 MB or wait more than
// 30 s. Pure: who may export, the object layout, how an event becomes a line and a CSV row, how long a job lives.
import { ForbiddenError } from './errors.js';
import type { AuditEvent, Principal } from './types.js';

/** What an export narrows the timeline to: the list route's filters (GET /api/audit-events), without a page. */
export interface AuditExportFilter {
  systemId?: string;
  action?: string;
  actor?: string;
  entityId?: string;
  from?: string;
  to?: string;
}

type AuditExportStatus = 'running' | 'succeeded' | 'failed';

export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

/** One export job as the API shows it (without its download links, which the API signs on each read). */
export interface AuditExport {
  id: string;
  status: AuditExportStatus;
  filter: AuditExportFilter;
  requestedBy: { userId: string; name: string };
  startedAt: string;
  finishedAt: string | null;
  /** Events written so far (while running), or in all (when succeeded). */
  events: number;
  /** Bytes of each object once written; null until the job succeeded. */
  bytes: Record<AuditExportFormat, number> | null;
  error: string | null;
}

/** How long a job and its objects are kept: a day to download them, then export again (the bucket's lifecycle). */
const AUDIT_EXPORT_RETENTION_DAYS = 1;

/** How long a presigned download link is valid, in seconds: long enough to start a download, short if it leaks. */
export const AUDIT_EXPORT_LINK_SECONDS = 300;

/** Admins and auditors export the audit record: it spans every chain, so readers scoped to systems may not. */
export function assertCanExportAudit(principal: Principal): void {
  if (!principal.roles.includes('admin') && !principal.roles.includes('auditor')) {
    throw new ForbiddenError('only admins and auditors may export the audit record', { requiredRole: 'auditor' });
  }
}

/** The epoch second after which a job started at `startedAt` is gone (its DynamoDB TTL). */
export function auditExportExpiry(startedAt: string): number {
  return Math.floor(Date.parse(startedAt) / 1000) + AUDIT_EXPORT_RETENTION_DAYS * 24 * 60 * 60;
}

/** The object key of one format of export `id` (the export bucket's `exports/` prefix, which IAM grants name). */
export function auditExportKey(id: string, format: AuditExportFormat): string {
  return `exports/${id}/audit-events.${format}`;
}

/** The file name a download is saved under. */
export function auditExportFileName(id: string, format: AuditExportFormat): string {
  return `${id}-audit-events.${format}`;
}

export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** One JSON Lines record: the event exactly as stored and served by GET /api/audit-events, one line. */
export function auditEventJsonLine(event: AuditEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/** The CSV columns, in order; before and after are JSON text, so the CSV loses nothing the JSONL holds. */
export const AUDIT_CSV_COLUMNS = [
  'systemId',
  'seq',
  'at',
  'action',
  'entityType',
  'entityId',
  'actorUserId',
  'actorName',
  'actorRoles',
  'reason',
  'before',
  'after',
  'prevHash',
  'hash',
] as const;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, with quotes doubled. Text that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with a single quote, as
 * OWASP's CSV injection guidance says; the JSONL object keeps the exact text.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header line (CRLF line ends, as RFC 4180 has them). */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

/** One event as a CSV line, in the columns of AUDIT_CSV_COLUMNS. */
export function auditEventCsvLine(event: AuditEvent): string {
  const fields: (string | number | null)[] = [
    event.systemId,
    event.seq,
    event.at,
    event.action,
    event.entityType,
    event.entityId,
    event.actor.userId,
    event.actor.name,
    event.actor.roles.join(' '),
    event.reason,
    event.before === null ? null : JSON.stringify(event.before),
    event.after === null ? null : JSON.stringify(event.after),
    event.prevHash,
    event.hash,
  ];
  return `${fields.map(csvField).join(',')}\r\n`;
}
