import * as z from 'zod';
import { DATASET_KINDS } from '../domain/types.js';
import { artefactName, idOf, pageQuery, text } from './common.js';

export const evalCase = z
  .object({
    caseId: z.string().regex(/^[A-Za-z0-9_.:-]{1,80}$/),
    input: z.record(z.string(), z.unknown()),
    expectedLabel: z.string().max(200).nullable().default(null),
    expectedOutput: z.record(z.string(), z.unknown()).nullable().default(null),
    tags: z.array(z.string().max(80)).max(20).default([]),
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
  })
  .strict();

export const listDatasetsQuery = pageQuery.extend({ systemId: idOf('sys').optional() }).strict();
