// The writes that start a monitoring or rollback-validation run (a check run) inside a unit of work: the run item,
// running with nothing scored, and its audit event. Shared by monitoring, a person's rollback request and the
// rollback request monitoring opens, so that every check run has one shape. The eval state machine scores it
// (functions/workflows/eval-steps.ts); the release it judges does not change.
import { ConflictError, ValidationError } from '../domain/errors.js';
import { newEvalRun } from '../domain/eval-run.js';
import type { EvalDataset, EvalRun, EvalRunPurpose, ExecutorKind, ReleaseCandidate } from '../domain/types.js';
import { keys } from './keys.js';
import type { SystemTx } from './unit-of-work.js';

export interface CheckRunSpec {
  purpose: Exclude<EvalRunPurpose, 'gate'>;
  executor: Exclude<ExecutorKind, 'submitted'>;
  executorNote?: string | null;
  rollbackRequestId?: string;
}

/**
 * Adds a check run of `candidate` over `datasets` to the transaction, status running (the state machine's Prepare
 * finds it running and plans its batches; a check run has no queued state, as nothing else waits on it).
 */
export function writeCheckRun(
  tx: SystemTx,
  candidate: ReleaseCandidate,
  datasets: readonly (EvalDataset | undefined)[],
  spec: CheckRunSpec,
): EvalRun {
  if (datasets.length === 0) throw new ValidationError('a check run needs at least one dataset');
  if (datasets.some((d) => !d || d.systemId !== candidate.systemId))
    throw new ValidationError('a dataset does not belong to the release’s system', { field: 'datasetIds' });
  const datasetIds = datasets.map((d) => (d as EvalDataset).id);
  const totalCases = datasets.reduce((n, d) => n + (d?.caseCount ?? 0), 0);
  if (totalCases === 0) throw new ConflictError('the datasets hold no cases', { code: 'EVAL_MISSING' });
  const run = newEvalRun(candidate, tx.actor, tx.now, {
    executor: spec.executor,
    status: 'running',
    totalCases,
    startedAt: tx.now,
    purpose: spec.purpose,
    datasetIds,
    ...(spec.executorNote ? { executorNote: spec.executorNote } : {}),
    ...(spec.rollbackRequestId ? { rollbackRequestId: spec.rollbackRequestId } : {}),
  });
  tx.put({ ...keys.evalRun(run.id), ...keys.evalRunIndexes(candidate.id, run.id), itemType: 'eval_run', ...run });
  tx.audit({
    action: 'eval_run.started',
    entityType: 'eval_run',
    entityId: run.id,
    after: {
      status: 'running',
      purpose: spec.purpose,
      executor: spec.executor,
      ...(spec.executorNote ? { executorNote: spec.executorNote } : {}),
      candidateId: candidate.id,
      candidateStatus: candidate.status,
      datasetIds,
      totalCases,
      snapshotHash: candidate.snapshotHash,
      ...(spec.rollbackRequestId ? { rollbackRequestId: spec.rollbackRequestId } : {}),
    },
  });
  return run;
}
