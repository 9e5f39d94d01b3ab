// A small but complete set of registry records of one system, for the report model and renderer tests.
import type { ComplianceReportInput } from '../../../functions/domain/compliance-report.js';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { PolicyVersion } from '../../../functions/domain/policy-version.js';
import type {
  AiSystem,
  EvalRun,
  Metrics,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../../../functions/domain/types.js';

const metrics: Metrics = {
  accuracy: 0.9125,
  macroF1: 0.9,
  schemaValidRate: 1,
  latencyMeanMs: 420,
  latencyP95Ms: 610,
  costMeanUsd: 0.003412,
  timeoutRate: 0,
  fallbackSuccessRate: null,
  sliceAccuracyGap: 0.05,
};

const system: AiSystem = {
  id: 'sys_1',
  name: 'Consumer Support Triage Assistant',
  description: 'Routes tickets → queues',
  ownerTeam: 'support-ai',
  owner: 'omar.owner',
  riskTier: 'high',
  euAiActCategory: 'limited',
  domain: 'customer support',
  intendedPurpose: 'Route inbound support tickets to the right queue.',
  dataSources: ['Support tickets 2022-2024, pseudonymised', 'Queue rules of the handbook'],
  humanOversight: 'Agents re-route any ticket with one click.',
  status: 'active',
  activeReleases: { production: 'rc_1', staging: null },
  openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
  retirementReason: null,
  replacementSystemId: null,
  createdAt: '2026-03-01T09:00:00.000Z',
  createdBy: 'omar.owner',
  updatedAt: '2026-03-07T09:00:00.000Z',
  version: 9,
};

const candidate = (
  id: string,
  name: string,
  createdAt: string,
  status: ReleaseCandidate['status'],
): ReleaseCandidate => ({
  id,
  systemId: 'sys_1',
  name,
  environment: 'production',
  promptVersionId: 'pv_1',
  promptContentHash: 'a'.repeat(64),
  modelConfigId: 'mc_1',
  modelConfigContentHash: 'b'.repeat(64),
  datasetIds: ['ds_1'],
  thresholds: [],
  snapshotHash: `${id}`.padEnd(64, 'c'),
  status,
  latestEvalRunId: `run_${id}`,
  latestEvalStatus: 'passed',
  requiredRoles: ['technical', 'product', 'risk'],
  approvalIds: [`apr_${id}_risk`],
  policyVersion: 1,
  notes: '',
  createdAt,
  createdBy: 'ci.pipeline',
  submittedAt: createdAt,
  activatedAt: null,
  deactivatedAt: null,
  version: 5,
});

const run = (candidateId: string, accuracy: number): EvalRun => ({
  id: `run_${candidateId}`,
  systemId: 'sys_1',
  candidateId,
  snapshotHash: 'c'.repeat(64),
  executor: 'simulated',
  status: 'passed',
  totalCases: 80,
  casesDone: 80,
  metrics: { ...metrics, accuracy },
  slices: [
    { slice: 'lang:de', cases: 20, accuracy: 0.9 },
    { slice: 'lang:en', cases: 60, accuracy: 0.95 },
  ],
  thresholdVerdicts: [
    { metric: 'accuracy', direction: 'min', threshold: 0.8, actual: accuracy, passed: true },
    { metric: 'costMeanUsd', direction: 'max', threshold: 0.01, actual: metrics.costMeanUsd, passed: true },
  ],
  comparisons: [],
  failureReasons: [],
  error: null,
  createdAt: '2026-03-02T09:00:00.000Z',
  createdBy: 'ci.pipeline',
  startedAt: '2026-03-02T09:00:00.000Z',
  finishedAt: '2026-03-02T09:05:00.000Z',
  purpose: 'gate',
});

/** Two releases: rc_1 promoted, replaced by rc_2, restored by a rollback after an incident that is serious. */
/** A stored policy version: `status` and its activation and replacement instants. */
function policyVersion(
  version: number,
  status: PolicyVersion['status'],
  activatedAt: string | null,
  supersededAt: string | null,
): PolicyVersion {
  const { effectiveFrom: _e, ...document } = { ...DEFAULT_POLICY, version };
  return {
    version,
    status,
    baseVersion: version > 1 ? version - 1 : null,
    document: activatedAt ? { ...document, effectiveFrom: activatedAt } : document,
    documentHash: String(version).repeat(64),
    reason: `version ${version}`,
    createdBy: { userId: 'greta.governance', name: 'Greta Governance' },
    createdAt: activatedAt ?? '2026-03-20T00:00:00.000Z',
    submittedAt: null,
    approvals: [],
    quorum: 2,
    activatedAt,
    activatedBy: activatedAt
      ? version === 1
        ? { userId: 'system:genesis', name: 'Genesis' }
        : { userId: 'gus.governance', name: 'Gus Governance' }
      : null,
    supersededAt,
  };
}

/**
 * The organisation's policy versions: v1 superseded before the system was registered (2026-03-01), v2 in force
 * then, v3 in force now, v4 withdrawn (never in force).
 */
export function policyVersions(): PolicyVersion[] {
  return [
    policyVersion(4, 'withdrawn', null, null),
    policyVersion(3, 'active', '2026-03-10T12:00:00.000Z', null),
    policyVersion(2, 'superseded', '2026-02-01T00:00:00.000Z', '2026-03-10T12:00:00.000Z'),
    policyVersion(1, 'superseded', '2025-12-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'),
  ];
}

export function reportInput(): ComplianceReportInput {
  return {
    system,
    candidates: [
      {
        ...candidate('rc_1', 'triage release 1', '2026-03-02T08:00:00.000Z', 'active'),
        activatedAt: '2026-03-06T10:00:00.000Z',
      },
      candidate('rc_2', 'triage release 2', '2026-03-04T08:00:00.000Z', 'rolled_back'),
    ],
    promotions: [
      {
        id: 'prm_2',
        systemId: 'sys_1',
        environment: 'production',
        kind: 'promote',
        candidateId: 'rc_2',
        previousCandidateId: 'rc_1',
        actor: 'omar.owner',
        reason: 'release 2',
        at: '2026-03-05T10:00:00.000Z',
      },
      {
        id: 'prm_1',
        systemId: 'sys_1',
        environment: 'production',
        kind: 'promote',
        candidateId: 'rc_1',
        previousCandidateId: null,
        actor: 'omar.owner',
        reason: 'first',
        at: '2026-03-03T10:00:00.000Z',
      },
      {
        id: 'prm_3',
        systemId: 'sys_1',
        environment: 'production',
        kind: 'rollback',
        candidateId: 'rc_1',
        previousCandidateId: 'rc_2',
        actor: 'omar.owner',
        reason: 'misrouting',
        at: '2026-03-06T10:00:00.000Z',
      },
    ],
    rollbacks: [
      {
        id: 'rb_1',
        systemId: 'sys_1',
        environment: 'production',
        fromCandidateId: 'rc_2',
        toCandidateId: 'rc_1',
        reason: 'misrouting',
        incidentId: 'inc_1',
        actor: 'omar.owner',
        at: '2026-03-06T10:00:00.000Z',
      },
    ],
    evalRuns: [
      run('rc_1', 0.9125),
      run('rc_2', 0.93),
      {
        ...run('rc_1', 0.7),
        id: 'run_mon',
        purpose: 'monitoring',
        status: 'failed',
        failureReasons: ['accuracy drifted by 0.21'],
        createdAt: '2026-03-07T09:00:00.000Z',
      },
    ],
    approvals: [
      {
        id: 'apr_rc_2_risk',
        systemId: 'sys_1',
        candidateId: 'rc_2',
        snapshotHash: 'c',
        role: 'risk',
        status: 'pending',
        reviewerId: null,
        reviewerName: null,
        comment: null,
        requestedAt: '2026-03-04T09:00:00.000Z',
        requestedBy: 'omar.owner',
        decidedAt: null,
      },
    ],
    datasets: [
      {
        id: 'ds_1',
        systemId: 'sys_1',
        name: 'triage-baseline',
        version: 1,
        kind: 'baseline',
        description: '',
        caseCount: 80,
        contentHash: 'd'.repeat(64),
        createdAt: '2026-03-01T10:00:00.000Z',
        createdBy: 'omar.owner',
      },
    ],
    prompts: [{ id: 'pv_1', name: 'triage', version: 1 } as PromptVersion],
    modelConfigs: [
      {
        id: 'mc_1',
        name: 'triage-config',
        version: 1,
        provider: 'openai',
        model: 'gpt-4o-mini',
        createdAt: '2026-03-01T10:00:00.000Z',
        lineage: { artifactUri: 's3://models/triage', trainingDataVersion: 'tickets-2024-q4', codeCommit: 'abc1234' },
      } as ModelConfigVersion,
    ],
    judgeConfigs: [],
    incidents: [
      {
        id: 'inc_1',
        systemId: 'sys_1',
        candidateId: 'rc_2',
        title: 'Billing tickets misrouted',
        description: 'Release 2 sent billing tickets to technical.',
        severity: 'high',
        status: 'resolved',
        resolution: 'Rolled back to release 1.',
        createdAt: '2026-03-06T09:00:00.000Z',
        createdBy: 'omar.owner',
        updatedAt: '2026-03-06T11:00:00.000Z',
        resolvedAt: '2026-03-06T11:00:00.000Z',
        version: 3,
        seriousIncident: {
          category: 'health',
          awareAt: '2026-03-01T09:00:00.000Z',
          reportingDeadline: '2026-03-16T09:00:00.000Z',
          memberState: 'DE',
          initialReportAt: null,
          finalReportAt: null,
          correctiveAction: null,
        },
      },
    ],
    audit: {
      events: 12,
      firstAt: '2026-03-01T09:00:00.000Z',
      lastAt: '2026-03-07T09:00:00.000Z',
      byAction: { 'system.registered': 1, 'approval.approved': 2 },
      approvalDecisions: [
        {
          approvalId: 'apr_a',
          candidateId: 'rc_1',
          role: 'technical',
          decision: 'approved',
          reviewerId: 'tessa.technical',
          reviewerName: 'Tessa Technical',
          comment: 'Eval evidence reviewed.',
          at: '2026-03-02T12:00:00.000Z',
          seq: 5,
        },
        {
          approvalId: 'apr_b',
          candidateId: 'rc_1',
          role: 'product',
          decision: 'approved',
          reviewerId: 'priya.product',
          reviewerName: 'Priya Product',
          comment: 'Queues match the handbook.',
          at: '2026-03-02T13:00:00.000Z',
          seq: 6,
        },
      ],
    },
    chain: { ok: true, events: 12, headSeq: 12, headHash: 'e'.repeat(64), brokenAt: null },
    archive: { status: 'ok', archivedHead: 12, sealedHead: 10, digests: 3 },
    policy: { ...DEFAULT_POLICY, version: 3 },
    policyVersions: policyVersions(),
    generatedAt: '2026-04-01T00:00:00.000Z',
    generatedBy: 'Aud Auditor',
  };
}
