// The model card's JSON Schema, from one zod source: served at GET /api/schemas/model-card.json and written to
// docs/schemas/model-card.schema.json (scripts/model-card-schema.ts). Every section is required; a section may be
// empty, and `completeness.gaps` names the required ones that are (docs/model-cards.md).
import * as z from 'zod';
import {
  APPROVAL_STATUSES,
  ARTEFACT_STATUSES,
  CANDIDATE_STATUSES,
  DATASET_KINDS,
  ENVIRONMENTS,
  EU_AI_ACT_CATEGORIES,
  EVAL_RUN_STATUSES,
  EXECUTOR_KINDS,
  METRIC_NAMES,
  type ModelConfigVersion,
  REVIEWER_ROLES,
  RISK_TIERS,
  SYSTEM_STATUSES,
} from '../domain/types.js';
import { metricName } from './common.js';
import { exact } from './responses.js';

/** The model config version as the model card shows it (functions/domain/model-card.ts ModelCard). */
type ModelCardModelConfig = Pick<
  ModelConfigVersion,
  | 'id'
  | 'name'
  | 'version'
  | 'provider'
  | 'model'
  | 'parameters'
  | 'timeoutMs'
  | 'routingPolicy'
  | 'fallbackPolicy'
  | 'costRates'
  | 'contentHash'
  | 'status'
  | 'changeSummary'
  | 'reviewedBy'
  | 'lineage'
>;

const dateTime = z.iso.datetime({ offset: true });
const hash = z.string().regex(/^sha256:[0-9a-f]{64}$/);
const direction = z.enum(['min', 'max']);
const jsonObject = z.record(z.string(), z.unknown());

const contact = z
  .object({ name: z.string(), role: z.string(), contact: z.string() })
  .strict()
  .describe('Someone to ask about the system (Model Card Toolkit model_details.owners)');

const modelDetails = z
  .object({
    systemId: z.string(),
    name: z.string(),
    overview: z.string().describe('What the system does (MCT model_details.overview; SageMaker model_description)'),
    domain: z.string(),
    systemStatus: z.enum(SYSTEM_STATUSES),
    owners: z.array(z.object({ name: z.string(), team: z.string() }).strict()),
    contacts: z.array(contact),
    release: z
      .object({
        candidateId: z.string(),
        name: z.string(),
        environment: z.enum(ENVIRONMENTS),
        status: z.enum(CANDIDATE_STATUSES),
        snapshotHash: hash,
        notes: z.string(),
        createdAt: dateTime,
        createdBy: z.string(),
        activatedAt: dateTime.nullable(),
        deactivatedAt: dateTime.nullable(),
      })
      .strict()
      .describe('The release candidate the card describes (MCT model_details.version)'),
  })
  .strict();

const intendedUse = z
  .object({
    purpose: z.string().describe('The intended purpose (EU AI Act; SageMaker purpose_of_model)'),
    intendedUsers: z.array(z.string()).describe('MCT considerations.users'),
    intendedUses: z.array(z.string()).describe('MCT considerations.use_cases; SageMaker intended_uses'),
    outOfScopeUses: z.array(z.string()).describe('Uses the system must not be put to'),
  })
  .strict();

const modelParameters = z
  .object({
    prompt: z
      .object({
        id: z.string(),
        name: z.string(),
        version: z.number().int(),
        contentHash: hash,
        status: z.enum(ARTEFACT_STATUSES),
        variables: z.array(z.string()),
        inputContract: jsonObject,
        outputContract: jsonObject,
        changeSummary: z.string(),
        reviewedBy: z.string().nullable(),
      })
      .strict(),
    // The model config's one shape is the domain's ModelConfigVersion: `exact` fails to compile on any drift.
    model: exact<ModelCardModelConfig>()(
      z
        .object({
          id: z.string(),
          name: z.string(),
          version: z.number().int(),
          provider: z.string(),
          model: z.string(),
          parameters: z.object({ temperature: z.number(), maxTokens: z.number(), topP: z.number() }).strict(),
          timeoutMs: z.number(),
          routingPolicy: z
            .object({
              strategy: z.enum(['single', 'weighted', 'fallback_chain']),
              routes: z.array(
                z
                  .object({
                    target: z.string(),
                    weight: z.number(),
                    connection: z.object({ id: z.string(), version: z.number().int() }).strict().optional(),
                    model: z.string().optional(),
                  })
                  .strict(),
              ),
            })
            .strict(),
          fallbackPolicy: z
            .object({ enabled: z.boolean(), fallbackModel: z.string().nullable(), maxRetries: z.number().int() })
            .strict(),
          costRates: z.object({ inputPer1k: z.number(), outputPer1k: z.number() }).strict(),
          contentHash: hash,
          status: z.enum(ARTEFACT_STATUSES),
          changeSummary: z.string(),
          reviewedBy: z.string().nullable(),
          lineage: z
            .object({ artifactUri: z.string(), trainingDataVersion: z.string(), codeCommit: z.string() })
            .strict(),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('The exact prompt and model config versions of the release, with lineage (MCT model_parameters)');

const trainingData = z
  .object({ dataSources: z.array(z.string()), trainingDataVersion: z.string() })
  .strict()
  .describe('SageMaker training_details; MCT model_parameters.data');

const evaluationData = z
  .object({
    datasets: z.array(
      z
        .object({
          id: z.string(),
          name: z.string(),
          version: z.number().int(),
          kind: z.enum(DATASET_KINDS),
          description: z.string(),
          caseCount: z.number().int(),
          contentHash: hash,
        })
        .strict(),
    ),
  })
  .strict()
  .describe('The evaluation datasets, each with the content hash of its cases (SageMaker evaluation_details.datasets)');

const metrics = z
  .object(
    Object.fromEntries(METRIC_NAMES.map((m) => [m, z.number().nullable()])) as Record<
      (typeof METRIC_NAMES)[number],
      z.ZodNullable<z.ZodNumber>
    >,
  )
  .strict();

const quantitativeAnalysis = z
  .object({
    evalRunId: z.string().nullable(),
    status: z.enum(EVAL_RUN_STATUSES).nullable(),
    executor: z.enum(EXECUTOR_KINDS).nullable(),
    snapshotHash: hash.nullable(),
    totalCases: z.number().int().nullable(),
    finishedAt: dateTime.nullable(),
    metrics: metrics.nullable().describe("Exactly the eval run's stored metrics"),
    thresholds: z.array(
      z
        .object({
          metric: metricName,
          direction,
          threshold: z.number(),
          regressionTolerance: z.number().nullable(),
          actual: z.number().nullable(),
          passed: z.boolean().nullable(),
        })
        .strict(),
    ),
    baselineComparisons: z.array(
      z
        .object({
          baseline: z.enum(['active', 'last_known_good']),
          candidateId: z.string(),
          evalRunId: z.string(),
          deltas: z.array(
            z
              .object({
                metric: metricName,
                baseline: z.number().nullable(),
                actual: z.number().nullable(),
                tolerance: z.number(),
                passed: z.boolean(),
              })
              .strict(),
          ),
          passed: z.boolean(),
        })
        .strict(),
    ),
    failureReasons: z.array(z.string()),
  })
  .strict()
  .describe('MCT quantitative_analysis.performance_metrics; SageMaker evaluation_details.metric_groups');

const fairness = z
  .object({
    assessment: z.string(),
    sliceAccuracyGap: z.number().nullable(),
    slices: z.array(z.object({ slice: z.string(), cases: z.number().int(), accuracy: z.number() }).strict()),
  })
  .strict()
  .describe('Bias figures per slice of the eval run, and the fairness assessment');

const considerations = z
  .object({
    limitations: z.array(z.string()),
    tradeoffs: z.array(z.string()),
    ethicalConsiderations: z.array(z.object({ name: z.string(), mitigationStrategy: z.string() }).strict()),
    caveatsAndRecommendations: z.string(),
  })
  .strict()
  .describe('MCT considerations; SageMaker additional_information');

const oversight = z
  .object({
    humanOversight: z.string(),
    procedure: z.string(),
    policyVersion: z.number().int().nullable(),
    requiredRoles: z.array(z.enum(REVIEWER_ROLES)),
    approvals: z.array(
      z
        .object({
          id: z.string(),
          role: z.enum(REVIEWER_ROLES),
          status: z.enum(APPROVAL_STATUSES),
          reviewerId: z.string().nullable(),
          reviewerName: z.string().nullable(),
          decidedAt: dateTime.nullable(),
          comment: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .strict()
  .describe('Human oversight measures and who approved the release, when');

const riskRating = z
  .object({
    riskTier: z.enum(RISK_TIERS),
    euAiActCategory: z.enum(EU_AI_ACT_CATEGORIES),
    rationale: z.string(),
    openBlockingIncidents: z.number().int(),
  })
  .strict()
  .describe('SageMaker intended_uses.risk_rating and explanations_for_risk_rating');

const policyInForce = z
  .object({
    version: z.number().int(),
    activatedAt: dateTime.nullable(),
    activatedBy: z.object({ userId: z.string(), name: z.string() }).strict().nullable(),
    documentHash: z.string().nullable().describe('hex SHA-256 of the canonical JSON of the policy document'),
    supersededAt: dateTime.nullable(),
  })
  .strict();

const governancePolicy = z
  .object({
    inForce: policyInForce.describe('the version the system is judged under now (GET /api/policies/{version})'),
    history: z
      .array(policyInForce)
      .describe("every version in force at some instant of the system's life, oldest first"),
  })
  .strict()
  .describe('The governance policy (the versioned approval policy) the release is governed by');

const releaseHistory = z
  .array(
    z
      .object({
        kind: z.enum(['promote', 'rollback']),
        environment: z.enum(ENVIRONMENTS),
        candidateId: z.string(),
        previousCandidateId: z.string().nullable(),
        actor: z.string(),
        at: dateTime,
        reason: z.string().nullable(),
      })
      .strict(),
  )
  .describe("The system's promotions and rollbacks, oldest first");

/** A model card of one release, as GET .../model-card returns it. */
export const modelCardSchema = z
  .object({
    schemaVersion: z.string(),
    generatedAt: dateTime,
    modelDetails,
    intendedUse,
    modelParameters,
    trainingData,
    evaluationData,
    quantitativeAnalysis,
    fairness,
    considerations,
    oversight,
    riskRating,
    governancePolicy,
    releaseHistory,
    completeness: z
      .object({ complete: z.boolean(), gaps: z.array(z.string()) })
      .strict()
      .describe('The required sections that are empty; a complete card has none'),
  })
  .strict()
  .meta({ title: 'Model card', description: 'A machine-readable model card of one release of an AI system' });

/** The path the schema is served at. */
export const MODEL_CARD_SCHEMA_PATH = '/api/schemas/model-card.json';

/** The model card as a JSON Schema (draft 2020-12). */
export function modelCardJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(modelCardSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}
