// A new eval run as an entity: pure, so the store's queued runs and its monitoring and rollback-validation runs
// share one shape.
import { newId } from './ids.js';
import type { Actor, EvalRun, ExecutorKind, ReleaseCandidate } from './types.js';

/** A new run of `candidate` with nothing scored yet: the one shape queued, monitoring and validation runs share. */
export function newEvalRun(
  candidate: ReleaseCandidate,
  actor: Actor,
  now: string,
  fields: Pick<EvalRun, 'executor' | 'status' | 'totalCases' | 'startedAt'> &
    Partial<Pick<EvalRun, 'purpose' | 'datasetIds' | 'executorNote' | 'rollbackRequestId' | 'sampleWindow'>>,
): EvalRun {
  return {
    id: newId('run'),
    systemId: candidate.systemId,
    candidateId: candidate.id,
    snapshotHash: candidate.snapshotHash,
    casesDone: 0,
    metrics: null,
    slices: [],
    thresholdVerdicts: [],
    comparisons: [],
    failureReasons: [],
    error: null,
    createdAt: now,
    createdBy: actor.userId,
    finishedAt: null,
    ...fields,
  };
}

/**
 * The executor a monitoring or rollback-validation run of a release uses (ADR 0032): the one its approval-time gate
 * run used, so the release is judged as it was approved (`provider`, `http`, `simulated`). A release gated on
 * `submitted` outputs cannot be re-run by the control plane (the pipeline produced them): it is re-run on
 * `simulated`, and the note says so on the run and in the evidence. So is a release whose gate run is not found.
 */
export function checkRunExecutor(approvalRun: Pick<EvalRun, 'id' | 'executor'> | null): {
  executor: Exclude<ExecutorKind, 'submitted'>;
  note: string | null;
} {
  if (!approvalRun)
    return { executor: 'simulated', note: 'no approval-time gate run was found: re-run on the simulated executor' };
  if (approvalRun.executor === 'submitted')
    return {
      executor: 'simulated',
      note: `the release was gated on submitted outputs (run ${approvalRun.id}), which the control plane cannot produce again: re-run on the simulated executor`,
    };
  return { executor: approvalRun.executor, note: null };
}
