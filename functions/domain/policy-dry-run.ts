// The dry run of a policy document (issue 15, item 3): before anyone approves a draft, which open candidates and
// active releases it would block, by which reason, and which of those reasons the policy in force does not raise.
// Pure: the job (functions/store/policy-dry-runs.ts) gathers each subject's gate facts and asks here; the verdict
// is the promotion gate's own (gate.ts), judged once under the draft and once under the policy in force.

import type { BlockReason, BlockReasonCode } from './errors.js';
import { ForbiddenError, ValidationError } from './errors.js';
import { blockedReasons, type GateFacts, gateInput } from './gate.js';
import { type ApprovalPolicy, validatePolicy } from './policy.js';
import type { CandidateStatus, Environment, Principal, RiskTier } from './types.js';

/** What one result of a dry run is about: a candidate not yet released, or the active release of an environment. */
export type DryRunSubject = 'candidate' | 'active-release';

/** One subject the draft would block, and which of its reasons the policy in force does not raise. */
export interface DryRunItem {
  systemId: string;
  systemName: string;
  riskTier: RiskTier;
  subject: DryRunSubject;
  candidateId: string;
  environment: Environment;
  reasons: BlockReason[];
  /** Codes raised under the draft but not under the policy in force. */
  newlyBlocked: BlockReasonCode[];
}

type DryRunStatus = 'running' | 'succeeded' | 'failed';

interface DryRunSummary {
  candidatesChecked: number;
  releasesChecked: number;
  /** Subjects the draft blocks for at least one reason (each is an item of the result). */
  blocked: number;
}

/** A dry run as the API shows it, without its result items. */
export interface PolicyDryRun {
  id: string;
  status: DryRunStatus;
  startedAt: string;
  finishedAt: string | null;
  progress: { systemsDone: number; systemsTotal: number | null };
  summary: DryRunSummary | null;
  /** Why the job failed (no secrets, no internals); null unless failed. */
  error: string | null;
  requestedBy: { userId: string; name: string };
}

/** How long a dry run and its result stay in the table before DynamoDB's TTL removes them. */
const DRY_RUN_RETENTION_DAYS = 7;

/** Candidates still on their way to a release: every status before active and not rejected or retired. */
export const OPEN_CANDIDATE_STATUSES: readonly CandidateStatus[] = [
  'draft',
  'submitted',
  'evaluating',
  'eval_passed',
  'eval_failed',
  'awaiting_approval',
  'approved',
];

/**
 * The reasons that apply to a release already active: the rules a policy sets over what was released and over the
 * system it runs in. Approvers and roles (APPROVALS_INCOMPLETE), required dataset kinds, threshold floors, the model
 * card and blocking incidents would all refuse the same release if it were promoted (or rolled back to) again.
 * Not judged: its lifecycle state (an active release is not `approved`), the eval's age (EVAL_EXPIRED governs the
 * time between an eval and a promotion; a live release is watched by monitoring), and the reasons no policy sets
 * (snapshot, eval verdict, separation of duties, the ETag-style precondition), which the release passed when it
 * was promoted and no draft can change.
 */
export const RELEASE_REASON_CODES: readonly BlockReasonCode[] = [
  'DATASET_KIND_MISSING',
  'THRESHOLD_BELOW_FLOOR',
  'APPROVALS_INCOMPLETE',
  'MODEL_CARD_INCOMPLETE',
  'BLOCKING_INCIDENT_OPEN',
];

/** Codes of `draft` that `current` does not raise, in the order the gate lists them, each once. */
export function newlyBlockedCodes(draft: readonly BlockReason[], current: readonly BlockReason[]): BlockReasonCode[] {
  const before = new Set(current.map((r) => r.code));
  return [...new Set(draft.map((r) => r.code))].filter((code) => !before.has(code));
}

/** The verdict on one subject: every reason under the draft and the codes the policy in force does not raise. */
export interface DryRunVerdict {
  reasons: BlockReason[];
  newlyBlocked: BlockReasonCode[];
}

function judge(
  facts: GateFacts,
  environment: Environment,
  policies: { draft: ApprovalPolicy; current: ApprovalPolicy },
  now: string,
  keep: (reason: BlockReason) => boolean,
): DryRunVerdict {
  const under = (policy: ApprovalPolicy) =>
    blockedReasons(gateInput(facts, environment, undefined, policy, now)).filter(keep);
  const reasons = under(policies.draft);
  return { reasons, newlyBlocked: newlyBlockedCodes(reasons, under(policies.current)) };
}

/** Why an open candidate could not be promoted to its target environment under the draft, as the gate says it. */
export function dryRunCandidate(
  facts: GateFacts,
  policies: { draft: ApprovalPolicy; current: ApprovalPolicy },
  now: string,
): DryRunVerdict {
  return judge(facts, facts.candidate.environment, policies, now, () => true);
}

/** Which of the policy's rules (RELEASE_REASON_CODES) the active release of `environment` would now fail. */
export function dryRunActiveRelease(
  facts: GateFacts,
  environment: Environment,
  policies: { draft: ApprovalPolicy; current: ApprovalPolicy },
  now: string,
): DryRunVerdict {
  return judge(facts, environment, policies, now, (r) => RELEASE_REASON_CODES.includes(r.code));
}

/** Whether `status` is an open candidate's (one a dry run judges for promotion). */
export function isOpenCandidate(status: CandidateStatus): boolean {
  return OPEN_CANDIDATE_STATUSES.includes(status);
}

/** Admins and governance reviewers may dry-run a policy: it reads every system of the organisation. */
export function assertCanDryRunPolicy(principal: Principal): void {
  if (!principal.roles.includes('admin') && !principal.roles.includes('reviewer:governance')) {
    throw new ForbiddenError('only admins and governance reviewers may dry-run a policy', {
      requiredRole: 'reviewer:governance',
    });
  }
}

/**
 * The policy a dry run judges by: `document` validated as a policy, its version and effectiveFrom filled when absent
 * (the version after `current`'s, effective `now`), as a draft has neither until it is activated. Problems name the
 * field under `document.`.
 */
export function dryRunPolicy(document: unknown, current: ApprovalPolicy, now: string): ApprovalPolicy {
  const filled =
    typeof document === 'object' && document !== null && !Array.isArray(document)
      ? { version: current.version + 1, effectiveFrom: now, ...document }
      : document;
  try {
    return validatePolicy(filled);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const problems = ((error.detail.problems as string[] | undefined) ?? [error.message]).map((p) => `document.${p}`);
    throw new ValidationError(`invalid policy document: ${problems.join('; ')}`, { field: 'document', problems });
  }
}

/** The instant (seconds since the epoch) DynamoDB's TTL may remove a dry run started at `startedAt`. */
export function dryRunExpiry(startedAt: string): number {
  return Math.floor(Date.parse(startedAt) / 1000) + DRY_RUN_RETENTION_DAYS * 24 * 60 * 60;
}
