// A system's production samples (ADR 0042): how the last monitoring pass scored each active release's samples
// (for everyone who reads the system), and, for admins and the system's owners (the API's rule), the samples
// themselves a page at a time, what redaction replaced in each (counts, never the original), and the redaction and
// retention settings, editable, with the API's errors shown.
import {
  keepPreviousData,
  queryOptions,
  useMutation,
  useQueries,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Link, useParams } from 'react-router';
import {
  type AiSystem,
  type AuditEvent,
  BUILT_IN_REDACTIONS,
  type EvalRun,
  type ReleaseCandidate,
  SAMPLE_RETENTION,
} from '../../../functions/domain/types';
import { api, getAll, type Page } from '../api';
import { can } from '../auth';
import { formatMetric, metricLabel } from '../metric-format';
import { Person } from '../people';
import {
  formOf,
  latestSampleRun,
  type PatternRow,
  type ProductionSample,
  redactionLabel,
  redactionSummary,
  type SampleSettings,
  type SettingsForm,
  sampleText,
  settingsBody,
} from '../samples';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, fmt, ProblemView, Time } from '../ui';

/** Samples per page: a screen of rows whose text is cut to a line each. */
const SAMPLES_PER_PAGE = 20;

const SETTINGS_CHANGED = 'system.sample_settings_changed';

// The page's first reads, shared by the page (which waits for all of them, so its cards lay out once: no shift as
// each arrives) and the sections that render them (which then find them in the cache, fresh for FRESH_MS: a
// section mounting right after the page's reads would otherwise read them all again).
const FRESH_MS = 30_000;
const reads = {
  candidates: (systemId: string) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['candidates', systemId],
      queryFn: () => getAll<ReleaseCandidate>('/api/release-candidates', { systemId }),
    }),
  sampleRun: (releaseId: string) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['sample-run', releaseId],
      queryFn: () => latestSampleRun(releaseId),
    }),
  run: (runId: string) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['eval-run', runId],
      queryFn: () => api.get<EvalRun>(`/api/eval-runs/${runId}`),
    }),
  samples: (systemId: string, cursor: string | null) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['samples', systemId, cursor],
      queryFn: () =>
        api.get<Page<ProductionSample>>(`/api/systems/${systemId}/samples`, {
          limit: SAMPLES_PER_PAGE,
          cursor: cursor ?? undefined,
        }),
    }),
  settings: (systemId: string) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['sample-settings', systemId],
      queryFn: () => api.get<SampleSettings>(`/api/systems/${systemId}/sample-settings`),
    }),
  lastChange: (systemId: string) =>
    queryOptions({
      staleTime: FRESH_MS,
      queryKey: ['audit', systemId, SETTINGS_CHANGED],
      queryFn: async () =>
        (
          await api.get<Page<AuditEvent>>('/api/audit-events', {
            systemId,
            action: SETTINGS_CHANGED,
            order: 'desc',
            limit: 1,
          })
        ).items[0] ?? null,
    }),
};

export default function SamplesPage() {
  const { id = '' } = useParams();
  const system = useQuery({ queryKey: ['system', id], queryFn: () => api.get<AiSystem>(`/api/systems/${id}`) });
  return (
    <section>
      <DataState query={system} label="the system" minHeight={480}>
        {(s) => <SamplesView system={s} />}
      </DataState>
    </section>
  );
}

/** The active releases of a system, production first. */
function activeOf(s: AiSystem): { environment: 'production' | 'staging'; releaseId: string | null }[] {
  return (['production', 'staging'] as const).map((environment) => ({
    environment,
    releaseId: s.activeReleases[environment],
  }));
}

function SamplesView({ system: s }: { system: AiSystem }) {
  const principal = usePrincipal();
  const readable = can.readSamples(principal, s);
  const candidates = useQuery(reads.candidates(s.id));
  const byId = new Map((candidates.data?.items ?? []).map((c) => [c.id, c]));
  const active = activeOf(s).flatMap((a) => (a.releaseId ? [a.releaseId] : []));
  const approvalRuns = active.flatMap((id) => {
    const run = byId.get(id)?.latestEvalRunId;
    return run ? [run] : [];
  });
  const first = useQueries({
    queries: [
      ...active.map((id) => reads.sampleRun(id)),
      ...approvalRuns.map((id) => reads.run(id)),
      ...(readable ? [reads.samples(s.id, null), reads.settings(s.id), reads.lastChange(s.id)] : []),
    ],
  });
  const release = (id: string) => <Link to={`/candidates/${id}`}>{byId.get(id)?.name ?? id}</Link>;
  if (candidates.isPending || first.some((q) => q.isPending))
    return (
      <div className="loading" style={{ minHeight: 480 }} aria-busy="true">
        Loading the production samples …
      </div>
    );
  return (
    <>
      <div className="page-head">
        <h1>Production samples</h1>
        <span className="muted">
          <Link to={`/systems/${s.id}`}>{s.name}</Link> <code>{s.id}</code> · {s.ownerTeam}
        </span>
      </div>
      <div className="card">
        <h2>Last monitoring pass on samples</h2>
        {activeOf(s).map(({ environment: env, releaseId }) =>
          releaseId ? (
            <SampleScores
              key={env}
              environment={env}
              release={byId.get(releaseId)}
              releaseId={releaseId}
              link={release}
            />
          ) : (
            <p key={env} className="muted">
              No active {env} release: no samples are taken.
            </p>
          ),
        )}
      </div>
      {readable ? (
        <>
          <SampleList systemId={s.id} release={release} />
          <SettingsCard system={s} />
        </>
      ) : (
        <p className="notice">
          The samples and their redaction settings are read by admins and the owners of {s.ownerTeam}: production
          traffic may hold what redaction missed. The scores above are the monitoring pass's.
        </p>
      )}
    </>
  );
}

function SampleScores({
  environment,
  release,
  releaseId,
  link,
}: {
  environment: string;
  release: ReleaseCandidate | undefined;
  releaseId: string;
  link: (id: string) => ReactNode;
}) {
  const run = useQuery(reads.sampleRun(releaseId));
  // The approval-time run: what the pass compares each assertion's pass rate with.
  const approvalId = release?.latestEvalRunId ?? null;
  const approval = useQuery({ ...reads.run(approvalId ?? ''), enabled: approvalId !== null });
  return (
    <section aria-label={`Sample scores of the ${environment} release`}>
      <h3>
        {environment}: {link(releaseId)}
      </h3>
      <DataState
        query={run}
        label="the last monitoring pass"
        minHeight={80}
        isEmpty={(r) => r === null}
        empty="No monitoring pass has scored samples of this release yet."
      >
        {(r) => {
          const w = r?.sampleWindow;
          if (!r || !w) return null;
          const metrics = (r.metrics ?? {}) as Record<string, number | null>;
          const baseline = (approval.data?.metrics ?? null) as Record<string, number | null> | null;
          const names = w.assertions.map((a) => `assert.${a}`);
          return (
            <>
              <p>
                <Badge value={r.status} /> <Link to={`/eval-runs/${r.id}`}>{w.samples} samples</Link> from{' '}
                <Time at={w.from} /> to <Time at={w.to} />
              </p>
              <table className="dense">
                <thead>
                  <tr>
                    <th scope="col">Assertion</th>
                    <th scope="col">Pass rate on samples</th>
                    <th scope="col">At approval</th>
                  </tr>
                </thead>
                <tbody>
                  {names.map((m) => (
                    <tr key={m}>
                      <td>{metricLabel(m)}</td>
                      <td className="num">{formatMetric(m, metrics[m])}</td>
                      <td className="num">{baseline ? formatMetric(m, baseline[m]) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {r.failureReasons.length > 0 ? (
                <ul className="reasons" aria-label="Why samples failed">
                  {r.failureReasons.slice(0, 5).map((reason) => (
                    <li key={reason}>{reason}</li>
                  ))}
                  {r.failureReasons.length > 5 ? (
                    <li className="muted">and {r.failureReasons.length - 5} more on the run's page</li>
                  ) : null}
                </ul>
              ) : null}
            </>
          );
        }}
      </DataState>
    </section>
  );
}

function SampleList({ systemId, release }: { systemId: string; release: (id: string) => ReactNode }) {
  // The cursors of the pages visited: index i holds the cursor that reads page i (page 0 needs none).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [index, setIndex] = useState(0);
  const cursor = cursors[index] ?? null;
  const samples = useQuery({ ...reads.samples(systemId, cursor), placeholderData: keepPreviousData });
  return (
    <div className="card">
      <h2>Recent samples, newest first</h2>
      <DataState
        query={samples}
        label="samples"
        minHeight={240}
        isEmpty={(p) => p.items.length === 0 && index === 0}
        empty="No samples posted, or all have expired."
      >
        {(p) => (
          <>
            <nav className="row pager" aria-label="Pages of samples">
              <button type="button" disabled={index === 0 || samples.isFetching} onClick={() => setIndex(index - 1)}>
                Previous page
              </button>
              <span className="muted" aria-live="polite">
                {samples.isPlaceholderData ? `Loading page ${index + 1} …` : `Page ${index + 1}`}
              </span>
              <button
                type="button"
                disabled={p.nextCursor === null || samples.isFetching}
                onClick={() => {
                  const next = p.nextCursor;
                  setCursors((known) => [...known.slice(0, index + 1), next]);
                  setIndex(index + 1);
                }}
              >
                Next page
              </button>
            </nav>
            <div className="table-wrap">
              <table className="dense samples">
                <thead>
                  <tr>
                    <th scope="col">Served</th>
                    <th scope="col">Release</th>
                    <th scope="col">Input</th>
                    <th scope="col">Output</th>
                    <th scope="col">Latency</th>
                    <th scope="col">Redacted</th>
                    <th scope="col">Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((x) => (
                    <tr key={x.id}>
                      <td>
                        <Time at={x.at} />
                      </td>
                      <td>
                        {release(x.releaseId)} <span className="muted small">{x.environment}</span>
                      </td>
                      <td className="sample-text" title={sampleText(x.input)}>
                        {sampleText(x.input)}
                      </td>
                      <td className="sample-text" title={x.output}>
                        {x.output}
                      </td>
                      <td className="num">{x.latencyMs === null ? '—' : `${fmt(x.latencyMs, 0)} ms`}</td>
                      <td>{redactionSummary(x.redactions)}</td>
                      <td>
                        <Time at={x.expiresAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </DataState>
    </div>
  );
}

function SettingsCard({ system: s }: { system: AiSystem }) {
  const settings = useQuery(reads.settings(s.id));
  const changed = useQuery(reads.lastChange(s.id));
  const [editing, setEditing] = useState(false);
  const [requested, setRequested] = useState<string | null>(null);
  return (
    <div className="card">
      <h2>Redaction and retention</h2>
      {requested ? (
        <p role="status" className="alert">
          These settings loosen the redaction or the retention: nothing changed yet. Relaxation request{' '}
          <code>{requested}</code> waits for a risk reviewer (not you, not the owning team) on the{' '}
          <Link to="/approvals">approvals page</Link>.
        </p>
      ) : null}
      <p className="muted">
        Redaction runs before a sample is written; the original text is never kept. Changed{' '}
        {changed.data ? (
          <>
            <Time at={changed.data.at} /> by <Person id={changed.data.actor.userId} name={changed.data.actor.name} />
          </>
        ) : changed.isError ? (
          '(not known: the audit chain could not be read)'
        ) : (
          'never: the defaults apply'
        )}
        .
      </p>
      <DataState query={settings} label="the sample settings" minHeight={160}>
        {(current) =>
          editing ? (
            <SettingsEditor
              systemId={s.id}
              current={current}
              done={(request) => {
                setRequested(request);
                setEditing(false);
              }}
            />
          ) : (
            <>
              <dl className="kv">
                <dt>Built-in rules</dt>
                <dd>
                  {current.redaction.builtIn.length === 0
                    ? 'none'
                    : current.redaction.builtIn.map(redactionLabel).join(', ')}
                </dd>
                <dt>The system's own patterns</dt>
                <dd>
                  {current.redaction.patterns.length === 0 ? (
                    'none'
                  ) : (
                    <ul className="plain">
                      {current.redaction.patterns.map((p) => (
                        <li key={p.name}>
                          {p.name}: <code>{p.pattern}</code>
                          {p.ignoreCase ? <span className="muted"> (any case)</span> : null}
                        </li>
                      ))}
                    </ul>
                  )}
                </dd>
                <dt>Kept for</dt>
                <dd>{current.retentionDays} days, then deleted (never archived)</dd>
              </dl>
              <button type="button" onClick={() => setEditing(true)}>
                Edit settings
              </button>
            </>
          )
        }
      </DataState>
    </div>
  );
}

/** A PUT of the settings answers them (200) or, when they loosen a rule, the relaxation request made (202). */
type SettingsReply = SampleSettings | { id: string; kind: 'sample-settings'; status: string };
const isRequest = (r: SettingsReply): r is Extract<SettingsReply, { kind: string }> =>
  'kind' in r && r.kind === 'sample-settings';

function SettingsEditor({
  systemId,
  current,
  done,
}: {
  systemId: string;
  current: SampleSettings;
  /** Called with the id of the relaxation request when the change waits for a second person, else null. */
  done: (request: string | null) => void;
}) {
  const client = useQueryClient();
  const [form, setForm] = useState<SettingsForm>(() => formOf(current));
  const save = useMutation({
    mutationFn: (body: unknown) => api.put<SettingsReply>(`/api/systems/${systemId}/sample-settings`, body),
    onSuccess: (reply) => {
      if (isRequest(reply)) {
        void client.invalidateQueries({ queryKey: ['relaxation-requests'] });
        done(reply.id);
        return;
      }
      client.setQueryData(['sample-settings', systemId], reply);
      void client.invalidateQueries({ queryKey: ['audit', systemId, SETTINGS_CHANGED] });
      done(null);
    },
  });
  const setRow = (i: number, row: Partial<PatternRow>) =>
    setForm((f) => ({ ...f, patterns: f.patterns.map((p, j) => (j === i ? { ...p, ...row } : p)) }));
  return (
    <form
      aria-label="Sample settings"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(settingsBody(form));
      }}
    >
      <fieldset>
        <legend>Built-in rules</legend>
        {BUILT_IN_REDACTIONS.map((rule) => (
          <label key={rule} className="row">
            <input
              type="checkbox"
              checked={form.builtIn.includes(rule)}
              onChange={(e) =>
                setForm((f) => ({
                  ...f,
                  builtIn: e.target.checked ? [...f.builtIn, rule] : f.builtIn.filter((r) => r !== rule),
                }))
              }
            />
            {redactionLabel(rule)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>The system's own patterns (regular expressions that run in linear time)</legend>
        {form.patterns.map((p, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are edited in place; a name may be blank while typed.
          <div key={i} className="row">
            <Field label={`Name of pattern ${i + 1}`}>
              <input value={p.name} onChange={(e) => setRow(i, { name: e.target.value })} />
            </Field>
            <Field label={`Pattern ${i + 1}`}>
              <input value={p.pattern} onChange={(e) => setRow(i, { pattern: e.target.value })} />
            </Field>
            <label className="row">
              <input
                type="checkbox"
                checked={p.ignoreCase}
                onChange={(e) => setRow(i, { ignoreCase: e.target.checked })}
              />
              any case
            </label>
            <button
              type="button"
              onClick={() => setForm((f) => ({ ...f, patterns: f.patterns.filter((_, j) => j !== i) }))}
            >
              Remove pattern {i + 1}
            </button>
          </div>
        ))}
        <button
          type="button"
          onClick={() =>
            setForm((f) => ({ ...f, patterns: [...f.patterns, { name: '', pattern: '', ignoreCase: false }] }))
          }
        >
          Add a pattern
        </button>
      </fieldset>
      <Field
        label="Days a sample is kept"
        hint={`${SAMPLE_RETENTION.minDays} to ${SAMPLE_RETENTION.maxDays}; applies to samples posted from now on`}
      >
        <input
          inputMode="numeric"
          value={form.retentionDays}
          onChange={(e) => setForm((f) => ({ ...f, retentionDays: e.target.value }))}
        />
      </Field>
      <div className="row">
        <button type="submit" disabled={save.isPending}>
          Save settings
        </button>
        <button type="button" onClick={() => done(null)} disabled={save.isPending}>
          Cancel
        </button>
      </div>
      {save.isError ? <ProblemView error={save.error} /> : null}
    </form>
  );
}
