// The audit export (issue 18, item 6; ADR 0044): a whole filtered range of the audit timeline as a background job
// that writes JSON Lines and CSV objects; its status gives presigned download links once it succeeded.
import * as z from 'zod';
import { idPatternSource } from '../domain/id-format.js';

const exportFormat = z.enum(['jsonl', 'csv']);

/** An export job: what it selects, how far it is, and (succeeded) short-lived links to its two objects. */
export const auditExportResponse = z.object({
  id: z.string().regex(new RegExp(idPatternSource('aex'))),
  status: z.enum(['running', 'succeeded', 'failed']),
  filter: z
    .object({
      systemId: z.string().optional(),
      action: z.string().optional(),
      actor: z.string().optional(),
      entityId: z.string().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
    })
    .describe('the filters of the request, as GET /api/audit-events takes them'),
  requestedBy: z.object({ userId: z.string(), name: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  events: z.number().int().describe('events written so far while running (updated every few thousand), or in all'),
  bytes: z.object({ jsonl: z.number().int(), csv: z.number().int() }).nullable(),
  error: z.string().nullable().describe('why the job failed; null unless failed'),
  downloads: z
    .array(
      z.object({
        format: exportFormat,
        url: z.string().describe('a presigned GET URL of the object (SigV4 in the query string)'),
        expiresAt: z.string().describe('when the URL stops working: read the status again for a fresh one'),
      }),
    )
    .describe('one link per format once the export succeeded; empty before'),
});
