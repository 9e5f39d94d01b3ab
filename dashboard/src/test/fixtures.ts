import type { CandidateContextAnswer } from '../../../functions/contracts/candidate-context';
import type { AiSystem, ApprovalRecord, EvalRun, ReleaseCandidate } from '../../../functions/domain/types';
import type { PolicyDocument, PolicyVersion } from '../policy';

export const SYS = 'sys_01JAAAAAAAAAAAAAAAAAAAAAAA';
export const RC = 'rc_01JBBBBBBBBBBBBBBBBBBBBBBB';
export const RC_ACTIVE = 'rc_01JCCCCCCCCCCCCCCCCCCCCCCC';

export function system(over: Partial<AiSystem> = {}): AiSystem {
  return {
    id: SYS,
    name: 'Consumer Support Triage Assistant',
    description: '',
    ownerTeam: 'support-ai',
    owner: 'omar.owner',
    riskTier: 'high',
    euAiActCategory: 'limited',
    domain: 'customer support',
    intendedPurpose: 'Route tickets',
    dataSources: ['tickets'],
    humanOversight: 'Agents confirm',
    status: 'active',
    activeReleases: { production: RC_ACTIVE, staging: null },
    openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
    retirementReason: null,
    replacementSystemId: null,
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'omar.owner',
    updatedAt: '2026-11-01T10:00:00.000Z',
    version: 1,
    ...over,
  };
}

export function candidate(over: Partial<ReleaseCandidate> = {}): ReleaseCandidate {
  return {
    id: RC,
    systemId: SYS,
    name: 'Triage release 3: dispute fix',
    environment: 'production',
    promptVersionId: 'pv_01JDDDDDDDDDDDDDDDDDDDDDDD',
    promptContentHash: 'a'.repeat(64),
    modelConfigId: 'mc_01JEEEEEEEEEEEEEEEEEEEEEEE',
    modelConfigContentHash: 'b'.repeat(64),
    datasetIds: ['ds_01JFFFFFFFFFFFFFFFFFFFFFFF'],
    thresholds: [{ metric: 'accuracy', direction: 'min', value: 0.8, regressionTolerance: null }],
    snapshotHash: 'c'.repeat(64),
    status: 'eval_failed',
    latestEvalRunId: null,
    latestEvalStatus: 'failed',
    requiredRoles: ['technical', 'product', 'risk'],
    approvalIds: [],
    policyVersion: 1,
    notes: '',
    createdAt: '2026-11-02T10:00:00.000Z',
    createdBy: 'omar.owner',
    submittedAt: '2026-11-02T10:05:00.000Z',
    activatedAt: null,
    deactivatedAt: null,
    version: 3,
    ...over,
  };
}

export function approval(over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: 'apr_01JGGGGGGGGGGGGGGGGGGGGGGG',
    systemId: SYS,
    candidateId: RC,
    snapshotHash: 'c'.repeat(64),
    role: 'technical',
    status: 'pending',
    reviewerId: null,
    reviewerName: null,
    comment: null,
    requestedAt: '2026-11-03T10:00:00.000Z',
    requestedBy: 'omar.owner',
    decidedAt: null,
    ...over,
  };
}

/** The genesis policy document as the API answers it (functions/domain/policy.ts DEFAULT_POLICY, with its quorum). */
export function policyDocument(over: Partial<PolicyDocument> = {}): PolicyDocument {
  const tier = () => ({ approvers: {}, requiredDatasetKinds: [], thresholdFloors: [], evalValidityHours: null });
  return {
    version: 1,
    effectiveFrom: '2025-01-01T00:00:00.000Z',
    tiers: {
      low: ['technical'],
      medium: ['technical', 'product'],
      high: ['technical', 'product', 'risk'],
      critical: ['technical', 'product', 'risk', 'governance'],
    },
    stagingRoles: ['technical'],
    blockingSeverities: ['high', 'critical'],
    monitoring: {
      driftThresholds: [{ metric: 'accuracy', direction: 'min', tolerance: 0.1, relative: false }],
      minCasesForDrift: 20,
      incidentSeverity: { low: 'low', medium: 'medium', high: 'medium', critical: 'high' },
      onFailure: { low: 'incident', medium: 'incident', high: 'incident', critical: 'request-rollback' },
    },
    reviewIntervalDays: { low: 365, medium: 180, high: 90, critical: 30 },
    rollbackValidation: { low: 'warn', medium: 'warn', high: 'block', critical: 'block' },
    modelCardRequired: { low: false, medium: false, high: true, critical: true },
    promotionRules: {
      production: { low: tier(), medium: tier(), high: tier(), critical: tier() },
      staging: tier(),
    },
    governance: { activationQuorum: 2 },
    ...over,
  };
}

export function policyVersion(over: Partial<PolicyVersion> = {}): PolicyVersion {
  return {
    version: 1,
    status: 'active',
    baseVersion: null,
    document: policyDocument(),
    documentHash: 'd'.repeat(64),
    reason: 'genesis: the policy before policy documents',
    createdBy: { userId: 'system:genesis', name: 'system:genesis' },
    createdAt: '2026-11-01T09:00:00.000Z',
    submittedAt: null,
    approvals: [],
    quorum: 2,
    activatedAt: '2026-11-01T09:00:00.000Z',
    activatedBy: { userId: 'system:genesis', name: 'system:genesis' },
    supersededAt: null,
    ...over,
  };
}

const NO_METRICS = {
  accuracy: null,
  macroF1: null,
  schemaValidRate: null,
  latencyMeanMs: null,
  latencyP95Ms: null,
  costMeanUsd: null,
  timeoutRate: null,
  fallbackSuccessRate: null,
  sliceAccuracyGap: null,
};

export function evalRun(over: Partial<EvalRun> = {}): EvalRun {
  return {
    id: 'run_01JHHHHHHHHHHHHHHHHHHHHHHH',
    systemId: SYS,
    candidateId: RC,
    snapshotHash: 'c'.repeat(64),
    executor: 'simulated',
    status: 'passed',
    totalCases: 40,
    casesDone: 40,
    metrics: { ...NO_METRICS, accuracy: 0.91, latencyP95Ms: 640 },
    slices: [],
    thresholdVerdicts: [],
    comparisons: [],
    failureReasons: [],
    error: null,
    createdAt: '2026-11-02T11:00:00.000Z',
    createdBy: 'omar.owner',
    startedAt: '2026-11-02T11:00:00.000Z',
    finishedAt: '2026-11-02T11:05:00.000Z',
    ...over,
  };
}

/** GET /api/release-candidates/{id}/context: the candidate beside the active release (prompt v3 against v2). */
export function candidateContext(
  over: { candidate?: Partial<ReleaseCandidate>; gate?: Partial<CandidateContextAnswer['gate']> } = {},
): CandidateContextAnswer {
  const ours = candidate(over.candidate);
  const active = candidate({ id: RC_ACTIVE, name: 'Triage release 1: prompt v1', status: 'active' });
  const prompt = (version: number, template: string) => ({
    id: `pv_01JDDDDDDDDDDDDDDDDDDDDDD${version}`,
    systemId: SYS,
    name: 'ticket-triage',
    version,
    template,
    variables: ['ticket'],
    inputContract: {},
    outputContract: { type: 'object' },
    contentHash: 'a'.repeat(64),
    status: 'approved' as const,
    changeSummary: '',
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'omar.owner',
    submittedAt: null,
    reviewedBy: null,
    reviewComment: null,
  });
  const config = (model: string) => ({
    id: 'mc_01JEEEEEEEEEEEEEEEEEEEEEEE',
    systemId: SYS,
    name: 'triage-model',
    version: 1,
    provider: 'openai',
    model,
    parameters: { temperature: 0, maxTokens: 256, topP: 1 },
    timeoutMs: 10_000,
    routingPolicy: { strategy: 'single' as const, routes: [] },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.001, outputPer1k: 0.002 },
    lineage: { artifactUri: '', trainingDataVersion: '', codeCommit: '' },
    contentHash: 'b'.repeat(64),
    status: 'approved' as const,
    changeSummary: '',
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'omar.owner',
    submittedAt: null,
    reviewedBy: null,
    reviewComment: null,
  });
  const judge = {
    id: 'jc_01JGGGGGGGGGGGGGGGGGGGGGGG',
    systemId: SYS,
    name: 'no-legal-advice',
    version: 2,
    modelConfigId: 'mc_01JEEEEEEEEEEEEEEEEEEEEEE2',
    rubricPrompt: 'Grade {{output}} against {{rubric}}',
    outputSchema: { type: 'object', required: ['pass'] },
    passThreshold: null,
    contentHash: 'f'.repeat(64),
    status: 'approved' as const,
    changeSummary: '',
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'omar.owner',
    submittedAt: null,
    reviewedBy: null,
    reviewComment: null,
  };
  const dataset = {
    id: 'ds_01JFFFFFFFFFFFFFFFFFFFFFFF',
    systemId: SYS,
    name: 'baseline-tickets',
    version: 2,
    kind: 'baseline' as const,
    description: '',
    caseCount: 40,
    contentHash: 'e'.repeat(64),
    createdAt: '2026-11-01T10:00:00.000Z',
    createdBy: 'omar.owner',
  };
  return {
    candidate: ours,
    system: { id: SYS, name: 'Consumer Support Triage Assistant', ownerTeam: 'support-ai', riskTier: 'high' },
    gate: {
      candidateId: ours.id,
      environment: 'production',
      status: ours.status,
      activeCandidateId: RC_ACTIVE,
      requiredRoles: ['technical', 'product', 'risk'],
      promotable: false,
      reasons: [],
      waived: [],
      pendingRelaxations: [],
      ...over.gate,
    },
    approvals: [],
    sides: [
      {
        role: 'candidate',
        candidate: ours,
        prompt: prompt(3, 'Classify the ticket.\nAnswer in JSON.'),
        modelConfig: config('gpt-4o'),
        judgeConfigs: [judge],
        judgeModelConfigs: [{ ...config('gpt-4o-mini'), id: judge.modelConfigId, name: 'judge-model' }],
        datasets: [dataset],
        run: evalRun(),
        datasetDifference: null,
      },
      {
        role: 'active',
        candidate: active,
        prompt: prompt(2, 'Classify the ticket.'),
        modelConfig: config('gpt-4o-mini'),
        judgeConfigs: [],
        judgeModelConfigs: [],
        datasets: [{ ...dataset, id: 'ds_01JFFFFFFFFFFFFFFFFFFFFFF1', version: 1 }],
        run: evalRun({ id: 'run_01JHHHHHHHHHHHHHHHHHHHHHH1', candidateId: RC_ACTIVE }),
        datasetDifference: { missing: ['ds_01JFFFFFFFFFFFFFFFFFFFFFF1'], added: ['ds_01JFFFFFFFFFFFFFFFFFFFFFFF'] },
      },
    ],
    metrics: [
      {
        metric: 'accuracy',
        improves: 'min',
        threshold: { metric: 'accuracy', direction: 'min', value: 0.8, regressionTolerance: 0.02 },
        candidate: 0.91,
        thresholdPassed: true,
        baselines: [{ role: 'active', value: 0.95, delta: -0.04, tolerance: 0.02, verdict: 'regressed' }],
      },
      {
        metric: 'latencyP95Ms',
        improves: 'max',
        threshold: null,
        candidate: 640,
        thresholdPassed: null,
        baselines: [{ role: 'active', value: 900, delta: -260, tolerance: null, verdict: 'better' }],
      },
    ],
    rollback: null,
  };
}
