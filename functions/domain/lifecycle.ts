// Lifecycle state machines of every governed artefact. The store also conditions its writes on the `from` state,
// so these tables decide what is allowed and the conditional write decides who wins a race.
import { ARTEFACT_KIND_NAMES, type ArtefactKindName } from './artefact-kinds.js';
import { InvalidTransitionError } from './errors.js';
import type {
  ApprovalStatus,
  ArtefactStatus,
  CandidateStatus,
  EvalRunStatus,
  IncidentStatus,
  SystemStatus,
} from './types.js';

/** The status type of each artefact that has a lifecycle, keyed by the entity names the store uses. */
export interface LifecycleStatuses extends Record<ArtefactKindName, ArtefactStatus> {
  system: SystemStatus;
  candidate: CandidateStatus;
  eval_run: EvalRunStatus;
  approval: ApprovalStatus;
  incident: IncidentStatus;
}

export type LifecycleEntity = keyof LifecycleStatuses;

type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

// Every registered artefact kind (prompt and model config versions) shares one table: immutable once submitted,
// so no way back to draft.
const ARTEFACT_TRANSITIONS: TransitionTable<ArtefactStatus> = {
  draft: ['in_review'],
  in_review: ['approved', 'rejected'],
  approved: [],
  rejected: [],
};

const ARTEFACT_KIND_TRANSITIONS = Object.fromEntries(
  ARTEFACT_KIND_NAMES.map((kind) => [kind, ARTEFACT_TRANSITIONS]),
) as Record<ArtefactKindName, TransitionTable<ArtefactStatus>>;

/** Allowed transitions per artefact: `TRANSITIONS[entity][from]` lists every permitted `to`. */
const TRANSITIONS: { readonly [E in LifecycleEntity]: TransitionTable<LifecycleStatuses[E]> } = {
  system: {
    draft: ['active', 'retired'],
    // Un-deprecating is allowed: deprecation announces retirement, it does not perform it.
    active: ['deprecated', 'retired'],
    deprecated: ['active', 'retired'],
    retired: [],
  },
  ...ARTEFACT_KIND_TRANSITIONS,
  candidate: {
    draft: ['submitted'],
    // An evaluation can be re-run after a pass or a fail; an executor error returns the candidate to submitted.
    submitted: ['evaluating'],
    evaluating: ['eval_passed', 'eval_failed', 'submitted'],
    eval_passed: ['evaluating', 'awaiting_approval'],
    eval_failed: ['evaluating'],
    // Changes requested and an expired request both send the candidate back to eval_passed, not to rejected:
    // the snapshot is still sound, only the approval round has to start again.
    awaiting_approval: ['approved', 'rejected', 'eval_passed'],
    approved: ['active'],
    rejected: [],
    active: ['superseded', 'rolled_back'],
    // A rollback re-activates an earlier release; a rolled_back release never comes back.
    superseded: ['active'],
    rolled_back: [],
  },
  eval_run: {
    queued: ['running', 'error'],
    // aggregating: every case of a submitted run is posted; a background step computes the verdict.
    running: ['aggregating', 'passed', 'failed', 'error'],
    aggregating: ['passed', 'failed', 'error'],
    passed: [],
    failed: [],
    error: [],
  },
  approval: {
    // expired: the release gate's timeout closed the round before this record was decided.
    pending: ['approved', 'rejected', 'changes_requested', 'expired'],
    approved: [],
    rejected: [],
    changes_requested: [],
    expired: [],
  },
  incident: {
    open: ['mitigating', 'resolved'],
    // A mitigation that does not hold reopens the incident.
    mitigating: ['resolved', 'open'],
    resolved: [],
  },
};

/** Whether `entity` may move from `from` to `to`; unknown statuses are never allowed. */
export function canTransition<E extends LifecycleEntity>(
  entity: E,
  from: LifecycleStatuses[E],
  to: LifecycleStatuses[E],
): boolean {
  const table: Readonly<Record<string, readonly string[] | undefined>> = TRANSITIONS[entity];
  // Own-property lookup: statuses read from storage are strings, and "constructor" must not find a prototype member.
  const allowed = Object.hasOwn(table, from) ? table[from] : undefined;
  return allowed?.includes(to) ?? false;
}

/** Throws InvalidTransitionError unless `entity` may move from `from` to `to`. */
export function assertTransition<E extends LifecycleEntity>(
  entity: E,
  from: LifecycleStatuses[E],
  to: LifecycleStatuses[E],
): void {
  if (!canTransition(entity, from, to)) throw new InvalidTransitionError(entity, from, to);
}
