// The promotion gate (rule 2), the only place that decides why a promotion is blocked. It lists every reason at once
// so that a pipeline, the CLI and the dashboard show the same list; the store gathers the facts (`GateFacts`) and
// states the same rules as conditions of its promotion transaction, so a verdict that raced a change is refused there.
import { snapshotMembers } from './artefact-kinds.js';
import {
  authorshipConflicts,
  authorsOf,
  describeAuthorship,
  type SnapshotAuthor,
  separationOfDuties,
  snapshotAuthors,
} from './authorship.js';
import {
  ActiveReleaseChangedError,
  type BlockReason,
  type BlockReasonCode,
  ForbiddenError,
  GateBlockedError,
  InvalidTransitionError,
  ValidationError,
} from './errors.js';
import { assertTransition } from './lifecycle.js';
import { blockingCardGaps, buildModelCard } from './model-card.js';
import {
  type ApprovalPolicy,
  approvalTally,
  blockingSeverities,
  countOpenIncidents,
  DEFAULT_POLICY,
  evalValidFrom,
  floorShortfalls,
  missingDatasetKinds,
  promotionRulesFor,
  requiredApprovals,
  requiredApproverCounts,
  requiresModelCard,
  type TierPromotionRules,
} from './policy.js';
import { applyWaivers, type RelaxationRequest, type WaivedReason } from './relaxation.js';
import { snapshotHash } from './snapshot.js';
import type {
  AiSystem,
  ApprovalRecord,
  ApprovalStatus,
  DatasetKind,
  Environment,
  EvalDataset,
  EvalRun,
  JudgeConfigVersion,
  ModelConfigVersion,
  Principal,
  PromptVersion,
  ReleaseCandidate,
  ReviewerRole,
  Severity,
} from './types.js';

/** A versioned artefact of the snapshot as the registry holds it now (null when it no longer exists). */
export type SnapshotArtefact = Pick<
  PromptVersion | ModelConfigVersion | JudgeConfigVersion,
  'id' | 'status' | 'contentHash'
> | null;

export interface GateInput {
  system: AiSystem;
  candidate: ReleaseCandidate;
  environment: Environment;
  /** The run named by the candidate's latestEvalRunId, or null when it has none. */
  latestEvalRun: EvalRun | null;
  /** Approval records of the candidate; records of other candidates are ignored. */
  approvals: ApprovalRecord[];
  requiredRoles: ReviewerRole[];
  /** The active release the caller expects to replace (ETag-style); undefined when the caller did not state one. */
  expectedActiveCandidateId?: string | null;
  /**
   * Required sections of the release's model card that are empty, when the policy requires a complete card for
   * this promotion (`blockingCardGaps` in model-card.ts); absent or empty when nothing is missing or required.
   */
  modelCardGaps?: string[];
  /**
   * The snapshot's own prompt version and model config as the registry holds them now: each must be approved and
   * still carry the hash the snapshot names. Absent when the caller judges without them (a rule in isolation).
   */
  artefacts?: {
    prompt: SnapshotArtefact;
    modelConfig: SnapshotArtefact;
    /** The judge config versions the candidate pins that the registry holds; one it lacks is missing here. */
    judges?: NonNullable<SnapshotArtefact>[];
  };
  /**
   * Incident severities that block this promotion (`blockingSeverities` of the policy for the system's tier and the
   * environment); absent, the default policy's.
   */
  blockingSeverities?: Severity[];
  /**
   * Everyone who authored what the candidate's approvals approve (`snapshotAuthors`); absent, the candidate's own
   * authors (a rule judged in isolation).
   */
  authors?: SnapshotAuthor[];
  /** Distinct approvers each required role needs (`requiredApproverCounts`); absent, one per role. */
  requiredApprovers?: Record<string, number>;
  /** The policy's promotion rules for this tier and environment (`promotionRulesFor`); absent, none apply. */
  rules?: TierPromotionRules;
  /** The kinds of the candidate's datasets as the registry holds them; absent, required kinds are not judged. */
  datasetKinds?: DatasetKind[];
  /** The instant the verdict is for (ISO 8601); absent, eval validity is not judged and no waiver applies. */
  now?: string;
  /** The candidate's waivers as the store read them; only approved, unexpired ones of its snapshot count. */
  waivers?: RelaxationRequest[];
}

/** What the store reads for one promotion verdict: the system's META, the candidate and the items it names. */
export interface GateFacts {
  system: AiSystem;
  candidate: ReleaseCandidate;
  /** The run named by the candidate's latestEvalRunId, or null. */
  run: EvalRun | null;
  /** The records of the candidate's approval round that exist. */
  approvals: ApprovalRecord[];
  prompt: PromptVersion | null;
  config: ModelConfigVersion | null;
  /** The judge config versions the candidate pins that exist (ADR 0036); absent, none. */
  judges?: JudgeConfigVersion[];
  /** The model config versions those judges call that exist; absent, none. */
  judgeModelConfigs?: ModelConfigVersion[];
  /** The candidate's datasets (immutable), for its model card. */
  datasets: EvalDataset[];
  /** The candidate's approved waivers (relaxation requests of kind waiver); absent, none. */
  waivers?: RelaxationRequest[];
}

/** The order in which reasons are listed; stable so that clients can diff two answers. */
export const BLOCK_REASON_ORDER: readonly BlockReasonCode[] = [
  'SYSTEM_RETIRED',
  'WRONG_ENVIRONMENT',
  'INVALID_STATE',
  'SNAPSHOT_INELIGIBLE',
  'EVAL_MISSING',
  'EVAL_FAILED',
  'EVAL_STALE',
  'EVAL_EXPIRED',
  'DATASET_KIND_MISSING',
  'THRESHOLD_BELOW_FLOOR',
  'APPROVALS_INCOMPLETE',
  'APPROVAL_REJECTED',
  'SEPARATION_OF_DUTIES',
  'MODEL_CARD_INCOMPLETE',
  'BLOCKING_INCIDENT_OPEN',
  'ACTIVE_RELEASE_CHANGED',
];

function list(items: readonly string[]): string {
  return items.join(', ');
}

function snapshotProblems(system: AiSystem, candidate: ReleaseCandidate, approvals: ApprovalRecord[]): string[] {
  const problems: string[] = [];
  if (candidate.systemId !== system.id) {
    problems.push(`candidate ${candidate.id} belongs to system ${candidate.systemId}, not ${system.id}`);
  }
  // Only the required members' hashes: an optional kind registered later is absent from older candidates.
  const fields = candidate as unknown as Readonly<Record<string, unknown>>;
  const required = snapshotMembers().flatMap((m) => (m.required ? [m.hashField] : []));
  const missing = [...required, 'snapshotHash'].filter((field) => !fields[field]);
  if (missing.length > 0) {
    problems.push(`candidate has no ${list(missing)}`);
  } else if (snapshotHash(candidate) !== candidate.snapshotHash) {
    // Recomputing binds the stored hash to the stored fields: an edited candidate cannot keep its old approvals.
    problems.push('the candidate snapshot hash does not match its prompt, model config, datasets and thresholds');
  }
  const foreign = approvals.filter((a) => a.snapshotHash !== candidate.snapshotHash);
  if (foreign.length > 0) {
    const names = foreign.map((a) => `${a.role} (${a.id}, snapshot ${a.snapshotHash})`);
    problems.push(`approvals tied to another snapshot: ${list(names)}`);
  }
  return problems;
}

function evalReasons(candidate: ReleaseCandidate, run: EvalRun | null): BlockReason[] {
  if (run === null) return [{ code: 'EVAL_MISSING', message: 'the candidate has no eval run' }];
  if (run.candidateId !== candidate.id) {
    return [{ code: 'EVAL_MISSING', message: `eval run ${run.id} belongs to candidate ${run.candidateId}` }];
  }
  const reasons: BlockReason[] = [];
  if (run.status === 'queued' || run.status === 'running') {
    reasons.push({ code: 'EVAL_MISSING', message: `the latest eval run ${run.id} has not finished (${run.status})` });
  } else if (run.status === 'failed' || run.status === 'error') {
    const why = run.status === 'error' ? (run.error ?? 'executor error') : list(run.failureReasons) || 'failed';
    reasons.push({ code: 'EVAL_FAILED', message: `the latest eval run ${run.id} ${run.status}: ${why}` });
  }
  if (run.snapshotHash !== candidate.snapshotHash) {
    reasons.push({
      code: 'EVAL_STALE',
      message: `the latest eval run ${run.id} judged snapshot ${run.snapshotHash}, the candidate is ${candidate.snapshotHash}`,
    });
  }
  return reasons;
}

/** Every reason why `input.candidate` may not be promoted now; empty when promotion is allowed. */
export function blockedReasons(input: GateInput): BlockReason[] {
  const { system, candidate, environment, latestEvalRun, requiredRoles } = input;
  const reasons: BlockReason[] = [];
  const add = (code: BlockReasonCode, message: string) => reasons.push({ code, message });

  if (system.status === 'retired') add('SYSTEM_RETIRED', `system ${system.id} is retired`);
  if (environment !== candidate.environment) {
    add('WRONG_ENVIRONMENT', `the candidate was built for ${candidate.environment}, not ${environment}`);
  }
  if (candidate.status !== 'approved') {
    add('INVALID_STATE', `the candidate is ${candidate.status}; only an approved candidate can be promoted`);
  }

  const ofCandidate = input.approvals.filter((a) => a.candidateId === candidate.id);
  const snapshot = snapshotProblems(system, candidate, ofCandidate);
  if (snapshot.length > 0) add('SNAPSHOT_INELIGIBLE', snapshot.join('; '));

  reasons.push(...evalReasons(candidate, latestEvalRun));
  if (input.rules) reasons.push(...policyRuleReasons(input, input.rules));

  // Only decisions on the candidate's own snapshot count; a decision without a known reviewer proves nothing.
  const current = ofCandidate.filter((a) => a.snapshotHash === candidate.snapshotHash);
  const approved = current.filter((a) => a.status === 'approved' && a.reviewerId !== null);
  const needed = Object.fromEntries(requiredRoles.map((role) => [role, input.requiredApprovers?.[role] ?? 1]));
  const short = approvalTally(needed, approved).filter((t) => t.approved < t.needed);
  if (short.length > 0) {
    const counts = short.map((t) => `${t.role} ${t.approved} of ${t.needed}`);
    add('APPROVALS_INCOMPLETE', `too few distinct approvers of the required roles: ${list(counts)}`);
  }

  const refusals = current.filter((a) => a.status === 'rejected' || a.status === 'changes_requested');
  if (refusals.length > 0) {
    const names = refusals.map((a) => `${a.role} ${a.status.replace('_', ' ')} by ${a.reviewerName ?? a.reviewerId}`);
    add('APPROVAL_REJECTED', list(names));
  }

  const duties: string[] = [];
  const authors = input.authors ?? authorsOf('candidate', candidate);
  const byAuthor = new Map<string, { roles: ReviewerRole[]; what: Set<string> }>();
  for (const a of approved) {
    const approver = { userId: a.reviewerId as string, githubLogin: a.reviewerGithubLogin };
    const conflicts = authorshipConflicts(authors, approver);
    if (conflicts.length === 0) continue;
    const entry = byAuthor.get(approver.userId) ?? { roles: [], what: new Set<string>() };
    entry.roles.push(a.role);
    for (const c of conflicts) entry.what.add(describeAuthorship(c));
    byAuthor.set(approver.userId, entry);
  }
  for (const [reviewerId, { roles, what }] of byAuthor) {
    duties.push(`${reviewerId} approved ${list(roles)} but authored what is approved: ${list([...what])}`);
  }
  const rolesByReviewer = new Map<string, Set<ReviewerRole>>();
  for (const a of approved) {
    const roles = rolesByReviewer.get(a.reviewerId as string) ?? new Set<ReviewerRole>();
    roles.add(a.role);
    rolesByReviewer.set(a.reviewerId as string, roles);
  }
  for (const [reviewerId, roles] of rolesByReviewer) {
    if (roles.size > 1) duties.push(`${reviewerId} approved more than one role: ${list([...roles])}`);
  }
  if (duties.length > 0) add('SEPARATION_OF_DUTIES', duties.join('; '));

  const gaps = input.modelCardGaps ?? [];
  if (gaps.length > 0) add('MODEL_CARD_INCOMPLETE', `the model card has empty required sections: ${list(gaps)}`);

  for (const message of artefactProblems(candidate, input.artefacts)) add('SNAPSHOT_INELIGIBLE', message);

  const blocking = input.blockingSeverities ?? blockingSeverities(system.riskTier, environment);
  // A META written before the per-severity counters has none until migration 0003 recounts it: blocked, never looser.
  const counted = (system as Partial<AiSystem>).openIncidents !== undefined;
  const open = counted ? blocking.filter((severity) => (system.openIncidents[severity] ?? 0) > 0) : [];
  if (!counted && blocking.length > 0) {
    add('BLOCKING_INCIDENT_OPEN', `the open incidents of system ${system.id} are not yet counted by severity`);
  } else if (open.length > 0) {
    const counts = open.map((severity) => `${system.openIncidents[severity]} ${severity}`);
    add(
      'BLOCKING_INCIDENT_OPEN',
      `${countOpenIncidents(system.openIncidents, open)} blocking incident(s) open on system ${system.id}: ${list(counts)} (${list(blocking)} block the ${environment} promotion of a ${system.riskTier} tier system)`,
    );
  }

  const actual = system.activeReleases[environment];
  if (input.expectedActiveCandidateId !== undefined && input.expectedActiveCandidateId !== actual) {
    add(
      'ACTIVE_RELEASE_CHANGED',
      `the active ${environment} release is ${actual ?? 'none'}, not ${input.expectedActiveCandidateId ?? 'none'} as expected`,
    );
  }

  return reasons.sort((a, b) => BLOCK_REASON_ORDER.indexOf(a.code) - BLOCK_REASON_ORDER.indexOf(b.code));
}

/** The gate's verdict: what still blocks, what a waiver removed (with who and until when) and the waivers it used. */
export interface GateVerdict {
  reasons: BlockReason[];
  waived: WaivedReason[];
  used: RelaxationRequest[];
}

/** Every reason that blocks, after the candidate's approved, unexpired waivers of its snapshot (relaxation.ts). */
export function gateVerdict(input: GateInput): GateVerdict {
  const reasons = blockedReasons(input);
  if (!input.waivers?.length || input.now === undefined) return { reasons, waived: [], used: [] };
  return applyWaivers(reasons, input.waivers, input.candidate.snapshotHash, input.now);
}

/** EVAL_EXPIRED, DATASET_KIND_MISSING and THRESHOLD_BELOW_FLOOR: the policy's rules for the tier (policy.ts). */
function policyRuleReasons(input: GateInput, rules: TierPromotionRules): BlockReason[] {
  const { candidate, latestEvalRun: run } = input;
  const reasons: BlockReason[] = [];
  const validFrom = input.now === undefined ? null : evalValidFrom(rules, input.now);
  // Only a passing run of this candidate can expire: a failed or missing one is blocked for its own reason.
  if (validFrom !== null && run && run.candidateId === candidate.id && run.status === 'passed') {
    if (run.finishedAt === null || run.finishedAt < validFrom) {
      reasons.push({
        code: 'EVAL_EXPIRED',
        message: `the latest eval run ${run.id} finished at ${run.finishedAt ?? 'an unknown time'}; the policy keeps an eval valid for ${rules.evalValidityHours} h (from ${validFrom})`,
      });
    }
  }
  if (input.datasetKinds) {
    const missing = missingDatasetKinds(rules, input.datasetKinds);
    if (missing.length > 0) {
      reasons.push({
        code: 'DATASET_KIND_MISSING',
        message: `the policy requires a dataset of each kind, and the candidate has none of: ${list(missing)}`,
      });
    }
  }
  const shortfalls = floorShortfalls(rules, candidate.thresholds);
  if (shortfalls.length > 0) {
    const named = shortfalls.map(
      (f) =>
        `${f.metric} ${f.threshold === null ? `has no ${f.direction} threshold` : `threshold ${f.threshold}`} (floor ${f.direction === 'min' ? '>=' : '<='} ${f.floor})`,
    );
    reasons.push({
      code: 'THRESHOLD_BELOW_FLOOR',
      message: `thresholds looser than the policy's floors: ${list(named)}`,
    });
  }
  return reasons;
}

function artefactProblems(candidate: ReleaseCandidate, artefacts: GateInput['artefacts']): string[] {
  if (!artefacts) return [];
  const problems: string[] = [];
  for (const [label, artefact, hash] of [
    ['prompt version', artefacts.prompt, candidate.promptContentHash],
    ['model config', artefacts.modelConfig, candidate.modelConfigContentHash],
  ] as const) {
    if (!artefact || artefact.contentHash !== hash) problems.push(`the ${label} no longer matches the snapshot`);
    else if (artefact.status !== 'approved')
      problems.push(`the ${label} ${artefact.id} is ${artefact.status}, not approved`);
  }
  // Every judge the snapshot pins: approved and still of the pinned hash, so the judge cannot change under a release.
  for (const pinned of candidate.judgeConfigs ?? []) {
    const judge = artefacts.judges?.find((j) => j.id === pinned.id);
    if (!judge || judge.contentHash !== pinned.contentHash)
      problems.push(`the judge config ${pinned.id} no longer matches the snapshot`);
    else if (judge.status !== 'approved')
      problems.push(`the judge config ${judge.id} is ${judge.status}, not approved`);
  }
  return problems;
}

/**
 * The roles a promotion needs: those of the candidate's approval round and those the system's current risk tier
 * asks for. Raising a tier after approval adds roles (the candidate must be rebuilt and approved again); lowering
 * it never removes any.
 */
export function promotionRoles(
  system: AiSystem,
  candidate: ReleaseCandidate,
  environment: Environment,
  policy: ApprovalPolicy = DEFAULT_POLICY,
): ReviewerRole[] {
  return [...new Set([...requiredApprovals(system.riskTier, environment, policy), ...candidate.requiredRoles])];
}

/**
 * Distinct approvers each of `roles` needs: the larger of what the policy asks for the system's current tier and
 * how many records the candidate's round opened for the role, so that neither a tier lowered since nor a policy
 * loosened since lets fewer people suffice than the round asked for.
 */
function promotionApprovers(
  facts: Pick<GateFacts, 'system' | 'approvals'>,
  environment: Environment,
  roles: readonly ReviewerRole[],
  policy: ApprovalPolicy = DEFAULT_POLICY,
): Record<string, number> {
  const counts = requiredApproverCounts(facts.system.riskTier, environment, roles, policy);
  for (const role of roles) {
    const opened = facts.approvals.filter((a) => a.role === role).length;
    counts[role] = Math.max(counts[role] ?? 1, opened);
  }
  return counts;
}

/**
 * The empty required sections of the release's model card when the policy requires a complete card for this
 * promotion (production, by risk tier). Without its prompt or model config there is no card; SNAPSHOT_INELIGIBLE
 * says why.
 */
function modelCardGaps(facts: GateFacts, environment: Environment, policy: ApprovalPolicy = DEFAULT_POLICY): string[] {
  const { system, candidate, prompt, config } = facts;
  if (!prompt || !config || !requiresModelCard(system.riskTier, environment, policy)) return [];
  const card = buildModelCard({
    system,
    candidate,
    prompt,
    modelConfig: config,
    datasets: facts.datasets,
    evalRun: facts.run,
    approvals: facts.approvals,
    releaseHistory: [],
    generatedAt: candidate.createdAt,
  });
  return blockingCardGaps(card, environment, policy);
}

/** The gate's input for a promotion of `facts.candidate` to `environment`, judged by `policy`. */
export function gateInput(
  facts: GateFacts,
  environment: Environment,
  expectedActiveCandidateId?: string | null,
  policy: ApprovalPolicy = DEFAULT_POLICY,
  now?: string,
): GateInput {
  const requiredRoles = promotionRoles(facts.system, facts.candidate, environment, policy);
  return {
    system: facts.system,
    candidate: facts.candidate,
    environment,
    latestEvalRun: facts.run,
    approvals: facts.approvals,
    requiredRoles,
    requiredApprovers: promotionApprovers(facts, environment, requiredRoles, policy),
    rules: promotionRulesFor(facts.system.riskTier, environment, policy),
    // A dataset the candidate names but the registry lacks has no kind: it cannot satisfy a required kind.
    datasetKinds: facts.datasets.map((d) => d.kind),
    ...(now !== undefined ? { now } : {}),
    ...(expectedActiveCandidateId !== undefined ? { expectedActiveCandidateId } : {}),
    modelCardGaps: modelCardGaps(facts, environment, policy),
    artefacts: { prompt: facts.prompt, modelConfig: facts.config, ...(facts.judges ? { judges: facts.judges } : {}) },
    blockingSeverities: blockingSeverities(facts.system.riskTier, environment, policy),
    authors: snapshotAuthors(facts),
    ...(facts.waivers?.length ? { waivers: facts.waivers } : {}),
  };
}

/**
 * The ETag-style precondition of a promote or rollback: ActiveReleaseChangedError when the active release of the
 * environment (`actual`, as read or as the table holds it now) is not the one the caller `expected`; else undefined.
 */
export function activeReleaseChanged(
  expected: string | null,
  actual: string | null,
): ActiveReleaseChangedError | undefined {
  return actual === expected ? undefined : new ActiveReleaseChangedError(expected, actual);
}

/**
 * Throws GateBlockedError with every reason that still blocks after the waivers, or ActiveReleaseChangedError when
 * that is the only reason; else returns the verdict (the waivers it used become conditions of the promotion).
 */
export function assertPromotable(input: GateInput): GateVerdict {
  const verdict = gateVerdict(input);
  const { reasons } = verdict;
  if (reasons.length === 0) return verdict;
  // A lone stale precondition is its own error type: the caller must re-read, and must never retry blindly.
  if (reasons.length === 1 && reasons[0]?.code === 'ACTIVE_RELEASE_CHANGED') {
    throw new ActiveReleaseChangedError(
      input.expectedActiveCandidateId ?? null,
      input.system.activeReleases[input.environment],
    );
  }
  throw new GateBlockedError(reasons);
}

export interface ApprovalDecisionInput {
  candidate: ReleaseCandidate;
  /** The record being decided. */
  approval: ApprovalRecord;
  /** Every approval record of the candidate (may include `approval`). */
  approvals: ApprovalRecord[];
  reviewer: Principal;
  /** The decision about to be recorded; named in the error when the approval is no longer pending. */
  decision?: Exclude<ApprovalStatus, 'pending'>;
  /** Everyone who authored the snapshot (`snapshotAuthors`); absent, the candidate's own authors. */
  authors?: SnapshotAuthor[];
}

/** Throws unless `reviewer` may decide `approval` now: role (403), separation of duties (403), pending (409). */
export function approvalDecisionCheck(input: ApprovalDecisionInput): void {
  const { candidate, approval, approvals, reviewer } = input;
  if (approval.candidateId !== candidate.id) {
    throw new ValidationError(
      `approval ${approval.id} belongs to candidate ${approval.candidateId}, not ${candidate.id}`,
    );
  }
  // Admin grants no reviewer role: a decision must come from someone accountable for that role.
  if (!reviewer.roles.includes(`reviewer:${approval.role}`)) {
    throw new ForbiddenError(`deciding a ${approval.role} approval needs the reviewer:${approval.role} role`, {
      requiredRole: `reviewer:${approval.role}`,
    });
  }
  const duties = separationOfDuties(input.authors ?? authorsOf('candidate', candidate), reviewer);
  if (!duties.allowed) {
    throw new ForbiddenError(`an author cannot decide the approvals of what they authored: ${duties.message}`, {
      code: 'SEPARATION_OF_DUTIES',
      authorship: duties.conflicts,
    });
  }
  // One person is one approver: not of two roles (as before the policy counted approvers), and not twice of one
  // role whose policy asks for several distinct people.
  const already = approvals.find(
    (a) =>
      a.candidateId === candidate.id &&
      a.id !== approval.id &&
      a.status === 'approved' &&
      a.reviewerId === reviewer.userId,
  );
  if (already) {
    const what =
      already.role === approval.role
        ? `already approved the ${already.role} role of this candidate once; it needs distinct approvers`
        : `already approved the ${already.role} role of this candidate`;
    throw new ForbiddenError(`${reviewer.userId} ${what}`, { code: 'SEPARATION_OF_DUTIES' });
  }
  if (input.decision !== undefined) assertTransition('approval', approval.status, input.decision);
  else if (approval.status !== 'pending') throw new InvalidTransitionError('approval', approval.status, 'decided');
}
