// The risk-tier approval policy. It is a versioned document: candidates record the policy version that set their
// required roles, and a change of policy is a new version (audited by the caller), never an edit in place.
import { ValidationError } from './errors.js';
import {
  type CoreMetricName,
  DATASET_KINDS,
  type DatasetKind,
  type Environment,
  isMetricName,
  type MetricName,
  MONITORING_FAILURE_ACTIONS,
  type MonitoringFailureAction,
  type OpenIncidentCounts,
  REVIEWER_ROLES,
  type ReviewerRole,
  RISK_TIERS,
  type RiskTier,
  SEVERITIES,
  type Severity,
} from './types.js';

export interface ApprovalPolicy {
  version: number;
  /** ISO 8601 instant from which this version applies. */
  effectiveFrom: string;
  /** Reviewer roles a production promotion needs, per internal risk tier. */
  tiers: Record<RiskTier, ReviewerRole[]>;
  /** Reviewer roles a staging promotion needs, whatever the tier. */
  stagingRoles: ReviewerRole[];
  /** Incident severities that block promotion while the incident is not resolved, unless `incidentBlocking` says. */
  blockingSeverities: Severity[];
  /**
   * Which severities block, per environment: production per risk tier, staging one list. Absent: `blockingSeverities`
   * for every tier and both environments. The gate reads the system's per-severity counters of open incidents, so a
   * stricter list, or a higher tier, blocks at once.
   */
  incidentBlocking?: IncidentBlockingPolicy;
  /** Post-market monitoring of active releases (docs/architecture/monitoring.md). */
  monitoring: MonitoringPolicy;
  /** Days between governance reviews of a system, per risk tier, counted from its last promotion or registration. */
  reviewIntervalDays: Record<RiskTier, number>;
  /** What a failed rollback validation does, per risk tier: warn (the rollback proceeds) or block it. */
  rollbackValidation: Record<RiskTier, RollbackValidationMode>;
  /** Whether a production promotion needs a complete model card (MODEL_CARD_INCOMPLETE), per risk tier. */
  modelCardRequired: Record<RiskTier, boolean>;
  /** Promotion rules per environment and tier: approver counts, dataset kinds, threshold floors, eval validity. */
  promotionRules: PromotionRules;
  /** Who may change this document: how many governance reviewers must approve the next version (policy-version.ts). */
  governance: GovernancePolicy;
}

/** How far a metric of a monitoring run may degrade against the release's approval-time run. */
export interface DriftThreshold {
  metric: MetricName;
  /** min: higher is better, so a drop is a degradation; max: lower is better, so a rise is. */
  direction: 'min' | 'max';
  /** Largest allowed degradation: in the metric's unit, or as a fraction of the approval-time value when relative. */
  tolerance: number;
  relative: boolean;
}

export interface MonitoringPolicy {
  driftThresholds: DriftThreshold[];
  /** Fewer cases than this and drift is not judged: one case of a two-case set moves a rate by 0.5. */
  minCasesForDrift: number;
  /** Severity of the incident a monitoring failure opens, per risk tier of the system. */
  incidentSeverity: Record<RiskTier, Severity>;
  /**
   * What a failed monitoring run does once it has opened its incident, per risk tier of the system: only the
   * incident; also a rollback request for a person; or an automatic rollback to the last-known-good release, linked
   * to the incident (falling back to the request when there is none). Replaces the earlier `requestRollback` flag.
   */
  onFailure: Record<RiskTier, MonitoringFailureAction>;
  /**
   * USD a UTC day's monitoring runs may reserve together (their estimates, ADR 0031); absent: unlimited. A release
   * whose run would exceed it is skipped that day. Raising or removing it loosens the policy, so it takes the same
   * governance approvals as any other change of the document.
   */
  dailyBudget?: number;
  /**
   * Monitoring of production samples (ADR 0042): the window a pass scores, the fewest samples it judges, how far an
   * assertion's pass rate may drop below the approval-time run's, and how many samples it scores at most. Absent:
   * the defaults of functions/domain/sample-scoring.ts (24 h, 50 samples, 0.1, 2,000).
   */
  samples?: { windowHours: number; minSamples: number; tolerance: number; maxSamples: number };
}

/** Incident severities that block promotion, per environment. */
interface IncidentBlockingPolicy {
  production: Record<RiskTier, Severity[]>;
  staging: Severity[];
}

const ROLLBACK_VALIDATION_MODES = ['warn', 'block'] as const;
export type RollbackValidationMode = (typeof ROLLBACK_VALIDATION_MODES)[number];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

/** Policy version 1, as ARCHITECTURE.md states it; frozen so that no caller can edit the shared default. */
export const DEFAULT_POLICY: ApprovalPolicy = deepFreeze({
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
    driftThresholds: [
      { metric: 'accuracy', direction: 'min', tolerance: 0.1, relative: false },
      { metric: 'macroF1', direction: 'min', tolerance: 0.1, relative: false },
      { metric: 'schemaValidRate', direction: 'min', tolerance: 0.05, relative: false },
      { metric: 'latencyP95Ms', direction: 'max', tolerance: 0.5, relative: true },
      { metric: 'costMeanUsd', direction: 'max', tolerance: 0.5, relative: true },
      { metric: 'timeoutRate', direction: 'max', tolerance: 0.05, relative: false },
    ],
    minCasesForDrift: 20,
    // A detection is a signal for a person to triage, not confirmed harm: it blocks promotions only for critical
    // systems (high is a blocking severity), where the next release should wait until someone has looked.
    incidentSeverity: { low: 'low', medium: 'medium', high: 'medium', critical: 'high' },
    onFailure: { low: 'incident', medium: 'incident', high: 'incident', critical: 'incident' },
  },
  reviewIntervalDays: { low: 365, medium: 180, high: 90, critical: 30 },
  rollbackValidation: { low: 'warn', medium: 'warn', high: 'block', critical: 'block' },
  modelCardRequired: { low: false, medium: false, high: true, critical: true },
  promotionRules: defaultPromotionRules(),
  governance: { activationQuorum: 2 },
});

function inRoleOrder(roles: readonly ReviewerRole[]): ReviewerRole[] {
  return REVIEWER_ROLES.filter((role) => roles.includes(role));
}

/** Reviewer roles that must approve a promotion of a system of `riskTier` to `environment`, in canonical order. */
export function requiredApprovals(
  riskTier: RiskTier,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): ReviewerRole[] {
  // A fresh array in canonical order: callers store it on the candidate and compare it, and must not alias the policy.
  return inRoleOrder(environment === 'staging' ? policy.stagingRoles : policy.tiers[riskTier]);
}

/** How long an approval round waits for its decisions before the release gate expires it: 7 days. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 60 * 60;

/**
 * Whole seconds left, at `now`, of an approval round opened at `requestedAt` that may last `timeoutSeconds`; at
 * least 1, as a Step Functions timeout must be positive (a round past its deadline then expires within a second).
 * The deadline runs from the request, so a gate that is restarted does not extend it.
 */
export function approvalSecondsLeft(requestedAt: string, timeoutSeconds: number, now: Date): number {
  const deadline = Date.parse(requestedAt) + timeoutSeconds * 1000;
  return Math.max(1, Math.ceil((deadline - now.getTime()) / 1000));
}

/** Whether promoting a system of `riskTier` to `environment` needs a complete model card under `policy`. */
export function requiresModelCard(
  riskTier: RiskTier,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): boolean {
  return environment === 'production' && policy.modelCardRequired[riskTier];
}

/** The part of a policy that says which incidents block. */
export type IncidentRules = Pick<ApprovalPolicy, 'blockingSeverities' | 'incidentBlocking'>;

/** Severities of unresolved incidents that block promoting a system of `riskTier` to `environment`, in order. */
export function blockingSeverities(
  riskTier: RiskTier,
  environment: Environment,
  policy: IncidentRules = DEFAULT_POLICY,
): Severity[] {
  const byEnvironment = policy.incidentBlocking;
  const listed = !byEnvironment
    ? policy.blockingSeverities
    : environment === 'staging'
      ? byEnvironment.staging
      : byEnvironment.production[riskTier];
  return SEVERITIES.filter((severity) => listed.includes(severity));
}

/** Open incidents of the severities in `severities`, from a system's per-severity counters. */
export function countOpenIncidents(counts: Partial<OpenIncidentCounts>, severities: readonly Severity[]): number {
  return severities.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0);
}

/** Unresolved incidents of `system` that block its promotion to `environment` under `policy`. */
export function openBlockingIncidents(
  system: { riskTier: RiskTier; openIncidents?: Partial<OpenIncidentCounts> },
  environment: Environment,
  policy: IncidentRules = DEFAULT_POLICY,
): number {
  return countOpenIncidents(system.openIncidents ?? {}, blockingSeverities(system.riskTier, environment, policy));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkList<T extends string>(
  value: unknown,
  field: string,
  known: readonly T[],
  problems: string[],
): T[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${field} must be a list`);
    return undefined;
  }
  if (value.length === 0) problems.push(`${field} must not be empty`);
  const unknown = value.filter((item) => !known.includes(item as T));
  if (unknown.length > 0) problems.push(`${field} has unknown values: ${unknown.map(String).join(', ')}`);
  if (new Set(value).size !== value.length) problems.push(`${field} has duplicates`);
  return unknown.length === 0 ? [...(value as T[])] : undefined;
}

/** Validates an untrusted policy document and returns it typed; throws ValidationError listing every problem. */
export function validatePolicy(doc: unknown): ApprovalPolicy {
  if (!isRecord(doc)) throw new ValidationError('policy must be an object', { problems: ['policy must be an object'] });
  const problems: string[] = [];
  const { version, effectiveFrom, tiers, stagingRoles, blockingSeverities } = doc;
  // Fields added after version 1 of the document default to DEFAULT_POLICY's when a stored document lacks them.
  const monitoring = 'monitoring' in doc ? checkMonitoring(doc.monitoring, problems) : copyMonitoring();
  const reviewIntervalDays =
    'reviewIntervalDays' in doc
      ? checkReviewIntervals(doc.reviewIntervalDays, problems)
      : { ...DEFAULT_POLICY.reviewIntervalDays };
  const rollbackValidation =
    'rollbackValidation' in doc
      ? checkRollbackValidation(doc.rollbackValidation, problems)
      : { ...DEFAULT_POLICY.rollbackValidation };
  const incidentBlocking =
    'incidentBlocking' in doc ? checkIncidentBlocking(doc.incidentBlocking, problems) : undefined;
  const modelCardRequired =
    'modelCardRequired' in doc
      ? checkModelCardRequired(doc.modelCardRequired, problems)
      : { ...DEFAULT_POLICY.modelCardRequired };
  const promotionRules =
    'promotionRules' in doc ? checkPromotionRules(doc.promotionRules, problems) : defaultPromotionRules();
  const governance = 'governance' in doc ? checkGovernance(doc.governance, problems) : { ...DEFAULT_POLICY.governance };

  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    problems.push('version must be a positive integer');
  }
  if (typeof effectiveFrom !== 'string' || Number.isNaN(Date.parse(effectiveFrom))) {
    problems.push('effectiveFrom must be an ISO 8601 date-time');
  }

  const tierRoles: Partial<Record<RiskTier, ReviewerRole[]>> = {};
  if (isRecord(tiers)) {
    const extra = Object.keys(tiers).filter((key) => !RISK_TIERS.includes(key as RiskTier));
    if (extra.length > 0) problems.push(`tiers has unknown risk tiers: ${extra.join(', ')}`);
    for (const tier of RISK_TIERS) {
      const roles = checkList(tiers[tier], `tiers.${tier}`, REVIEWER_ROLES, problems);
      if (roles) tierRoles[tier] = roles;
    }
    // A higher tier never needs less scrutiny than a lower one: this catches a typo that would quietly
    // weaken the approval of critical systems.
    for (let i = 1; i < RISK_TIERS.length; i++) {
      const lower = RISK_TIERS[i - 1] as RiskTier;
      const higher = RISK_TIERS[i] as RiskTier;
      const lowerRoles = tierRoles[lower];
      const higherRoles = tierRoles[higher];
      if (!lowerRoles || !higherRoles) continue;
      const dropped = lowerRoles.filter((role) => !higherRoles.includes(role));
      if (dropped.length > 0)
        problems.push(`tiers.${higher} must include every role of ${lower}: ${dropped.join(', ')}`);
    }
  } else {
    problems.push('tiers must be an object with one list of reviewer roles per risk tier');
  }

  checkList(stagingRoles, 'stagingRoles', REVIEWER_ROLES, problems);
  checkList(blockingSeverities, 'blockingSeverities', SEVERITIES, problems);

  if (problems.length > 0) throw new ValidationError(`invalid approval policy: ${problems.join('; ')}`, { problems });
  return {
    version: version as number,
    effectiveFrom: effectiveFrom as string,
    tiers: tierRoles as Record<RiskTier, ReviewerRole[]>,
    stagingRoles: [...(stagingRoles as ReviewerRole[])],
    blockingSeverities: [...(blockingSeverities as Severity[])],
    monitoring: monitoring as MonitoringPolicy,
    reviewIntervalDays: reviewIntervalDays as Record<RiskTier, number>,
    rollbackValidation: rollbackValidation as Record<RiskTier, RollbackValidationMode>,
    modelCardRequired: modelCardRequired as Record<RiskTier, boolean>,
    ...(incidentBlocking ? { incidentBlocking } : {}),
    promotionRules: promotionRules as PromotionRules,
    governance: governance as GovernancePolicy,
  };
}

/** Lists may be empty here: a tier where no incident blocks is a policy choice, not a typo. */
function checkSeverities(value: unknown, field: string, problems: string[]): Severity[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${field} must be a list`);
    return undefined;
  }
  const unknown = value.filter((item) => !SEVERITIES.includes(item as Severity));
  if (unknown.length > 0) problems.push(`${field} has unknown severities: ${unknown.map(String).join(', ')}`);
  if (new Set(value).size !== value.length) problems.push(`${field} has duplicates`);
  return unknown.length === 0 ? [...(value as Severity[])] : undefined;
}

function checkIncidentBlocking(value: unknown, problems: string[]): IncidentBlockingPolicy | undefined {
  if (!isRecord(value)) {
    problems.push('incidentBlocking must be an object with production (per risk tier) and staging');
    return undefined;
  }
  const start = problems.length;
  const extra = Object.keys(value).filter((key) => key !== 'production' && key !== 'staging');
  if (extra.length > 0) problems.push(`incidentBlocking has unknown environments: ${extra.join(', ')}`);
  const staging = checkSeverities(value.staging, 'incidentBlocking.staging', problems);
  const production: Partial<Record<RiskTier, Severity[]>> = {};
  if (!isRecord(value.production)) {
    problems.push('incidentBlocking.production must be an object with one list of severities per risk tier');
  } else {
    const tiers = value.production;
    const unknownTiers = Object.keys(tiers).filter((key) => !RISK_TIERS.includes(key as RiskTier));
    if (unknownTiers.length > 0)
      problems.push(`incidentBlocking.production has unknown risk tiers: ${unknownTiers.join(', ')}`);
    for (const tier of RISK_TIERS) {
      const listed = checkSeverities(tiers[tier], `incidentBlocking.production.${tier}`, problems);
      if (listed) production[tier] = listed;
    }
    // A higher tier is blocked by every severity that blocks a lower one: a typo must not weaken critical systems.
    for (let i = 1; i < RISK_TIERS.length; i++) {
      const lower = production[RISK_TIERS[i - 1] as RiskTier];
      const higher = production[RISK_TIERS[i] as RiskTier];
      if (!lower || !higher) continue;
      const dropped = lower.filter((severity) => !higher.includes(severity));
      if (dropped.length > 0)
        problems.push(
          `incidentBlocking.production.${RISK_TIERS[i]} must include every severity of ${RISK_TIERS[i - 1]}: ${dropped.join(', ')}`,
        );
    }
  }
  if (problems.length > start || !staging) return undefined;
  return { production: production as Record<RiskTier, Severity[]>, staging };
}

function checkModelCardRequired(value: unknown, problems: string[]): Record<RiskTier, boolean> | undefined {
  const required = perTier(
    value,
    'modelCardRequired',
    problems,
    (v): v is boolean => typeof v === 'boolean',
    'true or false',
  );
  if (!required) return undefined;
  // Requiring a card for a lower tier but not a higher one would be a typo that weakens critical systems.
  for (let i = 1; i < RISK_TIERS.length; i++) {
    const lower = RISK_TIERS[i - 1] as RiskTier;
    const higher = RISK_TIERS[i] as RiskTier;
    if (required[lower] && !required[higher])
      problems.push(`modelCardRequired.${higher} must be true when modelCardRequired.${lower} is`);
  }
  return required;
}

function copyMonitoring(): MonitoringPolicy {
  const m = DEFAULT_POLICY.monitoring;
  return {
    ...m,
    driftThresholds: m.driftThresholds.map((t) => ({ ...t })),
    incidentSeverity: { ...m.incidentSeverity },
    onFailure: { ...m.onFailure },
  };
}

/** One value per risk tier, each checked by `check`; problems name the field. */
function perTier<T>(
  value: unknown,
  field: string,
  problems: string[],
  check: (v: unknown) => v is T,
  expected: string,
): Record<RiskTier, T> | undefined {
  if (!isRecord(value)) {
    problems.push(`${field} must be an object with one value per risk tier`);
    return undefined;
  }
  const extra = Object.keys(value).filter((key) => !RISK_TIERS.includes(key as RiskTier));
  if (extra.length > 0) problems.push(`${field} has unknown risk tiers: ${extra.join(', ')}`);
  const out: Partial<Record<RiskTier, T>> = {};
  let ok = extra.length === 0;
  for (const tier of RISK_TIERS) {
    const v = value[tier];
    if (check(v)) out[tier] = v;
    else {
      problems.push(`${field}.${tier} must be ${expected}`);
      ok = false;
    }
  }
  return ok ? (out as Record<RiskTier, T>) : undefined;
}

function checkMonitoring(value: unknown, problems: string[]): MonitoringPolicy | undefined {
  if (!isRecord(value)) {
    problems.push('monitoring must be an object');
    return undefined;
  }
  const start = problems.length;
  const { driftThresholds, minCasesForDrift, incidentSeverity } = value;
  const thresholds: DriftThreshold[] = [];
  if (!Array.isArray(driftThresholds)) problems.push('monitoring.driftThresholds must be a list');
  else {
    driftThresholds.forEach((t: unknown, i) => {
      const at = `monitoring.driftThresholds[${i}]`;
      if (!isRecord(t)) {
        problems.push(`${at} must be an object`);
        return;
      }
      if (!isMetricName(t.metric)) problems.push(`${at}.metric is not a known metric`);
      if (t.direction !== 'min' && t.direction !== 'max') problems.push(`${at}.direction must be min or max`);
      if (typeof t.tolerance !== 'number' || !Number.isFinite(t.tolerance) || t.tolerance < 0)
        problems.push(`${at}.tolerance must be a non-negative number`);
      if (typeof t.relative !== 'boolean') problems.push(`${at}.relative must be true or false`);
      thresholds.push({
        metric: t.metric as MetricName,
        direction: t.direction as 'min' | 'max',
        tolerance: t.tolerance as number,
        relative: t.relative as boolean,
      });
    });
    const metrics = thresholds.map((t) => t.metric);
    if (new Set(metrics).size !== metrics.length) problems.push('monitoring.driftThresholds names a metric twice');
  }
  if (typeof minCasesForDrift !== 'number' || !Number.isInteger(minCasesForDrift) || minCasesForDrift < 1)
    problems.push('monitoring.minCasesForDrift must be a positive integer');
  const severity = perTier(
    incidentSeverity,
    'monitoring.incidentSeverity',
    problems,
    (v): v is Severity => SEVERITIES.includes(v as Severity),
    `one of ${SEVERITIES.join(', ')}`,
  );
  const onFailure = checkOnFailure(value, problems);
  const { dailyBudget } = value;
  if (
    'dailyBudget' in value &&
    (typeof dailyBudget !== 'number' || !Number.isFinite(dailyBudget) || dailyBudget <= 0 || dailyBudget > 1e9)
  )
    problems.push('monitoring.dailyBudget must be a number of USD greater than 0 (absent: unlimited)');
  const samples = 'samples' in value ? checkSampleMonitoring(value.samples, problems) : undefined;
  if (problems.length > start || !severity || !onFailure) return undefined;
  return {
    driftThresholds: thresholds,
    minCasesForDrift: minCasesForDrift as number,
    incidentSeverity: severity,
    onFailure,
    ...(typeof dailyBudget === 'number' ? { dailyBudget } : {}),
    ...(samples ? { samples } : {}),
  };
}

/** `monitoring.samples`: every member optional in the document, defaults filled in (ADR 0042). */
function checkSampleMonitoring(value: unknown, problems: string[]): MonitoringPolicy['samples'] {
  if (!isRecord(value)) {
    problems.push('monitoring.samples must be an object');
    return undefined;
  }
  const defaults = { windowHours: 24, minSamples: 50, tolerance: 0.1, maxSamples: 2_000 };
  const extra = Object.keys(value).filter((k) => !(k in defaults));
  if (extra.length > 0) problems.push(`monitoring.samples has unknown members: ${extra.join(', ')}`);
  const out = { ...defaults };
  const whole = (name: 'windowHours' | 'minSamples' | 'maxSamples', max: number) => {
    const v = value[name];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
      problems.push(`monitoring.samples.${name} must be a whole number from 1 to ${max}`);
    else out[name] = v;
  };
  whole('windowHours', 2_160);
  whole('minSamples', 10_000);
  whole('maxSamples', 10_000);
  const { tolerance } = value;
  if (tolerance !== undefined) {
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 1)
      problems.push('monitoring.samples.tolerance must be a number from 0 to 1');
    else out.tolerance = tolerance;
  }
  if (out.minSamples > out.maxSamples)
    problems.push('monitoring.samples.minSamples must not exceed monitoring.samples.maxSamples');
  return out;
}

/**
 * `monitoring.onFailure`, or the older `monitoring.requestRollback` a stored document may still hold (true: request a
 * rollback on every tier; false: only the incident). Both at once would leave the reader guessing which one rules.
 */
function checkOnFailure(
  monitoring: Record<string, unknown>,
  problems: string[],
): Record<RiskTier, MonitoringFailureAction> | undefined {
  const hasOld = 'requestRollback' in monitoring;
  const hasNew = 'onFailure' in monitoring;
  if (hasOld && hasNew) {
    problems.push('monitoring.requestRollback must not be given with monitoring.onFailure, which replaces it');
    return undefined;
  }
  if (hasOld) {
    const { requestRollback } = monitoring;
    if (typeof requestRollback !== 'boolean') {
      problems.push('monitoring.requestRollback must be true or false');
      return undefined;
    }
    const action: MonitoringFailureAction = requestRollback ? 'request-rollback' : 'incident';
    return { low: action, medium: action, high: action, critical: action };
  }
  if (!hasNew) return { ...DEFAULT_POLICY.monitoring.onFailure };
  const actions = perTier(
    monitoring.onFailure,
    'monitoring.onFailure',
    problems,
    (v): v is MonitoringFailureAction => MONITORING_FAILURE_ACTIONS.includes(v as MonitoringFailureAction),
    'incident, request-rollback or rollback',
  );
  if (!actions) return undefined;
  // Rolling back a low-tier system automatically but only opening an incident for a critical one would be a typo
  // that weakens critical systems.
  const rank = (action: MonitoringFailureAction) => MONITORING_FAILURE_ACTIONS.indexOf(action);
  for (let i = 1; i < RISK_TIERS.length; i++) {
    const lower = RISK_TIERS[i - 1] as RiskTier;
    const higher = RISK_TIERS[i] as RiskTier;
    if (rank(actions[higher]) < rank(actions[lower]))
      problems.push(
        `monitoring.onFailure.${higher} must not be looser than monitoring.onFailure.${lower} (${actions[lower]})`,
      );
  }
  return actions;
}

function checkReviewIntervals(value: unknown, problems: string[]): Record<RiskTier, number> | undefined {
  const days = perTier(
    value,
    'reviewIntervalDays',
    problems,
    (v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 3660,
    'a whole number of days from 1 to 3660',
  );
  if (!days) return undefined;
  // A higher tier is reviewed at least as often as a lower one.
  for (let i = 1; i < RISK_TIERS.length; i++) {
    const lower = RISK_TIERS[i - 1] as RiskTier;
    const higher = RISK_TIERS[i] as RiskTier;
    if (days[higher] > days[lower])
      problems.push(`reviewIntervalDays.${higher} must not be longer than reviewIntervalDays.${lower}`);
  }
  return days;
}

function checkRollbackValidation(
  value: unknown,
  problems: string[],
): Record<RiskTier, RollbackValidationMode> | undefined {
  const modes = perTier(
    value,
    'rollbackValidation',
    problems,
    (v): v is RollbackValidationMode => ROLLBACK_VALIDATION_MODES.includes(v as RollbackValidationMode),
    'warn or block',
  );
  if (!modes) return undefined;
  // Blocking on a lower tier but only warning on a higher one would be a typo that weakens critical systems.
  for (let i = 1; i < RISK_TIERS.length; i++) {
    const lower = RISK_TIERS[i - 1] as RiskTier;
    const higher = RISK_TIERS[i] as RiskTier;
    if (modes[lower] === 'block' && modes[higher] === 'warn')
      problems.push(`rollbackValidation.${higher} must block when rollbackValidation.${lower} does`);
  }
  return modes;
}

// ---------------------------------------------------------------------------------------------------------------
// Promotion rules (issue 15, item 2): per environment and risk tier, how many distinct people approve each required
// role, which dataset kinds a candidate must gate on, floors under its thresholds, and how long a passing eval run
// stays valid. The defaults are the behaviour before these rules existed: one approver per role, no required kinds,
// no floors, no validity limit.

/** The rules a promotion of one tier (or of staging) is judged by, besides the required roles. */
export interface TierPromotionRules {
  /** Distinct approvers per required role; a required role not named needs one. */
  approvers: Partial<Record<ReviewerRole, number>>;
  /** A candidate must gate on at least one dataset of each of these kinds (DATASET_KIND_MISSING). */
  requiredDatasetKinds: DatasetKind[];
  /** Metrics every candidate must gate on, at least as strict as the floor (THRESHOLD_BELOW_FLOOR). */
  thresholdFloors: ThresholdFloor[];
  /** Hours a passing eval run stays valid from its completion (EVAL_EXPIRED); null: no limit. */
  evalValidityHours: number | null;
}

interface ThresholdFloor {
  metric: MetricName;
  /** min metrics: the candidate's threshold must be >= floor; max metrics: <= floor (METRIC_DIRECTIONS). */
  floor: number;
}

export interface PromotionRules {
  production: Record<RiskTier, TierPromotionRules>;
  staging: TierPromotionRules;
}

/** The direction in which each metric improves: min metrics must stay above a threshold, max metrics below one. */
const METRIC_DIRECTIONS: Readonly<Record<CoreMetricName, 'min' | 'max'>> = {
  accuracy: 'min',
  macroF1: 'min',
  schemaValidRate: 'min',
  latencyMeanMs: 'max',
  latencyP95Ms: 'max',
  costMeanUsd: 'max',
  timeoutRate: 'max',
  fallbackSuccessRate: 'min',
  sliceAccuracyGap: 'max',
};

/** The direction in which a metric improves: assertion metrics (`assert.*`) are pass rates, so min. */
export function metricDirection(metric: MetricName): 'min' | 'max' {
  return Object.hasOwn(METRIC_DIRECTIONS, metric) ? METRIC_DIRECTIONS[metric as CoreMetricName] : 'min';
}

/** Whether a metric is a fraction (0..1): assertion pass rates are. */
function isRateMetric(metric: MetricName): boolean {
  return metric.startsWith('assert.') || RATE_METRICS.includes(metric);
}

/** Metrics that are fractions (0..1); their floors must be too. Latency (ms) and cost (USD) are not. */
const RATE_METRICS: readonly MetricName[] = [
  'accuracy',
  'macroF1',
  'schemaValidRate',
  'timeoutRate',
  'fallbackSuccessRate',
  'sliceAccuracyGap',
];

/** The most approvers a policy may ask of one role: a round is one transaction of records. */
const MAX_APPROVERS_PER_ROLE = 5;

function defaultTierRules(): TierPromotionRules {
  return { approvers: {}, requiredDatasetKinds: [], thresholdFloors: [], evalValidityHours: null };
}

function defaultPromotionRules(): PromotionRules {
  return {
    production: {
      low: defaultTierRules(),
      medium: defaultTierRules(),
      high: defaultTierRules(),
      critical: defaultTierRules(),
    },
    staging: defaultTierRules(),
  };
}

/** The promotion rules of a system of `riskTier` in `environment`: production per tier, staging one set. */
export function promotionRulesFor(
  riskTier: RiskTier,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): TierPromotionRules {
  // A stored document of an older version may lack the block: the defaults then apply.
  const rules = policy.promotionRules ?? DEFAULT_POLICY.promotionRules;
  return environment === 'staging' ? rules.staging : rules.production[riskTier];
}

/** How many distinct people must approve each of `roles` for a promotion of `riskTier` to `environment`. */
export function requiredApproverCounts(
  riskTier: RiskTier,
  environment: Environment,
  roles: readonly ReviewerRole[],
  policy: ApprovalPolicy = DEFAULT_POLICY,
): Record<string, number> {
  const { approvers } = promotionRulesFor(riskTier, environment, policy);
  return Object.fromEntries(roles.map((role) => [role, approvers[role] ?? 1]));
}

/** The approvals of a round per role: how many distinct reviewers approved, of how many needed. */
export interface RoleTally {
  role: ReviewerRole;
  approved: number;
  needed: number;
}

/**
 * Counts, per required role, the distinct reviewers who approved it. One person counts once per role however many
 * records they approved; one person approving two roles is separation of duties' business (the gate's
 * SEPARATION_OF_DUTIES, and the decision refuses it), not counted away here.
 */
export function approvalTally(
  needed: Readonly<Record<string, number>>,
  approvals: readonly { role: ReviewerRole; status: string; reviewerId: string | null }[],
): RoleTally[] {
  return REVIEWER_ROLES.filter((role) => needed[role] !== undefined).map((role) => {
    const reviewers = new Set(
      approvals.flatMap((a) => (a.role === role && a.status === 'approved' && a.reviewerId ? [a.reviewerId] : [])),
    );
    return { role, approved: reviewers.size, needed: needed[role] ?? 1 };
  });
}

/** Whether every role of the tally has as many distinct approvers as it needs. */
export function tallyComplete(tally: readonly RoleTally[]): boolean {
  return tally.every((t) => t.approved >= t.needed);
}

/** The dataset kinds `rules` requires that none of `kinds` (the candidate's datasets) is; empty when none is missing. */
export function missingDatasetKinds(rules: TierPromotionRules, kinds: readonly DatasetKind[]): DatasetKind[] {
  return rules.requiredDatasetKinds.filter((kind) => !kinds.includes(kind));
}

/** A floor the candidate's thresholds do not meet: the metric is absent, of the wrong direction, or looser. */
export interface FloorShortfall {
  metric: MetricName;
  direction: 'min' | 'max';
  floor: number;
  /** The candidate's threshold on the metric in the floor's direction, or null when it has none. */
  threshold: number | null;
}

/** The floors of `rules` that `thresholds` do not meet (min metrics: threshold >= floor; max: threshold <= floor). */
export function floorShortfalls(
  rules: TierPromotionRules,
  thresholds: readonly { metric: MetricName; direction: 'min' | 'max'; value: number }[],
): FloorShortfall[] {
  return rules.thresholdFloors.flatMap(({ metric, floor }) => {
    const direction = metricDirection(metric);
    const values = thresholds.filter((t) => t.metric === metric && t.direction === direction).map((t) => t.value);
    // Two thresholds on one metric both apply: the strictest one is what the candidate gates on.
    const threshold = values.length === 0 ? null : direction === 'min' ? Math.max(...values) : Math.min(...values);
    const meets = threshold !== null && (direction === 'min' ? threshold >= floor : threshold <= floor);
    return meets ? [] : [{ metric, direction, floor, threshold }];
  });
}

/**
 * The earliest completion instant of a passing eval run still valid at `now` under `rules`, or null when runs never
 * expire. A run completed exactly at the cutoff is still valid.
 */
export function evalValidFrom(rules: TierPromotionRules, now: string): string | null {
  if (rules.evalValidityHours === null) return null;
  return new Date(Date.parse(now) - rules.evalValidityHours * 3_600_000).toISOString();
}

function checkTierRules(value: unknown, field: string, problems: string[]): TierPromotionRules | undefined {
  if (!isRecord(value)) {
    problems.push(`${field} must be an object`);
    return undefined;
  }
  const start = problems.length;
  const extra = Object.keys(value).filter(
    (key) => !['approvers', 'requiredDatasetKinds', 'thresholdFloors', 'evalValidityHours'].includes(key),
  );
  if (extra.length > 0) problems.push(`${field} has unknown fields: ${extra.join(', ')}`);
  const { approvers, requiredDatasetKinds, thresholdFloors, evalValidityHours } = value;

  const counts: Partial<Record<ReviewerRole, number>> = {};
  if (!isRecord(approvers)) problems.push(`${field}.approvers must be an object of counts per reviewer role`);
  else {
    for (const [role, count] of Object.entries(approvers)) {
      if (!REVIEWER_ROLES.includes(role as ReviewerRole)) problems.push(`${field}.approvers.${role} is not a role`);
      else if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_APPROVERS_PER_ROLE)
        problems.push(`${field}.approvers.${role} must be a whole number from 1 to ${MAX_APPROVERS_PER_ROLE}`);
      else counts[role as ReviewerRole] = count;
    }
  }

  let kinds: DatasetKind[] = [];
  if (!Array.isArray(requiredDatasetKinds)) problems.push(`${field}.requiredDatasetKinds must be a list`);
  else {
    const unknown = requiredDatasetKinds.filter((k) => !DATASET_KINDS.includes(k as DatasetKind));
    if (unknown.length > 0)
      problems.push(`${field}.requiredDatasetKinds has unknown kinds: ${unknown.map(String).join(', ')}`);
    if (new Set(requiredDatasetKinds).size !== requiredDatasetKinds.length)
      problems.push(`${field}.requiredDatasetKinds has duplicates`);
    kinds = requiredDatasetKinds as DatasetKind[];
  }

  const floors: ThresholdFloor[] = [];
  if (!Array.isArray(thresholdFloors)) problems.push(`${field}.thresholdFloors must be a list`);
  else {
    thresholdFloors.forEach((f: unknown, i) => {
      const at = `${field}.thresholdFloors[${i}]`;
      if (!isRecord(f)) {
        problems.push(`${at} must be an object`);
        return;
      }
      const metric = f.metric as MetricName;
      if (!isMetricName(metric)) {
        problems.push(`${at}.metric is not a known metric: ${String(f.metric)}`);
        return;
      }
      const floor = f.floor;
      if (typeof floor !== 'number' || !Number.isFinite(floor) || floor < 0)
        problems.push(`${at}.floor must be a non-negative number`);
      else if (isRateMetric(metric) && floor > 1) problems.push(`${at}.floor must be from 0 to 1 (${metric})`);
      else floors.push({ metric, floor });
    });
    const metrics = floors.map((f) => f.metric);
    if (new Set(metrics).size !== metrics.length) problems.push(`${field}.thresholdFloors names a metric twice`);
  }

  if (
    evalValidityHours !== null &&
    (typeof evalValidityHours !== 'number' ||
      !Number.isInteger(evalValidityHours) ||
      evalValidityHours < 1 ||
      evalValidityHours > 87_840)
  )
    problems.push(`${field}.evalValidityHours must be null or a whole number of hours from 1 to 87840`);

  if (problems.length > start) return undefined;
  return {
    approvers: counts,
    requiredDatasetKinds: [...kinds],
    thresholdFloors: floors,
    evalValidityHours: evalValidityHours as number | null,
  };
}

function checkPromotionRules(value: unknown, problems: string[]): PromotionRules | undefined {
  if (!isRecord(value)) {
    problems.push('promotionRules must be an object with production (per risk tier) and staging');
    return undefined;
  }
  const staging = checkTierRules(value.staging, 'promotionRules.staging', problems);
  const production = isRecord(value.production) ? value.production : undefined;
  if (!production) {
    problems.push('promotionRules.production must be an object with one set of rules per risk tier');
    return undefined;
  }
  const extra = Object.keys(production).filter((key) => !RISK_TIERS.includes(key as RiskTier));
  if (extra.length > 0) problems.push(`promotionRules.production has unknown risk tiers: ${extra.join(', ')}`);
  const perTierRules: Partial<Record<RiskTier, TierPromotionRules>> = {};
  for (const tier of RISK_TIERS) {
    const rules = checkTierRules(production[tier], `promotionRules.production.${tier}`, problems);
    if (rules) perTierRules[tier] = rules;
  }
  if (!staging || RISK_TIERS.some((tier) => !perTierRules[tier]) || extra.length > 0) return undefined;
  const byTier = perTierRules as Record<RiskTier, TierPromotionRules>;
  // A higher tier is never judged more loosely than a lower one: this catches a typo that would quietly weaken the
  // promotion of critical systems.
  for (let i = 1; i < RISK_TIERS.length; i++) {
    const lower = RISK_TIERS[i - 1] as RiskTier;
    const higher = RISK_TIERS[i] as RiskTier;
    for (const loosening of looserThan(byTier[higher], byTier[lower]))
      problems.push(
        `promotionRules.production.${higher}.${loosening} (looser than promotionRules.production.${lower})`,
      );
  }
  return { production: byTier, staging };
}

/** How `higher` is looser than `lower`, one phrase per rule (empty when it is at least as strict in every rule). */
function looserThan(higher: TierPromotionRules, lower: TierPromotionRules): string[] {
  const out: string[] = [];
  for (const role of REVIEWER_ROLES) {
    if ((higher.approvers[role] ?? 1) < (lower.approvers[role] ?? 1)) out.push(`approvers.${role} asks for fewer`);
  }
  const kinds = lower.requiredDatasetKinds.filter((kind) => !higher.requiredDatasetKinds.includes(kind));
  if (kinds.length > 0) out.push(`requiredDatasetKinds lacks ${kinds.join(', ')}`);
  for (const { metric, floor } of lower.thresholdFloors) {
    const own = higher.thresholdFloors.find((f) => f.metric === metric)?.floor;
    const looser = own === undefined || (metricDirection(metric) === 'min' ? own < floor : own > floor);
    if (looser) out.push(`thresholdFloors does not hold ${metric} to ${floor}`);
  }
  const validity = (rules: TierPromotionRules) => rules.evalValidityHours ?? Number.POSITIVE_INFINITY;
  if (validity(higher) > validity(lower)) out.push('evalValidityHours keeps an eval valid longer');
  return out;
}

// Governance of the document itself (issue 15, item 1): how many governance reviewers, none of them its author, must
// approve the next version before it is activated. A stored document without the block reads as 2.

interface GovernancePolicy {
  /** Distinct governance reviewers who must approve a draft; the quorum applied is the larger of active and draft. */
  activationQuorum: number;
}

/** The most approvers a policy activation may ask for: every governance reviewer must be reachable in practice. */
const MAX_ACTIVATION_QUORUM = 5;

function checkGovernance(value: unknown, problems: string[]): GovernancePolicy | undefined {
  if (!isRecord(value)) {
    problems.push('governance must be an object with activationQuorum');
    return undefined;
  }
  const extra = Object.keys(value).filter((key) => key !== 'activationQuorum');
  if (extra.length > 0) problems.push(`governance has unknown fields: ${extra.join(', ')}`);
  const quorum = value.activationQuorum ?? DEFAULT_POLICY.governance.activationQuorum;
  if (typeof quorum !== 'number' || !Number.isInteger(quorum) || quorum < 1 || quorum > MAX_ACTIVATION_QUORUM) {
    problems.push(`governance.activationQuorum must be a whole number from 1 to ${MAX_ACTIVATION_QUORUM}`);
    return undefined;
  }
  return extra.length > 0 ? undefined : { activationQuorum: quorum };
}
