import * as z from 'zod';
import { PROMPTFOO_RESULTS_VERSION, PROMPTFOO_VERSION } from '../domain/promptfoo-tests.js';

// The file `promptfoo eval -o results.json` writes (promptfoo 0.121.20, results version 3), as much of it as this
// product reads. promptfoo writes many more members (prompts, token usage, its config, stats ...): they are let
// through unread, and nothing of them is stored.

const record = z.record(z.string(), z.unknown());
const reason = z.string().max(100_000);

const componentResult = z.looseObject({
  pass: z.boolean(),
  score: z.number(),
  reason: reason.optional(),
  assertion: z
    .looseObject({ type: z.string().max(200).optional() })
    .nullable()
    .optional(),
});

const promptfooResultRow = z.looseObject({
  vars: record.optional().describe("the test's vars: `caseId` names the case when metadata does not"),
  metadata: record.optional().describe("the test's metadata: `caseId` names the case"),
  testCase: z.looseObject({ vars: record.optional(), metadata: record.optional() }).optional(),
  response: z
    .looseObject({
      output: z
        .unknown()
        .optional()
        .describe("the provider's answer: the text (or JSON) this product's assertions judge"),
      error: z.string().max(100_000).nullable().optional(),
      cost: z.number().min(0).optional(),
    })
    .nullable()
    .optional(),
  latencyMs: z.number().min(0).max(3_600_000).optional(),
  cost: z.number().min(0).optional(),
  success: z.boolean().describe("promptfoo's verdict: kept as evidence, not gated"),
  score: z.number(),
  error: z.string().max(100_000).nullable().optional(),
  failureReason: z.number().int().optional().describe('0 none, 1 an assertion failed, 2 the provider call failed'),
  gradingResult: z
    .looseObject({
      pass: z.boolean(),
      score: z.number(),
      reason: reason.optional(),
      componentResults: z.array(componentResult).max(1000).optional(),
    })
    .nullable()
    .optional(),
});

/** POST /api/eval-runs/{id}/promptfoo-results: promptfoo's results file, or a part of it with fewer rows. */
export const promptfooResultsRequest = z
  .looseObject({
    evalId: z.string().max(200).optional(),
    results: z.looseObject({
      version: z.literal(PROMPTFOO_RESULTS_VERSION, {
        error: (issue) =>
          `promptfoo results version ${JSON.stringify(issue.input)} is not supported: this product reads version ${PROMPTFOO_RESULTS_VERSION} (promptfoo ${PROMPTFOO_VERSION})`,
      }),
      results: z.array(promptfooResultRow).min(1).max(5000),
    }),
    metadata: z.looseObject({ promptfooVersion: z.string().max(50).optional() }).optional(),
  })
  .describe(`the JSON that \`promptfoo eval -o results.json\` writes (promptfoo ${PROMPTFOO_VERSION})`);
