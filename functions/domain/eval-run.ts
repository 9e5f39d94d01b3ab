// A new eval run as an entity: pure, so the store's queued runs and its monitoring and rollback-validation runs
// share one shape.
import { newId } from './ids.js';
import type { Actor, EvalRun, ReleaseCandidate } from './types.js';

/** A new run of `candidate` with nothing scored yet: the one shape queued, monitoring and validation runs share. */
export function newEvalRun(
  candidate: ReleaseCandidate,
  actor: Actor,
  now: string,
  fields: Pick<EvalRun, 'executor' | 'status' | 'totalCases' | 'startedAt'> &
    Partial<Pick<EvalRun, 'purpose' | 'datasetIds'>>,
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
