import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  type AiSystem,
  EU_MEMBER_STATES,
  INCIDENT_STATUSES,
  type Incident,
  SERIOUS_INCIDENT_CATEGORIES,
  SEVERITIES,
} from '../../../functions/domain/types';
import { api, getAll } from '../api';
import { can } from '../auth';
import { Person } from '../people';
import { categoryWithPeriod, ReportingClockView } from '../serious-incident';
import { usePrincipal } from '../session';
import { Badge, ConfirmAction, DataState, Field, ProblemView, Time } from '../ui';

const RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export default function IncidentsPage() {
  const principal = usePrincipal();
  const [params, setParams] = useSearchParams();
  // Open and mitigating by default: both block promotion, and both may owe a serious-incident report.
  const status = params.get('status') ?? 'active';
  const systems = useQuery({ queryKey: ['systems', 'all'], queryFn: () => getAll<AiSystem>('/api/systems') });
  const incidents = useQuery({
    queryKey: ['incidents', 'status', status],
    queryFn: async () => {
      const statuses = status === 'active' ? ['open', 'mitigating'] : [status];
      const pages = await Promise.all(statuses.map((s) => getAll<Incident>('/api/incidents', { status: s })));
      return pages
        .flatMap((p) => p.items)
        .sort((a, b) => (RANK[a.severity] ?? 9) - (RANK[b.severity] ?? 9) || b.createdAt.localeCompare(a.createdAt));
    },
  });
  const names = new Map((systems.data?.items ?? []).map((s) => [s.id, s.name]));
  return (
    <section>
      <div className="page-head">
        <h1>Incidents</h1>
      </div>
      {can.handleIncidents(principal) ? (
        <OpenIncidentForm systems={systems.data?.items ?? []} />
      ) : (
        <p className="hint">
          Auditors read incidents; opening and resolving them is for owners, reviewers and pipelines.
        </p>
      )}
      <form className="filters" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          <select value={status} onChange={(e) => setParams({ status: e.target.value }, { replace: true })}>
            <option value="active">open or mitigating</option>
            {INCIDENT_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
      </form>
      <DataState
        query={incidents}
        label="incidents"
        minHeight={200}
        isEmpty={(d) => d.length === 0}
        empty={`No ${status === 'active' ? 'open or mitigating' : status} incident.`}
      >
        {(items) => (
          <ul className="queue">
            {items.map((i) => (
              <IncidentItem key={i.id} incident={i} systemName={names.get(i.systemId)} />
            ))}
          </ul>
        )}
      </DataState>
    </section>
  );
}

function IncidentItem({ incident: i, systemName }: { incident: Incident; systemName: string | undefined }) {
  const principal = usePrincipal();
  const client = useQueryClient();
  const [resolution, setResolution] = useState('');
  const refresh = () => client.invalidateQueries({ queryKey: ['incidents'] });
  return (
    <li className="card">
      <h2>
        <Badge value={i.severity} /> {i.title} <Badge value={i.status} />
      </h2>
      <p className="muted small">
        <Link to={`/systems/${i.systemId}`}>{systemName ?? i.systemId}</Link> · release{' '}
        {i.candidateId ? <Link to={`/candidates/${i.candidateId}`}>{i.candidateId}</Link> : 'none linked'} · opened{' '}
        <Time at={i.createdAt} /> by <Person id={i.createdBy} systemId={i.systemId} /> · <code>{i.id}</code>
      </p>
      {i.description ? <p>{i.description}</p> : null}
      {i.resolution ? <p>Resolution: {i.resolution}</p> : null}
      {i.seriousIncident ? <ReportingClockView clock={i.seriousIncident} title={i.title} /> : null}
      {i.status !== 'resolved' && can.handleIncidents(principal) ? <EditIncident incident={i} /> : null}
      {can.handleIncidents(principal) && (i.status !== 'resolved' || i.seriousIncident) ? (
        <SeriousIncidentEdit incident={i} />
      ) : null}
      {i.status !== 'resolved' && can.handleIncidents(principal) ? (
        <div className="row wrap">
          {i.status === 'open' ? (
            <ConfirmAction
              label="Mark mitigating"
              question="Move this incident to mitigating?"
              onConfirm={async () => {
                const out = await api.patch<Incident>(`/api/incidents/${i.id}`, { status: 'mitigating' });
                await refresh();
                return out;
              }}
            >
              {(r) => `Now ${(r as Incident).status}.`}
            </ConfirmAction>
          ) : null}
          <Field label="Resolution">
            <input value={resolution} onChange={(e) => setResolution(e.target.value)} maxLength={4000} />
          </Field>
          <ConfirmAction
            label="Resolve"
            disabled={resolution.trim() === ''}
            disabledReason={resolution.trim() === '' ? 'Say how it was resolved.' : undefined}
            question={
              <p>
                Resolve “{i.title}” with “{resolution}”?
              </p>
            }
            onConfirm={async () => {
              const out = await api.post<Incident>(`/api/incidents/${i.id}/resolve`, { resolution });
              await refresh();
              return out;
            }}
          >
            {(r) => `Resolved at ${(r as Incident).resolvedAt}.`}
          </ConfirmAction>
        </div>
      ) : null}
      {i.severity === 'high' || i.severity === 'critical' ? (
        i.status !== 'resolved' ? (
          <p className="hint">A {i.severity} incident blocks every promotion of the system until it is resolved.</p>
        ) : null
      ) : null}
    </li>
  );
}

type EditableField = 'title' | 'description' | 'severity';
const EDITABLE: { key: EditableField; label: string }[] = [
  { key: 'title', label: 'Title' },
  { key: 'severity', label: 'Severity' },
  { key: 'description', label: 'Description' },
];

/**
 * Corrects an open or mitigating incident's title, description and severity (PATCH /api/incidents/{id}, which
 * accepts any of them): only the changed fields are sent, after a confirm step that lists them.
 */
function EditIncident({ incident: i }: { incident: Incident }) {
  const client = useQueryClient();
  const [draft, setDraft] = useState({ title: i.title, description: i.description, severity: i.severity as string });
  // The form starts again from the incident whenever the incident changes (after a save, or another user's).
  const [seen, setSeen] = useState(`${i.id}@${i.version}`);
  if (seen !== `${i.id}@${i.version}`) {
    setSeen(`${i.id}@${i.version}`);
    setDraft({ title: i.title, description: i.description, severity: i.severity });
  }
  const changes: Partial<Record<EditableField, string>> = {};
  for (const { key } of EDITABLE) if (draft[key] !== i[key]) changes[key] = draft[key];
  const changed = EDITABLE.filter(({ key }) => key in changes);
  const titleMissing = draft.title.trim() === '';
  return (
    <details className="edit">
      <summary>Edit the title, description or severity</summary>
      <form className="form-grid" aria-label={`Edit incident ${i.id}`} onSubmit={(e) => e.preventDefault()}>
        <Field label="Title">
          <input
            value={draft.title}
            onChange={(e) => setDraft({ ...draft, title: e.target.value })}
            required
            maxLength={200}
          />
        </Field>
        <Field label="Severity">
          <select value={draft.severity} onChange={(e) => setDraft({ ...draft, severity: e.target.value })}>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Description">
          <textarea
            value={draft.description}
            onChange={(e) => setDraft({ ...draft, description: e.target.value })}
            rows={3}
            maxLength={8000}
          />
        </Field>
        <div className="span">
          <ConfirmAction
            label="Save changes"
            disabled={changed.length === 0 || titleMissing}
            disabledReason={
              titleMissing ? 'An incident needs a title.' : changed.length === 0 ? 'Nothing changed yet.' : undefined
            }
            question={
              <>
                <p>Change this incident's {changed.map((c) => c.label.toLowerCase()).join(', ')}?</p>
                <ul>
                  {changed.map(({ key, label }) => (
                    <li key={key}>
                      {label}: “{i[key]}” → “{changes[key]}”
                    </li>
                  ))}
                </ul>
              </>
            }
            onConfirm={async () => {
              const out = await api.patch<Incident>(`/api/incidents/${i.id}`, changes);
              await client.invalidateQueries({ queryKey: ['incidents'] });
              return out;
            }}
          >
            {(r) => {
              const out = r as Incident;
              return `Saved (version ${out.version}): “${out.title}”, ${out.severity}, ${out.status}.`;
            }}
          </ConfirmAction>
        </div>
      </form>
    </details>
  );
}

/** A `datetime-local` value (the browser's local time) as an ISO instant; '' stays ''. */
const instant = (local: string) => (local ? new Date(local).toISOString() : '');
/** Now as a `datetime-local` value in the browser's time zone. */
function localNow(): string {
  const d = new Date();
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** Category, aware-at time and Member State: the inputs of the clock (the server computes the deadline). */
function ClockFields({ awareDefault }: { awareDefault: string }) {
  return (
    <>
      <Field label="Category (EU AI Act Art. 73)">
        <select name="category" defaultValue="health">
          {SERIOUS_INCIDENT_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {categoryWithPeriod(c)}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Aware since" hint="When the provider or deployer became aware of it (your local time).">
        <input name="awareAt" type="datetime-local" defaultValue={awareDefault} required />
      </Field>
      <Field label="Member State">
        <select name="memberState" defaultValue="">
          <option value="">not known yet</option>
          {EU_MEMBER_STATES.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
      </Field>
    </>
  );
}

const clockDeclaration = (data: FormData) => ({
  category: String(data.get('category')),
  awareAt: instant(String(data.get('awareAt') ?? '')),
  memberState: String(data.get('memberState') ?? '') || null,
});

/**
 * Declares an incident a serious incident, or records its Art. 73 reports and corrective action
 * (PATCH /api/incidents/{id} with `seriousIncident`); also on a resolved incident, whose duty to report remains.
 */
function SeriousIncidentEdit({ incident: i }: { incident: Incident }) {
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const s = i.seriousIncident;
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setError(null);
    setSaved(null);
    let change: Record<string, unknown>;
    if (!s) change = clockDeclaration(data);
    else {
      change = {};
      const initial = instant(String(data.get('initialReportAt') ?? ''));
      const final = instant(String(data.get('finalReportAt') ?? ''));
      const action = String(data.get('correctiveAction') ?? '').trim();
      if (initial) change.initialReportAt = initial;
      if (final) change.finalReportAt = final;
      if (action !== (s.correctiveAction ?? '')) change.correctiveAction = action || null;
    }
    try {
      const out = await api.patch<Incident>(`/api/incidents/${i.id}`, { seriousIncident: change });
      setSaved(`Saved: deadline ${out.seriousIncident?.reportingDeadline ?? '—'} (version ${out.version}).`);
      await client.invalidateQueries({ queryKey: ['incidents'] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <details className="edit">
      <summary>{s ? 'Record the Art. 73 reports' : 'Declare a serious incident (EU AI Act Art. 73)'}</summary>
      <form
        className="form-grid"
        aria-label={`${s ? 'Reports of' : 'Declare serious'} incident ${i.id}`}
        onSubmit={submit}
      >
        {s ? (
          <>
            {s.initialReportAt ? null : (
              <Field label="Initial report sent at" hint="Your local time; it stops the clock.">
                <input name="initialReportAt" type="datetime-local" />
              </Field>
            )}
            {s.finalReportAt ? null : (
              <Field label="Final report sent at" hint="Your local time; it closes the reporting.">
                <input name="finalReportAt" type="datetime-local" />
              </Field>
            )}
            <Field label="Corrective action">
              <textarea name="correctiveAction" rows={2} maxLength={4000} defaultValue={s.correctiveAction ?? ''} />
            </Field>
          </>
        ) : (
          <ClockFields awareDefault={localNow()} />
        )}
        <div className="row span">
          <button type="submit" className="primary">
            {s ? 'Save the reports' : 'Declare serious incident'}
          </button>
          {saved ? <span role="status">{saved}</span> : null}
        </div>
        {error ? (
          <div className="span">
            <ProblemView error={error} />
          </div>
        ) : null}
      </form>
    </details>
  );
}

function OpenIncidentForm({ systems }: { systems: AiSystem[] }) {
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Incident | null>(null);
  const [systemId, setSystemId] = useState('');
  const [serious, setSerious] = useState(false);
  const system = systems.find((s) => s.id === systemId);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setError(null);
    try {
      const incident = await api.post<Incident>('/api/incidents', {
        systemId,
        candidateId: String(data.get('candidateId') ?? '') || null,
        title: String(data.get('title') ?? ''),
        description: String(data.get('description') ?? ''),
        severity: String(data.get('severity') ?? 'medium'),
        ...(serious ? { seriousIncident: clockDeclaration(data) } : {}),
      });
      setCreated(incident);
      await client.invalidateQueries({ queryKey: ['incidents'] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <details className="card">
      <summary>Open an incident</summary>
      <form className="form-grid" aria-label="Open an incident" onSubmit={submit}>
        <Field label="System">
          <select value={systemId} onChange={(e) => setSystemId(e.target.value)} required>
            <option value="">choose …</option>
            {systems.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Release">
          <select name="candidateId" key={systemId}>
            <option value="">none</option>
            {system?.activeReleases.production ? (
              <option value={system.activeReleases.production}>production: {system.activeReleases.production}</option>
            ) : null}
            {system?.activeReleases.staging ? (
              <option value={system.activeReleases.staging}>staging: {system.activeReleases.staging}</option>
            ) : null}
          </select>
        </Field>
        <Field label="Title">
          <input name="title" required maxLength={200} />
        </Field>
        <Field label="Severity">
          <select name="severity" defaultValue="medium">
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </Field>
        <Field label="Description">
          <textarea name="description" rows={2} maxLength={8000} />
        </Field>
        <label className="check span">
          <input type="checkbox" checked={serious} onChange={(e) => setSerious(e.target.checked)} /> Serious incident
          under the EU AI Act (starts the Art. 73 reporting clock)
        </label>
        {serious ? <ClockFields awareDefault={localNow()} /> : null}
        <div className="row span">
          <button type="submit" className="primary">
            Open the incident
          </button>
          {created ? (
            <span role="status">
              Opened <code>{created.id}</code> ({created.severity}, {created.status}
              {created.seriousIncident ? `; report due by ${created.seriousIncident.reportingDeadline}` : ''}).
            </span>
          ) : null}
        </div>
        {error ? (
          <div className="span">
            <ProblemView error={error} />
          </div>
        ) : null}
      </form>
    </details>
  );
}
