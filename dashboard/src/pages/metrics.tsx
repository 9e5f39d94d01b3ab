import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { RegistrySummary, ReportingDeadline } from '../../../functions/domain/overview';
import { api } from '../api';
import { Chart } from '../chart';
import { CATEGORY_LABELS, clockText } from '../serious-incident';
import { Badge, DataState, Time } from '../ui';

/** GET /api/metrics/overview: daily rollups (functions/contracts/responses.ts metricsOverviewResponse). */
interface RollupDay {
  date: string;
  promotions: number | null;
  rollbacks: number | null;
  evalRunsPassed: number | null;
  evalRunsFailed: number | null;
  refusedPromotions: number | null;
  incidentsOpened: number | null;
}
interface Rollups {
  from: string;
  to: string;
  days: RollupDay[];
  totals: {
    promotions: number;
    rollbacks: number;
    evalRuns: { passed: number; failed: number };
    refusedPromotions: number;
    refusedPromotionsByReason: Record<string, number>;
    incidentsOpened: number;
    incidentsBySeverity: Record<string, number>;
  };
  systemRuns: { date: string; latencyP95Ms: number | null; costMeanUsd: number | null }[] | null;
  slowestSystems: {
    items: {
      systemId: string;
      name: string;
      ownerTeam: string;
      riskTier: string;
      latencyP95Ms: number;
      worstDay: string;
      costMeanUsd: number | null;
    }[];
    nextCursor: string | null;
  };
}

const FILTERS = ['systemId', 'team', 'tier', 'from', 'to'] as const;
const seconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

function countsChart(title: string, counts: Record<string, number>, color: string) {
  const labels = Object.keys(counts);
  return (
    <div>
      <Chart
        title={title}
        data={[labels.map((_, i) => i), labels.map((l) => counts[l] ?? 0)]}
        series={[{ label: 'count', stroke: color, fill: `${color}55`, bars: true }]}
        time={false}
        xLabels={labels.length ? labels : ['none']}
        yLabel="count"
      />
      {/* The bars' values in words: a canvas is not read by screen readers, and a reviewer may want the exact count. */}
      <p className="hint" data-chart-values={title}>
        {labels.length ? labels.map((l) => `${l}: ${counts[l] ?? 0}`).join(', ') : 'none in this range'}
      </p>
    </div>
  );
}

/** Filters of the rollups, kept in the URL (system, team, tier, date range). */
function RollupFilters() {
  const [params, setParams] = useSearchParams();
  return (
    <form
      className="filters"
      aria-label="Metrics filters"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        const next = new URLSearchParams();
        for (const name of FILTERS) {
          const value = String(form.get(name) ?? '').trim();
          if (value) next.set(name, value);
        }
        setParams(next);
      }}
    >
      <label>
        System id <input name="systemId" defaultValue={params.get('systemId') ?? ''} placeholder="sys_…" />
      </label>
      <label>
        Team <input name="team" defaultValue={params.get('team') ?? ''} />
      </label>
      <label>
        Risk tier{' '}
        <select name="tier" defaultValue={params.get('tier') ?? ''}>
          <option value="">any</option>
          {['low', 'medium', 'high', 'critical'].map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </label>
      <label>
        From <input type="date" name="from" defaultValue={params.get('from') ?? ''} />
      </label>
      <label>
        To <input type="date" name="to" defaultValue={params.get('to') ?? ''} />
      </label>
      <button type="submit">Apply</button>
    </form>
  );
}

function RollupCharts({ r }: { r: Rollups }) {
  const x = useMemo(() => r.days.map((d) => seconds(d.date)), [r.days]);
  const pick = (k: keyof Omit<RollupDay, 'date'>) => r.days.map((d) => d[k]);
  const t = r.totals;
  return (
    <>
      <p className="hint">
        {r.from} to {r.to}: {t.promotions} promotions, {t.rollbacks} rollbacks, {t.evalRuns.passed} eval runs passed and{' '}
        {t.evalRuns.failed} failed, {t.refusedPromotions} refused promotions, {t.incidentsOpened} incidents opened. Days
        with nothing recorded are gaps in the lines, not zeros.
      </p>
      <div className="grid-2">
        {countsChart('Refused promotions by reason', t.refusedPromotionsByReason, '#b03a2e')}
        {countsChart('Incidents opened by severity', t.incidentsBySeverity, '#8a4b00')}
        <Chart
          title="Eval runs per day"
          data={[x, pick('evalRunsPassed'), pick('evalRunsFailed')]}
          series={[
            { label: 'passed', stroke: '#3b7d3b' },
            { label: 'failed', stroke: '#b03a2e' },
          ]}
          yLabel="runs"
        />
        <Chart
          title="Promotions, rollbacks and refused promotions per day"
          data={[x, pick('promotions'), pick('rollbacks'), pick('refusedPromotions')]}
          series={[
            { label: 'promoted', stroke: '#3b7d3b' },
            { label: 'rolled back', stroke: '#6a4c93' },
            { label: 'refused', stroke: '#b03a2e' },
          ]}
          yLabel="count"
        />
        {r.systemRuns ? (
          <>
            <Chart
              title="Worst p95 latency of the day's eval runs (this system)"
              data={[x, r.systemRuns.map((d) => d.latencyP95Ms)]}
              series={[{ label: 'p95 latency', stroke: '#2f5fa7' }]}
              yLabel="ms"
            />
            <Chart
              title="Mean cost per case of the day's eval runs (this system)"
              data={[x, r.systemRuns.map((d) => d.costMeanUsd)]}
              series={[{ label: 'cost per case', stroke: '#8a4b00' }]}
              yLabel="USD"
            />
          </>
        ) : null}
      </div>
    </>
  );
}

function SlowestSystems({ r, onMore }: { r: Rollups; onMore: (cursor: string) => void }) {
  return (
    <>
      <h2>Systems with the worst p95 latency</h2>
      <p className="hint">
        Per system, never averaged across systems: its worst day in the range, and that day's cost.
      </p>
      {r.slowestSystems.items.length === 0 ? (
        <p>No eval run reported latency in this range.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">System</th>
              <th scope="col">Team</th>
              <th scope="col">Risk tier</th>
              <th scope="col">Worst p95 (ms)</th>
              <th scope="col">On</th>
              <th scope="col">Mean cost per case (USD)</th>
            </tr>
          </thead>
          <tbody>
            {r.slowestSystems.items.map((s) => (
              <tr key={s.systemId}>
                <td>
                  <Link to={`/systems/${s.systemId}`}>{s.name}</Link>
                </td>
                <td>{s.ownerTeam}</td>
                <td>{s.riskTier}</td>
                <td>{Math.round(s.latencyP95Ms)}</td>
                <td>{s.worstDay}</td>
                <td>{s.costMeanUsd === null ? 'not reported' : s.costMeanUsd.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {r.slowestSystems.nextCursor ? (
        <button type="button" onClick={() => onMore(r.slowestSystems.nextCursor as string)}>
          Next systems
        </button>
      ) : null}
    </>
  );
}

export default function MetricsPage() {
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => {
    const q: Record<string, string> = {};
    for (const name of [...FILTERS, 'cursor']) {
      const v = params.get(name);
      if (v) q[name] = v;
    }
    return q;
  }, [params]);
  // Without systemIds the registry route answers no rows, only the reporting deadlines coming due (ADR 0048).
  const registry = useQuery({
    queryKey: ['reporting-deadlines'],
    queryFn: () => api.get<RegistrySummary>('/api/metrics/registry'),
  });
  const rollups = useQuery({
    queryKey: ['rollups', query],
    queryFn: () => api.get<Rollups>(`/api/metrics/overview?${new URLSearchParams(query).toString()}`),
  });
  return (
    <section>
      <div className="page-head">
        <h1>Metrics overview</h1>
      </div>
      <h2>Over time</h2>
      <RollupFilters />
      <DataState query={rollups} label="the daily metrics" minHeight={700}>
        {(r) => (
          <>
            <RollupCharts r={r} />
            <SlowestSystems
              r={r}
              onMore={(cursor) => {
                const next = new URLSearchParams(params);
                next.set('cursor', cursor);
                setParams(next);
              }}
            />
          </>
        )}
      </DataState>
      <h2>The registry now</h2>
      <p className="muted">
        Counts now are not summed over the whole registry on each visit. Each system&apos;s incidents, failed evals,
        candidates awaiting approval and review due date stand beside its row on the <Link to="/">registry</Link>.
        Unresolved incidents are listed on <Link to="/incidents">Incidents</Link>, pending approvals in the{' '}
        <Link to="/approvals">approval queue</Link>, and the trends above count what happened by day.
      </p>
      <DataState query={registry} label="the reporting deadlines" minHeight={160}>
        {(o) => <ReportingDeadlines deadlines={o.reportingDeadlines} />}
      </DataState>
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
