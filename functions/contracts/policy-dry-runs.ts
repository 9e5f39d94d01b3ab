// The policy dry run (issue 15, item 3): what a draft policy would block, as an asynchronous job with a paged result.
import * as z from 'zod';
import { idPatternSource } from '../domain/id-format.js';
import { ENVIRONMENTS, RISK_TIERS } from '../domain/types.js';
import { blockReasonCode, pageQuery } from './common.js';

/**
 * What to judge by: a policy document (functions/domain/policy.ts validatePolicy: a 400 names each field under
 * `document.`; version and effectiveFrom may be left out, as a draft has neither until it is activated), or the
 * number of a stored policy version (its document; a 404 when there is none). Exactly one of the two.
 */
export const startPolicyDryRunRequest = z
  .object({
    document: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        'the policy document: tiers, stagingRoles, blockingSeverities and the optional blocks of a policy; ' +
          'send this or draftVersion, not both',
      ),
    draftVersion: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('a stored policy version (GET /api/policies/{version}) whose document to judge by; this or document'),
  })
  .strict()
  .refine((body) => (body.document === undefined) !== (body.draftVersion === undefined), {
    path: ['document'],
    message: 'send either document or draftVersion, not both and not neither',
  });

export const policyDryRunQuery = pageQuery;

const dryRunItem = z.object({
  systemId: z.string(),
  systemName: z.string(),
  riskTier: z.enum(RISK_TIERS),
  subject: z
    .enum(['candidate', 'active-release'])
    .describe('an open candidate judged for its target environment, or the active release of an environment'),
  candidateId: z.string(),
  environment: z.enum(ENVIRONMENTS),
  reasons: z.array(z.object({ code: blockReasonCode, message: z.string() })),
  newlyBlocked: z.array(blockReasonCode).describe('codes raised under the draft but not under the policy in force'),
});

const policyDryRunFields = {
  id: z.string().regex(new RegExp(idPatternSource('pdr'))),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  progress: z.object({ systemsDone: z.number().int(), systemsTotal: z.number().int().nullable() }),
  summary: z
    .object({ candidatesChecked: z.number().int(), releasesChecked: z.number().int(), blocked: z.number().int() })
    .nullable(),
  error: z.string().nullable().describe('why the job failed; null unless failed'),
  requestedBy: z.object({ userId: z.string(), name: z.string() }),
};

/** The dry run with one page of its result: the subjects the draft blocks, in system order. */
export const policyDryRunResponse = z.object({
  ...policyDryRunFields,
  items: z.array(dryRunItem),
  nextCursor: z.string().nullable(),
});
