import { useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useParams } from 'react-router';
import type * as z from 'zod';
import type { caseEvidencePageResponse } from '../../../functions/contracts/responses';
import type { AssertionResult, EvalRun, ThresholdVerdict } from '../../../functions/domain/types';
import { api } from '../api';
import { BarChart } from '../bar-chart';
import {
  assertionOf,
  formatMetric,
  formatMetricDelta,
  metricLabel,
  metricOrder,
  milliseconds,
  percent,
  usd,
} from '../metric-format';
import { Badge, DataState, Hash, Time } from '../ui';

type RunAnswer = EvalRun & { progress?: { casesDone: number; totalCases: number; percent: number } };
type CasePage = z.output<typeof caseEvidencePageResponse>;
type CaseEvidence = CasePage['items'][number];

const PAGE_SIZE = 25;
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
  const percentDone = r.progress?.percent ?? (r.totalCases ? Math.round((100 * r.casesDone) / r.totalCases) : 0);
  const metricNames = Object.keys(r.metrics ?? {})
    .filter((m) => !m.startsWith('assert.'))
    .sort(metricOrder);
  return (
    <>
      <div className="page-head">
        <h1>
          Eval run <Badge value={r.status} />
        </h1>
        <span className="muted">
          <code>{r.id}</code> · candidate <Link to={`/candidates/${r.candidateId}`}>{r.candidateId}</Link> ·{' '}
          {r.executor} executor · {(r.purpose ?? 'gate').replace(/_/g, ' ')} run
        </span>
      </div>
      <div className="card">
        <label className="field">
          <span>
            Progress: {r.casesDone} of {r.totalCases} cases ({percentDone}%)
          </span>
          <progress max={100} value={percentDone} />
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
      <AssertionRates run={r} />
      <div className="grid-2">
        <div className="card">
          <h2>Thresholds</h2>
          <Thresholds verdicts={r.thresholdVerdicts.filter((v) => !v.metric.startsWith('assert.'))} />
          <h2>Metrics</h2>
          {r.metrics ? (
            <dl className="kv">
              {metricNames.map((m) => (
                <div key={m} className="kv-row">
                  <dt title={m}>{metricLabel(m)}</dt>
                  <dd className="num">{formatMetric(m, r.metrics?.[m as keyof typeof r.metrics])}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">No metrics yet.</p>
          )}
        </div>
        <div className="card">
          <h2>Comparison with baselines</h2>
          {r.comparisons.length === 0 ? (
            <p className="muted">No active or last-known-good release to compare with.</p>
          ) : null}
          {r.comparisons.map((c) => (
            <div key={c.baseline}>
              <h3>
                {c.baseline === 'active' ? 'Active release' : 'Last-known-good release'}{' '}
                <Link to={`/candidates/${c.candidateId}`}>{c.candidateId}</Link>{' '}
                <Badge value={c.passed ? 'passed' : 'failed'} />
              </h3>
              <table className="dense">
                <caption className="sr-only">This run against the {c.baseline.replace(/_/g, ' ')} release</caption>
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
                      <td title={d.metric}>{metricLabel(d.metric)}</td>
                      <td className="num">{formatMetric(d.metric, d.baseline)}</td>
                      <td className="num">{formatMetric(d.metric, d.actual)}</td>
                      <td className="num">{formatMetricDelta(d.metric, d.tolerance)}</td>
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
                <code>{s.slice}</code>: {percent(s.accuracy)} over {s.cases} cases
              </li>
            ))}
          </ul>
        </div>
      </div>
      <Cases runId={r.id} running={live(r.status)} />
    </>
  );
}

function Thresholds({ verdicts }: { verdicts: readonly ThresholdVerdict[] }) {
  if (verdicts.length === 0) return <p className="muted">No thresholds.</p>;
  return (
    <table className="dense">
      <caption className="sr-only">Thresholds</caption>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Threshold</th>
          <th scope="col">Actual</th>
          <th scope="col">Verdict</th>
        </tr>
      </thead>
      <tbody>
        {verdicts.map((v) => (
          <tr key={v.metric}>
            <td title={v.metric}>{metricLabel(v.metric)}</td>
            <td className="num">
              {v.direction === 'min' ? '≥' : '≤'} {formatMetric(v.metric, v.threshold)}
            </td>
            <td className="num">{formatMetric(v.metric, v.actual)}</td>
            <td>
              <Badge value={v.passed ? 'passed' : 'failed'} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Each named assertion's pass rate beside its threshold and verdict, then the rate of cases passing them all. */
function AssertionRates({ run: r }: { run: RunAnswer }) {
  const metrics = r.metrics ?? {};
  const names = Object.keys(metrics)
    .filter((m) => m.startsWith('assert.'))
    .sort(metricOrder);
  // A threshold on an assertion no case carried has no metric: it still shows, without a rate.
  for (const v of r.thresholdVerdicts)
    if (v.metric.startsWith('assert.') && !names.includes(v.metric)) names.push(v.metric);
  if (names.length === 0) return null;
  return (
    <div className="card">
      <h2>Assertions</h2>
      <table className="dense" aria-label="Assertion pass rates">
        <thead>
          <tr>
            <th scope="col">Assertion</th>
            <th scope="col">Pass rate</th>
            <th scope="col">Threshold</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {names.map((m) => {
            const rate = (metrics as Record<string, number | null>)[m] ?? null;
            const verdict = r.thresholdVerdicts.find((v) => v.metric === m);
            return (
              <tr key={m}>
                <th scope="row" title={m}>
                  {assertionOf(m) ?? metricLabel(m)}
                </th>
                <td className="num">
                  {formatMetric(m, rate)}
                  <span className="pass-bar" aria-hidden="true">
                    <span style={{ width: `${Math.round((rate ?? 0) * 100)}%` }} />
                    {verdict ? <i style={{ left: `${Math.round(verdict.threshold * 100)}%` }} /> : null}
                  </span>
                </td>
                <td className="num">
                  {verdict ? `${verdict.direction === 'min' ? '≥' : '≤'} ${formatMetric(m, verdict.threshold)}` : '—'}
                </td>
                <td>
                  {verdict ? (
                    <Badge value={verdict.passed ? 'passed' : 'failed'} />
                  ) : (
                    <span className="muted small">no threshold</span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Where a case was answered: the route, and the provider and model of the answering (or last) call. */
function routeOf(c: CaseEvidence): string {
  const e = c.execution;
  if (!e) return 'posted by the pipeline';
  if (e.notExecuted) return 'not executed';
  const call = e.calls?.filter((x) => x.error === null).at(-1) ?? e.calls?.at(-1);
  return call ? `${e.route} · ${call.provider ?? 'no provider'}/${call.model}` : e.route || '—';
}

function AssertionCell({ results }: { results: readonly AssertionResult[] | undefined }) {
  if (!results || results.length === 0) return <span className="muted">—</span>;
  const failed = results.filter((a) => !a.pass);
  return (
    <details>
      <summary>
        {results.length - failed.length} of {results.length} passed
        {failed.map((a, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: unnamed assertions of one type may repeat.
          <div key={i} className="reason">
            {a.name ?? a.type} failed: {a.reason}
          </div>
        ))}
      </summary>
      <ul className="case-assertions">
        {results.map((a, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: unnamed assertions of one type may repeat.
          <li key={i}>
            <strong>{a.name ?? a.type}</strong> ({a.type}): {a.pass ? 'passed' : <span className="bad">failed</span>},
            score {Number(a.score.toFixed(3))} · {a.reason}
          </li>
        ))}
      </ul>
    </details>
  );
}

function Cases({ runId, running }: { runId: string; running: boolean }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useQuery({
    queryKey: ['eval-run-cases', runId, cursor],
    queryFn: () =>
      api.get<CasePage>(`/api/eval-runs/${runId}/cases`, { limit: PAGE_SIZE, cursor: cursor ?? undefined }),
    refetchInterval: running ? 2000 : false,
  });
  const chart = useMemo(() => {
    const items = page.data?.items ?? [];
    return {
      labels: items.map((c) => c.caseId),
      latency: items.map((c) => c.latencyMs),
      cost: items.map((c) => c.costUsd),
    };
  }, [page.data]);
  const first = (cursors.length - 1) * PAGE_SIZE + 1;
  return (
    <div className="card">
      <h2>Per-case evidence (page {cursors.length})</h2>
      <div className="grid-2">
        <BarChart
          title="Latency per case"
          labels={chart.labels}
          values={chart.latency}
          format={milliseconds}
          color="#2f5fa7"
        />
        <BarChart title="Cost per case (USD)" labels={chart.labels} values={chart.cost} format={usd} color="#8a4b00" />
      </div>
      <DataState
        query={page}
        label="case results"
        minHeight={300}
        isEmpty={(d) => d.items.length === 0}
        empty="No case result yet."
      >
        {(d) => (
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide table scrolls sideways; the keyboard must reach it.
          <section className="table-wrap" tabIndex={0} aria-label="Cases">
            <table className="dense">
              <caption className="sr-only">
                Cases {first} to {first + d.items.length - 1}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Case</th>
                  <th scope="col">Expected</th>
                  <th scope="col">Predicted</th>
                  <th scope="col">Schema</th>
                  <th scope="col">Assertions</th>
                  <th scope="col">Route</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((c) => (
                  <tr key={c.caseId}>
                    <th scope="row">
                      <code>{c.caseId}</code>
                      {c.tags.length ? <div className="muted small">{c.tags.join(', ')}</div> : null}
                    </th>
                    <td>{c.expectedLabel ?? '—'}</td>
                    <td>
                      {c.predictedLabel ?? '—'} {c.correct ? null : <strong className="bad">wrong</strong>}
                    </td>
                    <td>
                      {c.schemaValid ? (
                        'valid'
                      ) : (
                        <>
                          <strong className="bad">invalid</strong>
                          {c.schemaReason ? <div className="reason">{c.schemaReason}</div> : null}
                        </>
                      )}
                    </td>
                    <td>
                      <AssertionCell results={c.assertions} />
                    </td>
                    <td>{routeOf(c)}</td>
                    <td className="num">{c.execution ? c.execution.attempts : '—'}</td>
                    <td className="num">{milliseconds(c.latencyMs)}</td>
                    <td className="num">{usd(c.costUsd)}</td>
                    <td>
                      {[
                        c.timedOut ? 'timed out' : '',
                        c.fallbackUsed ? `fallback ${c.fallbackSucceeded ? 'answered' : 'failed'}` : '',
                        c.error ?? '',
                      ]
                        .filter(Boolean)
                        .join('; ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
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
