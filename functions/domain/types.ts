// The governance vocabulary: one name per concept, used by the API, store, dashboard and docs.

export const RISK_TIERS = ['low', 'medium', 'high', 'critical'] as const;
/** The longest range of daily metric rollups one overview reads (days, both ends included; ADR 0043). */
export const METRICS_MAX_RANGE_DAYS = 92;
/** The most systems one request of GET /api/metrics/registry names (the registry page's 50 rows, ADR 0048). */
export const MAX_REGISTRY_SYSTEMS = 50;
export type RiskTier = (typeof RISK_TIERS)[number];

export const EU_AI_ACT_CATEGORIES = ['minimal', 'limited', 'high', 'unacceptable'] as const;
export type EuAiActCategory = (typeof EU_AI_ACT_CATEGORIES)[number];

export const SYSTEM_STATUSES = ['draft', 'active', 'deprecated', 'retired'] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

export const ENVIRONMENTS = ['staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export const REVIEWER_ROLES = ['technical', 'product', 'risk', 'governance'] as const;
export type ReviewerRole = (typeof REVIEWER_ROLES)[number];

export const ARTEFACT_STATUSES = ['draft', 'in_review', 'approved', 'rejected'] as const;
export type ArtefactStatus = (typeof ARTEFACT_STATUSES)[number];

export const CANDIDATE_STATUSES = [
  'draft',
  'submitted',
  'evaluating',
  'eval_passed',
  'eval_failed',
  'awaiting_approval',
  'approved',
  'rejected',
  'active',
  'superseded',
  'rolled_back',
] as const;
export type CandidateStatus = (typeof CANDIDATE_STATUSES)[number];

export const EVAL_RUN_STATUSES = ['queued', 'running', 'aggregating', 'passed', 'failed', 'error'] as const;
export type EvalRunStatus = (typeof EVAL_RUN_STATUSES)[number];

// `expired`: the approval round ran out of time before this record was decided (the release gate's timeout).
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'changes_requested', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export const INCIDENT_STATUSES = ['open', 'mitigating', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** What a relaxation request loosens (functions/domain/relaxation.ts). */
export const RELAXATION_KINDS = [
  'risk-tier',
  'eu-ai-act-category',
  'incident-severity',
  'incident-resolution',
  'waiver',
  'sample-settings',
] as const;
export type RelaxationKind = (typeof RELAXATION_KINDS)[number];

/** Where a relaxation request stands; `expired` is computed when read (an open request past its expiry). */
export const RELAXATION_STATUSES = ['open', 'approved', 'rejected', 'withdrawn', 'expired', 'superseded'] as const;
export type RelaxationStatus = (typeof RELAXATION_STATUSES)[number];
export type Severity = (typeof SEVERITIES)[number];
/** Unresolved incidents of a system per severity, as its META item counts them. */
export type OpenIncidentCounts = Record<Severity, number>;

/**
 * Serious incidents of the EU AI Act (Regulation (EU) 2024/1689, Art. 3(49) and 3(61)); the category decides the
 * Art. 73 reporting deadline (functions/domain/incident-clock.ts, docs/architecture/incidents.md).
 */
export const SERIOUS_INCIDENT_CATEGORIES = [
  'death',
  'health',
  'critical_infrastructure',
  'fundamental_rights',
  'property_or_environment',
  'widespread_infringement',
] as const;
export type SeriousIncidentCategory = (typeof SERIOUS_INCIDENT_CATEGORIES)[number];

/** The 27 EU Member States by ISO 3166-1 alpha-2 code (Greece is GR here, EL in EU style). */
// biome-ignore format: 27 two-letter codes read better as a block than one per line
export const EU_MEMBER_STATES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
] as const;
export type EuMemberState = (typeof EU_MEMBER_STATES)[number];

/** Where a serious incident's Art. 73 report stands at a given time (reportingStatus in incident-clock.ts). */
const REPORTING_STATUSES = ['due', 'overdue', 'reported', 'closed'] as const;
export type ReportingStatus = (typeof REPORTING_STATUSES)[number];

/** The EU AI Act Art. 73 reporting clock of an incident that is a serious incident. */
export interface SeriousIncident {
  category: SeriousIncidentCategory;
  /** When the provider (or the deployer) became aware of the serious incident: the clock starts here. */
  awareAt: string;
  /** awareAt plus the category's period; computed by the store, never taken from a request. */
  reportingDeadline: string;
  /** The Member State where the incident occurred, whose market surveillance authority receives the report. */
  memberState: EuMemberState | null;
  /** When the initial (possibly incomplete, Art. 73(5)) report was sent: it stops the clock. */
  initialReportAt: string | null;
  /** When the complete report was sent: the reporting is closed. */
  finalReportAt: string | null;
  /** The corrective action taken after the investigation (Art. 73(6)). */
  correctiveAction: string | null;
}

export const DATASET_KINDS = ['baseline', 'regression', 'adversarial', 'routing', 'rollback_validation'] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/**
 * Why an eval run was made: `gate` judges a candidate before approval (the default, and the only purpose that moves
 * the candidate's lifecycle); `monitoring` re-runs an active release's regression datasets (post-market monitoring);
 * `rollback_validation` runs a rollback target's rollback_validation datasets before the rollback.
 */
export const EVAL_RUN_PURPOSES = ['gate', 'monitoring', 'rollback_validation'] as const;
export type EvalRunPurpose = (typeof EVAL_RUN_PURPOSES)[number];

/** What a monitoring run found that opens an incident: drift against the approval-time run, or a failed threshold. */
export const MONITORING_CAUSES = ['drift', 'threshold'] as const;
export type MonitoringCause = (typeof MONITORING_CAUSES)[number];
/** What a failed monitoring run does (the policy's `monitoring.onFailure`), from loosest to strictest. */
export const MONITORING_FAILURE_ACTIONS = ['incident', 'request-rollback', 'rollback'] as const;
export type MonitoringFailureAction = (typeof MONITORING_FAILURE_ACTIONS)[number];

export const EXECUTOR_KINDS = ['simulated', 'http', 'submitted', 'provider'] as const;

/** The providers the `provider` executor calls through their official SDKs (provider connections, ADR 0030). */
export const PROVIDER_KINDS = ['openai', 'anthropic', 'bedrock'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
/** The highest concurrency limit a provider connection may name. */
export const MAX_CONNECTION_CONCURRENCY = 256;
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number];

/** Roles a principal can hold; reviewer roles are written `reviewer:<role>`. */
export const PRINCIPAL_ROLES = [
  'admin',
  'model_owner',
  'reviewer:technical',
  'reviewer:product',
  'reviewer:risk',
  'reviewer:governance',
  'auditor',
  'pipeline',
  // An application in production, scoped to exactly one system: it posts samples of its traffic and nothing else
  // (ADR 0042). A token that names it with another role, or with other than one system, is refused.
  'application',
] as const;
export type PrincipalRole = (typeof PRINCIPAL_ROLES)[number];

/**
 * The people behind a pipeline's request: the `actor` (who started the run) and `triggering_actor` (who started
 * this attempt, a re-run) claims of its GitHub Actions OIDC token; null when the token has none.
 */
export interface CiActors {
  actor: string | null;
  triggeringActor: string | null;
}

/** A verified caller: who they are and what they may touch. Never taken from a request body. */
export interface Principal {
  userId: string;
  name: string;
  roles: PrincipalRole[];
  /** Owner teams a model_owner may act for. */
  teams: string[];
  /** System ids a pipeline may act on; the one system of an application. */
  systems: string[];
  /** A person's GitHub login, linked by an admin (`custom:github_login` of the ID token); absent when unlinked. */
  githubLogin?: string;
  /** A pipeline's GitHub identities (its CI token's claims); absent for people and for other pipelines. */
  ci?: CiActors;
}

/** Who an audit event names: never more than these three members. */
export interface AuditActor {
  userId: string;
  name: string;
  roles: PrincipalRole[];
}

/** Who makes a change: an audit actor, with the identities authorship is judged by (never written to the log). */
export interface Actor extends AuditActor {
  githubLogin?: string;
  ci?: CiActors;
}

/** What a person did to an artefact that makes them its author. */
export type AuthorStep = 'created' | 'submitted';

/** A GitHub login recorded from a pipeline's write: the CI token's claim that named it, and the write. */
export interface CiAuthor {
  login: string;
  claim: 'actor' | 'triggering_actor';
  step: AuthorStep;
}

export interface AiSystem {
  id: string;
  name: string;
  description: string;
  ownerTeam: string;
  owner: string;
  riskTier: RiskTier;
  euAiActCategory: EuAiActCategory;
  domain: string;
  intendedPurpose: string;
  dataSources: string[];
  humanOversight: string;
  status: SystemStatus;
  /** Active release (candidate id) per environment; null when none. */
  activeReleases: Record<Environment, string | null>;
  /** Unresolved (open or mitigating) incidents per severity; which of them block is the policy's to say. */
  openIncidents: OpenIncidentCounts;
  retirementReason: string | null;
  replacementSystemId: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  version: number;
  /** The narrative sections of the system's model card (docs/model-cards.md); absent on systems that have none. */
  modelCard?: ModelCardNarrative;
  /** The governance policy version its promotions are judged under; absent before the policy genesis. */
  policyVersion?: number;
}

/** A named ethical risk and how it is mitigated (Model Card Toolkit `considerations.ethical_considerations`). */
export interface EthicalConsideration {
  name: string;
  mitigationStrategy: string;
}

/** Someone to ask about the system (Model Card Toolkit `model_details.owners`). */
export interface ModelCardContact {
  name: string;
  role: string;
  contact: string;
}

/**
 * What a model card says that the registry cannot derive: who and what the system is for, what it must not be
 * used for, its limitations, ethical and fairness considerations and the oversight procedure. Names follow Google's
 * Model Card Toolkit (`considerations`) and SageMaker model cards (`intended_uses`, `additional_information`).
 */
export interface ModelCardNarrative {
  intendedUsers: string[];
  intendedUses: string[];
  outOfScopeUses: string[];
  limitations: string[];
  tradeoffs: string[];
  ethicalConsiderations: EthicalConsideration[];
  /** Which groups or slices were examined and what disparities are known (the card adds the slice figures). */
  fairnessAssessment: string;
  caveatsAndRecommendations: string;
  /** How people oversee the system beyond `humanOversight`: monitoring, escalation, review cadence. */
  oversightProcedure: string;
  /** Why the system has its risk rating (SageMaker `explanations_for_risk_rating`). */
  riskRationale: string;
  contacts: ModelCardContact[];
}

export interface PromptVersion {
  id: string;
  systemId: string;
  name: string;
  version: number;
  template: string;
  variables: string[];
  inputContract: JsonSchema;
  outputContract: JsonSchema;
  contentHash: string;
  status: ArtefactStatus;
  changeSummary: string;
  createdAt: string;
  createdBy: string;
  submittedAt: string | null;
  /** Who submitted it for review; absent on versions submitted before it was recorded. */
  submittedBy?: string | null;
  /** The GitHub logins of the pipeline tokens that created or submitted it; absent on older versions. */
  ciAuthors?: CiAuthor[];
  reviewedBy: string | null;
  reviewComment: string | null;
}

interface GenerationParameters {
  temperature: number;
  maxTokens: number;
  topP: number;
}

export interface RoutingPolicy {
  strategy: 'single' | 'weighted' | 'fallback_chain';
  routes: PolicyRoute[];
}

/**
 * One route: `target` is the `http` executor's URL, or the route's name when it names a provider connection version
 * (`connection`) and the model to ask there (`model`, default the config's model) for the `provider` executor. The
 * optional members are absent from older configs and from their hashed content, so those hashes never change.
 */
export interface PolicyRoute {
  target: string;
  weight: number;
  connection?: { id: string; version: number };
  model?: string;
}

export interface FallbackPolicy {
  enabled: boolean;
  fallbackModel: string | null;
  maxRetries: number;
}

interface CostRates {
  /** USD per 1,000 input tokens. */
  inputPer1k: number;
  /** USD per 1,000 output tokens. */
  outputPer1k: number;
}

interface Lineage {
  artifactUri: string;
  trainingDataVersion: string;
  codeCommit: string;
}

export interface ModelConfigVersion {
  id: string;
  systemId: string;
  name: string;
  version: number;
  provider: string;
  model: string;
  parameters: GenerationParameters;
  timeoutMs: number;
  routingPolicy: RoutingPolicy;
  fallbackPolicy: FallbackPolicy;
  costRates: CostRates;
  lineage: Lineage;
  contentHash: string;
  status: ArtefactStatus;
  changeSummary: string;
  createdAt: string;
  createdBy: string;
  submittedAt: string | null;
  /** Who submitted it for review; absent on versions submitted before it was recorded. */
  submittedBy?: string | null;
  /** The GitHub logins of the pipeline tokens that created or submitted it; absent on older versions. */
  ciAuthors?: CiAuthor[];
  reviewedBy: string | null;
  reviewComment: string | null;
}

/** The schema a judge answers in when its config names none: a verdict, a score in [0, 1] and a reason. */
export const DEFAULT_JUDGE_OUTPUT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    pass: { type: 'boolean' },
    score: { type: 'number', minimum: 0, maximum: 1 },
    reason: { type: 'string' },
  },
  required: ['pass', 'score', 'reason'],
  additionalProperties: false,
};

/**
 * A rubric prompt in the shape the local model server recognises as a judge's (local/model-server.ts); the rules are in functions/domain/judges.ts: the
 * criterion, the input and the output each in its own tag.
 */
export const DEFAULT_RUBRIC_PROMPT = [
  'You are a strict grader. Judge the output against the rubric and answer in the JSON schema given.',
  '<rubric>{{rubric}}</rubric>',
  '<input>{{input}}</input>',
  '<output>{{output}}</output>',
].join('\n');

/**
 * A judge config version (issue 17, ADR 0036): the model config version an llm-rubric assertion's judge calls, the
 * rubric prompt it renders and the JSON schema it must answer in. Governed like a prompt version: versioned,
 * content-hashed, submitted and reviewed; a candidate pins the versions its llm-rubric assertions name.
 */
export interface JudgeConfigVersion {
  id: string;
  systemId: string;
  name: string;
  version: number;
  /** The model config VERSION the judge calls (`mc_…`), of the same system. */
  modelConfigId: string;
  /** The prompt sent to the judge: a template of `{{rubric}}`, `{{output}}` and optionally `{{input}}`. */
  rubricPrompt: string;
  /** The JSON schema the judge answers in: an object that requires `pass` (boolean) or `score` (0..1) or both. */
  outputSchema: JsonSchema;
  /** The score at or above which a case passes; null: the judge's `pass`, else a score of at least 0.5. */
  passThreshold: number | null;
  contentHash: string;
  status: ArtefactStatus;
  changeSummary: string;
  createdAt: string;
  createdBy: string;
  submittedAt: string | null;
  submittedBy?: string | null;
  ciAuthors?: CiAuthor[];
  reviewedBy: string | null;
  reviewComment: string | null;
}

/** One version a snapshot pins by id and content hash (a member of a list-valued snapshot member). */
export interface PinnedVersion {
  id: string;
  contentHash: string;
}

/**
 * A judge config version a candidate pins. `modelConfigId` is bookkeeping copied from the judge (covered by the
 * judge's content hash, not hashed again): the gate and the approvals load the model config the judge calls, whose
 * authors count, without reading the judge first.
 */
export interface PinnedJudgeConfig extends PinnedVersion {
  modelConfigId: string;
}

/**
 * The assertion vocabulary (promptfoo's names where they fit; docs/assertions.md): what a case's output is judged by
 * besides its label and the output contract.
 */
export const ASSERTION_TYPES = [
  'equals',
  'contains',
  'icontains',
  'not-contains',
  'regex',
  'starts-with',
  'is-json',
  'contains-json',
  'json-schema',
  'levenshtein',
  'similar',
  'llm-rubric',
  'latency',
  'cost',
] as const;
export type AssertionType = (typeof ASSERTION_TYPES)[number];

/** An assertion name: it becomes the metric `assert.<name>`. */
export const ASSERTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * One assertion on a case's output (docs/assertions.md). `judge` is a judge config version id (llm-rubric only);
 * `connection` and `model` name the embeddings call of `similar`. Absent members stay absent (hashing).
 */
export interface Assertion {
  type: AssertionType;
  value?: unknown;
  threshold?: number;
  name?: string;
  weight?: number;
  judge?: string;
  connection?: { id: string; version: number };
  model?: string;
}

/** One assertion's verdict on one case's output, kept in the case's evidence. */
export interface AssertionResult {
  type: AssertionType;
  name?: string;
  pass: boolean;
  /** 0..1: 1 or 0 for pass/fail assertions, the cosine for `similar`, the judge's score for `llm-rubric`. */
  score: number;
  reason: string;
}

export interface EvalCase {
  caseId: string;
  input: Record<string, unknown>;
  expectedLabel: string | null;
  expectedOutput: Record<string, unknown> | null;
  tags: string[];
  /** The case's own assertions; absent on cases without any (and from their hashed content). */
  assert?: Assertion[];
}

export interface EvalDataset {
  id: string;
  systemId: string;
  name: string;
  version: number;
  kind: DatasetKind;
  description: string;
  caseCount: number;
  contentHash: string;
  createdAt: string;
  createdBy: string;
  /** The GitHub logins of the pipeline token that registered it; absent on older datasets. */
  ciAuthors?: CiAuthor[];
  /** Assertions applied to every case before its own (promptfoo's `defaultTest.assert`); absent when none. */
  defaultAssert?: Assertion[];
}

/** The metrics every run computes; assertion metrics (`assert.<name>`) come on top when cases carry assertions. */
export const METRIC_NAMES = [
  'accuracy',
  'macroF1',
  'schemaValidRate',
  'latencyMeanMs',
  'latencyP95Ms',
  'costMeanUsd',
  'timeoutRate',
  'fallbackSuccessRate',
  'sliceAccuracyGap',
] as const;
export type CoreMetricName = (typeof METRIC_NAMES)[number];
/** A pass-rate metric of assertions: `assert.<assertion name>`, or `assert.pass_rate` over every asserted case. */
type AssertionMetricName = `assert.${string}`;
export type MetricName = CoreMetricName | AssertionMetricName;

/** The metric of a named assertion is `assert.<name>`; this prefix marks it. */
export const ASSERTION_METRIC_PREFIX = 'assert.';
/** The share of asserted cases that passed every assertion (named or not); no assertion may take this name. */
export const ASSERTION_PASS_RATE_METRIC = 'assert.pass_rate';
/** An assertion metric name: `assert.` and an assertion name (or `pass_rate`). */
const ASSERTION_METRIC_PATTERN = /^assert\.[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** True when `name` names a metric: a core metric or an assertion metric. */
export function isMetricName(name: unknown): name is MetricName {
  return (
    typeof name === 'string' &&
    ((METRIC_NAMES as readonly string[]).includes(name) || ASSERTION_METRIC_PATTERN.test(name))
  );
}

export interface Threshold {
  metric: MetricName;
  /** min: the value must be at least `value`; max: at most `value`. */
  direction: 'min' | 'max';
  value: number;
  /** Largest allowed regression against a baseline (active or last-known-good), in the metric's unit. */
  regressionTolerance: number | null;
}

/** A run's metrics: every core metric, plus `assert.*` pass rates when its cases carry assertions. */
export type Metrics = Record<CoreMetricName, number | null> & { [name: AssertionMetricName]: number | null };

/** A metric's value in `metrics`, null when the run has no data for it (or no such assertion). */
export function metricValue(metrics: Metrics, metric: MetricName): number | null {
  return Object.hasOwn(metrics, metric) ? (metrics[metric] ?? null) : null;
}

export interface SliceMetric {
  slice: string;
  cases: number;
  accuracy: number;
}

export interface ThresholdVerdict {
  metric: MetricName;
  direction: 'min' | 'max';
  threshold: number;
  actual: number | null;
  passed: boolean;
}

export interface BaselineComparison {
  baseline: 'active' | 'last_known_good';
  candidateId: string;
  evalRunId: string;
  deltas: { metric: MetricName; baseline: number | null; actual: number | null; tolerance: number; passed: boolean }[];
  passed: boolean;
}

export interface ReleaseCandidate {
  id: string;
  systemId: string;
  name: string;
  environment: Environment;
  promptVersionId: string;
  promptContentHash: string;
  modelConfigId: string;
  modelConfigContentHash: string;
  /**
   * The judge config versions its llm-rubric assertions name, sorted by id, each with its content hash; absent (or
   * empty) on a candidate without judges, whose snapshot hash is then what it was before judges existed.
   */
  judgeConfigs?: PinnedJudgeConfig[];
  datasetIds: string[];
  thresholds: Threshold[];
  snapshotHash: string;
  status: CandidateStatus;
  latestEvalRunId: string | null;
  latestEvalStatus: EvalRunStatus | null;
  requiredRoles: ReviewerRole[];
  /** Approval records of the current approval round. */
  approvalIds: string[];
  policyVersion: number | null;
  notes: string;
  createdAt: string;
  createdBy: string;
  submittedAt: string | null;
  /** Who froze it (submit); absent on candidates submitted before it was recorded. */
  submittedBy?: string | null;
  /** The GitHub logins of the pipeline tokens that built or submitted it; absent on older candidates. */
  ciAuthors?: CiAuthor[];
  activatedAt: string | null;
  deactivatedAt: string | null;
  version: number;
}

export interface CaseResult {
  caseId: string;
  tags: string[];
  expectedLabel: string | null;
  predictedLabel: string | null;
  output: Record<string, unknown> | null;
  correct: boolean;
  schemaValid: boolean;
  latencyMs: number;
  costUsd: number;
  timedOut: boolean;
  fallbackUsed: boolean;
  fallbackSucceeded: boolean;
  error: string | null;
  /** Each assertion's verdict on the output, in the order they apply (defaults first); absent when none apply. */
  assertions?: AssertionResult[];
  /** promptfoo's own grading of the output, kept beside ours when the result came from its results file; not gated. */
  promptfoo?: PromptfooGrading;
}

/** How promptfoo graded one result (its `gradingResult`): evidence beside this product's assertions, never gated. */
export interface PromptfooGrading {
  /** promptfoo's eval id (`evalId`) the result came from, when the file carried one. */
  evalId?: string;
  pass: boolean;
  score: number;
  /** promptfoo's reason, cut to 500 characters: its words, which may quote the output. */
  reason: string;
  /** Each of promptfoo's assertion results (`componentResults`), at most 20. */
  assertions: { type: string; pass: boolean; score: number; reason: string }[];
}

export interface EvalRun {
  id: string;
  systemId: string;
  candidateId: string;
  snapshotHash: string;
  executor: ExecutorKind;
  status: EvalRunStatus;
  totalCases: number;
  casesDone: number;
  metrics: Metrics | null;
  slices: SliceMetric[];
  thresholdVerdicts: ThresholdVerdict[];
  comparisons: BaselineComparison[];
  failureReasons: string[];
  error: string | null;
  createdAt: string;
  createdBy: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Why the run was made; absent on runs recorded before purposes existed, which are `gate` runs. */
  purpose?: EvalRunPurpose;
  /** The datasets a monitoring or rollback-validation run judged (a gate run judges its candidate's datasetIds). */
  datasetIds?: string[];
  /**
   * Why a monitoring or rollback-validation run uses another executor than the release's gate run did (a release
   * gated on `submitted` outputs is re-run on `simulated`, ADR 0032); absent when it uses the same one.
   */
  executorNote?: string;
  /** The rollback request a rollback-validation run validates (its continuation settles that request). */
  rollbackRequestId?: string;
  /**
   * A monitoring run over production samples instead of datasets (ADR 0042): the window it scored, how many samples,
   * and the assertions it scored them with (`executor` is `submitted`: the application produced the outputs).
   */
  sampleWindow?: { from: string; to: string; samples: number; assertions: string[] };
  /** What the run was estimated to cost when it was queued (functions/domain/eval/cost-estimate.ts); absent on older runs. */
  costEstimate?: CostEstimate;
  /** The caller's ceiling in USD: once `spentUsd` reaches it the run calls nothing more and ends in error. */
  maxCost?: number;
  /** USD the run's calls billed so far, counted as they finish (runs with a `maxCost`). */
  spentUsd?: number;
  /** Cases the ceiling kept from being executed (recorded as such in the evidence, not as model failures). */
  casesNotExecuted?: number;
  /**
   * `submitted` runs: posted cases whose model-graded assertions (llm-rubric, similar) the eval worker grades once
   * every case is posted (ADR 0050); absent when none.
   */
  casesToGrade?: number;
  /** Why a run ended in error, when the reason has a code. */
  errorCode?: EvalRunErrorCode;
}

/** Codes of a run's error (`EvalRun.errorCode`). */
export const EVAL_RUN_ERROR_CODES = ['COST_CEILING_REACHED'] as const;
export type EvalRunErrorCode = (typeof EVAL_RUN_ERROR_CODES)[number];

/** A run's estimated cost: an upper bound on billed calls and output, an estimate of input tokens (ADR 0031). */
export interface CostEstimate {
  executor: ExecutorKind;
  cases: number;
  /** Billed calls per case, at most. */
  callsPerCase: number;
  inputTokens: number;
  outputTokens: number;
  /** USD; null when nothing can be priced (a submitted run, a model config without usable cost rates). */
  cost: number | null;
  currency: 'USD';
  /** True when `cost` bounds what the executor bills (given the token estimate); false for `http` and unpriced runs. */
  upperBound: boolean;
  /** The share of cases each route answers first (weights), as the routing policy draws them. */
  routes: { target: string; share: number }[];
  /** How the figure was reached, in words. */
  basis: string;
}

export interface ApprovalRecord {
  id: string;
  systemId: string;
  candidateId: string;
  snapshotHash: string;
  role: ReviewerRole;
  status: ApprovalStatus;
  reviewerId: string | null;
  reviewerName: string | null;
  /** The reviewer's linked GitHub login when they decided (separation of duties); absent when none or older. */
  reviewerGithubLogin?: string | null;
  comment: string | null;
  requestedAt: string;
  requestedBy: string;
  decidedAt: string | null;
}

export interface Incident {
  id: string;
  systemId: string;
  candidateId: string | null;
  title: string;
  description: string;
  severity: Severity;
  status: IncidentStatus;
  resolution: string | null;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  resolvedAt: string | null;
  version: number;
  /** Set when monitoring opened the incident: what it found, on which run, and whether it asks for a rollback. */
  monitoring?: {
    cause: MonitoringCause;
    environment: Environment;
    evalRunId: string;
    reasons: string[];
    rollbackRequested: boolean;
    /** What the run did about it (absent on incidents opened before the policy said): see MonitoringResponse. */
    action?: MonitoringFailureAction;
    /** The rollback the run made, when the policy rolled the release back. */
    rollbackId?: string;
    /** The rollback request the run opened, when the policy rolls back once the target's validation run passes. */
    rollbackRequestId?: string;
  };
  /** Set when the incident is a serious incident under the EU AI Act: its Art. 73 reporting clock. */
  seriousIncident?: SeriousIncident;
}

export interface PromotionEvent {
  id: string;
  systemId: string;
  environment: Environment;
  kind: 'promote' | 'rollback';
  candidateId: string;
  previousCandidateId: string | null;
  actor: string;
  reason: string | null;
  at: string;
}

/**
 * A rollback asked for and not necessarily done yet (ADR 0032): the target's validation run goes through the eval
 * state machine, and its continuation settles the request. `validating` while the run runs; then `rolled_back`, or
 * `blocked` (the policy blocks on the failed validation), `refused` (the active release or the target changed), or
 * `error` (the validation run could not complete).
 */
export interface RollbackRequest {
  id: string;
  systemId: string;
  environment: Environment;
  fromCandidateId: string;
  targetCandidateId: string;
  reason: string;
  incidentId: string | null;
  status: 'validating' | 'rolled_back' | 'blocked' | 'refused' | 'error';
  validationRunId: string | null;
  validation: NonNullable<RollbackRecord['validation']> | null;
  rollbackId: string | null;
  /** Why a request did not roll back: the typed code and the words (absent while validating or once rolled back). */
  problem: { code: string; message: string } | null;
  /** Set when post-market monitoring asked for the rollback: its failed run (the incident is `incidentId`). */
  monitoringRunId?: string;
  /** Who asked (a person, a pipeline, or `svc:monitor`): the settlement acts under their identity. */
  requestedBy: string;
  requestedByName: string;
  requestedAt: string;
  settledAt: string | null;
}

export interface RollbackRecord {
  id: string;
  systemId: string;
  environment: Environment;
  fromCandidateId: string;
  toCandidateId: string;
  reason: string;
  incidentId: string | null;
  actor: string;
  at: string;
  /** Set when post-market monitoring rolled back: the failed monitoring run (the incident is `incidentId`). */
  monitoringRunId?: string;
  /** The rollback validation run against the target first (absent on rollbacks recorded before validation). */
  validation?: {
    status: 'passed' | 'failed' | 'skipped';
    mode: 'warn' | 'block';
    decision: 'proceed' | 'warn' | 'block';
    evalRunId: string | null;
    reasons: string[];
    message: string;
  };
}

export interface AuditEvent {
  systemId: string;
  seq: number;
  prevHash: string;
  hash: string;
  action: string;
  entityType: string;
  entityId: string;
  actor: AuditActor;
  at: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  reason: string | null;
}

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents are open-ended by definition.
export type JsonSchema = Record<string, any>;

// Production samples (ADR 0042, functions/domain/samples.ts): their bounds, vocabulary shared with the contracts.

/** Bounds of one POST: a batch fits one transaction (≤ 100 items, 4 MB) with room to spare. */
export const SAMPLE_LIMITS = {
  maxBatch: 25,
  /** UTF-8 bytes of a sample's input (as JSON when it is an object) and of its output. */
  maxInputBytes: 32_768,
  maxOutputBytes: 32_768,
  /** UTF-8 bytes of a sample's metadata as JSON. */
  maxMetadataBytes: 2_048,
  maxMetadataKeys: 16,
  /** How far in the future a sample's `at` may lie (clock skew of the caller). */
  maxClockSkewMs: 5 * 60_000,
} as const;

/** Retention of samples in days: the TTL of each sample item. */
export const SAMPLE_RETENTION = { defaultDays: 30, minDays: 1, maxDays: 90 } as const;

/** Built-in redaction rules, on by default. */
export const BUILT_IN_REDACTIONS = ['email', 'phone', 'card'] as const;
export type BuiltInRedaction = (typeof BUILT_IN_REDACTIONS)[number];

export const MAX_REDACTION_PATTERNS = 20;
export const REDACTION_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
