import * as z from 'zod';
import { ASSERTION_TYPES, DATASET_KINDS } from '../domain/types.js';
import { artefactName, idOf, pageQuery, text } from './common.js';

/**
 * One assertion on a case's output (docs/assertions.md). The shape is checked here; what each type needs (its value,
 * threshold range, judge, connection, a regex that runs in linear time, a valid JSON Schema) is checked by the domain
 * when the dataset is created (functions/domain/eval/assertions.ts), so a 400 can name the case by caseId and index.
 */
const assertion = z
  .object({
    type: z
      .string()
      .min(1)
      .max(40)
      .describe(`one of: ${ASSERTION_TYPES.join(', ')}`),
    value: z.unknown().optional().describe('what the output is compared with: a string, or a JSON value or schema'),
    threshold: z.number().optional().describe("the type's bound: a distance, a minimum score, milliseconds, USD"),
    name: z.string().max(64).optional().describe('names the pass-rate metric `assert.<name>`'),
    weight: z.number().optional().describe("promptfoo's weight: kept, not used by any metric yet"),
    judge: z.string().max(100).optional().describe('llm-rubric: the judge config version id'),
    connection: z
      .object({ id: z.string().max(100), version: z.number().int().min(1) })
      .strict()
      .optional()
      .describe('similar: the provider connection version of the embeddings call'),
    model: z.string().min(1).max(200).optional().describe('similar: the embeddings model'),
  })
  .strict();

export const evalCase = z
  .object({
    caseId: z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/),
    input: z.record(z.string(), z.unknown()),
    expectedLabel: z.string().max(200).nullable().default(null),
    expectedOutput: z.record(z.string(), z.unknown()).nullable().default(null),
    tags: z.array(z.string().max(80)).max(20).default([]),
    assert: z.array(assertion).optional(),
  })
  .strict();

const MAX_CASES_PER_DATASET = 5000;

export const createDatasetRequest = z
  .object({
    systemId: idOf('sys'),
    name: artefactName,
    kind: z.enum(DATASET_KINDS),
    description: text(4000).default(''),
    cases: z.array(evalCase).min(1).max(MAX_CASES_PER_DATASET),
    defaultAssert: z
      .array(assertion)
      .optional()
      .describe("assertions applied to every case before its own (promptfoo's defaultTest.assert)"),
  })
  .strict();

export const listDatasetsQuery = pageQuery.extend({ systemId: idOf('sys').optional() }).strict();
