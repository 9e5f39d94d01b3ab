// The governance policy as the dashboard reads it (GET /api/policies), and the pure steps that turn a policy document
// into readable rules and into text to diff. The server validates and decides; nothing here is a rule.
import type * as z from 'zod';
import type { policyDryRunResponse } from '../../functions/contracts/policy-dry-runs';
import {
  type DatasetKind,
  type MetricName,
  REVIEWER_ROLES,
  type ReviewerRole,
  RISK_TIERS,
  type RiskTier,
  type Severity,
} from '../../functions/domain/types';

interface TierRules {
  approvers?: Partial<Record<ReviewerRole, number>>;
  requiredDatasetKinds?: DatasetKind[];
  thresholdFloors?: { metric: MetricName; floor: number }[];
  evalValidityHours?: number | null;
}

/**
 * A policy document as stored: read, never validated here. Blocks added after version 1 may be absent from an older
 * stored document; the server reads them with their defaults, and so does this page.
 */
export interface PolicyDocument {
  version?: number;
  effectiveFrom?: string | null;
  tiers: Record<RiskTier, ReviewerRole[]>;
  stagingRoles: ReviewerRole[];
  blockingSeverities: Severity[];
  incidentBlocking?: { production: Record<RiskTier, Severity[]>; staging: Severity[] };
  monitoring?: {
    driftThresholds?: { metric: MetricName; direction: 'min' | 'max'; tolerance: number; relative: boolean }[];
    minCasesForDrift?: number;
    incidentSeverity?: Partial<Record<RiskTier, Severity>>;
    onFailure?: Partial<Record<RiskTier, string>>;
    requestRollback?: boolean;
  };
  reviewIntervalDays?: Partial<Record<RiskTier, number>>;
  rollbackValidation?: Partial<Record<RiskTier, 'warn' | 'block'>>;
  modelCardRequired?: Partial<Record<RiskTier, boolean>>;
  promotionRules?: { production: Record<RiskTier, TierRules>; staging: TierRules };
  governance?: { activationQuorum?: number };
}

type PolicyStatus = 'draft' | 'submitted' | 'active' | 'superseded' | 'withdrawn';

interface PersonRef {
  userId: string;
  name: string;
}

/** One version of the policy, as `GET /api/policies` lists it. */
export interface PolicyVersion {
  version: number;
  status: PolicyStatus;
  baseVersion: number | null;
  document: PolicyDocument;
  documentHash: string;
  reason: string;
  createdBy: PersonRef;
  createdAt: string;
  submittedAt: string | null;
  approvals: { reviewerId: string; name: string; at: string; reason?: string | null }[];
  quorum: number;
  activatedAt: string | null;
  activatedBy: PersonRef | null;
  supersededAt: string | null;
}

export interface PolicyList {
  /** Null only before the genesis version exists. */
  active: PolicyVersion | null;
  items: PolicyVersion[];
  nextCursor: string | null;
}

/** A dry run of a policy document over every open candidate and active release, with one page of what it blocks. */
export type PolicyDryRun = z.infer<typeof policyDryRunResponse>;

/** The activation quorum a document sets; a document without the block reads as 2 (the contract's default). */
export function activationQuorum(doc: PolicyDocument): number {
  return doc.governance?.activationQuorum ?? 2;
}

/** The document a draft proposes: the active one without what activation sets (its version and instant). */
export function proposalOf(doc: PolicyDocument): Omit<PolicyDocument, 'version' | 'effectiveFrom'> {
  const { version: _version, effectiveFrom: _effectiveFrom, ...rest } = doc;
  return rest;
}

/** Pretty JSON with keys in sorted order, so that two versions diff line by line whatever order they were written in. */
export function policyText(doc: unknown): string {
  const sort = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sort);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(
        Object.keys(value)
          .sort()
          .map((key) => [key, sort((value as Record<string, unknown>)[key])]),
      );
    return value;
  };
  return JSON.stringify(sort(doc), null, 2);
}

/** The rules one promotion (an environment and, in production, a risk tier) is judged by, in words. */
export interface PromotionRow {
  environment: 'production' | 'staging';
  tier: RiskTier | null;
  /** Required roles with their approver counts: "technical ×2". */
  approvers: string[];
  blockingSeverities: Severity[];
  requiredDatasetKinds: DatasetKind[];
  /** "accuracy 0.8 or stricter". */
  floors: string[];
  /** "72 h", or "no limit". */
  evalValidity: string;
  modelCard: 'required' | 'not required';
}

function promotionRow(doc: PolicyDocument, environment: 'production' | 'staging', tier: RiskTier | null): PromotionRow {
  const roles = tier === null ? doc.stagingRoles : doc.tiers[tier];
  const rules = (tier === null ? doc.promotionRules?.staging : doc.promotionRules?.production[tier]) ?? {};
  const blocking =
    doc.incidentBlocking === undefined
      ? doc.blockingSeverities
      : tier === null
        ? doc.incidentBlocking.staging
        : doc.incidentBlocking.production[tier];
  return {
    environment,
    tier,
    approvers: REVIEWER_ROLES.filter((role) => roles.includes(role)).map((role) => {
      const count = rules.approvers?.[role] ?? 1;
      return count > 1 ? `${role} ×${count}` : role;
    }),
    blockingSeverities: [...blocking],
    requiredDatasetKinds: [...(rules.requiredDatasetKinds ?? [])],
    // The direction is the metric's own (the server's METRIC_DIRECTIONS): a floor is a limit the threshold must meet.
    floors: (rules.thresholdFloors ?? []).map((f) => `${f.metric} ${f.floor} or stricter`),
    evalValidity:
      rules.evalValidityHours === null || rules.evalValidityHours === undefined
        ? 'no limit'
        : `${rules.evalValidityHours} h`,
    modelCard: tier !== null && doc.modelCardRequired?.[tier] ? 'required' : 'not required',
  };
}

/** Production per risk tier, then staging: what each promotion needs under `doc`. */
export function promotionRows(doc: PolicyDocument): PromotionRow[] {
  return [...RISK_TIERS.map((tier) => promotionRow(doc, 'production', tier)), promotionRow(doc, 'staging', null)];
}

/** The rules a system of one risk tier lives under, whatever the environment. */
export interface TierRow {
  tier: RiskTier;
  rollbackValidation: string;
  reviewIntervalDays: number | null;
  monitoringSeverity: Severity | null;
  /** What a failed monitoring run does beyond opening its incident. */
  onMonitoringFailure: string;
}

const ON_FAILURE_WORDS: Record<string, string> = {
  incident: 'open an incident',
  'request-rollback': 'open an incident and request a rollback',
  rollback: 'open an incident and roll back to the last-known-good release',
};

export function tierRows(doc: PolicyDocument): TierRow[] {
  const monitoring = doc.monitoring ?? {};
  return RISK_TIERS.map((tier) => {
    const action =
      monitoring.onFailure?.[tier] ?? (monitoring.requestRollback === true ? 'request-rollback' : 'incident');
    return {
      tier,
      rollbackValidation: doc.rollbackValidation?.[tier] ?? '—',
      reviewIntervalDays: doc.reviewIntervalDays?.[tier] ?? null,
      monitoringSeverity: monitoring.incidentSeverity?.[tier] ?? null,
      onMonitoringFailure: ON_FAILURE_WORDS[action] ?? action,
    };
  });
}
