// A system's incidents on its page: open and resolved, newest first, a page at a time (GET /api/incidents with the
// systemId and a cursor), each with its severity, status, the release it happened on, and the rollback it caused.
// A rollback names its incident (RollbackRecord.incidentId); the system's `release.rolled_back` audit events carry
// that link with the rollback's from and to releases, so one filtered read of the chain finds every incident's.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { AuditEvent, Incident } from '../../functions/domain/types';
import { api, getAll, type Page } from './api';
import { Person } from './people';
import { Badge, ProblemView, Time } from './ui';

const INCIDENTS_PER_PAGE = 10;

/** A rollback as its audit event tells it: when, in which environment, from which release to which. */
export interface IncidentRollback {
  rollbackId: string | null;
  incidentId: string | null;
  fromCandidateId: string;
  toCandidateId: string | null;
  environment: string | null;
  at: string;
  reason: string | null;
  actor: { userId: string; name: string };
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The rollbacks of a system's `release.rolled_back` events. */
export function rollbacksOf(events: readonly AuditEvent[]): IncidentRollback[] {
  return events
    .filter((e) => e.action === 'release.rolled_back')
    .map((e) => ({
      rollbackId: text(e.after?.rollbackId),
      incidentId: text(e.after?.incidentId),
      fromCandidateId: e.entityId,
      toCandidateId: text(e.after?.activeRelease),
      environment: text(e.after?.environment),
      at: e.at,
      reason: e.reason,
      actor: { userId: e.actor.userId, name: e.actor.name },
    }));
}

/** The rollbacks an incident caused: those naming it, and the one monitoring made when it opened the incident. */
export function rollbacksCausedBy(incident: Incident, rollbacks: readonly IncidentRollback[]): IncidentRollback[] {
  const monitored = incident.monitoring?.rollbackId;
  return rollbacks.filter((r) => r.incidentId === incident.id || (monitored && r.rollbackId === monitored));
}

export function SystemIncidents({
  systemId,
  candidateName,
}: {
  systemId: string;
  candidateName: (id: string) => string;
}) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [index, setIndex] = useState(0);
  const cursor = cursors[index] ?? null;
  const incidents = useQuery({
    queryKey: ['incidents', 'system', systemId, cursor],
    queryFn: () =>
      api.get<Page<Incident>>('/api/incidents', {
        systemId,
        limit: INCIDENTS_PER_PAGE,
        cursor: cursor ?? undefined,
      }),
    placeholderData: keepPreviousData,
  });
  const rollbacks = useQuery({
    queryKey: ['audit', systemId, 'release.rolled_back'],
    queryFn: async () =>
      rollbacksOf(
        (await getAll<AuditEvent>('/api/audit-events', { systemId, action: 'release.rolled_back', order: 'desc' }))
          .items,
      ),
  });
  const release = (id: string | null) =>
    id ? <Link to={`/candidates/${id}`}>{candidateName(id)}</Link> : <span className="muted">none</span>;
  const items = incidents.data?.items ?? [];
  const nextCursor = incidents.isPlaceholderData ? null : (incidents.data?.nextCursor ?? null);

  return (
    <section className="card" aria-labelledby="system-incidents">
      <h2 id="system-incidents">Incidents</h2>
      {incidents.isError ? <ProblemView error={incidents.error} /> : null}
      {rollbacks.isError ? <ProblemView error={rollbacks.error} /> : null}
      {incidents.isPending ? (
        <div className="loading" style={{ minHeight: 120 }} aria-busy="true">
          Loading incidents …
        </div>
      ) : items.length === 0 && index === 0 ? (
        <div className="empty">No incident was ever opened on this system.</div>
      ) : (
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide table scrolls sideways; the keyboard must reach it.
        <section className="table-wrap" tabIndex={0} aria-label="Incidents, newest first">
          <table className="dense">
            <caption className="sr-only">Incidents of the system, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Opened</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
                <th scope="col">Incident</th>
                <th scope="col">On release</th>
                <th scope="col">Rollback it caused</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => {
                const caused = rollbacksCausedBy(i, rollbacks.data ?? []);
                return (
                  <tr key={i.id}>
                    <td>
                      <Time at={i.createdAt} />
                      <div className="small">
                        <Person id={i.createdBy} systemId={systemId} />
                      </div>
                    </td>
                    <td>
                      <Badge value={i.severity} />
                    </td>
                    <td>
                      <Badge value={i.status} />
                      {i.resolvedAt ? (
                        <div className="muted small">
                          <Time at={i.resolvedAt} />
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {i.title}
                      {i.resolution ? <div className="muted small">Resolution: {i.resolution}</div> : null}
                      <div>
                        <code className="muted small">{i.id}</code>
                      </div>
                    </td>
                    <td>{release(i.candidateId)}</td>
                    <td>
                      {caused.length === 0 ? (
                        <span className="muted">
                          {i.monitoring?.rollbackRequestId ? 'a rollback was requested' : 'none'}
                        </span>
                      ) : (
                        caused.map((r) => (
                          <div key={r.rollbackId ?? r.at}>
                            {release(r.fromCandidateId)} → {release(r.toCandidateId)}
                            <div className="muted small">
                              {r.environment ?? ''} <Time at={r.at} /> · {r.actor.name}
                            </div>
                          </div>
                        ))
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      <nav className="row pager" aria-label="Pages of incidents">
        <button type="button" disabled={index === 0 || incidents.isFetching} onClick={() => setIndex(index - 1)}>
          Newer
        </button>
        <span className="muted" aria-live="polite">
          {incidents.isPlaceholderData ? `Loading page ${index + 1} …` : `Page ${index + 1}`}
        </span>
        <button
          type="button"
          disabled={nextCursor === null || incidents.isFetching}
          onClick={() => {
            setCursors((known) => [...known.slice(0, index + 1), nextCursor]);
            setIndex(index + 1);
          }}
        >
          Older
        </button>
      </nav>
    </section>
  );
}
