import * as z from 'zod';
import { APPROVAL_STATUSES, REVIEWER_ROLES } from '../domain/types.js';
import { idOf, pageQuery, text } from './common.js';

export const listEvalRunsQuery = pageQuery.extend({ candidateId: idOf('rc').optional() }).strict();

const submittedCase = z
  .object({
    caseId: z.string().min(1).max(80),
    output: z.record(z.string(), z.unknown()).nullable(),
    outputText: z
      .string()
      .max(1_048_576)
      .nullable()
      .optional()
      .describe(
        "the model's answer as text, which the case's assertions judge (default: output as JSON); not stored on the case, but kept in the run's evidence when an llm-rubric or similar assertion judges it after the last post (ADR 0050)",
      ),
    latencyMs: z.number().min(0).max(3_600_000),
    costUsd: z.number().min(0).optional(),
    timedOut: z.boolean().optional(),
    fallbackUsed: z.boolean().optional(),
    fallbackSucceeded: z.boolean().optional(),
    error: z.string().max(2000).nullable().optional(),
  })
  .strict();

export const submitResultsRequest = z.object({ results: z.array(submittedCase).min(1).max(5000) }).strict();

export const listApprovalsQuery = pageQuery
  .extend({ status: z.enum(APPROVAL_STATUSES).optional(), role: z.enum(REVIEWER_ROLES).optional() })
  .strict();

export const decisionRequest = z.object({ comment: text(4000).optional() }).strict();

/** Rejections and requests for changes must say why. */
export const reasonedDecisionRequest = z.object({ comment: z.string().trim().min(1).max(4000) }).strict();
