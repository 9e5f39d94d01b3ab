import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link } from 'react-router';
import type { Overview, ReportingDeadline } from '../../../functions/domain/overview';
import type { AuditEvent, EvalRun, Incident } from '../../../functions/domain/types';
import { api, getAll } from '../api';
import { Chart } from '../chart';
import { CATEGORY_LABELS, clockText } from '../serious-incident';
import { Badge, DataState, Time } from '../ui';

const DAY = 86_400;
const day = (iso: string) => Math.floor(Date.parse(iso) / 1000 / DAY) * DAY;

/** Counts per day of each series, on one shared x axis of days. */
function perDay(series: string[][]): [number[], ...number[][]] {
  const days = [...new Set(series.flat().map(day))].sort((a, b) => a - b);
  const index = new Map(days.map((d, i) => [d, i]));
  return [
    days,
    ...series.map((dates) => {
      const counts = new Array<number>(days.length).fill(0);
      for (const d of dates) {
        const i = index.get(day(d));
        if (i !== undefined) counts[i] = (counts[i] ?? 0) + 1;
      }
      return counts;
    }),
  ];
}

function countsChart(title: string, counts: Record<string, number>, color: string) {
  const labels = Object.keys(counts);
  return (
    <Chart
      title={title}
      data={[labels.map((_, i) => i), labels.map((l) => counts[l] ?? 0)]}
      series={[{ label: 'count', stroke: color, fill: `${color}55`, bars: true }]}
      time={false}
      xLabels={labels}
    />
  );
}

export default function MetricsPage() {
  const overview = useQuery({ queryKey: ['overview'], queryFn: () => api.get<Overview>('/api/metrics/overview') });
  const history = useQuery({
    queryKey: ['metrics-history'],
    queryFn: async () => {
      const [runs, incidents, audit] = await Promise.all([
        getAll<EvalRun>('/api/eval-runs', {}, 10),
        Promise.all(
          ['open', 'mitigating', 'resolved'].map((s) => getAll<Incident>('/api/incidents', { status: s }, 5)),
        ),
        getAll<AuditEvent>('/api/audit-events', { order: 'desc' }, 10).catch(() => ({ items: [], complete: false })),
      ]);
      return { runs: runs.items, incidents: incidents.flatMap((p) => p.items), audit: audit.items };
    },
  });
  const series = useMemo(() => {
    if (!history.data) return null;
    const { runs, incidents, audit } = history.data;
    const finished = runs.filter((r) => r.finishedAt !== null);
    const evals = perDay([
      finished.filter((r) => r.status === 'passed').map((r) => r.finishedAt as string),
      finished.filter((r) => r.status !== 'passed').map((r) => r.finishedAt as string),
    ]);
    const byDay = (pick: (r: EvalRun) => number | null | undefined) => {
      const [days] = perDay([finished.map((r) => r.finishedAt as string)]);
      return [
        days,
        days.map((d) => {
          const values = finished
            .filter((r) => day(r.finishedAt as string) === d)
            .map(pick)
            .filter((v): v is number => typeof v === 'number');
          return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
        }),
      ] as [number[], (number | null)[]];
    };
    return {
      evals,
      latency: byDay((r) => r.metrics?.latencyP95Ms),
      cost: byDay((r) => r.metrics?.costMeanUsd),
      incidents: perDay([incidents.map((i) => i.createdAt)]),
      blocked: perDay([
        audit.filter((e) => e.action === 'release.promoted').map((e) => e.at),
        audit.filter((e) => e.action === 'release.rolled_back').map((e) => e.at),
      ]),
    };
  }, [history.data]);
  return (
    <section>
      <div className="page-head">
        <h1>Metrics overview</h1>
      </div>
      {/* The page lays out once, when both the counts and the history are in: nothing moves afterwards. */}
      <DataState
        query={{ ...overview, isPending: overview.isPending || history.isPending }}
        label="the overview"
        minHeight={900}
      >
        {(o) => (
          <>
            <dl className="totals">
              {Object.entries(o.totals).map(([k, v]) => (
                <div key={k}>
                  <dt>{k.replace(/([A-Z])/g, ' $1').toLowerCase()}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
            <ReportingDeadlines deadlines={o.reportingDeadlines ?? []} />
            <div className="grid-2">
              {countsChart('Systems by risk tier', o.systemsByRiskTier, '#2f5fa7')}
              {countsChart('Systems by lifecycle status', o.systemsByStatus, '#3b7d3b')}
              {countsChart('Candidates by status', o.candidatesByStatus, '#6a4c93')}
              {countsChart('Open incidents by severity', o.incidentsBySeverity, '#b03a2e')}
            </div>
          </>
        )}
      </DataState>
      <DataState query={history} label="history" minHeight={0}>
        {() =>
          series ? (
            <>
              <h2>Over time</h2>
              <div className="grid-2">
                <Chart
                  title="Eval runs per day: passed and failed or errored"
                  data={series.evals}
                  series={[
                    { label: 'passed', stroke: '#3b7d3b' },
                    { label: 'failed or errored', stroke: '#b03a2e' },
                  ]}
                />
                <Chart
                  title="Incidents opened per day"
                  data={series.incidents}
                  series={[{ label: 'opened', stroke: '#b03a2e' }]}
                />
                <Chart
                  title="Mean p95 latency of finished runs (ms)"
                  data={series.latency}
                  series={[{ label: 'p95 ms', stroke: '#2f5fa7' }]}
                />
                <Chart
                  title="Mean cost per case of finished runs (USD)"
                  data={series.cost}
                  series={[{ label: 'USD', stroke: '#8a4b00' }]}
                />
                <Chart
                  title="Promotions and rollbacks per day (from the audit timeline)"
                  data={series.blocked}
                  series={[
                    { label: 'promoted', stroke: '#3b7d3b' },
                    { label: 'rolled back', stroke: '#b03a2e' },
                  ]}
                />
              </div>
            </>
          ) : null
        }
      </DataState>
      <p className="hint">
        Blocked promotions are not recorded as events (a refused promotion writes nothing); the registry's blocker
        counts and each candidate's gate show what blocks now.
      </p>
    </section>
  );
}

/** Serious-incident reports overdue or due within the overview's window (7 days), soonest deadline first. */
export function ReportingDeadlines({ deadlines, now = new Date() }: { deadlines: ReportingDeadline[]; now?: Date }) {
  return (
    <div className="card">
      <h2>Serious-incident reports coming due (EU AI Act Art. 73)</h2>
      {deadlines.length === 0 ? (
        <p className="muted">No serious-incident report is overdue or due in the next 7 days.</p>
      ) : (
        <table className="dense">
          <caption className="sr-only">Reporting deadlines, soonest first</caption>
          <thead>
            <tr>
              <th scope="col">Deadline (UTC)</th>
              <th scope="col">State</th>
              <th scope="col">Incident</th>
              <th scope="col">System</th>
              <th scope="col">Category</th>
              <th scope="col">Member State</th>
            </tr>
          </thead>
          <tbody>
            {deadlines.map((d) => {
              const { status, text } = clockText({ ...d, initialReportAt: null, finalReportAt: null }, now);
              return (
                <tr key={d.incidentId}>
                  <td>
                    <Time at={d.reportingDeadline} />
                  </td>
                  <td>
                    <Badge value={status} /> {text}
                  </td>
                  <td>
                    {d.title} <code className="muted">{d.incidentId}</code>
                  </td>
                  <td>
                    <Link to={`/systems/${d.systemId}`}>{d.systemName ?? d.systemId}</Link>
                  </td>
                  <td>{CATEGORY_LABELS[d.category]}</td>
                  <td>{d.memberState ?? '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
