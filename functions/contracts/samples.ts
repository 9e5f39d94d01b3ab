// Production samples (ADR 0042): what an application posts, what reviewers read, and a system's redaction and
// retention settings. Bounds that are rules (sizes in bytes, the age of a sample, the patterns) are checked by the
// domain (functions/domain/samples.ts) and answered as a 400 naming the field.
import * as z from 'zod';
import { idPattern } from '../domain/id-format.js';
import {
  BUILT_IN_REDACTIONS,
  ENVIRONMENTS,
  MAX_REDACTION_PATTERNS,
  REDACTION_NAME_PATTERN,
  SAMPLE_LIMITS,
  SAMPLE_RETENTION,
} from '../domain/types.js';
import { pageQuery, requiredText } from './common.js';

const environment = z.enum(ENVIRONMENTS).describe('whose active release the samples belong to; default production');
const releaseId = z.string().regex(idPattern('rc'), 'must be a rc_ id');
const jsonObject = z.record(z.string(), z.unknown());

export const sampleInput = z
  .object({
    input: z
      .union([z.string(), jsonObject])
      .describe(`what the application was asked: text or a JSON object (at most ${SAMPLE_LIMITS.maxInputBytes} bytes)`),
    output: z
      .union([z.string(), jsonObject])
      .describe(`what the release answered: text or a JSON object (at most ${SAMPLE_LIMITS.maxOutputBytes} bytes)`),
    latencyMs: z.number().min(0).max(3_600_000).optional().describe('how long the answer took'),
    costUsd: z.number().min(0).max(1_000).optional().describe('what the answer cost'),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('when it was served (ISO 8601); default: when received; not in the future nor beyond the retention'),
    metadata: z
      .record(z.string().max(64), z.union([z.string().max(512), z.number(), z.boolean()]))
      .optional()
      .describe(`up to ${SAMPLE_LIMITS.maxMetadataKeys} keys, redacted like the text`),
  })
  .strict();

export const postSamplesRequest = z
  .object({
    environment: environment.optional(),
    releaseId: releaseId
      .optional()
      .describe('the release the application believes active: another one is a 409 ACTIVE_RELEASE_CHANGED'),
    samples: z.array(sampleInput).min(1).max(SAMPLE_LIMITS.maxBatch).describe(`1 to ${SAMPLE_LIMITS.maxBatch} samples`),
  })
  .strict();

export const postSamplesResponse = z.object({
  accepted: z.number().int(),
  releaseId: z.string(),
  environment,
  sampleIds: z.array(z.string()),
  redactions: z.record(z.string(), z.number().int()).describe('matches replaced per redaction rule in the batch'),
  retentionDays: z.number().int(),
  expiresAt: z.string().describe('when the samples expire (DynamoDB TTL); they are never archived'),
});

export const listSamplesQuery = pageQuery.extend({ releaseId: releaseId.optional() }).strict();

export const sampleResponse = z.object({
  id: z.string(),
  systemId: z.string(),
  releaseId: z.string(),
  environment,
  at: z.string(),
  receivedAt: z.string(),
  input: z.union([z.string(), jsonObject]),
  output: z.string(),
  latencyMs: z.number().nullable(),
  costUsd: z.number().nullable(),
  metadata: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  redactions: z.record(z.string(), z.number().int()),
  expiresAt: z.string(),
});

export const sampleSettingsBody = z
  .object({
    redaction: z
      .object({
        builtIn: z
          .array(z.enum(BUILT_IN_REDACTIONS))
          .describe('built-in rules: e-mail addresses, phone numbers, card numbers (Luhn-checked)'),
        patterns: z
          .array(
            z
              .object({
                name: z.string().regex(REDACTION_NAME_PATTERN, 'lower-case letters, digits, - and _'),
                pattern: z.string().min(1).max(512).describe('a regular expression that runs in linear time'),
                ignoreCase: z.boolean().optional(),
              })
              .strict(),
          )
          .max(MAX_REDACTION_PATTERNS),
      })
      .strict(),
    retentionDays: z
      .number()
      .int()
      .min(SAMPLE_RETENTION.minDays)
      .max(SAMPLE_RETENTION.maxDays)
      .describe(`days a sample is kept (TTL), ${SAMPLE_RETENTION.minDays} to ${SAMPLE_RETENTION.maxDays}`),
  })
  .strict();

/** PUT /api/systems/{id}/sample-settings: the settings, and the reason a loosening's request carries (ADR 0051). */
export const putSampleSettingsRequest = sampleSettingsBody.extend({
  reason: requiredText(2000)
    .optional()
    .describe('why: the reason of the relaxation request when the settings loosen a rule'),
});
