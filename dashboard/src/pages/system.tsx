import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import {
  type AiSystem,
  type AuditEvent,
  DATASET_KINDS,
  type EvalDataset,
  type ModelConfigVersion,
  type PromptVersion,
  type ReleaseCandidate,
} from '../../../functions/domain/types';
import { api, getAll } from '../api';
import { Person } from '../people';
import { SystemIncidents } from '../system-incidents';
import { Badge, DataState, DownloadButton, Hash, Time } from '../ui';

export default function SystemPage() {
  const { id = '' } = useParams();
  const system = useQuery({ queryKey: ['system', id], queryFn: () => api.get<AiSystem>(`/api/systems/${id}`) });
  return (
    <section>
      <DataState query={system} label="the system" minHeight={480}>
        {(s) => <SystemView system={s} />}
      </DataState>
    </section>
  );
}

const RELEASE_ACTIONS = new Set([
  'release.promoted',
  'release.rolled_back',
  'release.reactivated',
  'candidate.superseded',
]);

function SystemView({ system: s }: { system: AiSystem }) {
  const q = { systemId: s.id };
  const candidates = useQuery({
    queryKey: ['candidates', s.id],
    queryFn: () => getAll<ReleaseCandidate>('/api/release-candidates', q),
  });
  const prompts = useQuery({ queryKey: ['prompts', s.id], queryFn: () => getAll<PromptVersion>('/api/prompts', q) });
  const configs = useQuery({
    queryKey: ['model-configs', s.id],
    queryFn: () => getAll<ModelConfigVersion>('/api/model-configs', q),
  });
  const datasets = useQuery({
    queryKey: ['datasets', s.id],
    queryFn: () => getAll<EvalDataset>('/api/eval-datasets', q),
  });
  const history = useQuery({
    queryKey: ['audit', s.id, 'releases'],
    queryFn: async () => {
      const all = await getAll<AuditEvent>('/api/audit-events', { systemId: s.id, order: 'asc' });
      return all.items.filter((e) => RELEASE_ACTIONS.has(e.action));
    },
  });
  const names = new Map((candidates.data?.items ?? []).map((c) => [c.id, c.name]));
  const label = (id: string | null | undefined) =>
    id ? <Link to={`/candidates/${id}`}>{names.get(id) ?? id}</Link> : <span className="muted">none</span>;

  return (
    <>
      <div className="page-head">
        <h1>
          {s.name} <Badge value={s.status} />
        </h1>
        <span className="muted">
          <code>{s.id}</code> · {s.ownerTeam} · owner <Person id={s.owner} systemId={s.id} />
        </span>
        <section className="row downloads" aria-label="Compliance documents">
          <DownloadButton
            label="Model card (JSON)"
            path={`/api/systems/${s.id}/model-card`}
            fileName={`model-card-${s.id}.json`}
          />
          <DownloadButton
            label="EU AI Act report (PDF)"
            path={`/api/systems/${s.id}/reports/eu-ai-act`}
            fileName={`eu-ai-act-report-${s.id}.pdf`}
          />
        </section>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Metadata</h2>
          <dl className="kv">
            <dt>Risk tier</dt>
            <dd>
              <Badge value={s.riskTier} />
            </dd>
            <dt>EU AI Act category</dt>
            <dd>
              <Badge value={s.euAiActCategory} />
            </dd>
            <dt>Domain</dt>
            <dd>{s.domain}</dd>
            <dt>Intended purpose</dt>
            <dd>{s.intendedPurpose}</dd>
            <dt>Data sources</dt>
            <dd>{s.dataSources.join('; ') || '—'}</dd>
            <dt>Human oversight</dt>
            <dd>{s.humanOversight}</dd>
            <dt>Description</dt>
            <dd>{s.description || '—'}</dd>
            <dt>Open incidents</dt>
            <dd>
              {s.openIncidents.critical} critical, {s.openIncidents.high} high, {s.openIncidents.medium} medium,{' '}
              {s.openIncidents.low} low
            </dd>
            {s.retirementReason ? (
              <>
                <dt>Retired because</dt>
                <dd>{s.retirementReason}</dd>
              </>
            ) : null}
            <dt>Registered</dt>
            <dd>
              <Time at={s.createdAt} /> by <Person id={s.createdBy} systemId={s.id} />
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Active releases</h2>
          <dl className="kv">
            <dt>production</dt>
            <dd>{label(s.activeReleases.production)}</dd>
            <dt>staging</dt>
            <dd>{label(s.activeReleases.staging)}</dd>
          </dl>
          <p>
            <Link to={`/systems/${s.id}/samples`}>Production samples</Link>{' '}
            <span className="muted">· how monitoring scored the active releases' traffic</span>
          </p>
          <h2>Release history</h2>
          <DataState query={history} label="release history" minHeight={120} isEmpty={(h) => h.length === 0}>
            {(events) => (
              <ol className="timeline" aria-label="What was active, and when">
                {events.map((e) => (
                  <li key={e.seq}>
                    <Time at={e.at} /> <Badge value={e.action.split('.')[1] ?? e.action} /> {label(e.entityId)}
                    {typeof e.after?.environment === 'string' ? (
                      <span className="muted"> · {e.after.environment}</span>
                    ) : null}
                    <span className="muted">
                      {' '}
                      · <Person id={e.actor.userId} name={e.actor.name} />
                    </span>
                    {e.reason ? <span className="muted"> · “{e.reason}”</span> : null}
                  </li>
                ))}
              </ol>
            )}
          </DataState>
        </div>
      </div>
      <div className="card">
        <h2>Release candidates</h2>
        <DataState query={candidates} label="candidates" minHeight={120} isEmpty={(d) => d.items.length === 0}>
          {(d) => (
            <table className="dense">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Env</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latest eval</th>
                  <th scope="col">Snapshot</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <Link to={`/candidates/${c.id}`}>{c.name}</Link>
                    </td>
                    <td>{c.environment}</td>
                    <td>
                      <Badge value={c.status} />
                    </td>
                    <td>{c.latestEvalStatus ? <Badge value={c.latestEvalStatus} /> : '—'}</td>
                    <td>
                      <Hash value={c.snapshotHash} />
                    </td>
                    <td>
                      <Time at={c.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </DataState>
      </div>
      <SystemIncidents systemId={s.id} candidateName={(id) => names.get(id) ?? id} />
      <div className="grid-2">
        <div className="card">
          <h2>Prompt versions {prompts.data ? `(${prompts.data.items.length})` : ''}</h2>
          <DataState query={prompts} label="prompt versions" isEmpty={(d) => d.items.length === 0}>
            {(d) => (
              <ul className="plain">
                {d.items.map((p) => (
                  <li key={p.id}>
                    <Link to={`/prompts/${p.id}`}>
                      {p.name} v{p.version}
                    </Link>{' '}
                    <Badge value={p.status} /> <Hash value={p.contentHash} />
                  </li>
                ))}
              </ul>
            )}
          </DataState>
          <h2>Model configs {configs.data ? `(${configs.data.items.length})` : ''}</h2>
          <DataState query={configs} label="model configs" isEmpty={(d) => d.items.length === 0}>
            {(d) => (
              <ul className="plain">
                {d.items.map((m) => (
                  <li key={m.id}>
                    <Link to={`/model-configs/${m.id}`}>
                      {m.name} v{m.version}
                    </Link>{' '}
                    <Badge value={m.status} /> {m.provider}/{m.model}
                  </li>
                ))}
              </ul>
            )}
          </DataState>
        </div>
        <div className="card">
          <h2>Datasets by kind</h2>
          <DataState query={datasets} label="datasets" isEmpty={(d) => d.items.length === 0}>
            {(d) => (
              <table className="dense">
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">Datasets</th>
                    <th scope="col">Cases</th>
                  </tr>
                </thead>
                <tbody>
                  {DATASET_KINDS.map((kind) => {
                    const of = d.items.filter((x) => x.kind === kind);
                    return (
                      <tr key={kind}>
                        <td>{kind.replace('_', ' ')}</td>
                        <td>
                          {of.length === 0 ? (
                            <span className="bad">none</span>
                          ) : (
                            of.map((x) => (
                              <Link key={x.id} className="chip" title={x.id} to={`/datasets/${x.id}`}>
                                {x.name} v{x.version}
                              </Link>
                            ))
                          )}
                        </td>
                        <td className="num">{of.reduce((n, x) => n + x.caseCount, 0)}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </DataState>
        </div>
      </div>
    </>
  );
}
