// The audit export as a background job (ADR 0044). POST /api/audit-exports records the job and puts a request event;
// in AWS an EventBridge rule starts the job function (audit-export-task.ts) with it, locally the local stack calls
// the same handler. One invocation claims the job, pages through the filtered timeline oldest first (the store's
// listAuditEvents, as GET /api/audit-events reads it) and streams every event into a JSON Lines and a CSV object;
// memory holds one page and one part per object, whatever the range.
import type { S3Client } from '@aws-sdk/client-s3';
import {
  AUDIT_EXPORT_CONTENT_TYPES,
  AUDIT_EXPORT_LINK_SECONDS,
  type AuditExportFilter,
  type AuditExportFormat,
  auditCsvHeader,
  auditEventCsvLine,
  auditEventJsonLine,
  auditExportFileName,
  auditExportKey,
} from '../domain/audit-export.js';
import { GovernanceError } from '../domain/errors.js';
import type { AuditEvent } from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { Page } from '../store/pagination.js';
import { createObjectWriter, type ObjectWriter, presignedGetUrl } from './audit-export-objects.js';

export const AUDIT_EXPORT_SOURCE = 'governance.audit-export';
export const AUDIT_EXPORT_DETAIL_TYPE = 'AuditExportRequested';

export interface AuditExportRequest {
  exportId: string;
}

/** Puts a request event (EventBridge in AWS; the local stack's runner locally). */
export type EmitAuditExportRequest = (request: AuditExportRequest) => Promise<void>;

/** Events read per page of the timeline (the list route's largest page). */
const EVENTS_PER_PAGE = 100;

/** Progress is written to the job's item at most once per this many events (a write per page would cost more). */
const PROGRESS_EVERY = 5_000;

/** Time an invocation keeps to end its objects and record the ending: it stops reading below this. */
const END_RESERVE_MS = 60_000;

/** Where the job reads its events: the store's listAuditEvents (the bench passes a generator of its own). */
export type AuditEventPages = (
  filter: AuditExportFilter & { order: 'asc' },
  page: { limit: number; cursor: string | null },
) => Promise<Page<AuditEvent>>;

export interface AuditExportJobDeps {
  store: GovernanceStore;
  s3: S3Client;
  bucket: string;
  /** Milliseconds this invocation has left (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** The events' source; default the store's timeline. */
  pages?: AuditEventPages;
  /** Bytes per uploaded part (tests: small parts to take the multipart path). */
  partBytes?: number;
  /** Told of an unexpected error before the job is marked failed (the function's logger). */
  onError?: (error: unknown) => void;
}

export type AuditExportOutcome = 'succeeded' | 'failed' | 'superseded';

/** The request in an event's detail, or undefined when it is not one (a malformed event is logged, never run). */
export function parseAuditExportRequest(detail: unknown): AuditExportRequest | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { exportId } = detail as Record<string, unknown>;
  if (typeof exportId !== 'string' || !/^aex_[0-9A-HJKMNP-TV-Z]{26}$/.test(exportId)) return undefined;
  return { exportId };
}

/** What the requester reads when the job stops on an error: a governance error's own message, else a pointer. */
function failureMessage(error: unknown): string {
  if (error instanceof GovernanceError) return `the export stopped: ${error.message}`;
  return 'the export stopped on an unexpected error; the job function logged it. Start it again';
}

class OutOfTime extends GovernanceError {
  readonly status = 422;
  readonly type = 'export-too-large';
}

/** One invocation: claim the job, write both objects, record the ending; failures end the job. */
export async function runAuditExport(
  deps: AuditExportJobDeps,
  request: AuditExportRequest,
): Promise<AuditExportOutcome> {
  const { store } = deps;
  const job = await store.auditExports.claimAuditExport(request.exportId, Math.min(deps.remainingMs(), 15 * 60_000));
  // Ended already, gone, or held by another delivery of the same request.
  if (!job) return 'superseded';
  const pages: AuditEventPages =
    deps.pages ?? ((filter, page) => store.audit.listAuditEvents(filter, { limit: page.limit, cursor: page.cursor }));
  const writerOf = (format: AuditExportFormat) =>
    createObjectWriter(deps.s3, {
      bucket: deps.bucket,
      key: auditExportKey(job.id, format),
      contentType: AUDIT_EXPORT_CONTENT_TYPES[format],
      ...(deps.partBytes ? { partBytes: deps.partBytes } : {}),
    });
  const writers: Record<AuditExportFormat, ObjectWriter> = { jsonl: writerOf('jsonl'), csv: writerOf('csv') };
  try {
    await writers.csv.write(auditCsvHeader());
    let events = 0;
    let reported = 0;
    let cursor: string | null = null;
    do {
      if (deps.remainingMs() < END_RESERVE_MS) {
        throw new OutOfTime(
          `the range did not fit in one run of the job (${events} events written); narrow it by system or time`,
        );
      }
      const page: Page<AuditEvent> = await pages({ ...job.filter, order: 'asc' }, { limit: EVENTS_PER_PAGE, cursor });
      let jsonl = '';
      let csv = '';
      for (const event of page.items) {
        jsonl += auditEventJsonLine(event);
        csv += auditEventCsvLine(event);
      }
      await Promise.all([writers.jsonl.write(jsonl), writers.csv.write(csv)]);
      events += page.items.length;
      if (events - reported >= PROGRESS_EVERY) {
        await store.auditExports.recordAuditExportProgress(job.id, events);
        reported = events;
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    const [jsonlBytes, csvBytes] = await Promise.all([writers.jsonl.end(), writers.csv.end()]);
    await store.auditExports.finishAuditExport(job.id, { events, bytes: { jsonl: jsonlBytes, csv: csvBytes } });
    return 'succeeded';
  } catch (error) {
    deps.onError?.(error);
    await Promise.allSettled([writers.jsonl.abort(), writers.csv.abort()]);
    await store.auditExports.failAuditExport(job.id, failureMessage(error));
    return 'failed';
  }
}

/** Puts request events on an EventBridge bus (the API's start). */
export function eventBridgeAuditExportEmitter(eventBusName: string): EmitAuditExportRequest {
  return async (request) => {
    const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const out = await new EventBridgeClient({}).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName,
            Source: AUDIT_EXPORT_SOURCE,
            DetailType: AUDIT_EXPORT_DETAIL_TYPE,
            Detail: JSON.stringify(request),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) throw new Error('the audit export request was not accepted by EventBridge');
  };
}

/** What the API needs of the export job: start one, and sign a download link of one of its objects. */
export interface AuditExportJobs {
  start: EmitAuditExportRequest;
  /** A presigned GET URL of export `id`'s object in `format`, valid AUDIT_EXPORT_LINK_SECONDS from `now`. */
  link(id: string, format: AuditExportFormat, now: Date): Promise<string>;
}

/** The links of an export bucket: presigned GETs signed with `s3`'s credentials. */
export function s3AuditExportLinks(s3: S3Client, bucket: string): AuditExportJobs['link'] {
  return (id, format, now) =>
    presignedGetUrl(s3, {
      bucket,
      key: auditExportKey(id, format),
      fileName: auditExportFileName(id, format),
      expiresIn: AUDIT_EXPORT_LINK_SECONDS,
      now,
    });
}
