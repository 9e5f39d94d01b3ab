import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  type ApprovalRecord,
  type ApprovalStatus,
  REVIEWER_ROLES,
  type ReleaseCandidate,
} from '../../../functions/domain/types';
import { ApiError, api, getAll } from '../api';
import { can, reviewerRoles } from '../auth';
import {
  type CandidateContext,
  contextKey,
  fetchContext,
  MetricComparisonTable,
  modelLabel,
  promptLabel,
  REASON_TITLES,
} from '../evidence';
import { Person } from '../people';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, Hash, ProblemView, Time } from '../ui';
import { RelaxationQueue, useOpenRelaxations } from './relaxation-queue';

export default function ApprovalsPage() {
  const principal = usePrincipal();
  const mine = reviewerRoles(principal);
  const [params, setParams] = useSearchParams();
  const role = params.get('role') ?? (mine.length === 1 ? (mine[0] ?? '') : '');
  const client = useQueryClient();
  // The queue and the context of each of its candidates arrive together, so the cards are laid out once.
  const queue = useQuery({
    queryKey: ['approvals', 'pending', role],
    queryFn: async () => {
      const records = await getAll<ApprovalRecord>('/api/approvals', { status: 'pending', role: role || undefined });
      const ids = [...new Set(records.items.map((a) => a.candidateId))];
      const answers = await Promise.allSettled(
        ids.map((id) => client.fetchQuery({ queryKey: contextKey(id), queryFn: () => fetchContext(id) })),
      );
      const contexts = new Map<string, CandidateContext>();
      const failures = new Map<string, unknown>();
      answers.forEach((answer, i) => {
        const id = ids[i] as string;
        if (answer.status === 'fulfilled') contexts.set(id, answer.value);
        else failures.set(id, answer.reason);
      });
      return { ...records, contexts, failures };
    },
  });
  const relaxations = useOpenRelaxations();
  return (
    <section>
      <div className="page-head">
        <h1>Approval queue</h1>
        <span className="muted">
          {mine.length > 0
            ? `You decide for: ${mine.join(', ')}`
            : 'You hold no reviewer role: the queue is read-only.'}
        </span>
      </div>
      <form className="filters" aria-label="Filter the queue" onSubmit={(e) => e.preventDefault()}>
        <Field label="Reviewer role">
          <select
            value={role}
            onChange={(e) => setParams(e.target.value ? { role: e.target.value } : {}, { replace: true })}
          >
            <option value="">every role</option>
            {REVIEWER_ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </Field>
      </form>
      <DataState
        query={queue}
        label="pending approvals"
        minHeight={240}
        isEmpty={(d) => d.items.length === 0}
        empty="Nothing awaits a decision in this queue."
      >
        {(d) => (
          <ul className="queue">
            {d.items.map((a) => (
              <ApprovalItem
                key={a.id}
                approval={a}
                context={d.contexts.get(a.candidateId)}
                failure={d.failures.get(a.candidateId)}
              />
            ))}
          </ul>
        )}
      </DataState>
      {/* Below the queue once it is laid out, so the queue's arrival does not move it. */}
      {queue.isPending ? null : <RelaxationQueue requests={relaxations} />}
    </section>
  );
}

type Verb = 'approve' | 'reject' | 'request-changes';

/** Why this principal may not decide this record, or null when the dashboard offers the decision. */
function whyNotDecide(
  principal: { userId: string; roles: string[] },
  approval: ApprovalRecord,
  candidate: ReleaseCandidate | undefined,
): string | null {
  if (!can.decide(principal as never, approval.role))
    return `Only a ${approval.role} reviewer decides this record; you are ${principal.roles.join(', ') || 'without a role'}.`;
  if (candidate && candidate.createdBy === principal.userId)
    return 'You built this candidate: separation of duties forbids approving your own candidate. Another reviewer must decide.';
  return null;
}

function ApprovalItem({
  approval: a,
  context,
  failure,
}: {
  approval: ApprovalRecord;
  context: CandidateContext | undefined;
  failure: unknown;
}) {
  const candidate = context?.candidate;
  const principal = usePrincipal();
  const client = useQueryClient();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ approval: ApprovalRecord; candidate: ReleaseCandidate } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const blocked = whyNotDecide(principal, a, candidate);
  const decide = async (verb: Verb) => {
    setBusy(true);
    setError(null);
    try {
      const out = await api.post<{ approval: ApprovalRecord; candidate: ReleaseCandidate }>(
        `/api/approvals/${a.id}/${verb}`,
        comment.trim() ? { comment: comment.trim() } : {},
      );
      setAnswer(out);
      await Promise.all([
        client.invalidateQueries({ queryKey: contextKey(a.candidateId) }),
        client.invalidateQueries({ queryKey: ['candidate', a.candidateId] }),
        client.invalidateQueries({ queryKey: ['gate', a.candidateId] }),
        client.invalidateQueries({ queryKey: ['approval', a.id] }),
      ]);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const needsComment = comment.trim() === '';
  return (
    <li className="card" aria-labelledby={`apr-${a.id}`}>
      <h2 id={`apr-${a.id}`}>
        <Link to={`/candidates/${a.candidateId}`}>{candidate?.name ?? a.candidateId}</Link>{' '}
        <span className="muted">needs</span> {a.role} <Badge value={answer?.approval.status ?? a.status} />
      </h2>
      <p className="muted small">
        requested <Time at={a.requestedAt} /> by <Person id={a.requestedBy} systemId={a.systemId} /> · snapshot{' '}
        <Hash value={a.snapshotHash} />
        {candidate ? (
          <>
            {' '}
            · built by <Person id={candidate.createdBy} systemId={a.systemId} /> · candidate{' '}
            <Badge value={candidate.status} /> · latest eval{' '}
            {candidate.latestEvalStatus ? <Badge value={candidate.latestEvalStatus} /> : 'none'} · requires{' '}
            {candidate.requiredRoles.join(', ')}
          </>
        ) : null}
      </p>
      {context ? <Evidence context={context} /> : null}
      {failure ? <ProblemView error={failure} /> : null}
      {answer ? (
        <p role="status">
          Recorded: {answer.approval.role} <Badge value={answer.approval.status as ApprovalStatus} /> by{' '}
          {answer.approval.reviewerName}; the candidate is now <Badge value={answer.candidate.status} />.
        </p>
      ) : blocked ? (
        <p className="hint" role="note">
          {blocked}
        </p>
      ) : (
        <div className="decide">
          <Field label="Comment" hint="required to reject or request changes">
            <textarea value={comment} onChange={(e) => setComment(e.target.value)} rows={2} maxLength={4000} />
          </Field>
          <div className="row">
            <button type="button" className="primary" disabled={busy} onClick={() => decide('approve')}>
              Approve
            </button>
            <button type="button" disabled={busy || needsComment} onClick={() => decide('request-changes')}>
              Request changes
            </button>
            <button type="button" className="danger" disabled={busy || needsComment} onClick={() => decide('reject')}>
              Reject
            </button>
          </div>
        </div>
      )}
      {error ? <ProblemView error={error instanceof ApiError ? error : error} /> : null}
    </li>
  );
}

/**
 * What the reviewer decides with, on the card: the gate's verdict, the metrics the candidate sets thresholds on
 * beside the active release, links to the diffs and to the whole evidence, and pending relaxation requests.
 */
function Evidence({ context }: { context: CandidateContext }) {
  const ours = context.sides[0];
  const active = context.sides.find((s) => s.role === 'active');
  const gate = context.gate;
  const id = context.candidate.id;
  // Approvals are what this queue collects: the other reasons are what the reviewer should know about.
  const others = gate.reasons.filter((r) => r.code !== 'APPROVALS_INCOMPLETE' && r.code !== 'INVALID_STATE');
  return (
    <div className="evidence">
      <p className="small">
        {context.system.name} ({context.system.riskTier} risk) · prompt {ours ? promptLabel(ours) : '—'} · model{' '}
        {ours ? modelLabel(ours) : '—'}
        {active ? ` · replaces ${active.candidate.name}` : ' · no active release to replace'}
      </p>
      <p className="small">
        Gate:{' '}
        {gate.promotable ? (
          <Badge value="passed" title="nothing blocks promotion" />
        ) : others.length === 0 ? (
          <span>waiting for approvals only</span>
        ) : (
          <span className="bad">
            {others.map((r) => (
              <span key={r.code + r.message} title={r.message}>
                <code className="code">{r.code}</code> {REASON_TITLES[r.code] ?? r.message}.{' '}
              </span>
            ))}
          </span>
        )}{' '}
        · latest eval {ours?.run ? <Badge value={ours.run.status} /> : 'none'}
      </p>
      <MetricComparisonTable context={context} only="thresholds" caption={`Key metrics of ${context.candidate.name}`} />
      <p className="links small">
        <Link to={`/candidates/${id}#diffs`}>Prompt and model config diffs</Link>
        <Link to={`/candidates/${id}#what-changes`}>Every metric beside the active and last-known-good releases</Link>
      </p>
      {gate.pendingRelaxations.length > 0 ? (
        <div className="small">
          <strong>Pending relaxation requests</strong> (they relax nothing until approved):
          <ul className="plain">
            {gate.pendingRelaxations.map((r) => (
              <li key={r.id}>
                {r.kind.replace(/[-_]/g, ' ')}: {r.from} → {r.to}, asked by {r.requestedBy.name}, expires{' '}
                <Time at={r.expiresAt} />
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
