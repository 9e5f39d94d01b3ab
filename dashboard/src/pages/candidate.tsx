import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { GateAnswer } from '../../../functions/contracts/responses';
import type {
  AiSystem,
  ApprovalRecord,
  EvalRun,
  Incident,
  PromotionEvent,
  ReleaseCandidate,
} from '../../../functions/domain/types';
import { api, type Page } from '../api';
import { can } from '../auth';
import { usePrincipal } from '../session';
import { Badge, ConfirmAction, DataState, DownloadButton, Field, Hash, ProblemView, ThresholdTable, Time } from '../ui';

export default function CandidatePage() {
  const { id = '' } = useParams();
  const candidate = useQuery({
    queryKey: ['candidate', id],
    queryFn: () => api.get<ReleaseCandidate>(`/api/release-candidates/${id}`),
  });
  return (
    <section>
      <DataState query={candidate} label="the release candidate" minHeight={480}>
        {(c) => <CandidateView candidate={c} />}
      </DataState>
    </section>
  );
}

function CandidateView({ candidate: c }: { candidate: ReleaseCandidate }) {
  const principal = usePrincipal();
  const client = useQueryClient();
  const system = useQuery({
    queryKey: ['system', c.systemId],
    queryFn: () => api.get<AiSystem>(`/api/systems/${c.systemId}`),
  });
  const gate = useQuery({
    queryKey: ['gate', c.id],
    queryFn: () => api.get<GateAnswer>(`/api/release-candidates/${c.id}/gate`),
  });
  const run = useQuery({
    queryKey: ['eval-run', c.latestEvalRunId],
    enabled: c.latestEvalRunId !== null,
    queryFn: () => api.get<EvalRun>(`/api/eval-runs/${c.latestEvalRunId}`),
  });
  const approvals = useQueries({
    queries: c.approvalIds.map((aid) => ({
      queryKey: ['approval', aid],
      queryFn: () => api.get<ApprovalRecord>(`/api/approvals/${aid}`),
    })),
  });
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: ['candidate', c.id] }),
      client.invalidateQueries({ queryKey: ['gate', c.id] }),
      client.invalidateQueries({ queryKey: ['system', c.systemId] }),
      client.invalidateQueries({ queryKey: ['approval'] }),
    ]);
  const operate = system.data ? can.operate(principal, system.data) : false;
  // An action's answer stays on screen after the refresh changes the candidate's status.
  const [acted, setActed] = useState<'promote' | 'rollback' | null>(null);
  const byRole = new Map(approvals.flatMap((q) => (q.data ? [[q.data.role, q.data] as const] : [])));

  return (
    <>
      <div className="page-head">
        <h1>
          {c.name} <Badge value={c.status} />
        </h1>
        <span className="muted">
          {c.environment} ·{' '}
          {system.data ? <Link to={`/systems/${c.systemId}`}>{system.data.name}</Link> : <code>{c.systemId}</code>}
        </span>
        <div className="row downloads">
          <DownloadButton
            label="Model card"
            path={`/api/release-candidates/${c.id}/model-card`}
            fileName={`model-card-${c.id}.json`}
          />
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <h2>Snapshot</h2>
          <dl className="kv">
            <dt>Candidate</dt>
            <dd>
              <code>{c.id}</code>
            </dd>
            <dt>Snapshot hash</dt>
            <dd>
              <code className="hash wrap">{c.snapshotHash}</code>
            </dd>
            <dt>Prompt version</dt>
            <dd>
              <Link to={`/prompts/${c.promptVersionId}`}>{c.promptVersionId}</Link> <Hash value={c.promptContentHash} />
            </dd>
            <dt>Model config</dt>
            <dd>
              <Link to={`/model-configs/${c.modelConfigId}`}>{c.modelConfigId}</Link>{' '}
              <Hash value={c.modelConfigContentHash} />
            </dd>
            <dt>Datasets</dt>
            <dd>
              {c.datasetIds.map((d) => (
                <code key={d}>{d} </code>
              ))}
            </dd>
            <dt>Thresholds</dt>
            <dd>
              {c.thresholds.map((t) => (
                <span key={t.metric} className="chip">
                  {t.metric} {t.direction === 'min' ? '≥' : '≤'} {t.value}
                  {t.regressionTolerance !== null ? ` (±${t.regressionTolerance})` : ''}
                </span>
              ))}
            </dd>
            <dt>Created</dt>
            <dd>
              <Time at={c.createdAt} /> by {c.createdBy}
            </dd>
            <dt>Submitted</dt>
            <dd>
              <Time at={c.submittedAt} />
            </dd>
            <dt>Active since</dt>
            <dd>
              <Time at={c.activatedAt} />
            </dd>
            <dt>Notes</dt>
            <dd>{c.notes || <span className="muted">—</span>}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Promotion gate ({gate.data?.environment ?? c.environment})</h2>
          <DataState query={gate} label="the gate" minHeight={120}>
            {(g) => (
              <>
                <p>
                  {g.promotable ? (
                    <Badge value="passed" title="nothing blocks promotion" />
                  ) : (
                    <strong className="bad">Blocked by {g.reasons.length} reason(s)</strong>
                  )}{' '}
                  <span className="muted">
                    active release: {g.activeCandidateId ? <code>{g.activeCandidateId}</code> : 'none'}
                  </span>
                </p>
                {g.reasons.length > 0 ? (
                  <ul className="reasons" aria-label="Blocking reasons">
                    {g.reasons.map((r) => (
                      <li key={r.code + r.message}>
                        <code className="code">{r.code}</code> {r.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </>
            )}
          </DataState>
          <h3>Approvals (policy v{c.policyVersion ?? '—'})</h3>
          {c.requiredRoles.length === 0 ? <p className="muted">No approval round opened yet.</p> : null}
          <table className="dense">
            <thead>
              <tr>
                <th scope="col">Role</th>
                <th scope="col">State</th>
                <th scope="col">Reviewer</th>
                <th scope="col">Decided</th>
              </tr>
            </thead>
            <tbody>
              {c.requiredRoles.map((role) => {
                const a = byRole.get(role);
                return (
                  <tr key={role}>
                    <td>{role}</td>
                    <td>{a ? <Badge value={a.status} /> : <span className="muted">…</span>}</td>
                    <td>
                      {a?.reviewerName ?? <span className="muted">—</span>}
                      {a?.comment ? <div className="muted small">“{a.comment}”</div> : null}
                    </td>
                    <td>
                      <Time at={a?.decidedAt} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {approvals.some((q) => q.isError) ? <ProblemView error={approvals.find((q) => q.isError)?.error} /> : null}
          <div className="actions">
            {operate && ['eval_passed', 'rejected'].includes(c.status) ? (
              <ConfirmAction
                label="Request approval"
                question="Open the approval round that the risk-tier policy requires?"
                onConfirm={async () => {
                  const out = await api.post(`/api/release-candidates/${c.id}/request-approval`);
                  await refresh();
                  return out;
                }}
              >
                {() => 'Approval round opened.'}
              </ConfirmAction>
            ) : null}
            {operate && gate.data && (c.status !== 'active' || acted === 'promote') ? (
              <ConfirmAction
                label="Promote"
                disabled={!gate.data.promotable}
                disabledReason={
                  gate.data.promotable
                    ? undefined
                    : `Promotion is blocked: ${gate.data.reasons.map((r) => r.code).join(', ')}`
                }
                question={
                  <p>
                    Promote <strong>{c.name}</strong> to {gate.data.environment}, replacing{' '}
                    {gate.data.activeCandidateId ? <code>{gate.data.activeCandidateId}</code> : 'no active release'}?
                  </p>
                }
                onConfirm={async () => {
                  setActed('promote');
                  const out = await api.post<{ candidate: ReleaseCandidate; promotion: PromotionEvent }>(
                    `/api/release-candidates/${c.id}/promote`,
                    {
                      environment: gate.data?.environment,
                      expectedActiveCandidateId: gate.data?.activeCandidateId ?? null,
                      reason: 'promoted from the dashboard',
                    },
                  );
                  await refresh();
                  return out;
                }}
              >
                {(r) => {
                  const out = r as { candidate: ReleaseCandidate; promotion: PromotionEvent };
                  return (
                    <>
                      Promoted: the candidate is <Badge value={out.candidate.status} />; promotion{' '}
                      <code>{out.promotion.id}</code> at <Time at={out.promotion.at} />.
                    </>
                  );
                }}
              </ConfirmAction>
            ) : null}
            {!operate ? (
              <p className="hint">Promotion and rollback are for the system's owners and pipelines.</p>
            ) : null}
          </div>
          {operate && (c.status === 'active' || acted === 'rollback') ? (
            <Rollback candidate={c} onStart={() => setActed('rollback')} onDone={refresh} />
          ) : null}
        </div>
      </div>
      <div className="card">
        <h2>Eval evidence</h2>
        {c.latestEvalRunId === null ? <p className="muted">No eval run yet.</p> : null}
        {c.latestEvalRunId !== null ? (
          <DataState query={run} label="the latest eval run" minHeight={160}>
            {(r) => <RunSummary run={r} />}
          </DataState>
        ) : null}
      </div>
    </>
  );
}

function RunSummary({ run: r }: { run: EvalRun }) {
  return (
    <>
      <p>
        <Link to={`/eval-runs/${r.id}`}>{r.id}</Link> <Badge value={r.status} /> {r.casesDone}/{r.totalCases} cases ·{' '}
        {r.executor} · snapshot <Hash value={r.snapshotHash} /> · finished <Time at={r.finishedAt} />
      </p>
      {r.failureReasons.length > 0 ? (
        <ul className="reasons">
          {r.failureReasons.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      ) : null}
      {r.error ? <p className="bad">{r.error}</p> : null}
      <ThresholdTable verdicts={r.thresholdVerdicts} caption="Threshold verdicts" />
    </>
  );
}

function Rollback({
  candidate: c,
  onStart,
  onDone,
}: {
  candidate: ReleaseCandidate;
  onStart: () => void;
  onDone: () => Promise<unknown>;
}) {
  const [reason, setReason] = useState('');
  const [incidentId, setIncidentId] = useState('');
  const incidents = useQuery({
    queryKey: ['incidents', c.systemId],
    queryFn: () => api.get<Page<Incident>>('/api/incidents', { systemId: c.systemId, limit: 100 }),
  });
  const open = (incidents.data?.items ?? []).filter((i) => i.status !== 'resolved');
  return (
    <div className="rollback">
      <h3>Roll back</h3>
      <p className="hint">To the last-known-good release of {c.environment} unless the API picks otherwise.</p>
      <Field label="Reason (required)">
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
      </Field>
      <Field label="Linked incident">
        <select value={incidentId} onChange={(e) => setIncidentId(e.target.value)}>
          <option value="">none</option>
          {open.map((i) => (
            <option key={i.id} value={i.id}>
              {i.severity}: {i.title}
            </option>
          ))}
        </select>
      </Field>
      <ConfirmAction
        label="Roll back"
        tone="danger"
        disabled={reason.trim() === ''}
        disabledReason={reason.trim() === '' ? 'A rollback needs a reason.' : undefined}
        question={
          <p>
            Roll back <strong>{c.name}</strong> ({c.environment})? Reason: “{reason}”
          </p>
        }
        onConfirm={async () => {
          onStart();
          const out = await api.post(`/api/release-candidates/${c.id}/rollback`, {
            reason,
            incidentId: incidentId || null,
          });
          await onDone();
          return out;
        }}
      >
        {(r) => {
          const out = r as { rollback?: { toCandidateId: string; id: string } };
          return out.rollback ? (
            <>
              Rolled back to <Link to={`/candidates/${out.rollback.toCandidateId}`}>{out.rollback.toCandidateId}</Link>{' '}
              (rollback <code>{out.rollback.id}</code>).
            </>
          ) : (
            <pre>{JSON.stringify(r, null, 2)}</pre>
          );
        }}
      </ConfirmAction>
    </div>
  );
}
