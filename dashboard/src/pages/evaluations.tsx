import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import type { EvalRun, ReleaseCandidate } from '../../../functions/domain/types';
import { api, getAll, type Page } from '../api';
import { Badge, DataState, fmt, Time } from '../ui';

export default function EvaluationsPage() {
  const runs = useQuery({
    queryKey: ['eval-runs', 'recent'],
    queryFn: () => api.get<Page<EvalRun>>('/api/eval-runs', { limit: 50 }),
    refetchInterval: (q) =>
      q.state.data?.items.some((r) => ['queued', 'running', 'aggregating'].includes(r.status)) ? 2000 : false,
  });
  const candidates = useQuery({
    queryKey: ['candidates', 'all'],
    queryFn: () => getAll<ReleaseCandidate>('/api/release-candidates', {}, 5),
  });
  const names = new Map((candidates.data?.items ?? []).map((c) => [c.id, c.name]));
  const items = runs.data?.items ?? [];
  const passed = items.filter((r) => r.status === 'passed').length;
  const failed = items.filter((r) => r.status === 'failed').length;
  const errored = items.filter((r) => r.status === 'error').length;
  return (
    <section>
      <div className="page-head">
        <h1>Evaluations</h1>
        <span className="muted" aria-live="polite">
          {runs.data ? `latest ${items.length}: ${passed} passed, ${failed} failed, ${errored} errored` : '\u00a0'}
        </span>
      </div>
      {/* One loading state for runs and candidate names: the table lays out once, columns never jump. */}
      <DataState
        query={{ ...runs, isPending: runs.isPending || candidates.isPending }}
        label="eval runs"
        minHeight={360}
        isEmpty={(d) => d.items.length === 0}
      >
        {(d) => (
          <table className="dense">
            <caption className="sr-only">Recent eval runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Candidate</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Accuracy</th>
                <th scope="col">p95 latency ms</th>
                <th scope="col">Mean cost USD</th>
                <th scope="col">Thresholds</th>
                <th scope="col">Baselines</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/eval-runs/${r.id}`}>
                      <code>{r.id.slice(0, 14)}…</code>
                    </Link>
                  </td>
                  <td>
                    <Link to={`/candidates/${r.candidateId}`}>{names.get(r.candidateId) ?? r.candidateId}</Link>
                  </td>
                  <td>
                    <Badge value={r.status} />
                  </td>
                  <td className="num">
                    {r.casesDone}/{r.totalCases}
                  </td>
                  <td className="num">{fmt(r.metrics?.accuracy)}</td>
                  <td className="num">{fmt(r.metrics?.latencyP95Ms, 0)}</td>
                  <td className="num">{fmt(r.metrics?.costMeanUsd, 5)}</td>
                  <td className="num">
                    {r.thresholdVerdicts.filter((v) => v.passed).length}/{r.thresholdVerdicts.length}
                  </td>
                  <td>
                    {r.comparisons.length === 0
                      ? '—'
                      : r.comparisons.map((c) => (
                          <Badge key={c.baseline} value={c.passed ? 'passed' : 'failed'} title={c.baseline} />
                        ))}
                  </td>
                  <td>
                    <Time at={r.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
    </section>
  );
}
