// The governance policy as a governed, versioned document (issue 15, item 1; docs/architecture/policy.md). A version
// is drafted by an admin or a governance reviewer, submitted by its author, approved by governance reviewers who did
// not write it, and activated once enough of them have: the quorum is the larger of the active version's and the
// draft's, so a draft cannot lower its own guard. Every rule here is a pure function; the store turns them into
// conditions (functions/store/policies.ts).
import { ConflictError, ForbiddenError, InvalidTransitionError, ValidationError } from './errors.js';
import { canonicalJson, sha256Hex } from './hashing.js';
import { monitoringSamplesChanges, type SettingChange } from './loosening.js';
import { type ApprovalPolicy, validatePolicy } from './policy.js';
import { type Principal, RISK_TIERS, type RiskTier } from './types.js';

/** Who asks: the rules need only the caller's id and roles. */
type Who = Pick<Principal, 'userId' | 'roles'>;

const POLICY_STATUSES = ['draft', 'submitted', 'active', 'superseded', 'withdrawn'] as const;
export type PolicyStatus = (typeof POLICY_STATUSES)[number];

/** The policy document of a version: effectiveFrom is the activation instant, absent until the version is active. */
export type PolicyDocument = Omit<ApprovalPolicy, 'effectiveFrom'> & { effectiveFrom?: string };

interface PolicyPerson {
  userId: string;
  name: string;
}

/** One governance reviewer's approval of a submitted version. */
interface PolicyApproval {
  reviewerId: string;
  name: string;
  at: string;
  reason: string | null;
}

/** One version of the policy document and where it stands. */
export interface PolicyVersion {
  version: number;
  status: PolicyStatus;
  /** The version that was active when this one was drafted; activation requires it still to be (POLICY_BASE_CHANGED). */
  baseVersion: number | null;
  document: PolicyDocument;
  /** Hex SHA-256 of the canonical JSON of the document without effectiveFrom (set on activation). */
  documentHash: string;
  reason: string;
  createdBy: PolicyPerson;
  createdAt: string;
  submittedAt: string | null;
  approvals: PolicyApproval[];
  /** Distinct approvals needed to activate: the larger of the base version's and this document's activationQuorum. */
  quorum: number;
  activatedAt: string | null;
  activatedBy: PolicyPerson | null;
  supersededAt: string | null;
}

const TRANSITIONS: Readonly<Record<PolicyStatus, readonly PolicyStatus[]>> = {
  draft: ['submitted', 'withdrawn'],
  submitted: ['active', 'withdrawn'],
  active: ['superseded'],
  superseded: [],
  withdrawn: [],
};

/** Whether a policy version may move from `from` to `to`. */
export function canTransitionPolicy(from: PolicyStatus, to: PolicyStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Throws InvalidTransitionError (409, INVALID_STATE) unless a policy version may move from `from` to `to`. */
export function assertPolicyTransition(from: PolicyStatus, to: PolicyStatus): void {
  if (!canTransitionPolicy(from, to)) throw new InvalidTransitionError('policy version', from, to);
}

/** The activation quorum a document asks for (2 when a stored document predates the governance block). */
function documentQuorum(document: Pick<PolicyDocument, 'governance'> | undefined): number {
  return document?.governance?.activationQuorum ?? 2;
}

/** Approvals needed to activate `draft` while `active` is in force: the larger of both, so no draft lowers its guard. */
export function activationQuorum(
  active: Pick<PolicyDocument, 'governance'> | null,
  draft: Pick<PolicyDocument, 'governance'>,
): number {
  return Math.max(active ? documentQuorum(active) : 0, documentQuorum(draft));
}

/**
 * What `draft` loosens against the document in force (ADR 0051): the fields of `monitoring.samples` that would judge
 * production traffic more leniently. No document in force: nothing to loosen. A policy change is never applied by
 * one person (the quorum above, the author not counted), so this does not route it: it says, in the version's audit
 * events, which part of what the approvers approve is a loosening.
 */
export function policyLoosenings(
  active: Pick<PolicyDocument, 'monitoring'> | null,
  draft: Pick<PolicyDocument, 'monitoring'>,
): SettingChange[] {
  return active ? monitoringSamplesChanges(active.monitoring, draft.monitoring).loosens : [];
}

/** Hex SHA-256 of the document's canonical JSON (RFC 8785), without effectiveFrom, which activation sets. */
export function policyDocumentHash(document: PolicyDocument): string {
  const { effectiveFrom: _set, ...content } = document;
  return sha256Hex(canonicalJson(content));
}

/**
 * Validates an untrusted draft document and returns it typed for version `version`. Version and effectiveFrom are
 * the server's (a document copied from `GET /api/policies/{v}` may carry them: they are replaced). Every problem is
 * named by its field under `document.`, so a 400 says where.
 */
export function validatePolicyDraft(input: unknown, version: number): PolicyDocument {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError('document must be an object', { problems: ['document must be an object'] });
  }
  try {
    const { effectiveFrom: _placeholder, ...document } = validatePolicy({
      ...input,
      version,
      effectiveFrom: '1970-01-01T00:00:00.000Z',
    });
    return document;
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problems = ((error.detail.problems as string[] | undefined) ?? [error.message]).map(
      (problem) => `document.${problem}`,
    );
    throw new ValidationError(`invalid policy document: ${problems.join('; ')}`, { problems });
  }
}

/** Where a policy document names an assertion metric, and the tier of the systems it applies to (null: any). */
interface AssertionMetricUse {
  path: string;
  metric: string;
  /** The assertion's name (`assert.<name>`). */
  name: string;
  tier: RiskTier | null;
}

/** The overall pass rate of every assertion of a run: defined wherever any assertion is, not by one name. */
const OVERALL_ASSERTION_METRIC = 'assert.pass_rate';

/**
 * The floors and drift tolerances of a (validated) document on named assertion metrics (`assert.<name>`, not
 * `assert.pass_rate`): a production floor applies to its tier's systems, a staging floor and a drift tolerance to
 * every system. The names are what the store looks up (`systemsDefiningAssertion`).
 */
export function assertionMetricUses(document: PolicyDocument): AssertionMetricUse[] {
  const uses: AssertionMetricUse[] = [];
  const add = (path: string, metric: string, tier: RiskTier | null) => {
    if (metric.startsWith('assert.') && metric !== OVERALL_ASSERTION_METRIC)
      uses.push({ path, metric, name: metric.slice('assert.'.length), tier });
  };
  for (const tier of RISK_TIERS)
    document.promotionRules.production[tier].thresholdFloors.forEach((f, i) => {
      add(`promotionRules.production.${tier}.thresholdFloors[${i}].metric`, f.metric, tier);
    });
  document.promotionRules.staging.thresholdFloors.forEach((f, i) => {
    add(`promotionRules.staging.thresholdFloors[${i}].metric`, f.metric, null);
  });
  document.monitoring.driftThresholds.forEach((t, i) => {
    add(`monitoring.driftThresholds[${i}].metric`, t.metric, null);
  });
  return uses;
}

/**
 * A floor or drift tolerance on an assertion no dataset of the systems it applies to defines would judge nothing:
 * a 400 naming each, under `document.` (issue 17). `tiersDefining` gives, per assertion name, the risk tiers of the
 * systems that have a dataset defining it.
 */
export function assertUndefinedAssertionMetrics(
  uses: readonly AssertionMetricUse[],
  tiersDefining: ReadonlyMap<string, readonly RiskTier[]>,
): void {
  const undefinedUses = uses.filter((use) => {
    const tiers = tiersDefining.get(use.name) ?? [];
    return use.tier === null ? tiers.length === 0 : !tiers.includes(use.tier);
  });
  const problems = undefinedUses.map(
    (use) =>
      `document.${use.path} names ${use.metric}, which no dataset of ${use.tier === null ? 'any system' : `a ${use.tier}-tier system`} defines`,
  );
  const first = undefinedUses[0];
  if (first)
    throw new ValidationError(`invalid policy document: ${problems.join('; ')}`, {
      problems,
      field: `document.${first.path}`,
    });
}

/** Why the principal may not do something to a policy version (null: they may). */
export interface PolicyRefusal {
  kind: 'forbidden' | 'conflict';
  code?: 'INVALID_STATE' | 'POLICY_QUORUM_NOT_MET' | 'POLICY_BASE_CHANGED' | 'SEPARATION_OF_DUTIES';
  message: string;
}

const isAdmin = (p: Who) => p.roles.includes('admin');
const isGovernance = (p: Who) => p.roles.includes('reviewer:governance');
const forbidden = (message: string): PolicyRefusal => ({ kind: 'forbidden', message });
const wrongState = (version: PolicyVersion, action: string): PolicyRefusal => ({
  kind: 'conflict',
  code: 'INVALID_STATE',
  message: `policy version ${version.version} is ${version.status}: it cannot be ${action}`,
});

/** Admins and governance reviewers may draft a policy version. */
export function policyCreateRefusal(principal: Who): PolicyRefusal | null {
  return isAdmin(principal) || isGovernance(principal)
    ? null
    : forbidden(`${principal.userId} may not draft policy versions: admins and governance reviewers only`);
}

/** Only the author edits a draft, and only while it is a draft. */
export function policyEditRefusal(principal: Who, version: PolicyVersion): PolicyRefusal | null {
  if (version.createdBy.userId !== principal.userId) return forbidden('only the author of a draft may change it');
  return version.status === 'draft' ? null : wrongState(version, 'changed');
}

/** Only the author submits a draft. */
export function policySubmitRefusal(principal: Who, version: PolicyVersion): PolicyRefusal | null {
  if (version.createdBy.userId !== principal.userId) return forbidden('only the author of a draft may submit it');
  return canTransitionPolicy(version.status, 'submitted') ? null : wrongState(version, 'submitted');
}

/** A governance reviewer who did not write the version and has not approved it yet approves a submitted version. */
export function policyApprovalRefusal(principal: Who, version: PolicyVersion): PolicyRefusal | null {
  if (!isGovernance(principal)) return forbidden('only governance reviewers approve policy versions');
  if (version.createdBy.userId === principal.userId) {
    return {
      kind: 'forbidden',
      code: 'SEPARATION_OF_DUTIES',
      message: 'the author of a policy version may not approve it',
    };
  }
  if (version.status !== 'submitted') return wrongState(version, 'approved');
  if (version.approvals.some((a) => a.reviewerId === principal.userId)) {
    return { kind: 'conflict', code: 'INVALID_STATE', message: `${principal.userId} approved this version already` };
  }
  return null;
}

/** Distinct approvals of a version by people other than its author. */
export function countedApprovals(version: PolicyVersion): number {
  return new Set(version.approvals.map((a) => a.reviewerId).filter((id) => id !== version.createdBy.userId)).size;
}

/**
 * An admin or governance reviewer activates a submitted version whose base is still the active version and that has
 * the quorum of the larger of the active version's and its own activationQuorum.
 */
export function policyActivationRefusal(
  principal: Who,
  version: PolicyVersion,
  active: { version: number; document: Pick<PolicyDocument, 'governance'> } | null,
): PolicyRefusal | null {
  if (!isAdmin(principal) && !isGovernance(principal)) {
    return forbidden(`${principal.userId} may not activate policy versions: admins and governance reviewers only`);
  }
  if (!canTransitionPolicy(version.status, 'active')) return wrongState(version, 'activated');
  if ((active?.version ?? null) !== version.baseVersion) {
    return {
      kind: 'conflict',
      code: 'POLICY_BASE_CHANGED',
      message: `version ${active?.version ?? 'none'} was activated since this draft was based on ${version.baseVersion ?? 'none'}: draft again`,
    };
  }
  const needed = activationQuorum(active?.document ?? null, version.document);
  const have = countedApprovals(version);
  if (have < needed) {
    return {
      kind: 'conflict',
      code: 'POLICY_QUORUM_NOT_MET',
      message: `activation needs ${needed} distinct governance approvals; it has ${have}`,
    };
  }
  return null;
}

/** The author or an admin withdraws a draft or a submitted version. */
export function policyWithdrawRefusal(principal: Who, version: PolicyVersion): PolicyRefusal | null {
  if (version.createdBy.userId !== principal.userId && !isAdmin(principal)) {
    return forbidden('only the author of a policy version or an admin may withdraw it');
  }
  return canTransitionPolicy(version.status, 'withdrawn') ? null : wrongState(version, 'withdrawn');
}

/** Throws the refusal as a typed error (403 or 409 with its code); does nothing when there is none. */
export function assertNoRefusal(refusal: PolicyRefusal | null, version?: number): void {
  if (!refusal) return;
  const detail = { ...(refusal.code ? { code: refusal.code } : {}), ...(version ? { version } : {}) };
  throw refusal.kind === 'forbidden'
    ? new ForbiddenError(refusal.message, detail)
    : new ConflictError(refusal.message, detail);
}

/** The policy a promotion is judged under: the later (higher version) of the approval round's and the system's. */
export function laterPolicy<T extends { version: number }>(a: T | null | undefined, b: T): T {
  return a && a.version > b.version ? a : b;
}

/** One version of the policy as it was in force, as the model card and the EU AI Act report name it. */
export interface PolicyInForceRecord {
  version: number;
  /** null for a version the table does not hold (a table the genesis migration has not reached: DEFAULT_POLICY). */
  activatedAt: string | null;
  activatedBy: PolicyPerson | null;
  documentHash: string | null;
  /** When a later version replaced it; null while it is in force. */
  supersededAt: string | null;
}

/** The version a system is judged under now, and every version in force at some instant of its life, oldest first. */
export interface PolicyHistory {
  inForce: PolicyInForceRecord;
  history: PolicyInForceRecord[];
}

const inForceRecord = (v: PolicyVersion): PolicyInForceRecord => ({
  version: v.version,
  activatedAt: v.activatedAt,
  activatedBy: v.activatedBy ? { userId: v.activatedBy.userId, name: v.activatedBy.name } : null,
  documentHash: v.documentHash,
  supersededAt: v.supersededAt,
});

/**
 * The policy history of a system registered at `since` and judged now under version `inForce` (its META's copy):
 * of the stored `versions`, those activated and not superseded before `since` (drafts, submitted and withdrawn
 * versions were never in force), oldest first.
 */
export function systemPolicyHistory(versions: readonly PolicyVersion[], inForce: number, since: string): PolicyHistory {
  const history = versions
    .filter((v) => v.activatedAt !== null && (v.supersededAt === null || v.supersededAt > since))
    .sort((a, b) => a.version - b.version)
    .map(inForceRecord);
  const stored = versions.find((v) => v.version === inForce);
  const current: PolicyInForceRecord = stored
    ? inForceRecord(stored)
    : { version: inForce, activatedAt: null, activatedBy: null, documentHash: null, supersededAt: null };
  return { inForce: current, history: history.length > 0 ? history : [current] };
}
