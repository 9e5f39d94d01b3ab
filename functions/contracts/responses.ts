// Response schemas: what the API answers, as zod, beside the request schemas. functions/api/openapi.ts turns them
// into the OpenAPI document's response schemas; test/e2e/openapi-responses.test.ts validates real answers against
// that document, and the `exact<T>()` checks below make TypeScript fail when a domain type and its schema drift
// (a field added to, dropped from or retyped on either side). Response objects are closed in the document
// (additionalProperties: false), so an answer with a field the schema does not name fails the e2e test.
import * as z from 'zod';
import {
  type AiSystem,
  APPROVAL_STATUSES,
  type ApprovalRecord,
  ARTEFACT_STATUSES,
  ASSERTION_TYPES,
  type Assertion,
  type AssertionResult,
  type AuditEvent,
  CANDIDATE_STATUSES,
  type CaseResult,
  type CiAuthor,
  type CostEstimate,
  DATASET_KINDS,
  ENVIRONMENTS,
  EU_AI_ACT_CATEGORIES,
  EU_MEMBER_STATES,
  EVAL_RUN_ERROR_CODES,
  EVAL_RUN_PURPOSES,
  EVAL_RUN_STATUSES,
  type EvalCase,
  type EvalDataset,
  type EvalRun,
  EXECUTOR_KINDS,
  INCIDENT_STATUSES,
  type Incident,
  type JudgeConfigVersion,
  MONITORING_CAUSES,
  MONITORING_FAILURE_ACTIONS,
  type ModelCardNarrative,
  type ModelConfigVersion,
  PRINCIPAL_ROLES,
  type PromotionEvent,
  type PromptfooGrading,
  type PromptVersion,
  RELAXATION_KINDS,
  REVIEWER_ROLES,
  type ReleaseCandidate,
  RISK_TIERS,
  type RollbackRecord,
  type RollbackRequest,
  SERIOUS_INCIDENT_CATEGORIES,
  SEVERITIES,
  type SeriousIncident,
  SYSTEM_STATUSES,
  type Threshold,
} from '../domain/types.js';
import { blockReasonCode, metricName, pageOf } from './common.js';
import { relaxationRequestResponse } from './relaxations.js';

/** True when A and B are the same type (optionality and readonly included). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/**
 * Returns the schema unchanged, and fails to compile unless its output type is exactly T: the schema is annotated
 * as a `z.ZodType<T>` and checked the other way round too, so neither side can gain a field the other lacks.
 */
export const exact =
  <T>() =>
  <S extends z.ZodType<T>>(schema: S & (Equal<z.output<S>, T> extends true ? unknown : { schemaDriftsFrom: T })): S =>
    schema;

const timestamp = z.string().describe('ISO 8601 instant (UTC)');
const jsonObject = z.record(z.string(), z.unknown());
const jsonSchemaObject = z.record(z.string(), z.any());

const actorResponse = z.object({
  userId: z.string(),
  name: z.string(),
  roles: z.array(z.enum(PRINCIPAL_ROLES)),
});

const ethicalConsideration = z.object({ name: z.string(), mitigationStrategy: z.string() });
const modelCardContact = z.object({ name: z.string(), role: z.string(), contact: z.string() });

const modelCardNarrativeResponse = exact<ModelCardNarrative>()(
  z.object({
    intendedUsers: z.array(z.string()),
    intendedUses: z.array(z.string()),
    outOfScopeUses: z.array(z.string()),
    limitations: z.array(z.string()),
    tradeoffs: z.array(z.string()),
    ethicalConsiderations: z.array(ethicalConsideration),
    fairnessAssessment: z.string(),
    caveatsAndRecommendations: z.string(),
    oversightProcedure: z.string(),
    riskRationale: z.string(),
    contacts: z.array(modelCardContact),
  }),
);

export const aiSystemResponse = exact<AiSystem>()(
  z.object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    ownerTeam: z.string(),
    owner: z.string(),
    riskTier: z.enum(RISK_TIERS),
    euAiActCategory: z.enum(EU_AI_ACT_CATEGORIES),
    domain: z.string(),
    intendedPurpose: z.string(),
    dataSources: z.array(z.string()),
    humanOversight: z.string(),
    status: z.enum(SYSTEM_STATUSES),
    activeReleases: z
      .object({ staging: z.string().nullable(), production: z.string().nullable() })
      .describe('the active release (candidate id) per environment; null when none'),
    openIncidents: z
      .object({
        low: z.number().int(),
        medium: z.number().int(),
        high: z.number().int(),
        critical: z.number().int(),
      })
      .describe('unresolved (open or mitigating) incidents per severity; the policy says which severities block'),
    retirementReason: z.string().nullable(),
    replacementSystemId: z.string().nullable(),
    createdAt: timestamp,
    createdBy: z.string(),
    updatedAt: timestamp,
    version: z.number().int(),
    modelCard: modelCardNarrativeResponse.optional(),
    policyVersion: z
      .number()
      .int()
      .optional()
      .describe('the governance policy version its promotions are judged under (GET /api/policies/{version})'),
  }),
);

/** GET /api/systems repeats each system's id as `systemId` (the per-object read filter keys on it). */
export const aiSystemListItemResponse = aiSystemResponse.extend({
  systemId: z.string(),
  activeReleaseNames: z
    .object({ production: z.string().nullable(), staging: z.string().nullable() })
    .describe('the names of the active releases (activeReleases), so a list shows releases by name'),
});

const ciAuthorResponse = exact<CiAuthor>()(
  z
    .object({
      login: z.string(),
      claim: z.enum(['actor', 'triggering_actor']),
      step: z.enum(['created', 'submitted']),
    })
    .describe(
      'a GitHub login of the pipeline token that created or submitted the item (its `actor` or `triggering_actor` claim)',
    ),
);

/** Who authored an item besides `createdBy`: a reviewer whose GitHub login is listed counts as an author. */
const ciAuthorsField = z
  .array(ciAuthorResponse)
  .optional()
  .describe('the GitHub logins behind pipeline writes of it; absent on items written before they were recorded');

const reviewFields = {
  contentHash: z.string(),
  status: z.enum(ARTEFACT_STATUSES),
  changeSummary: z.string(),
  createdAt: timestamp,
  createdBy: z.string(),
  submittedAt: timestamp.nullable(),
  submittedBy: z
    .string()
    .nullable()
    .optional()
    .describe('who submitted it for review; absent on versions submitted before it was recorded'),
  ciAuthors: ciAuthorsField,
  reviewedBy: z.string().nullable(),
  reviewComment: z.string().nullable(),
};

export const promptVersionResponse = exact<PromptVersion>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    name: z.string(),
    version: z.number().int(),
    template: z.string(),
    variables: z.array(z.string()),
    inputContract: jsonSchemaObject,
    outputContract: jsonSchemaObject,
    ...reviewFields,
  }),
);

export const modelConfigVersionResponse = exact<ModelConfigVersion>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    name: z.string(),
    version: z.number().int(),
    provider: z.string(),
    model: z.string(),
    parameters: z.object({ temperature: z.number(), maxTokens: z.number().int(), topP: z.number() }),
    timeoutMs: z.number().int(),
    routingPolicy: z.object({
      strategy: z.enum(['single', 'weighted', 'fallback_chain']),
      routes: z.array(
        z.object({
          target: z.string(),
          weight: z.number(),
          connection: z.object({ id: z.string(), version: z.number().int() }).optional(),
          model: z.string().optional(),
        }),
      ),
    }),
    fallbackPolicy: z.object({
      enabled: z.boolean(),
      fallbackModel: z.string().nullable(),
      maxRetries: z.number().int(),
    }),
    costRates: z.object({ inputPer1k: z.number(), outputPer1k: z.number() }),
    lineage: z.object({ artifactUri: z.string(), trainingDataVersion: z.string(), codeCommit: z.string() }),
    ...reviewFields,
  }),
);

export const judgeConfigVersionResponse = exact<JudgeConfigVersion>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    name: z.string(),
    version: z.number().int(),
    modelConfigId: z.string().describe('the model config version the judge calls'),
    rubricPrompt: z.string().describe('the prompt sent to the judge: {{rubric}}, {{output}} and {{input}} filled'),
    outputSchema: jsonSchemaObject.describe('the JSON schema the judge answers in'),
    passThreshold: z
      .number()
      .nullable()
      .describe("the score a case needs to pass; null: the judge's pass, else a score of at least 0.5"),
    ...reviewFields,
  }),
);

const assertionResponse = exact<Assertion>()(
  z.object({
    type: z.enum(ASSERTION_TYPES),
    value: z.unknown().optional(),
    threshold: z.number().optional(),
    name: z.string().optional(),
    weight: z.number().optional(),
    judge: z.string().optional(),
    connection: z.object({ id: z.string(), version: z.number().int() }).optional(),
    model: z.string().optional(),
  }),
);

const assertionResultResponse = exact<AssertionResult>()(
  z.object({
    type: z.enum(ASSERTION_TYPES),
    name: z.string().optional(),
    pass: z.boolean(),
    score: z.number(),
    reason: z.string(),
  }),
);

export const evalDatasetResponse = exact<EvalDataset>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    name: z.string(),
    version: z.number().int(),
    kind: z.enum(DATASET_KINDS),
    description: z.string(),
    caseCount: z.number().int(),
    contentHash: z.string(),
    createdAt: timestamp,
    createdBy: z.string(),
    ciAuthors: ciAuthorsField,
    defaultAssert: z.array(assertionResponse).optional().describe('assertions applied to every case; absent when none'),
  }),
);

const evalCaseResponse = exact<EvalCase>()(
  z.object({
    caseId: z.string(),
    input: jsonObject,
    expectedLabel: z.string().nullable(),
    expectedOutput: jsonObject.nullable(),
    tags: z.array(z.string()),
    assert: z.array(assertionResponse).optional(),
  }),
);

/** GET /api/eval-datasets/{id}: the dataset with a page of its cases. */
export const evalDatasetWithCasesResponse = evalDatasetResponse.extend({ cases: pageOf(evalCaseResponse) });

const thresholdResponse = exact<Threshold>()(
  z.object({
    metric: metricName,
    direction: z.enum(['min', 'max']),
    value: z.number(),
    regressionTolerance: z.number().nullable(),
  }),
);

export const releaseCandidateResponse = exact<ReleaseCandidate>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    name: z.string(),
    environment: z.enum(ENVIRONMENTS),
    promptVersionId: z.string(),
    promptContentHash: z.string(),
    modelConfigId: z.string(),
    modelConfigContentHash: z.string(),
    judgeConfigs: z
      .array(z.object({ id: z.string(), contentHash: z.string(), modelConfigId: z.string() }))
      .optional()
      .describe(
        'the judge config versions its llm-rubric assertions name, sorted by id, with their content hashes; absent when it pins none',
      ),
    datasetIds: z.array(z.string()),
    thresholds: z.array(thresholdResponse),
    snapshotHash: z.string(),
    status: z.enum(CANDIDATE_STATUSES),
    latestEvalRunId: z.string().nullable(),
    latestEvalStatus: z.enum(EVAL_RUN_STATUSES).nullable(),
    requiredRoles: z.array(z.enum(REVIEWER_ROLES)),
    approvalIds: z.array(z.string()).describe('the approval records of the current approval round'),
    policyVersion: z.number().int().nullable(),
    notes: z.string(),
    createdAt: timestamp,
    createdBy: z.string(),
    submittedAt: timestamp.nullable(),
    submittedBy: z
      .string()
      .nullable()
      .optional()
      .describe('who froze it (submit); absent on candidates submitted before it was recorded'),
    ciAuthors: ciAuthorsField,
    activatedAt: timestamp.nullable(),
    deactivatedAt: timestamp.nullable(),
    version: z.number().int(),
  }),
);

const metricsResponse = z
  .record(metricName, z.number().nullable())
  .describe(
    'every core metric, and `assert.<name>` pass rates when the cases carry assertions',
  ) as unknown as z.ZodType<EvalRun['metrics'] & {}>;

/** A run's estimated cost (functions/domain/eval/cost-estimate.ts): an upper bound, with its basis in words. */
const costEstimateResponse = exact<CostEstimate>()(
  z.object({
    executor: z.enum(EXECUTOR_KINDS),
    cases: z.number().int(),
    callsPerCase: z.number().int().describe('billed calls per case, at most'),
    inputTokens: z.number().int().describe('estimated: characters / 4 of each rendered prompt'),
    outputTokens: z.number().int().describe("at most: the model config's maxTokens per case"),
    cost: z.number().nullable().describe('USD; null when nothing can be priced (submitted, no usable cost rates)'),
    currency: z.literal('USD'),
    upperBound: z.boolean().describe('whether cost bounds what the executor bills (false for http and unpriced runs)'),
    routes: z.array(z.object({ target: z.string(), share: z.number() })),
    basis: z.string(),
  }),
);

export const evalRunResponse = exact<EvalRun>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    candidateId: z.string(),
    snapshotHash: z.string(),
    executor: z.enum(EXECUTOR_KINDS),
    status: z.enum(EVAL_RUN_STATUSES),
    totalCases: z.number().int(),
    casesDone: z.number().int(),
    metrics: metricsResponse.nullable(),
    slices: z.array(z.object({ slice: z.string(), cases: z.number().int(), accuracy: z.number() })),
    thresholdVerdicts: z.array(
      z.object({
        metric: metricName,
        direction: z.enum(['min', 'max']),
        threshold: z.number(),
        actual: z.number().nullable(),
        passed: z.boolean(),
      }),
    ),
    comparisons: z.array(
      z.object({
        baseline: z.enum(['active', 'last_known_good']),
        candidateId: z.string(),
        evalRunId: z.string(),
        deltas: z.array(
          z.object({
            metric: metricName,
            baseline: z.number().nullable(),
            actual: z.number().nullable(),
            tolerance: z.number(),
            passed: z.boolean(),
          }),
        ),
        passed: z.boolean(),
      }),
    ),
    failureReasons: z.array(z.string()),
    error: z.string().nullable(),
    createdAt: timestamp,
    createdBy: z.string(),
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    purpose: z.enum(EVAL_RUN_PURPOSES).optional().describe('absent on runs recorded before purposes existed (gate)'),
    datasetIds: z.array(z.string()).optional(),
    costEstimate: costEstimateResponse.optional().describe('what the run was estimated to cost when it was queued'),
    maxCost: z.number().optional().describe('the ceiling in USD the run was started with'),
    spentUsd: z.number().optional().describe('USD the calls of a run with a ceiling billed so far'),
    casesNotExecuted: z.number().int().optional().describe('cases the ceiling kept from being executed'),
    casesToGrade: z
      .number()
      .int()
      .optional()
      .describe(
        'submitted runs: posted cases whose llm-rubric or similar assertions the eval worker grades once every case is posted (ADR 0050)',
      ),
    errorCode: z.enum(EVAL_RUN_ERROR_CODES).optional().describe('why the run ended in error, when it has a code'),
    executorNote: z
      .string()
      .optional()
      .describe('why a check run uses another executor than the release was gated with (ADR 0032)'),
    rollbackRequestId: z.string().optional().describe('the rollback request a rollback_validation run validates'),
    sampleWindow: z
      .object({
        from: z.string(),
        to: z.string(),
        samples: z.number().int(),
        assertions: z.array(z.string()),
      })
      .optional()
      .describe('a monitoring run over production samples (ADR 0042): the window, samples and assertions it scored'),
  }),
);

/** POST .../run-evals/estimate: what the same start would be estimated to cost, and whether it would be refused. */
export const runEstimateResponse = z.object({
  candidateId: z.string(),
  estimate: costEstimateResponse,
  maxCost: z.number().nullable(),
  startable: z.boolean().describe('false when a start with this body would be refused for its cost'),
  reason: z.string().nullable().describe('why it would be refused'),
});

const progressResponse = z.object({
  casesDone: z.number().int(),
  totalCases: z.number().int(),
  percent: z.number().int().min(0).max(100),
  /** What the run waits for: cases (scored or posted), its aggregation, or nothing (it has a verdict). */
  phase: z.enum(['cases', 'aggregating', 'finished']).optional(),
});

/** GET /api/eval-runs/{id}: the run with its progress. */
export const evalRunWithProgressResponse = evalRunResponse.extend({ progress: progressResponse });

/** POST /api/eval-runs/{id}/results: the run, how many results were accepted, and its progress. */
export const evalResultsAcceptedResponse = evalRunWithProgressResponse.extend({
  accepted: z.number().int(),
  /** Results of the post new to the run (counted in casesDone). */
  recorded: z.number().int().optional(),
  /** Results of the post whose case had a result already: the first result is kept, nothing is counted twice. */
  alreadyPosted: z.number().int().optional(),
});

const promptfooGradingResponse = exact<PromptfooGrading>()(
  z.object({
    evalId: z.string().optional(),
    pass: z.boolean(),
    score: z.number(),
    reason: z.string(),
    assertions: z.array(z.object({ type: z.string(), pass: z.boolean(), score: z.number(), reason: z.string() })),
  }),
);

const caseResultResponse = exact<CaseResult>()(
  z.object({
    caseId: z.string(),
    tags: z.array(z.string()),
    expectedLabel: z.string().nullable(),
    predictedLabel: z.string().nullable(),
    output: jsonObject.nullable(),
    correct: z.boolean(),
    schemaValid: z.boolean(),
    latencyMs: z.number(),
    costUsd: z.number(),
    timedOut: z.boolean(),
    fallbackUsed: z.boolean(),
    fallbackSucceeded: z.boolean(),
    error: z.string().nullable(),
    assertions: z
      .array(assertionResultResponse)
      .optional()
      .describe("each assertion's verdict on the output (dataset defaults first); absent when none applied"),
    promptfoo: promptfooGradingResponse
      .optional()
      .describe("promptfoo's own grading, when the output came from its results file: evidence, not gated"),
  }),
);

/** How one case was executed (store/evidence-store.ts ExecutionRecord); absent for submitted runs. */
export const executionRecordResponse = z.object({
  route: z.string(),
  attempts: z.number().int(),
  tokensIn: z.number().int(),
  tokensOut: z.number().int(),
  error: z.string().nullable(),
  notExecuted: z
    .boolean()
    .optional()
    .describe("true when the run's cost ceiling kept the case from being executed: not a model failure"),
  /** `provider` runs: the rendered prompt, the parameters, the answer's text and every call. */
  prompt: z.string().optional(),
  parameters: z.record(z.string(), z.number()).optional(),
  outputText: z.string().nullable().optional(),
  calls: z
    .array(
      z.object({
        route: z.string(),
        connection: z.string().nullable(),
        provider: z.string().nullable(),
        model: z.string(),
        fallback: z.boolean(),
        status: z.number().int().nullable(),
        latencyMs: z.number().int(),
        retryAfterMs: z.number().int().nullable(),
        error: z.string().nullable(),
      }),
    )
    .optional(),
});

/** GET /api/eval-runs/{id}/cases: a page of per-case evidence. */
export const caseEvidencePageResponse = pageOf(
  caseResultResponse.extend({
    index: z.number().int(),
    execution: executionRecordResponse.optional(),
    schemaReason: z
      .string()
      .optional()
      .describe(
        "why the output fails the prompt's output contract (its first violation, or that there is no output); absent when schemaValid",
      ),
  }),
);

export const approvalRecordResponse = exact<ApprovalRecord>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    candidateId: z.string(),
    snapshotHash: z.string(),
    role: z.enum(REVIEWER_ROLES),
    status: z.enum(APPROVAL_STATUSES),
    reviewerId: z.string().nullable(),
    reviewerName: z.string().nullable(),
    reviewerGithubLogin: z
      .string()
      .nullable()
      .optional()
      .describe("the reviewer's linked GitHub login when they decided; absent when they had none or on older records"),
    comment: z.string().nullable(),
    requestedAt: timestamp,
    requestedBy: z.string(),
    decidedAt: timestamp.nullable(),
  }),
);

const seriousIncidentResponse = exact<SeriousIncident>()(
  z.object({
    category: z.enum(SERIOUS_INCIDENT_CATEGORIES),
    awareAt: timestamp,
    reportingDeadline: timestamp.describe('awareAt plus the category period (EU AI Act Art. 73)'),
    memberState: z.enum(EU_MEMBER_STATES).nullable(),
    initialReportAt: timestamp.nullable(),
    finalReportAt: timestamp.nullable(),
    correctiveAction: z.string().nullable(),
  }),
);

export const incidentResponse = exact<Incident>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    candidateId: z.string().nullable(),
    title: z.string(),
    description: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(INCIDENT_STATUSES),
    resolution: z.string().nullable(),
    createdAt: timestamp,
    createdBy: z.string(),
    updatedAt: timestamp,
    resolvedAt: timestamp.nullable(),
    version: z.number().int(),
    monitoring: z
      .object({
        cause: z.enum(MONITORING_CAUSES),
        environment: z.enum(ENVIRONMENTS),
        evalRunId: z.string(),
        reasons: z.array(z.string()),
        rollbackRequested: z.boolean(),
        action: z
          .enum(MONITORING_FAILURE_ACTIONS)
          .optional()
          .describe('what the run did (policy monitoring.onFailure); absent on incidents opened before it existed'),
        rollbackId: z.string().optional().describe('the rollback the run made, when the policy rolled back'),
        rollbackRequestId: z
          .string()
          .optional()
          .describe('the rollback request the run opened: the policy rolls back once its validation run passes'),
      })
      .optional()
      .describe('set when monitoring opened the incident'),
    seriousIncident: seriousIncidentResponse.optional().describe('the EU AI Act Art. 73 reporting clock'),
  }),
);

export const auditEventResponse = exact<AuditEvent>()(
  z.object({
    systemId: z.string(),
    seq: z.number().int(),
    prevHash: z.string(),
    hash: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    actor: actorResponse,
    at: timestamp,
    before: jsonObject.nullable(),
    after: jsonObject.nullable(),
    reason: z.string().nullable(),
  }),
);

const promotionEventResponse = exact<PromotionEvent>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    environment: z.enum(ENVIRONMENTS),
    kind: z.enum(['promote', 'rollback']),
    candidateId: z.string(),
    previousCandidateId: z.string().nullable(),
    actor: z.string(),
    reason: z.string().nullable(),
    at: timestamp,
  }),
);

/** What the rollback validation decided (domain/rollback.ts RollbackValidationOutcome). */
export const rollbackValidationResponse = z.object({
  status: z.enum(['passed', 'failed', 'skipped']),
  mode: z.enum(['warn', 'block']),
  decision: z.enum(['proceed', 'warn', 'block']),
  evalRunId: z.string().nullable(),
  reasons: z.array(z.string()),
  message: z.string(),
});

export const rollbackRecordResponse = exact<RollbackRecord>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    environment: z.enum(ENVIRONMENTS),
    fromCandidateId: z.string(),
    toCandidateId: z.string(),
    reason: z.string(),
    incidentId: z.string().nullable(),
    actor: z.string(),
    at: timestamp,
    monitoringRunId: z
      .string()
      .optional()
      .describe('set when post-market monitoring rolled back: its failed run (the incident is incidentId)'),
    validation: rollbackValidationResponse.optional(),
  }),
);

/** A reason that blocks promotion (domain/errors.ts BlockReason); `code` is one of BLOCK_REASON_CODES. */
const blockReasonResponse = z.object({ code: blockReasonCode, message: z.string() });

/** GET /api/release-candidates/{id}/gate. */
export const gateResponse = z.object({
  candidateId: z.string(),
  environment: z.enum(ENVIRONMENTS),
  status: z.enum(CANDIDATE_STATUSES),
  activeCandidateId: z.string().nullable(),
  requiredRoles: z.array(z.string()),
  promotable: z.boolean(),
  reasons: z.array(blockReasonResponse),
  waived: z
    .array(
      blockReasonResponse.extend({
        requestId: z.string(),
        decidedBy: z.object({ userId: z.string(), name: z.string() }).nullable(),
        expiresAt: timestamp,
      }),
    )
    .describe('reasons an approved, unexpired waiver of this snapshot removed: who waived them and until when'),
  pendingRelaxations: z
    .array(
      z.object({
        id: z.string(),
        kind: z.enum(RELAXATION_KINDS),
        from: z.string(),
        to: z.string(),
        requestedBy: z.object({ userId: z.string(), name: z.string() }),
        expiresAt: timestamp,
      }),
    )
    .describe(
      'open relaxation requests of the system (and waivers of this candidate): they relax nothing until approved',
    ),
});
export type GateAnswer = z.infer<typeof gateResponse>;

/** POST /api/release-candidates/{id}/request-approval. */
export const requestApprovalResponse = z.object({
  candidate: releaseCandidateResponse,
  approvals: z.array(approvalRecordResponse),
});

/** POST /api/release-candidates/{id}/promote. */
export const promoteResponse = z.object({ candidate: releaseCandidateResponse, promotion: promotionEventResponse });

/** A rollback request (ADR 0032): POST /api/release-candidates/{id}/rollback answers it, GET .../rollback reads it. */
export const rollbackRequestResponse = exact<RollbackRequest>()(
  z.object({
    id: z.string(),
    systemId: z.string(),
    environment: z.enum(ENVIRONMENTS),
    fromCandidateId: z.string(),
    targetCandidateId: z.string(),
    reason: z.string(),
    incidentId: z.string().nullable(),
    status: z
      .enum(['validating', 'rolled_back', 'blocked', 'refused', 'error'])
      .describe('validating while the validation run runs; then rolled_back, blocked, refused or error'),
    validationRunId: z.string().nullable().describe('the target’s rollback_validation run; null when none was needed'),
    validation: rollbackValidationResponse.nullable().describe('the validation outcome once known'),
    rollbackId: z.string().nullable().describe('the rollback record, once rolled back'),
    problem: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe('why it did not roll back: ROLLBACK_VALIDATION_FAILED, ACTIVE_RELEASE_CHANGED, ...'),
    monitoringRunId: z.string().optional().describe('set when post-market monitoring asked for the rollback'),
    requestedBy: z.string(),
    requestedByName: z.string(),
    requestedAt: timestamp,
    settledAt: timestamp.nullable(),
  }),
);

/** POST /api/release-candidates/{id}/rollback: 202 with the request, its validation run and where to poll. */
export const rollbackResponse = z.object({
  rollbackRequest: rollbackRequestResponse,
  validationRunId: z.string().nullable(),
  status: rollbackRequestResponse.shape.status,
  links: z.object({
    self: z.string().describe('GET: the release’s latest rollback request, to poll'),
    validationRun: z.string().nullable().describe('GET: the validation run (progress, verdict)'),
  }),
});

/** POST /api/approvals/{id}/approve, reject, request-changes. */
export const decisionResponse = z.object({ approval: approvalRecordResponse, candidate: releaseCandidateResponse });

/** The table's chain of one system (store/audit.ts ChainReport). */
export const chainReportResponse = z.object({
  systemId: z.string(),
  ok: z.boolean(),
  events: z.number().int(),
  headSeq: z.number().int(),
  headHash: z.string().nullable(),
  brokenAt: z.object({ seq: z.number().int(), reason: z.string(), message: z.string() }).nullable(),
});

/** The first broken place of an archive (audit/verify/verifier.ts BrokenPlace, as the route answers it). */
const brokenPlace = z.object({
  kind: z.string(),
  systemId: z.string().optional(),
  seq: z.number().int().optional(),
  digestSeq: z.number().int().optional(),
  reason: z.string(),
  message: z.string(),
});

/** The archive's state of one system (audit/archive-status.ts ArchiveStatus). */
export const archiveStatusResponse = z.object({
  status: z.enum(['ok', 'broken']),
  digests: z.number().int(),
  lastDigest: z.object({ digestSeq: z.number().int(), intervalEnd: timestamp }).nullable(),
  archivedHead: z.number().int(),
  sealedHead: z.number().int(),
  pendingEvents: z.number().int(),
  rawDuplicateEvents: z.number().int(),
  keySource: z.enum(['pinned', 'archive']),
  brokenAt: brokenPlace.nullable(),
  /** How the answer was reached: from the system's signed checkpoint, or in full (and why). */
  verification: z.object({
    mode: z.enum(['incremental', 'full']),
    fromDigestSeq: z.number().int(),
    fallback: z.string().nullable(),
    checkpointDigestSeq: z.number().int().nullable(),
  }),
  /** The last full verification of the whole archive (a background job), with its time. */
  fullVerification: z
    .union([
      z.object({
        status: z.enum(['ok', 'broken']),
        startedAt: timestamp,
        finishedAt: timestamp,
        digests: z.number().int(),
        lastDigest: z.object({ digestSeq: z.number().int(), intervalEnd: timestamp }).nullable(),
        brokenAt: brokenPlace.nullable(),
      }),
      z.object({ status: z.literal('untrusted'), reason: z.string() }),
    ])
    .nullable(),
  /** Present when the request asked for a new full verification (full=request): whether one was started. */
  fullVerificationRequested: z.boolean().optional(),
});

/** GET /api/audit-events/verify: the table's chain and the archive's state side by side. */
export const auditVerifyResponse = z.object({
  table: chainReportResponse,
  archive: z.union([archiveStatusResponse, z.object({ status: z.literal('not_configured'), detail: z.string() })]),
});

const counts = z.record(z.string(), z.number().int());
const reviewStatusFields = {
  lastReviewedAt: timestamp,
  intervalDays: z.number(),
  dueAt: timestamp,
  overdue: z.boolean(),
  daysOverdue: z.number().int(),
};

/**
 * GET /api/metrics/registry (domain/overview.ts RegistrySummary): the registry's state now for the systems the request
 * names, and the reporting deadlines coming due (ADR 0048).
 */
export const registrySummaryResponse = z.object({
  systems: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      ownerTeam: z.string(),
      riskTier: z.string(),
      status: z.string(),
      activeReleases: aiSystemResponse.shape.activeReleases,
      openIncidents: z.number().int(),
      openBlockingIncidents: z.number().int(),
      candidates: z.number().int(),
      failedEvals: z.number().int(),
      awaitingApproval: z.number().int(),
      review: z.object(reviewStatusFields).nullable().describe('the periodic governance review; null when retired'),
    }),
  ),
  reportingDeadlines: z
    .array(
      z.object({
        incidentId: z.string(),
        systemId: z.string(),
        systemName: z.string().nullable(),
        title: z.string(),
        severity: z.enum(SEVERITIES),
        category: z.enum(SERIOUS_INCIDENT_CATEGORIES),
        awareAt: timestamp,
        reportingDeadline: timestamp,
        memberState: z.enum(EU_MEMBER_STATES).nullable(),
        status: z.enum(['due', 'overdue']),
      }),
    )
    .describe('serious-incident reports overdue or due within 7 days, soonest deadline first (at most 50)'),
});

const dayCounter = z.number().int().nullable();
/** GET /api/metrics/overview: daily rollups of a range (functions/domain/rollups.ts, ADR 0043). */
export const metricsOverviewResponse = z.object({
  from: z.iso.date(),
  to: z.iso.date(),
  filter: z.object({
    systemId: z.string().nullable(),
    team: z.string().nullable(),
    tier: z.string().nullable(),
  }),
  days: z
    .array(
      z.object({
        date: z.iso.date(),
        promotions: dayCounter,
        rollbacks: dayCounter,
        evalRunsPassed: dayCounter,
        evalRunsFailed: dayCounter,
        refusedPromotions: dayCounter,
        incidentsOpened: dayCounter,
      }),
    )
    .describe('one entry per day of the range; every counter null on a day nothing was recorded (a gap, not a zero)'),
  totals: z.object({
    promotions: z.number().int(),
    rollbacks: z.number().int(),
    evalRuns: z.object({ passed: z.number().int(), failed: z.number().int() }),
    refusedPromotions: z.number().int(),
    refusedPromotionsByReason: counts.describe('refused promotions and rollbacks by reason code (one per reason)'),
    incidentsOpened: z.number().int(),
    incidentsBySeverity: counts,
  }),
  systemRuns: z
    .array(
      z.object({
        date: z.iso.date(),
        latencyP95Ms: z.number().nullable().describe("the worst p95 latency of the day's finished eval runs"),
        costMeanUsd: z.number().nullable().describe("the mean of the day's runs' mean cost per case"),
      }),
    )
    .nullable()
    .describe(
      "the filtered system's eval-run figures by day (null without a systemId filter); never averaged across systems",
    ),
  slowestSystems: z
    .object({
      items: z.array(
        z.object({
          systemId: z.string(),
          name: z.string(),
          ownerTeam: z.string(),
          riskTier: z.string(),
          latencyP95Ms: z.number().describe("the system's worst daily p95 latency in the range"),
          worstDay: z.iso.date(),
          costMeanUsd: z.number().nullable().describe("the mean of its runs' mean cost per case in the range"),
        }),
      ),
      nextCursor: z.string().nullable(),
    })
    .describe('systems by their worst p95 latency in the range, highest first, a page at a time (limit, cursor)'),
});

export const healthLiveResponse = z.object({ status: z.literal('ok') });
export const healthReadyResponse = z.union([
  z.object({ status: z.literal('ready') }),
  z.object({ status: z.literal('not_ready'), checks: z.object({ table: z.literal('unreachable') }) }),
]);
export const healthDepsResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.record(z.string(), z.string()).describe('each dependency and its state: ok, or what is wrong'),
});

/**
 * The named response schemas of the OpenAPI document (components/schemas): wherever one of these appears in a
 * route's response it is a $ref to its component, so the document names each domain object once.
 */
export const RESPONSE_COMPONENTS: Record<string, z.ZodType> = {
  AiSystem: aiSystemResponse,
  AiSystemListItem: aiSystemListItemResponse,
  ModelCardNarrative: modelCardNarrativeResponse,
  PromptVersion: promptVersionResponse,
  ModelConfigVersion: modelConfigVersionResponse,
  JudgeConfigVersion: judgeConfigVersionResponse,
  EvalDataset: evalDatasetResponse,
  EvalDatasetWithCases: evalDatasetWithCasesResponse,
  EvalCase: evalCaseResponse,
  Threshold: thresholdResponse,
  ReleaseCandidate: releaseCandidateResponse,
  EvalRun: evalRunResponse,
  EvalRunWithProgress: evalRunWithProgressResponse,
  EvalResultsAccepted: evalResultsAcceptedResponse,
  CaseResult: caseResultResponse,
  CiAuthor: ciAuthorResponse,
  ExecutionRecord: executionRecordResponse,
  ApprovalRecord: approvalRecordResponse,
  Incident: incidentResponse,
  SeriousIncident: seriousIncidentResponse,
  Actor: actorResponse,
  AuditEvent: auditEventResponse,
  PromotionEvent: promotionEventResponse,
  RollbackRecord: rollbackRecordResponse,
  RollbackValidation: rollbackValidationResponse,
  BlockReason: blockReasonResponse,
  GateAnswer: gateResponse,
  RelaxationRequest: relaxationRequestResponse,
  RequestApprovalResult: requestApprovalResponse,
  PromotionResult: promoteResponse,
  RollbackResult: rollbackResponse,
  RollbackRequest: rollbackRequestResponse,
  ApprovalDecisionResult: decisionResponse,
  ChainReport: chainReportResponse,
  ArchiveStatus: archiveStatusResponse,
  AuditVerifyReport: auditVerifyResponse,
  MetricsOverview: metricsOverviewResponse,
  RegistrySummary: registrySummaryResponse,
  HealthLive: healthLiveResponse,
  HealthReady: healthReadyResponse,
  HealthDeps: healthDepsResponse,
};
