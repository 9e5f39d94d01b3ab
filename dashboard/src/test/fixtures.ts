import type { AiSystem, ApprovalRecord, ReleaseCandidate } from '../../../functions/domain/types';
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
