// A rollback since ADR 0032 answers 202 while the target's rollback_validation run runs; the rollback commits (or is
// blocked or refused) when the run ends. This shows that request until it settles: the validation run's progress,
// then the outcome, polling GET /api/release-candidates/{id}/rollback as `govern rollback` does.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link } from 'react-router';
import type { EvalRun, RollbackRequest } from '../../functions/domain/types';
import { api } from './api';
import { Badge } from './ui';

/** The 202 answer of POST /api/release-candidates/{id}/rollback. */
interface RollbackAnswer {
  rollbackRequest: RollbackRequest;
  validationRunId: string | null;
  status: RollbackRequest['status'];
}

const settled = (status: RollbackRequest['status'] | undefined) => status !== undefined && status !== 'validating';

export function isRollbackAnswer(value: unknown): value is RollbackAnswer {
  return typeof value === 'object' && value !== null && 'rollbackRequest' in value;
}

export function RollbackProgress({ candidateId, answer }: { candidateId: string; answer: RollbackAnswer }) {
  const client = useQueryClient();
  const request = useQuery({
    queryKey: ['rollback-request', candidateId, answer.rollbackRequest.id],
    queryFn: () => api.get<RollbackRequest>(`/api/release-candidates/${candidateId}/rollback`),
    initialData: answer.rollbackRequest,
    refetchInterval: (q) => (settled(q.state.data?.status) ? false : 1000),
  });
  const current = request.data ?? answer.rollbackRequest;
  const runId = current.validationRunId;
  const run = useQuery({
    queryKey: ['eval-run', runId],
    queryFn: () => api.get<EvalRun>(`/api/eval-runs/${runId}`),
    enabled: runId !== null && !settled(current.status),
    refetchInterval: 1000,
  });
  const done = settled(current.status);
  useEffect(() => {
    // The candidate, the system and the queue change when the rollback settles: read them again once.
    if (done) void client.invalidateQueries();
  }, [done, client]);
  return (
    <div className="rollback-progress">
      <p>
        Rollback request <code>{current.id}</code> <Badge value={current.status} />
      </p>
      {current.status === 'validating' ? (
        <p>
          Validating the target on its rollback_validation datasets
          {runId ? (
            <>
              {' '}
              (<Link to={`/eval-runs/${runId}`}>run {runId}</Link>
              {run.data ? `: ${run.data.casesDone} of ${run.data.totalCases} cases` : ''})
            </>
          ) : null}
          ; the rollback commits when it passes.
        </p>
      ) : null}
      {current.status === 'rolled_back' ? (
        <p>
          Rolled back to <Link to={`/candidates/${current.targetCandidateId}`}>{current.targetCandidateId}</Link>
          {current.rollbackId ? (
            <>
              {' '}
              (rollback <code>{current.rollbackId}</code>)
            </>
          ) : null}
          {current.validation ? `. ${current.validation.message}` : '.'}
        </p>
      ) : null}
      {current.problem ? (
        <p className="problem" role="alert">
          Not rolled back: <code>{current.problem.code}</code> {current.problem.message}
        </p>
      ) : null}
    </div>
  );
}
