import * as z from 'zod';
import { CANDIDATE_STATUSES, ENVIRONMENTS, EXECUTOR_KINDS } from '../domain/types.js';
import { idOf, metricName, pageQuery, requiredText, text } from './common.js';

export const threshold = z
  .object({
    metric: metricName,
    direction: z.enum(['min', 'max']),
    value: z.number(),
    regressionTolerance: z.number().min(0).nullable().default(null),
  })
  .strict();

export const createCandidateRequest = z
  .object({
    systemId: idOf('sys'),
    name: requiredText(120),
    environment: z.enum(ENVIRONMENTS).default('production'),
    promptVersionId: idOf('pv'),
    modelConfigId: idOf('mc'),
    judgeConfigIds: z
      .array(idOf('jc'))
      .max(20)
      .optional()
      .describe(
        "the approved judge config versions of this system that the datasets' llm-rubric assertions name (ADR 0036)",
      ),
    datasetIds: z.array(idOf('ds')).min(1).max(20),
    thresholds: z.array(threshold).min(1).max(20),
    notes: text(4000).default(''),
  })
  .strict();

export const listCandidatesQuery = pageQuery
  .extend({ systemId: idOf('sys').optional(), status: z.enum(CANDIDATE_STATUSES).optional() })
  .strict();

export const runEvalsRequest = z
  .object({
    executor: z.enum(EXECUTOR_KINDS).default('simulated'),
    maxCost: z
      .number()
      .positive()
      .max(1_000_000)
      .optional()
      .describe(
        'the run\'s cost ceiling in USD: a start whose estimate exceeds it is refused (422 COST_ESTIMATE_OVER_CEILING) unless ifEstimateExceeds is "start"; once the calls have spent it the run stops and ends in error with errorCode COST_CEILING_REACHED',
      ),
    ifEstimateExceeds: z
      .enum(['refuse', 'start'])
      .default('refuse')
      .describe(
        'what a start does when the estimate exceeds maxCost: refuse (nothing is written) or start, and stop at the ceiling',
      ),
  })
  .strict();

/** `expectedActiveCandidateId` is the ETag-style precondition: null when the caller expects no active release. */
export const promoteRequest = z
  .object({
    environment: z.enum(ENVIRONMENTS).optional(),
    expectedActiveCandidateId: idOf('rc').nullable(),
    reason: text(2000).optional(),
  })
  .strict();

export const rollbackRequest = z
  .object({
    reason: requiredText(2000),
    incidentId: idOf('inc').nullable().optional(),
    targetCandidateId: idOf('rc').nullable().optional(),
  })
  .strict();

export const gateQuery = z.object({ environment: z.enum(ENVIRONMENTS).optional() }).strict();
