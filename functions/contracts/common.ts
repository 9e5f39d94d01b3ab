import * as z from 'zod';
import { BLOCK_REASON_CODES, ERROR_CODES } from '../domain/errors.js';
import { idPattern } from '../domain/id-format.js';
import { ASSERTION_NAME_PATTERN, METRIC_NAMES } from '../domain/types.js';

/**
 * A metric name: one of the nine core metrics, or `assert.<name>` (the pass rate of the assertions of that name, or
 * `assert.pass_rate`, docs/assertions.md). Thresholds, policy floors and drift tolerances take either.
 */
export const metricName = z
  .union([z.enum(METRIC_NAMES), z.templateLiteral(['assert.', z.string().regex(ASSERTION_NAME_PATTERN)])])
  .describe('a core metric, or `assert.<assertion name>` (docs/assertions.md)');

export const idOf = (prefix: string) => z.string().regex(idPattern(prefix), `must be a ${prefix}_ id`);

/** Names of prompts, model configs and datasets: stable, URL- and key-safe. */
export const artefactName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, - and _, at most 63 characters');

export const text = (max: number) => z.string().trim().max(max);
export const requiredText = (max: number) => z.string().trim().min(1).max(max);

export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).optional(),
    cursor: z.string().max(2048).optional(),
  })
  .strict();

export const jsonSchemaDocument = z.record(z.string(), z.unknown());

/**
 * A `code` the API answers (domain/errors.ts ERROR_CODES). Later versions add codes, so a client must tolerate one
 * it does not know: the CLI and the dashboard read responses by type and never validate them with these schemas.
 */
export const errorCode = z
  .enum(ERROR_CODES)
  .describe('machine-readable reason; clients must tolerate codes they do not know, later versions add codes');

/** A reason that blocks promotion or rollback (domain/errors.ts BLOCK_REASON_CODES). */
export const blockReasonCode = z
  .enum(BLOCK_REASON_CODES)
  .describe('why promotion is blocked; clients must tolerate codes they do not know, later versions add codes');

export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: errorCode.optional(),
  reasons: z.array(z.object({ code: blockReasonCode, message: z.string() })).optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
