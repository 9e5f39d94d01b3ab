// Relaxations: a change that loosens a rule for one system is a request decided by a second person (issue 15, item 4).
// Lowering a risk tier or EU AI Act category, downgrading or resolving an incident of a blocking severity, and
// waiving gate reasons for one candidate. Tightening stays immediate. Until a request is approved the stricter state
// holds. Pure rules: the store writes the request, and applies an approved one in the same transaction as the
// decision, conditioned on the value the request was bound to.
import {
  type BlockReason,
  type BlockReasonCode,
  ConflictError,
  ForbiddenError,
  type GovernanceError,
  ValidationError,
} from './errors.js';
import { type SettingChange, sampleSettingsChanges } from './loosening.js';
import { type ApprovalPolicy, blockingSeverities, DEFAULT_POLICY } from './policy.js';
import { defaultSampleSettings, type SampleSettings, sampleSettingsHash } from './samples.js';

export type { RelaxationKind, RelaxationStatus } from './types.js';

import {
  type AiSystem,
  EU_AI_ACT_CATEGORIES,
  type EuAiActCategory,
  type Incident,
  type PrincipalRole,
  type RelaxationKind,
  type RelaxationStatus,
  RISK_TIERS,
  type RiskTier,
  SEVERITIES,
  type Severity,
} from './types.js';

/** The reviewer role that decides a kind of request. */
export type DeciderRole = 'risk' | 'governance';

/** Codes no waiver may remove: the five, which no one may overrule for one candidate. */
export const NEVER_WAIVABLE: readonly BlockReasonCode[] = [
  'SEPARATION_OF_DUTIES',
  'APPROVALS_INCOMPLETE',
  'INVALID_STATE',
  'ACTIVE_RELEASE_CHANGED',
  'EVAL_FAILED',
];

/**
 * Codes a waiver may remove: the policy's rules that are a judgement about one release (an old eval, a missing
 * dataset kind, a looser threshold, an incomplete model card, an open incident the release may be the fix for).
 * Every other code states a fact about integrity (the snapshot, its eval, the lifecycle, who approved), and a
 * waiver of it is refused like the five above.
 */
const WAIVABLE_CODES: readonly BlockReasonCode[] = [
  'EVAL_EXPIRED',
  'DATASET_KIND_MISSING',
  'THRESHOLD_BELOW_FLOOR',
  'MODEL_CARD_INCOMPLETE',
  'BLOCKING_INCIDENT_OPEN',
];

/** How long a request waits for its decision: 7 days. */
const REQUEST_TTL_HOURS = 7 * 24;
/** A waiver's validity when the request names none: 7 days; it may ask for at most 30. */
const DEFAULT_WAIVER_HOURS = 7 * 24;
const MAX_WAIVER_HOURS = 30 * 24;

interface Person {
  userId: string;
  name: string;
}

/** One relaxation request, as stored and answered. */
export interface RelaxationRequest {
  id: string;
  kind: RelaxationKind;
  systemId: string;
  systemName: string;
  subject: { type: 'system' | 'incident' | 'candidate'; id: string };
  /** The value the request is bound to (tier, category, severity; a waiver's candidate snapshot hash). */
  from: string;
  /** The value it asks for (a waiver: its codes, comma-separated). */
  to: string;
  reason: string;
  requestedBy: Person;
  requestedAt: string;
  /** An open request expires then; an approved waiver waives until then. */
  expiresAt: string;
  status: RelaxationStatus;
  deciderRole: DeciderRole;
  decidedBy: Person | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** A waiver's codes. */
  codes?: BlockReasonCode[];
  /** A waiver's binding: the candidate's snapshot hash. */
  snapshotHash?: string;
  /** An incident resolution's resolution text, written to the incident when approved. */
  resolution?: string;
  /** A sample-settings request: the settings it asks for, written when approved. */
  sampleSettings?: SampleSettings;
  /** A sample-settings request: each field it loosens (ADR 0051). */
  loosens?: SettingChange[];
  version: number;
}

/** A relaxation a change would make: what kind, from which value to which. */
export interface Relaxation {
  kind: Exclude<RelaxationKind, 'waiver'>;
  from: string;
  to: string;
}

/** Who acts on a request: an actor with the teams they own (never written to the log). */
export interface RelaxationActor {
  userId: string;
  name: string;
  roles: readonly PrincipalRole[];
  teams: readonly string[];
}

const rank = <T extends string>(order: readonly T[], value: T) => order.indexOf(value);

/** Whether `to` is a lower risk tier than `from`. */
function lowersTier(from: RiskTier, to: RiskTier): boolean {
  return rank(RISK_TIERS, to) < rank(RISK_TIERS, from);
}

/** Whether `to` is a lower EU AI Act category than `from` (minimal < limited < high < unacceptable). */
function lowersCategory(from: EuAiActCategory, to: EuAiActCategory): boolean {
  return rank(EU_AI_ACT_CATEGORIES, to) < rank(EU_AI_ACT_CATEGORIES, from);
}

/** The relaxation a system patch asks for, or null; a patch that mixes one with other changes is a 400. */
export function systemPatchRelaxation(
  system: Pick<AiSystem, 'riskTier' | 'euAiActCategory'>,
  patch: Record<string, unknown>,
): Relaxation | null {
  const found: Relaxation[] = [];
  const tier = patch.riskTier as RiskTier | undefined;
  if (tier !== undefined && lowersTier(system.riskTier, tier))
    found.push({ kind: 'risk-tier', from: system.riskTier, to: tier });
  const category = patch.euAiActCategory as EuAiActCategory | undefined;
  if (category !== undefined && lowersCategory(system.euAiActCategory, category))
    found.push({ kind: 'eu-ai-act-category', from: system.euAiActCategory, to: category });
  if (found.length === 0) return null;
  const relaxed = new Set<string>(found.map((r) => (r.kind === 'risk-tier' ? 'riskTier' : 'euAiActCategory')));
  const others = Object.entries(patch)
    .filter(([k, v]) => v !== undefined && !relaxed.has(k))
    .map(([k]) => k);
  if (found.length > 1 || others.length > 0) {
    const fields = [...relaxed, ...others];
    throw new ValidationError(
      `lowering ${[...relaxed].join(' or ')} needs a second person's approval: send each lowering alone in its own patch, and ${fields.filter((f) => !relaxed.has(f)).join(', ') || 'the other change'} in a separate one`,
      { field: [...relaxed][0] ?? 'riskTier', fields },
    );
  }
  return found[0] ?? null;
}

/** A loosening of a system's sample settings: bound to the current settings' hash, asking for the new ones. */
export interface SampleSettingsRelaxation extends Relaxation {
  kind: 'sample-settings';
  loosens: SettingChange[];
}

/**
 * The relaxation new sample settings ask for, or null when they loosen nothing (they apply at once, tightening or
 * equal). Settings that loosen one field and tighten another are a 400 naming the loosened fields: the tightening
 * goes through at once when sent alone, and the loosening then waits for its own decision (one decision, one change,
 * as ADR 0025 has it for a system patch). Several loosenings may share one request: the settings are one document,
 * replaced whole, and the request lists each.
 */
export function sampleSettingsRelaxation(
  current: SampleSettings,
  next: SampleSettings,
): SampleSettingsRelaxation | null {
  const { loosens, tightens } = sampleSettingsChanges(current, next);
  if (loosens.length === 0) return null;
  if (tightens.length > 0) {
    const loosened = loosens.map((c) => c.field);
    const tightened = tightens.map((c) => c.field);
    throw new ValidationError(
      `loosening ${loosened.join(', ')} needs a second person's approval: send the tightening of ${tightened.join(', ')} alone first (it applies at once), then the loosening in its own request`,
      { field: loosened[0] ?? 'redaction', fields: [...loosened, ...tightened] },
    );
  }
  return { kind: 'sample-settings', from: sampleSettingsHash(current), to: sampleSettingsHash(next), loosens };
}

/** Severities that block a promotion of a system of `riskTier` in either environment under `policy`. */
export function blockingInAnyEnvironment(riskTier: RiskTier, policy: ApprovalPolicy = DEFAULT_POLICY): Severity[] {
  const all = new Set([
    ...blockingSeverities(riskTier, 'production', policy),
    ...blockingSeverities(riskTier, 'staging', policy),
  ]);
  return SEVERITIES.filter((s) => all.has(s));
}

/** A change of an incident: a patch of its fields, or its resolution. */
export type IncidentChange =
  | { type: 'patch'; patch: { severity?: Severity; [field: string]: unknown } }
  | { type: 'resolve'; resolution: string };

/**
 * The relaxation an incident change asks for, or null: resolving, or lowering the severity of, an unresolved
 * incident whose severity blocks the system's promotions (in either environment) under `policy`. A patch that
 * lowers the severity together with other fields is a 400 (split it). Raising a severity is immediate.
 */
export function incidentChangeRelaxation(
  system: Pick<AiSystem, 'riskTier'>,
  incident: Pick<Incident, 'severity' | 'status'>,
  change: IncidentChange,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): Relaxation | null {
  if (incident.status === 'resolved') return null;
  if (!blockingInAnyEnvironment(system.riskTier, policy).includes(incident.severity)) return null;
  if (change.type === 'resolve') return { kind: 'incident-resolution', from: incident.severity, to: 'resolved' };
  const severity = change.patch.severity;
  if (severity === undefined || rank(SEVERITIES, severity) >= rank(SEVERITIES, incident.severity)) return null;
  const others = Object.entries(change.patch)
    .filter(([k, v]) => v !== undefined && k !== 'severity')
    .map(([k]) => k);
  if (others.length > 0) {
    throw new ValidationError(
      `lowering the severity of a blocking incident needs a second person's approval: send severity alone, and ${others.join(', ')} in a separate patch`,
      { field: 'severity', fields: ['severity', ...others] },
    );
  }
  return { kind: 'incident-severity', from: incident.severity, to: severity };
}

/**
 * Who decides a kind of request: the risk reviewer for tiers, categories, incidents and the privacy of production
 * samples; governance for waivers.
 */
export function deciderRoleOf(kind: RelaxationKind): DeciderRole {
  return kind === 'waiver' ? 'governance' : 'risk';
}

/** When a new request of `kind` expires: a waiver when its own validity ends, any other after REQUEST_TTL_HOURS. */
export function requestExpiry(now: string, kind: RelaxationKind, waiverExpiresAt?: string): string {
  if (kind === 'waiver' && waiverExpiresAt) return waiverExpiresAt;
  return new Date(Date.parse(now) + REQUEST_TTL_HOURS * 3_600_000).toISOString();
}

/**
 * A waiver's expiry: the one asked for, or DEFAULT_WAIVER_HOURS from now; it must lie in the future and no more than
 * MAX_WAIVER_HOURS ahead (400 naming `expiresAt`).
 */
export function waiverExpiry(now: string, asked?: string | null): string {
  const start = Date.parse(now);
  if (asked === undefined || asked === null) return new Date(start + DEFAULT_WAIVER_HOURS * 3_600_000).toISOString();
  const at = Date.parse(asked);
  if (Number.isNaN(at)) throw new ValidationError('expiresAt must be an ISO 8601 date-time', { field: 'expiresAt' });
  if (at <= start) throw new ValidationError('expiresAt must lie in the future', { field: 'expiresAt' });
  if (at - start > MAX_WAIVER_HOURS * 3_600_000) {
    throw new ValidationError(`a waiver lasts at most ${MAX_WAIVER_HOURS / 24} days`, {
      field: 'expiresAt',
      maxHours: MAX_WAIVER_HOURS,
    });
  }
  return new Date(at).toISOString();
}

/** The codes of a waiver request, checked: a 400 naming every code that can never be waived. */
export function checkWaiverCodes(codes: readonly BlockReasonCode[]): BlockReasonCode[] {
  const unique = [...new Set(codes)];
  if (unique.length === 0) throw new ValidationError('codes must name at least one reason code', { field: 'codes' });
  const refused = unique.filter((code) => !WAIVABLE_CODES.includes(code));
  if (refused.length > 0) {
    const never = refused.filter((code) => NEVER_WAIVABLE.includes(code));
    throw new ValidationError(
      `these reason codes can never be waived: ${refused.join(', ')}; a waiver may name only ${WAIVABLE_CODES.join(', ')}`,
      { field: 'codes', notWaivable: refused, ...(never.length ? { neverWaivable: never } : {}) },
    );
  }
  return unique;
}

/** The status of a request at `now`: an open request past its expiry is expired. */
export function statusAt(request: Pick<RelaxationRequest, 'status' | 'expiresAt'>, now: string): RelaxationStatus {
  return request.status === 'open' && request.expiresAt <= now ? 'expired' : request.status;
}

/** The request as answered at `now` (its status computed). */
export function relaxationAt(request: RelaxationRequest, now: string): RelaxationRequest {
  return { ...request, status: statusAt(request, now) };
}

/** Throws unless the request is open and unexpired at `now` (409 naming its status). */
export function assertOpen(request: RelaxationRequest, now: string): void {
  const status = statusAt(request, now);
  if (status === 'expired') {
    throw new ConflictError(`relaxation request ${request.id} expired at ${request.expiresAt}`, {
      code: 'RELAXATION_EXPIRED',
      status,
    });
  }
  if (status !== 'open') {
    throw new ConflictError(`relaxation request ${request.id} is ${status}, not open`, {
      code: 'INVALID_STATE',
      status,
    });
  }
}

/**
 * Throws unless `decider` may decide `request` of a system owned by `ownerTeam`: never a pipeline, never the
 * requester, never a member of the owning team, and only a holder of the kind's reviewer role (an admin holds no
 * reviewer role by being admin: a relaxation is decided by someone accountable for the rule it loosens).
 */
export function assertMayDecide(request: RelaxationRequest, decider: RelaxationActor, ownerTeam: string): void {
  if (decider.roles.includes('pipeline')) {
    throw new ForbiddenError('a pipeline cannot decide a relaxation request', { code: 'SEPARATION_OF_DUTIES' });
  }
  if (decider.userId === request.requestedBy.userId) {
    throw new ForbiddenError('the requester cannot decide their own relaxation request', {
      code: 'SEPARATION_OF_DUTIES',
    });
  }
  if (decider.teams.includes(ownerTeam)) {
    throw new ForbiddenError(`a member of the owning team ${ownerTeam} cannot decide a relaxation of its system`, {
      code: 'SEPARATION_OF_DUTIES',
    });
  }
  const role = `reviewer:${request.deciderRole}` as const;
  if (!decider.roles.includes(role)) {
    throw new ForbiddenError(`deciding a ${request.kind} request needs the ${role} role`, { requiredRole: role });
  }
}

/** Throws unless `actor` may withdraw the request: its requester, or an admin (withdrawing only keeps the stricter state). */
export function assertMayWithdraw(request: RelaxationRequest, actor: Pick<RelaxationActor, 'userId' | 'roles'>): void {
  if (actor.userId !== request.requestedBy.userId && !actor.roles.includes('admin')) {
    throw new ForbiddenError('only the requester (or an admin) can withdraw a relaxation request');
  }
}

/** The current value of what a request is bound to, as the store read it for the decision. */
export interface BoundFacts {
  system: Pick<AiSystem, 'riskTier' | 'euAiActCategory'>;
  incident?: Pick<Incident, 'severity' | 'status'> | null;
  candidate?: { snapshotHash: string } | null;
  /** The system's sample settings as stored (null: it has set none, the defaults hold). */
  sampleSettings?: SampleSettings | null;
}

/** Why the request no longer holds (the bound value changed), or undefined when it still does. */
export function supersededBecause(request: RelaxationRequest, facts: BoundFacts): string | undefined {
  switch (request.kind) {
    case 'risk-tier':
      return facts.system.riskTier === request.from ? undefined : `the risk tier is now ${facts.system.riskTier}`;
    case 'eu-ai-act-category':
      return facts.system.euAiActCategory === request.from
        ? undefined
        : `the EU AI Act category is now ${facts.system.euAiActCategory}`;
    case 'incident-severity':
    case 'incident-resolution': {
      const incident = facts.incident;
      if (!incident) return 'the incident no longer exists';
      if (incident.status === 'resolved') return 'the incident is already resolved';
      return incident.severity === request.from ? undefined : `the incident's severity is now ${incident.severity}`;
    }
    case 'waiver': {
      const candidate = facts.candidate;
      if (!candidate) return 'the candidate no longer exists';
      return candidate.snapshotHash === request.snapshotHash
        ? undefined
        : `the candidate's snapshot is now ${candidate.snapshotHash}`;
    }
    case 'sample-settings': {
      const now = sampleSettingsHash(facts.sampleSettings ?? defaultSampleSettings());
      return now === request.from ? undefined : `the sample settings changed since (now ${now})`;
    }
  }
}

/** The 409 of a decision on a request whose bound value changed (the store records it as superseded first). */
export function supersededError(request: RelaxationRequest, why: string): GovernanceError {
  return new ConflictError(`relaxation request ${request.id} is superseded: ${why}`, {
    code: 'RELAXATION_SUPERSEDED',
  });
}

/** A reason the gate no longer blocks on, and who waived it until when. */
export interface WaivedReason extends BlockReason {
  requestId: string;
  decidedBy: Person | null;
  expiresAt: string;
}

/** Whether an approved waiver applies to a candidate of `snapshotHash` at `now`. */
function waiverApplies(
  waiver: Pick<RelaxationRequest, 'kind' | 'status' | 'snapshotHash' | 'expiresAt'>,
  snapshotHash: string,
  now: string,
): boolean {
  return (
    waiver.kind === 'waiver' &&
    waiver.status === 'approved' &&
    waiver.snapshotHash === snapshotHash &&
    waiver.expiresAt > now
  );
}

/**
 * Splits the gate's reasons into those that still block and those an approved, unexpired waiver of this snapshot
 * removes. A code that can never be waived stays, whatever a stored waiver says.
 */
export function applyWaivers(
  reasons: readonly BlockReason[],
  waivers: readonly RelaxationRequest[],
  snapshotHash: string,
  now: string,
): { reasons: BlockReason[]; waived: WaivedReason[]; used: RelaxationRequest[] } {
  const valid = waivers.filter((w) => waiverApplies(w, snapshotHash, now));
  const blocking: BlockReason[] = [];
  const waived: WaivedReason[] = [];
  const used = new Map<string, RelaxationRequest>();
  for (const reason of reasons) {
    const waiver = WAIVABLE_CODES.includes(reason.code)
      ? valid.find((w) => (w.codes ?? []).includes(reason.code))
      : undefined;
    if (!waiver) {
      blocking.push(reason);
      continue;
    }
    used.set(waiver.id, waiver);
    waived.push({ ...reason, requestId: waiver.id, decidedBy: waiver.decidedBy, expiresAt: waiver.expiresAt });
  }
  return { reasons: blocking, waived, used: [...used.values()] };
}

/** A relaxation that is asked for and not decided: the gate names it, and it relaxes nothing. */
export interface PendingRelaxation {
  id: string;
  kind: RelaxationKind;
  from: string;
  to: string;
  requestedBy: Person;
  expiresAt: string;
}

/** The open, unexpired requests of the system that concern this candidate's gate (none of a waiver of another one). */
export function pendingRelaxations(
  requests: readonly RelaxationRequest[],
  candidateId: string,
  now: string,
): PendingRelaxation[] {
  return requests
    .filter((r) => statusAt(r, now) === 'open' && (r.kind !== 'waiver' || r.subject.id === candidateId))
    .map((r) => ({
      id: r.id,
      kind: r.kind,
      from: r.from,
      to: r.to,
      requestedBy: r.requestedBy,
      expiresAt: r.expiresAt,
    }));
}
