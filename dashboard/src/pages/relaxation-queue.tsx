// Open relaxation requests in the approval queue: a lower risk tier or EU AI Act category, an incident downgraded or
// resolved, a gate rule waived for one candidate, a system's production samples redacted less or kept longer. A second person decides each; the server says who may.
import { type UseQueryResult, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type * as z from 'zod';
import type { relaxationRequestResponse } from '../../../functions/contracts/relaxations';
import type { Principal, RelaxationKind } from '../../../functions/domain/types';
import { api, getAll } from '../api';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, Hash, ProblemView, Time } from '../ui';

const KIND_LABELS: Record<RelaxationKind, string> = {
  'risk-tier': 'Lower the risk tier',
  'eu-ai-act-category': 'Lower the EU AI Act category',
  'incident-severity': 'Downgrade an incident',
  'incident-resolution': 'Resolve a blocking incident',
  waiver: 'Waive a gate rule for one candidate',
  'sample-settings': 'Loosen the redaction or retention of production samples',
};

/** A relaxation request as `GET /api/relaxation-requests` lists it. */
type RelaxationRequest = z.infer<typeof relaxationRequestResponse>;

/** Why the signed-in person is not offered the decision, or null when they are (the server still decides). */
function whyNotDecide(principal: Principal, request: RelaxationRequest): string | null {
  if (!principal.roles.includes(`reviewer:${request.deciderRole}`))
    return `A ${request.deciderRole} reviewer decides this request.`;
  if (request.requestedBy.userId === principal.userId)
    return 'You asked for this relaxation: a second person decides it.';
  return null;
}

type OpenRequests = UseQueryResult<{ items: RelaxationRequest[]; complete: boolean }>;

/** The open requests; asked for with the page's own queue, so both arrive together. */
export function useOpenRelaxations(): OpenRequests {
  return useQuery({
    queryKey: ['relaxation-requests', 'open'],
    queryFn: () => getAll<RelaxationRequest>('/api/relaxation-requests', { status: 'open' }),
  });
}

export function RelaxationQueue({ requests }: { requests: OpenRequests }) {
  return (
    <section aria-labelledby="relaxations-head" className="relaxations">
      <h2 id="relaxations-head">Relaxation requests</h2>
      <p className="muted small">
        A relaxation takes effect only once a second person approves it; until then the stricter state holds.
      </p>
      <DataState
        query={requests}
        label="relaxation requests"
        minHeight={120}
        isEmpty={(d) => d.items.length === 0}
        empty="No relaxation request is open."
      >
        {(d) => (
          <ul className="queue" aria-label="Open relaxation requests">
            {d.items.map((r) => (
              <RelaxationItem key={r.id} request={r} />
            ))}
          </ul>
        )}
      </DataState>
    </section>
  );
}

function SubjectLink({ request: r }: { request: RelaxationRequest }) {
  if (r.subject.type === 'candidate')
    return (
      <Link to={`/candidates/${r.subject.id}`}>
        candidate <code>{r.subject.id}</code>
      </Link>
    );
  if (r.subject.type === 'incident')
    return (
      <Link to="/incidents">
        incident <code>{r.subject.id}</code>
      </Link>
    );
  return null;
}

function RelaxationItem({ request: r }: { request: RelaxationRequest }) {
  const principal = usePrincipal();
  const client = useQueryClient();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<RelaxationRequest | null>(null);
  const [error, setError] = useState<unknown>(null);
  const blocked = whyNotDecide(principal, r);
  const headingId = `rlx-${r.id}`;
  const decide = async (verb: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    try {
      setAnswer(
        await api.post<RelaxationRequest>(`/api/relaxation-requests/${r.id}/${verb}`, { reason: reason.trim() }),
      );
      await Promise.all([
        client.invalidateQueries({ queryKey: ['system', r.systemId] }),
        client.invalidateQueries({ queryKey: ['incidents'] }),
      ]);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {KIND_LABELS[r.kind] ?? r.kind}: <Link to={`/systems/${r.systemId}`}>{r.systemName}</Link>{' '}
        <Badge value={answer?.status ?? r.status} />
      </h3>
      {r.kind === 'waiver' ? (
        // A waiver is bound to the candidate's snapshot (from) and names the reason codes it waives (to).
        <p>
          <span className="muted">waive</span> <strong>{r.to}</strong> <span className="muted">for snapshot</span>{' '}
          <Hash value={r.from} /> <SubjectLink request={r} />
        </p>
      ) : r.kind === 'sample-settings' ? (
        // Sample settings are bound to the hash of those in force; the decision is about each field they loosen.
        <ul className="small">
          {(r.loosens ?? []).map((c) => (
            <li key={c.field}>
              <strong>{c.field}</strong> <span className="muted">from</span> {String(c.from ?? 'none')}{' '}
              <span className="muted">to</span> {String(c.to ?? 'none')}
            </li>
          ))}
        </ul>
      ) : (
        <p>
          <span className="muted">from</span> <strong>{r.from}</strong> <span className="muted">to</span>{' '}
          <strong>{r.to}</strong> <SubjectLink request={r} />
        </p>
      )}
      <p className="small">
        <span className="muted">
          asked by {r.requestedBy.name} <Time at={r.requestedAt} /> · expires <Time at={r.expiresAt} /> · decided by a{' '}
          {r.deciderRole} reviewer:
        </span>{' '}
        {r.reason}
      </p>
      {answer ? (
        <p role="status">
          Recorded: the request is <Badge value={answer.status} />
          {answer.decidedBy ? ` by ${answer.decidedBy.name}` : ''}.
        </p>
      ) : blocked ? (
        <p className="hint" role="note">
          {blocked}
        </p>
      ) : (
        <div className="decide">
          <Field label="Reason (required)" hint="why you approve or reject; kept in the audit trail">
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={2000} />
          </Field>
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={busy || reason.trim() === ''}
              onClick={() => decide('approve')}
            >
              Approve
            </button>
            <button
              type="button"
              className="danger"
              disabled={busy || reason.trim() === ''}
              onClick={() => decide('reject')}
            >
              Reject
            </button>
          </div>
        </div>
      )}
      {error ? <ProblemView error={error} /> : null}
    </li>
  );
}
