// The model card of a release, generated from the registry (docs/model-cards.md): the system's own fields and
// narrative, the candidate's exact prompt and model config with lineage, its evaluation data and eval run, the
// approvals, the risk rating and the release history. Pure: the store gathers the inputs, nothing here reads.
import { type ApprovalPolicy, DEFAULT_POLICY, openBlockingIncidents, requiresModelCard } from './policy.js';
import { type PolicyHistory, type PolicyVersion, systemPolicyHistory } from './policy-version.js';
import type {
  AiSystem,
  ApprovalRecord,
  ApprovalStatus,
  BaselineComparison,
  CandidateStatus,
  DatasetKind,
  Environment,
  EthicalConsideration,
  EuAiActCategory,
  EvalDataset,
  EvalRun,
  EvalRunStatus,
  ExecutorKind,
  MetricName,
  Metrics,
  ModelCardContact,
  ModelCardNarrative,
  ModelConfigVersion,
  PromotionEvent,
  PromptVersion,
  ReleaseCandidate,
  ReviewerRole,
  RiskTier,
  SliceMetric,
  SystemStatus,
} from './types.js';

/** Version of the card's layout; a change that breaks readers of the JSON Schema is a new major version. */
const MODEL_CARD_SCHEMA_VERSION = '1.1.0';

interface ModelCardThreshold {
  metric: MetricName;
  direction: 'min' | 'max';
  threshold: number;
  regressionTolerance: number | null;
  /** The eval run's result; null while the candidate has no finished run. */
  actual: number | null;
  passed: boolean | null;
}

export interface ModelCard {
  schemaVersion: string;
  generatedAt: string;
  modelDetails: {
    systemId: string;
    name: string;
    overview: string;
    domain: string;
    systemStatus: SystemStatus;
    owners: { name: string; team: string }[];
    contacts: ModelCardContact[];
    release: {
      candidateId: string;
      name: string;
      environment: Environment;
      status: CandidateStatus;
      snapshotHash: string;
      notes: string;
      createdAt: string;
      createdBy: string;
      activatedAt: string | null;
      deactivatedAt: string | null;
    };
  };
  intendedUse: {
    purpose: string;
    intendedUsers: string[];
    intendedUses: string[];
    outOfScopeUses: string[];
  };
  modelParameters: {
    prompt: Pick<
      PromptVersion,
      | 'id'
      | 'name'
      | 'version'
      | 'contentHash'
      | 'status'
      | 'variables'
      | 'inputContract'
      | 'outputContract'
      | 'changeSummary'
      | 'reviewedBy'
    >;
    model: Pick<
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
  };
  trainingData: { dataSources: string[]; trainingDataVersion: string };
  evaluationData: {
    datasets: {
      id: string;
      name: string;
      version: number;
      kind: DatasetKind;
      description: string;
      caseCount: number;
      contentHash: string;
    }[];
  };
  quantitativeAnalysis: {
    evalRunId: string | null;
    status: EvalRunStatus | null;
    executor: ExecutorKind | null;
    snapshotHash: string | null;
    totalCases: number | null;
    finishedAt: string | null;
    /** Exactly the stored run's metrics; null while the candidate has no finished run. */
    metrics: Metrics | null;
    thresholds: ModelCardThreshold[];
    baselineComparisons: BaselineComparison[];
    failureReasons: string[];
  };
  fairness: {
    assessment: string;
    /** Largest accuracy difference between slices of the run (the metric `sliceAccuracyGap`). */
    sliceAccuracyGap: number | null;
    slices: SliceMetric[];
  };
  considerations: {
    limitations: string[];
    tradeoffs: string[];
    ethicalConsiderations: EthicalConsideration[];
    caveatsAndRecommendations: string;
  };
  oversight: {
    humanOversight: string;
    procedure: string;
    policyVersion: number | null;
    requiredRoles: ReviewerRole[];
    approvals: {
      id: string;
      role: ReviewerRole;
      status: ApprovalStatus;
      reviewerId: string | null;
      reviewerName: string | null;
      decidedAt: string | null;
      comment: string | null;
    }[];
  };
  riskRating: {
    riskTier: RiskTier;
    euAiActCategory: EuAiActCategory;
    rationale: string;
    openBlockingIncidents: number;
  };
  /** The governance policy version the system is judged under, and every version in force during its life. */
  governancePolicy: PolicyHistory;
  releaseHistory: {
    kind: 'promote' | 'rollback';
    environment: Environment;
    candidateId: string;
    previousCandidateId: string | null;
    actor: string;
    at: string;
    reason: string | null;
  }[];
  completeness: { complete: boolean; gaps: string[] };
}

export interface ModelCardInputs {
  system: AiSystem;
  candidate: ReleaseCandidate;
  prompt: PromptVersion;
  modelConfig: ModelConfigVersion;
  /** The candidate's datasets; ids the registry no longer has are left out (and the section may become empty). */
  datasets: EvalDataset[];
  /** The run named by the candidate's latestEvalRunId, or null. */
  evalRun: EvalRun | null;
  /** Approval records of the candidate's current round. */
  approvals: ApprovalRecord[];
  /** The system's promotions and rollbacks, oldest first. */
  releaseHistory: PromotionEvent[];
  generatedAt: string;
  /** The system's policy in force (its META's copy, ADR 0023); DEFAULT_POLICY (version 1) when absent. */
  policy?: ApprovalPolicy;
  /** Every stored policy version (the card lists those in force during the system's life); none when absent. */
  policyVersions?: readonly PolicyVersion[];
}

/** The narrative of a system that has none yet: every section empty. */
export function emptyNarrative(): ModelCardNarrative {
  return {
    intendedUsers: [],
    intendedUses: [],
    outOfScopeUses: [],
    limitations: [],
    tradeoffs: [],
    ethicalConsiderations: [],
    fairnessAssessment: '',
    caveatsAndRecommendations: '',
    oversightProcedure: '',
    riskRationale: '',
    contacts: [],
  };
}

/** The card of `inputs.candidate`, with its completeness (`modelCardGaps`). */
export function buildModelCard(inputs: ModelCardInputs): ModelCard {
  const { system, candidate, prompt, modelConfig: config, evalRun } = inputs;
  const policy = inputs.policy ?? DEFAULT_POLICY;
  const narrative = { ...emptyNarrative(), ...system.modelCard };
  const byId = new Map(inputs.datasets.map((d) => [d.id, d]));
  // A run of another candidate says nothing about this one (the gate calls that EVAL_MISSING).
  const run = evalRun && evalRun.candidateId === candidate.id ? evalRun : null;
  const card: Omit<ModelCard, 'completeness'> = {
    schemaVersion: MODEL_CARD_SCHEMA_VERSION,
    generatedAt: inputs.generatedAt,
    modelDetails: {
      systemId: system.id,
      name: system.name,
      overview: system.description,
      domain: system.domain,
      systemStatus: system.status,
      owners: [{ name: system.owner, team: system.ownerTeam }],
      contacts: narrative.contacts.map((c) => ({ ...c })),
      release: {
        candidateId: candidate.id,
        name: candidate.name,
        environment: candidate.environment,
        status: candidate.status,
        snapshotHash: candidate.snapshotHash,
        notes: candidate.notes,
        createdAt: candidate.createdAt,
        createdBy: candidate.createdBy,
        activatedAt: candidate.activatedAt,
        deactivatedAt: candidate.deactivatedAt,
      },
    },
    intendedUse: {
      purpose: system.intendedPurpose,
      intendedUsers: [...narrative.intendedUsers],
      intendedUses: [...narrative.intendedUses],
      outOfScopeUses: [...narrative.outOfScopeUses],
    },
    modelParameters: {
      prompt: {
        id: prompt.id,
        name: prompt.name,
        version: prompt.version,
        contentHash: prompt.contentHash,
        status: prompt.status,
        variables: [...prompt.variables],
        inputContract: prompt.inputContract,
        outputContract: prompt.outputContract,
        changeSummary: prompt.changeSummary,
        reviewedBy: prompt.reviewedBy,
      },
      model: {
        id: config.id,
        name: config.name,
        version: config.version,
        provider: config.provider,
        model: config.model,
        parameters: { ...config.parameters },
        timeoutMs: config.timeoutMs,
        routingPolicy: {
          strategy: config.routingPolicy.strategy,
          routes: config.routingPolicy.routes.map((r) => ({ ...r })),
        },
        fallbackPolicy: { ...config.fallbackPolicy },
        costRates: { ...config.costRates },
        contentHash: config.contentHash,
        status: config.status,
        changeSummary: config.changeSummary,
        reviewedBy: config.reviewedBy,
        lineage: { ...config.lineage },
      },
    },
    trainingData: { dataSources: [...system.dataSources], trainingDataVersion: config.lineage.trainingDataVersion },
    evaluationData: {
      datasets: candidate.datasetIds
        .map((id) => byId.get(id))
        .filter((d): d is EvalDataset => d !== undefined)
        .map((d) => ({
          id: d.id,
          name: d.name,
          version: d.version,
          kind: d.kind,
          description: d.description,
          caseCount: d.caseCount,
          contentHash: d.contentHash,
        })),
    },
    quantitativeAnalysis: {
      evalRunId: run?.id ?? null,
      status: run?.status ?? null,
      executor: run?.executor ?? null,
      snapshotHash: run?.snapshotHash ?? null,
      totalCases: run?.totalCases ?? null,
      finishedAt: run?.finishedAt ?? null,
      metrics: run?.metrics ? { ...run.metrics } : null,
      thresholds: thresholdsOf(candidate, run),
      baselineComparisons: run ? structuredClone(run.comparisons) : [],
      failureReasons: run ? [...run.failureReasons] : [],
    },
    fairness: {
      assessment: narrative.fairnessAssessment,
      sliceAccuracyGap: run?.metrics?.sliceAccuracyGap ?? null,
      slices: run ? run.slices.map((s) => ({ ...s })) : [],
    },
    considerations: {
      limitations: [...narrative.limitations],
      tradeoffs: [...narrative.tradeoffs],
      ethicalConsiderations: narrative.ethicalConsiderations.map((e) => ({ ...e })),
      caveatsAndRecommendations: narrative.caveatsAndRecommendations,
    },
    oversight: {
      humanOversight: system.humanOversight,
      procedure: narrative.oversightProcedure,
      policyVersion: candidate.policyVersion,
      requiredRoles: [...candidate.requiredRoles],
      approvals: inputs.approvals
        .filter((a) => a.candidateId === candidate.id)
        .map((a) => ({
          id: a.id,
          role: a.role,
          status: a.status,
          reviewerId: a.reviewerId,
          reviewerName: a.reviewerName,
          decidedAt: a.decidedAt,
          comment: a.comment,
        })),
    },
    riskRating: {
      riskTier: system.riskTier,
      euAiActCategory: system.euAiActCategory,
      rationale: narrative.riskRationale,
      openBlockingIncidents: openBlockingIncidents(system, 'production', policy),
    },
    governancePolicy: systemPolicyHistory(inputs.policyVersions ?? [], policy.version, system.createdAt),
    releaseHistory: inputs.releaseHistory
      .filter((e) => e.systemId === system.id)
      .map((e) => ({
        kind: e.kind,
        environment: e.environment,
        candidateId: e.candidateId,
        previousCandidateId: e.previousCandidateId,
        actor: e.actor,
        at: e.at,
        reason: e.reason,
      })),
  };
  const gaps = modelCardGaps(card);
  return { ...card, completeness: { complete: gaps.length === 0, gaps } };
}

/** The run's verdicts with the candidate's regression tolerances; the candidate's thresholds, unjudged, without one. */
function thresholdsOf(candidate: ReleaseCandidate, run: EvalRun | null): ModelCardThreshold[] {
  const tolerance = (metric: MetricName, direction: 'min' | 'max') =>
    candidate.thresholds.find((t) => t.metric === metric && t.direction === direction)?.regressionTolerance ?? null;
  if (run && run.thresholdVerdicts.length > 0) {
    return run.thresholdVerdicts.map((v) => ({
      metric: v.metric,
      direction: v.direction,
      threshold: v.threshold,
      regressionTolerance: tolerance(v.metric, v.direction),
      actual: v.actual,
      passed: v.passed,
    }));
  }
  return candidate.thresholds.map((t) => ({
    metric: t.metric,
    direction: t.direction,
    threshold: t.value,
    regressionTolerance: t.regressionTolerance,
    actual: null,
    passed: null,
  }));
}

type CardBody = Omit<ModelCard, 'completeness'>;

const filled = (text: string) => text.trim().length > 0;
const listed = (items: readonly unknown[]) => items.length > 0;

/**
 * The sections a complete card must fill, each with its test. The release history and the approvals are not
 * among them: a first release has no history, and the approvals are the gate's own rule (APPROVALS_INCOMPLETE).
 */
const REQUIRED: readonly [string, (card: CardBody) => boolean][] = [
  ['modelDetails.overview', (c) => filled(c.modelDetails.overview)],
  ['modelDetails.contacts', (c) => listed(c.modelDetails.contacts)],
  ['intendedUse.purpose', (c) => filled(c.intendedUse.purpose)],
  ['intendedUse.intendedUsers', (c) => listed(c.intendedUse.intendedUsers)],
  ['intendedUse.intendedUses', (c) => listed(c.intendedUse.intendedUses)],
  ['intendedUse.outOfScopeUses', (c) => listed(c.intendedUse.outOfScopeUses)],
  ['trainingData.dataSources', (c) => listed(c.trainingData.dataSources)],
  ['evaluationData.datasets', (c) => listed(c.evaluationData.datasets)],
  ['quantitativeAnalysis.metrics', (c) => c.quantitativeAnalysis.metrics !== null],
  ['fairness.assessment', (c) => filled(c.fairness.assessment)],
  ['considerations.limitations', (c) => listed(c.considerations.limitations)],
  ['considerations.ethicalConsiderations', (c) => listed(c.considerations.ethicalConsiderations)],
  ['oversight.humanOversight', (c) => filled(c.oversight.humanOversight)],
  ['oversight.procedure', (c) => filled(c.oversight.procedure)],
  ['riskRating.rationale', (c) => filled(c.riskRating.rationale)],
];

/** Paths of the sections a complete model card must fill, in card order. */
export const MODEL_CARD_REQUIRED_SECTIONS: readonly string[] = REQUIRED.map(([path]) => path);

/** The required sections of `card` that are empty, in card order; empty when the card is complete. */
export function modelCardGaps(card: CardBody): string[] {
  return REQUIRED.filter(([, isFilled]) => !isFilled(card)).map(([path]) => path);
}

/**
 * The gaps that block promoting the card's release to `environment` under `policy`: the card's gaps when the policy
 * requires a complete card for the system's risk tier there (production only), else none.
 */
export function blockingCardGaps(
  card: ModelCard,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): string[] {
  return requiresModelCard(card.riskRating.riskTier, environment, policy) ? card.completeness.gaps : [];
}
