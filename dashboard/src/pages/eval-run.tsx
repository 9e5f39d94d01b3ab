import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import type { CaseResult, EvalRun } from '../../../functions/domain/types';
import { api, type Page } from '../api';
import { Chart } from '../chart';
import { Badge, DataState, fmt, Hash, ThresholdTable, Time } from '../ui';

type RunAnswer = EvalRun & { progress?: { casesDone: number; totalCases: number; percent: number } };

const live = (status: string | undefined) => status === 'queued' || status === 'running';

export default function EvalRunPage() {
  const { id = '' } = useParams();
  const run = useQuery({
    queryKey: ['eval-run', id],
    queryFn: () => api.get<RunAnswer>(`/api/eval-runs/${id}`),
    // Live progress of a running eval: poll until it settles.
    refetchInterval: (q) => (live(q.state.data?.status) ? 1000 : false),
  });
  return (
    <section>
      <DataState query={run} label="the eval run" minHeight={480}>
        {(r) => <RunView run={r} />}
      </DataState>
    </section>
  );
}

function RunView({ run: r }: { run: RunAnswer }) {
  const percent = r.progress?.percent ?? (r.totalCases ? Math.round((100 * r.casesDone) / r.totalCases) : 0);
  return (
    <>
      <div className="page-head">
        <h1>
          Eval run <Badge value={r.status} />
        </h1>
        <span className="muted">
          <code>{r.id}</code> · candidate <Link to={`/candidates/${r.candidateId}`}>{r.candidateId}</Link> ·{' '}
          {r.executor}
        </span>
      </div>
      <div className="card">
        <label className="field">
          <span>
            Progress: {r.casesDone} of {r.totalCases} cases ({percent}%)
          </span>
          <progress max={100} value={percent} />
        </label>
        <p className="muted small">
          snapshot <Hash value={r.snapshotHash} /> · created <Time at={r.createdAt} /> by {r.createdBy} · started{' '}
          <Time at={r.startedAt} /> · finished <Time at={r.finishedAt} />
        </p>
        {r.failureReasons.length > 0 ? (
          <ul className="reasons" aria-label="Why the run failed">
            {r.failureReasons.map((f) => (
              <li key={f}>{f}</li>
            ))}
          </ul>
        ) : null}
        {r.error ? <p className="bad">{r.error}</p> : null}
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Thresholds</h2>
          <ThresholdTable verdicts={r.thresholdVerdicts} />
          <h2>Metrics</h2>
          <dl className="kv">
            {r.metrics
              ? Object.entries(r.metrics).map(([k, v]) => (
                  <div key={k} className="kv-row">
                    <dt>{k}</dt>
                    <dd className="num">{fmt(v, 4)}</dd>
                  </div>
                ))
              : 'No metrics yet.'}
          </dl>
        </div>
        <div className="card">
          <h2>Comparison with baselines</h2>
          {r.comparisons.length === 0 ? (
            <p className="muted">No active or last-known-good release to compare with.</p>
          ) : null}
          {r.comparisons.map((c) => (
            <div key={c.baseline}>
              <h3>
                {c.baseline.replace(/_/g, ' ')}{' '}
                <Link to={`/candidates/${c.candidateId}`}>{c.candidateId.slice(0, 12)}…</Link>{' '}
                <Badge value={c.passed ? 'passed' : 'failed'} />
              </h3>
              <table className="dense">
                <thead>
                  <tr>
                    <th scope="col">Metric</th>
                    <th scope="col">Baseline</th>
                    <th scope="col">This run</th>
                    <th scope="col">Tolerance</th>
                    <th scope="col">Verdict</th>
                  </tr>
                </thead>
                <tbody>
                  {c.deltas.map((d) => (
                    <tr key={d.metric}>
                      <td>{d.metric}</td>
                      <td className="num">{fmt(d.baseline)}</td>
                      <td className="num">{fmt(d.actual)}</td>
                      <td className="num">{fmt(d.tolerance)}</td>
                      <td>
                        <Badge value={d.passed ? 'passed' : 'failed'} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
          <h2>Accuracy by slice</h2>
          {r.slices.length === 0 ? <p className="muted">No slices.</p> : null}
          <ul className="plain">
            {r.slices.map((s) => (
              <li key={s.slice}>
                <code>{s.slice}</code>: {fmt(s.accuracy)} over {s.cases} cases
              </li>
            ))}
          </ul>
        </div>
      </div>
      <Cases runId={r.id} running={live(r.status)} />
    </>
  );
}

function Cases({ runId, running }: { runId: string; running: boolean }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useQuery({
    queryKey: ['eval-run-cases', runId, cursor],
    queryFn: () =>
      api.get<Page<CaseResult>>(`/api/eval-runs/${runId}/cases`, { limit: 25, cursor: cursor ?? undefined }),
    refetchInterval: running ? 2000 : false,
  });
  const chartData = useMemo(() => {
    const items = page.data?.items ?? [];
    const xs = items.map((_, i) => i);
    return {
      latency: [xs, items.map((c) => c.latencyMs)] as [number[], number[]],
      cost: [xs, items.map((c) => c.costUsd)] as [number[], number[]],
      labels: items.map((c) => c.caseId),
    };
  }, [page.data]);
  return (
    <div className="card">
      <h2>Per-case evidence (page {cursors.length})</h2>
      <div className="grid-2">
        <Chart
          title="Latency per case (ms)"
          data={chartData.latency}
          series={[{ label: 'latency ms', stroke: '#2f5fa7', fill: '#2f5fa733', bars: true }]}
          time={false}
          xLabels={chartData.labels}
          height={180}
        />
        <Chart
          title="Cost per case (USD)"
          data={chartData.cost}
          series={[{ label: 'cost USD', stroke: '#8a4b00', fill: '#8a4b0033', bars: true }]}
          time={false}
          xLabels={chartData.labels}
          height={180}
        />
      </div>
      <DataState
        query={page}
        label="case results"
        minHeight={300}
        isEmpty={(d) => d.items.length === 0}
        empty="No case result yet."
      >
        {(d) => (
          <table className="dense">
            <thead>
              <tr>
                <th scope="col">Case</th>
                <th scope="col">Tags</th>
                <th scope="col">Expected</th>
                <th scope="col">Predicted</th>
                <th scope="col">Correct</th>
                <th scope="col">Schema</th>
                <th scope="col">Latency ms</th>
                <th scope="col">Cost USD</th>
                <th scope="col">Notes</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((c) => (
                <tr key={c.caseId}>
                  <td>
                    <code>{c.caseId}</code>
                  </td>
                  <td>{c.tags.join(', ')}</td>
                  <td>{c.expectedLabel ?? '—'}</td>
                  <td>{c.predictedLabel ?? '—'}</td>
                  <td>{c.correct ? 'yes' : <strong className="bad">no</strong>}</td>
                  <td>{c.schemaValid ? 'valid' : <strong className="bad">invalid</strong>}</td>
                  <td className="num">{fmt(c.latencyMs, 0)}</td>
                  <td className="num">{fmt(c.costUsd, 5)}</td>
                  <td>
                    {[
                      c.timedOut ? 'timed out' : '',
                      c.fallbackUsed ? `fallback ${c.fallbackSucceeded ? 'ok' : 'failed'}` : '',
                      c.error ?? '',
                    ]
                      .filter(Boolean)
                      .join('; ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </DataState>
      <div className="row">
        <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={!page.data?.nextCursor}
          onClick={() => page.data?.nextCursor && setCursors((c) => [...c, page.data.nextCursor])}
        >
          Next page
        </button>
      </div>
    </div>
  );
}
