// Request schemas of the registered artefact kinds; ARTEFACT_CONTRACTS is the contracts' one table of kinds.
import * as z from 'zod';
import type { ArtefactKindName } from '../domain/artefact-kinds.js';
import {
  DEFAULT_JUDGE_OUTPUT_SCHEMA,
  DEFAULT_RUBRIC_PROMPT,
  type JudgeConfigVersion,
  type ModelConfigVersion,
} from '../domain/types.js';
import { artefactName, idOf, jsonSchemaDocument, pageQuery, requiredText, text } from './common.js';
import { exact, judgeConfigVersionResponse, modelConfigVersionResponse, promptVersionResponse } from './responses.js';

export const createPromptRequest = z
  .object({
    systemId: idOf('sys'),
    name: artefactName,
    template: requiredText(100_000),
    variables: z
      .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/))
      .max(100)
      .default([]),
    inputContract: jsonSchemaDocument.default({ type: 'object' }),
    outputContract: jsonSchemaDocument,
    changeSummary: text(2000).default(''),
  })
  .strict();

/** A model config version as registered: its one shape is the domain's ModelConfigVersion (checked by `exact`). */
type ModelConfigRequest = Pick<
  ModelConfigVersion,
  | 'systemId'
  | 'name'
  | 'provider'
  | 'model'
  | 'parameters'
  | 'timeoutMs'
  | 'routingPolicy'
  | 'fallbackPolicy'
  | 'costRates'
  | 'lineage'
  | 'changeSummary'
>;

export const createModelConfigRequest = exact<ModelConfigRequest>()(
  z
    .object({
      systemId: idOf('sys'),
      name: artefactName,
      provider: requiredText(80),
      model: requiredText(120),
      parameters: z
        .object({
          temperature: z.number().min(0).max(2),
          maxTokens: z.number().int().min(1).max(200_000),
          topP: z.number().min(0).max(1).default(1),
        })
        .strict(),
      timeoutMs: z.number().int().min(100).max(600_000),
      routingPolicy: z
        .object({
          strategy: z.enum(['single', 'weighted', 'fallback_chain']),
          routes: z
            .array(
              z
                .object({
                  target: requiredText(200),
                  weight: z.number().min(0).max(1),
                  connection: z
                    .object({ id: idOf('pcn'), version: z.number().int().min(1) })
                    .strict()
                    .optional(),
                  model: requiredText(200).optional(),
                })
                .strict(),
            )
            .min(1)
            .max(10),
        })
        .strict(),
      fallbackPolicy: z
        .object({
          enabled: z.boolean(),
          fallbackModel: requiredText(120).nullable(),
          maxRetries: z.number().int().min(0).max(5),
        })
        .strict(),
      costRates: z.object({ inputPer1k: z.number().min(0), outputPer1k: z.number().min(0) }).strict(),
      lineage: z
        .object({
          artifactUri: requiredText(500),
          trainingDataVersion: requiredText(200),
          codeCommit: z.string().regex(/^[0-9a-f]{7,40}$/, 'a git commit hash'),
        })
        .strict(),
      changeSummary: text(2000).default(''),
    })
    .strict(),
);

/**
 * A judge config version as registered (ADR 0036). Its rules (placeholders, what the output schema requires) are the
 * domain's (`functions/domain/judges.ts`), checked by the route before anything is written.
 */
type JudgeConfigRequest = Pick<
  JudgeConfigVersion,
  'systemId' | 'name' | 'modelConfigId' | 'rubricPrompt' | 'outputSchema' | 'passThreshold' | 'changeSummary'
>;

export const createJudgeConfigRequest = exact<JudgeConfigRequest>()(
  z
    .object({
      systemId: idOf('sys'),
      name: artefactName,
      modelConfigId: idOf('mc').describe('the model config version the judge calls, of the same system'),
      rubricPrompt: requiredText(50_000)
        .describe(
          'the prompt sent to the judge; it must name {{rubric}} and {{output}} and may name {{input}}, nothing else',
        )
        .meta({ examples: [DEFAULT_RUBRIC_PROMPT] }),
      // `any` values as the domain's JsonSchema has them (`exact` compares the types).
      outputSchema: z
        .record(z.string(), z.any())
        .default(() => structuredClone(DEFAULT_JUDGE_OUTPUT_SCHEMA))
        .describe(
          'the JSON schema the judge answers in: an object requiring pass (boolean) or score (number) or both; default {pass, score, reason}',
        ),
      passThreshold: z
        .number()
        .min(0)
        .max(1)
        .nullable()
        .default(null)
        .describe("the score a case needs to pass (the schema must require score); null: the judge's pass"),
      changeSummary: text(2000).default(''),
    })
    .strict(),
);

export const reviewRequest = z.object({ comment: text(4000).optional() }).strict();

export const listArtefactsQuery = pageQuery
  .extend({ systemId: idOf('sys').optional(), name: artefactName.optional() })
  .strict();

/** The registration request and the version response of each registered kind. */
export const ARTEFACT_CONTRACTS = {
  prompt: { create: createPromptRequest, response: promptVersionResponse },
  model_config: { create: createModelConfigRequest, response: modelConfigVersionResponse },
  judge_config: { create: createJudgeConfigRequest, response: judgeConfigVersionResponse },
} as const satisfies { readonly [K in ArtefactKindName]: { create: z.ZodType; response: z.ZodType } };
