// Relaxation requests (docs/architecture/relaxations.md): the request and decision bodies, the list query and the
// request as answered. The dashboard builds against this shape (RelaxationRequest).
import * as z from 'zod';
import { BLOCK_REASON_CODES } from '../domain/errors.js';
import { RELAXATION_KINDS, RELAXATION_STATUSES } from '../domain/types.js';
import { blockReasonCode, idOf, pageQuery, requiredText } from './common.js';
import { sampleSettingsBody } from './samples.js';

const timestamp = z.string().describe('ISO 8601 instant (UTC)');
const person = z.object({ userId: z.string(), name: z.string() });
const settingValue = z.union([z.string(), z.number(), z.boolean()]).nullable();

/** A relaxation request as answered: its status is computed when read (an open request past expiresAt is expired). */
export const relaxationRequestResponse = z.object({
  id: z.string(),
  kind: z.enum(RELAXATION_KINDS),
  systemId: z.string(),
  systemName: z.string(),
  subject: z.object({ type: z.enum(['system', 'incident', 'candidate']), id: z.string() }),
  from: z
    .string()
    .describe(
      "the value the request is bound to: tier, category, severity, a waiver's snapshot hash, or the hash of the sample settings in force",
    ),
  to: z
    .string()
    .describe(
      'the value asked for; a waiver: its codes, comma-separated; sample settings: the hash of those asked for',
    ),
  reason: z.string(),
  requestedBy: person,
  requestedAt: timestamp,
  expiresAt: timestamp.describe('an open request expires then; an approved waiver waives until then'),
  status: z.enum(RELAXATION_STATUSES),
  deciderRole: z.enum(['risk', 'governance']),
  decidedBy: person.nullable(),
  decidedAt: timestamp.nullable(),
  decisionReason: z.string().nullable(),
  codes: z.array(blockReasonCode).optional().describe('a waiver: the reason codes it waives'),
  snapshotHash: z.string().optional().describe("a waiver: the candidate's snapshot hash it is bound to"),
  resolution: z.string().optional().describe('an incident resolution: the resolution written when it is approved'),
  sampleSettings: sampleSettingsBody
    .optional()
    .describe('a sample-settings request: the redaction and retention written when it is approved'),
  loosens: z
    .array(z.object({ field: z.string(), from: settingValue, to: settingValue }))
    .optional()
    .describe('a sample-settings request: each field it loosens, with its value now and the one asked for'),
  version: z.number().int(),
});

/** POST /api/release-candidates/{id}/waivers. */
export const waiverRequest = z
  .object({
    codes: z.array(z.enum(BLOCK_REASON_CODES)).min(1).max(BLOCK_REASON_CODES.length),
    reason: requiredText(2000),
    expiresAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('when the waiver ends (default 7 days from now, at most 30)'),
  })
  .strict();

/** POST /api/relaxation-requests/{id}/approve and /reject. */
export const relaxationDecisionRequest = z.object({ reason: requiredText(2000) }).strict();

/** GET /api/relaxation-requests. */
export const listRelaxationsQuery = pageQuery
  .extend({ systemId: idOf('sys').optional(), status: z.enum(RELAXATION_STATUSES).optional() })
  .strict();
