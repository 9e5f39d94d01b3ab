import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import type { EvalRun, Incident, PromotionEvent, ReleaseCandidate } from '../../../functions/domain/types';
import { api, type Page } from '../api';
import { can } from '../auth';
import {
  type CandidateContext,
  type ContextSide,
  contextKey,
  fetchContext,
  METRIC_LABELS,
  MetricComparisonTable,
  metricValue,
  modelConfigText,
  modelLabel,
  promptLabel,
  REASON_TITLES,
  ReleaseName,
  SIDE_LABELS,
  TextDiff,
} from '../evidence';
import { metricLabel } from '../metric-format';
import { Person } from '../people';
import { isRollbackAnswer, RollbackProgress } from '../rollback-progress';
import { RunEvals } from '../run-evals';
import { usePrincipal } from '../session';
import { Badge, ConfirmAction, DataState, DownloadButton, Field, Hash, ProblemView, Time } from '../ui';

type PromoteAnswer = { candidate: ReleaseCandidate; promotion: PromotionEvent };

export default function CandidatePage() {
  const { id = '' } = useParams();
  const context = useQuery({ queryKey: contextKey(id), queryFn: () => fetchContext(id) });
  return (
    <section>
      <DataState query={context} label="the release candidate" minHeight={480}>
        {(c) => <CandidateView context={c} />}
      </DataState>
    </section>
  );
}

function CandidateView({ context }: { context: CandidateContext }) {
  const principal = usePrincipal();
  const client = useQueryClient();
  const c = context.candidate;
  const gate = context.gate;
  const ours = context.sides[0] as ContextSide;
  const active = context.sides.find((s) => s.role === 'active');
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: contextKey(c.id) }),
      client.invalidateQueries({ queryKey: ['candidate', c.id] }),
      client.invalidateQueries({ queryKey: ['gate', c.id] }),
      client.invalidateQueries({ queryKey: ['system', c.systemId] }),
    ]);
  const operate = can.operate(principal, context.system);
  // A promotion's answer stays on screen, in place of the form, after the refresh makes the candidate active.
  const [promoted, setPromoted] = useState<PromoteAnswer | null>(null);
  const [rolledBack, setRolledBack] = useState(false);
  const byRole = new Map(context.approvals.map((a) => [a.role, a] as const));
  // A link from the approval queue names a section (#diffs, #what-changes): it exists once the context is in.
  const { hash } = useLocation();
  useEffect(() => {
    if (hash) document.getElementById(hash.slice(1))?.scrollIntoView();
  }, [hash]);

  return (
    <>
      <div className="page-head">
        <h1>
          {c.name} <Badge value={c.status} />
        </h1>
        <span className="muted">
          {c.environment} · <Link to={`/systems/${c.systemId}`}>{context.system.name}</Link> · {context.system.riskTier}{' '}
          risk
        </span>
        <div className="row downloads">
          <DownloadButton
            label="Model card"
            path={`/api/release-candidates/${c.id}/model-card`}
            fileName={`model-card-${c.id}.json`}
          />
        </div>
      </div>
      {context.rollback ? <RollbackContext rollback={context.rollback} /> : null}
      <div className="grid-2">
        <div className="card">
          <h2>Snapshot</h2>
          <dl className="kv">
            <dt>Prompt</dt>
            <dd>
              <Link to={`/prompts/${c.promptVersionId}`}>{promptLabel(ours)}</Link>{' '}
              <code className="muted small">{c.promptVersionId}</code> <Hash value={c.promptContentHash} />
            </dd>
            <dt>Model</dt>
            <dd>
              <Link to={`/model-configs/${c.modelConfigId}`}>{modelLabel(ours)}</Link>{' '}
              <code className="muted small">{c.modelConfigId}</code> <Hash value={c.modelConfigContentHash} />
            </dd>
            <dt>Judges</dt>
            <dd>
              <JudgeList side={ours} />
            </dd>
            <dt>Datasets</dt>
            <dd>
              <DatasetList side={ours} />
            </dd>
            <dt>Thresholds</dt>
            <dd>
              {c.thresholds.map((t) => (
                <span key={t.metric} className="chip" title={t.metric}>
                  {METRIC_LABELS[t.metric] ?? metricLabel(t.metric)} {t.direction === 'min' ? '≥' : '≤'}{' '}
                  {metricValue(t.value)}
                  {t.regressionTolerance !== null ? ` (±${metricValue(t.regressionTolerance)})` : ''}
                </span>
              ))}
            </dd>
            <dt>Snapshot hash</dt>
            <dd>
              <code className="hash wrap">{c.snapshotHash}</code>
            </dd>
            <dt>Candidate</dt>
            <dd>
              <code>{c.id}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time at={c.createdAt} /> by <Person id={c.createdBy} systemId={c.systemId} />
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
          <h2>Promotion gate ({gate.environment})</h2>
          <GateState context={context} promoted={promoted} />
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
                      {a?.reviewerId ? (
                        <Person id={a.reviewerId} name={a.reviewerName} />
                      ) : (
                        <span className="muted">—</span>
                      )}
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
            {promoted ? (
              <p className="answer" role="status">
                Promoted: the candidate is <Badge value={promoted.candidate.status} />; promotion{' '}
                <code>{promoted.promotion.id}</code> at <Time at={promoted.promotion.at} />, reason “
                {promoted.promotion.reason}”.
              </p>
            ) : operate && c.status !== 'active' && !['superseded', 'rolled_back'].includes(c.status) ? (
              <Promote context={context} active={active} onDone={(out) => setPromoted(out)} refresh={refresh} />
            ) : null}
            {!operate ? (
              <p className="hint">Promotion and rollback are for the system's owners and pipelines.</p>
            ) : null}
          </div>
          {operate && (c.status === 'active' || rolledBack) && !promoted ? (
            <Rollback
              candidate={c}
              target={context.sides.find((s) => s.role === 'last_known_good')}
              onStart={() => setRolledBack(true)}
              onDone={refresh}
            />
          ) : null}
        </div>
      </div>
      <section className="card" aria-labelledby="what-changes">
        <h2 id="what-changes">What changes if this is approved</h2>
        <p className="muted small">
          This candidate's {ours.run?.status === 'passed' ? 'latest passed' : 'latest'} eval run beside the runs the
          active and the last-known-good releases of {c.environment} were approved on. A verdict with a tolerance is the
          gate's regression check; without one, better or worse is for information.
        </p>
        <MetricComparisonTable context={context} caption="Metrics beside the active and last-known-good releases" />
        <ComparedReleases context={context} />
      </section>
      <section className="card" id="diffs" aria-labelledby="diffs-head">
        <h2 id="diffs-head">Changes against the active release</h2>
        {active ? (
          <>
            <p className="muted small">
              Against <ReleaseName side={active} />: prompt {promptLabel(active)} → {promptLabel(ours)}; model{' '}
              {modelLabel(active)} → {modelLabel(ours)}.
            </p>
            <div id="prompt-diff">
              <TextDiff
                label="Prompt template"
                before={active.prompt?.template ?? ''}
                after={ours.prompt?.template ?? ''}
              />
              <TextDiff
                label="Output contract"
                before={JSON.stringify(active.prompt?.outputContract ?? {}, null, 2)}
                after={JSON.stringify(ours.prompt?.outputContract ?? {}, null, 2)}
              />
            </div>
            <div id="model-config-diff">
              <TextDiff
                label="Model config"
                before={modelConfigText(active.modelConfig)}
                after={modelConfigText(ours.modelConfig)}
              />
            </div>
          </>
        ) : (
          <p className="muted">
            {c.status === 'active'
              ? 'This is the active release.'
              : `No release is active in ${c.environment}: nothing to compare with.`}
          </p>
        )}
      </section>
      <div className="card">
        <h2>Eval evidence</h2>
        {ours.run ? <RunSummary run={ours.run} /> : <p className="muted">No eval run yet.</p>}
        <RunEvals candidate={c} operate={operate} onStarted={refresh} />
      </div>
    </>
  );
}

/** The gate as it stands: the active release says so; otherwise nothing blocks, or every reason in words. */
function GateState({ context, promoted }: { context: CandidateContext; promoted: PromoteAnswer | null }) {
  const c = context.candidate;
  const gate = context.gate;
  if (c.status === 'active' || promoted) {
    return (
      <p>
        <Badge value="active" /> The active release of {gate.environment} since{' '}
        <Time at={promoted?.promotion.at ?? c.activatedAt} />.
      </p>
    );
  }
  const active = context.sides.find((s) => s.role === 'active');
  return (
    <>
      <p>
        {gate.promotable ? (
          <Badge value="passed" title="nothing blocks promotion" />
        ) : (
          <strong className="bad">
            Blocked by {gate.reasons.length} reason{gate.reasons.length === 1 ? '' : 's'}
          </strong>
        )}{' '}
        <span className="muted">
          active release: {active ? active.candidate.name : gate.activeCandidateId ? gate.activeCandidateId : 'none'}
        </span>
      </p>
      {gate.reasons.length > 0 ? (
        <ul className="reasons" aria-label="Blocking reasons">
          {gate.reasons.map((r) => (
            <li key={r.code + r.message}>
              <code className="code">{r.code}</code> {r.message}
              {REASON_TITLES[r.code] ? <div className="muted small">{REASON_TITLES[r.code]}</div> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {gate.pendingRelaxations.length > 0 ? (
        <p className="hint">
          {gate.pendingRelaxations.length} relaxation request(s) pending: they relax nothing until approved (
          <Link to="/approvals">approval queue</Link>).
        </p>
      ) : null}
    </>
  );
}

/** Promote, with a reason the reviewer types: the audit event and the EU AI Act report carry it. */
function Promote({
  context,
  active,
  onDone,
  refresh,
}: {
  context: CandidateContext;
  active: ContextSide | undefined;
  onDone: (out: PromoteAnswer) => void;
  refresh: () => Promise<unknown>;
}) {
  const c = context.candidate;
  const gate = context.gate;
  const [reason, setReason] = useState('');
  const blocked = !gate.promotable;
  const noReason = reason.trim() === '';
  return (
    <div className="promote">
      <Field label="Promotion reason (required)" hint="recorded in the audit event">
        <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
      </Field>
      <ConfirmAction
        label="Promote"
        disabled={blocked || noReason}
        disabledReason={
          blocked
            ? `Promotion is blocked: ${gate.reasons.map((r) => r.code).join(', ')}`
            : noReason
              ? 'A promotion needs a reason.'
              : undefined
        }
        question={
          <p>
            Promote <strong>{c.name}</strong> to {gate.environment}, replacing{' '}
            {active ? (
              <>
                <strong>{active.candidate.name}</strong> <code className="muted small">{active.candidate.id}</code>
              </>
            ) : gate.activeCandidateId ? (
              <code>{gate.activeCandidateId}</code>
            ) : (
              'no active release'
            )}
            ? Reason: “{reason.trim()}”
          </p>
        }
        onConfirm={async () => {
          const out = await api.post<PromoteAnswer>(`/api/release-candidates/${c.id}/promote`, {
            environment: gate.environment,
            expectedActiveCandidateId: gate.activeCandidateId ?? null,
            reason: reason.trim(),
          });
          onDone(out);
          await refresh();
          return out;
        }}
      />
    </div>
  );
}

/** The releases compared: what each is made of, the run it was judged by, and whether the datasets match. */
function ComparedReleases({ context }: { context: CandidateContext }) {
  const ours = context.sides[0] as ContextSide;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a wide table scrolls sideways; the keyboard must reach it.
    <section className="table-wrap" tabIndex={0} aria-label="Releases compared">
      <table className="dense">
        <caption className="sr-only">Releases compared</caption>
        <thead>
          <tr>
            <th scope="col">Release</th>
            <th scope="col">Prompt</th>
            <th scope="col">Model</th>
            <th scope="col">Judges</th>
            <th scope="col">Datasets</th>
            <th scope="col">Eval run</th>
          </tr>
        </thead>
        <tbody>
          {context.sides.map((s) => (
            <tr key={s.role}>
              <th scope="row">
                {SIDE_LABELS[s.role]}
                <div>
                  <ReleaseName side={s} />
                </div>
              </th>
              <td>{promptLabel(s)}</td>
              <td>{modelLabel(s)}</td>
              <td>
                <JudgeList side={s} />
              </td>
              <td>
                <DatasetList side={s} />
                <DatasetMismatch side={s} ours={ours} />
              </td>
              <td>
                {s.run ? (
                  <>
                    <Link to={`/eval-runs/${s.run.id}`}>{s.run.id}</Link> <Badge value={s.run.status} />
                    <div className="muted small">
                      finished <Time at={s.run.finishedAt} />
                    </div>
                  </>
                ) : (
                  <span className="muted">none</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The judge configs a release pins (ADR 0036), by name and version, each with the model it calls. */
function JudgeList({ side }: { side: ContextSide }) {
  if (side.judgeConfigs.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="plain" aria-label="Judges">
      {side.judgeConfigs.map((j) => {
        const model = side.judgeModelConfigs.find((m) => m.id === j.modelConfigId);
        return (
          <li key={j.id} title={j.id}>
            <Link to={`/judge-configs/${j.id}`}>
              {j.name} v{j.version}
            </Link>{' '}
            <Badge value={j.status} />{' '}
            <span className="muted small">
              judged by{' '}
              {model ? `${model.provider} · ${model.model} (${model.name} v${model.version})` : j.modelConfigId}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function DatasetList({ side }: { side: ContextSide }) {
  if (side.datasets.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="plain">
      {side.datasets.map((d) => (
        <li key={d.id} title={d.id}>
          <Link to={`/datasets/${d.id}`}>
            {d.name} v{d.version}
          </Link>{' '}
          <span className="muted small">({d.kind.replace(/_/g, ' ')})</span>
        </li>
      ))}
    </ul>
  );
}

/** Marks a baseline judged on other datasets than the candidate: its figures are not like for like. */
function DatasetMismatch({ side, ours }: { side: ContextSide; ours: ContextSide }) {
  const diff = side.datasetDifference;
  if (!diff || (diff.missing.length === 0 && diff.added.length === 0)) return null;
  const name = (id: string, from: ContextSide) => {
    const d = from.datasets.find((x) => x.id === id);
    return d ? `${d.name} v${d.version}` : id;
  };
  return (
    <p className="mismatch" role="note">
      <span className="badge tone-warn">datasets differ</span>{' '}
      {diff.missing.length > 0 ? `not in this candidate: ${diff.missing.map((id) => name(id, side)).join(', ')}. ` : ''}
      {diff.added.length > 0 ? `only in this candidate: ${diff.added.map((id) => name(id, ours)).join(', ')}.` : ''}
    </p>
  );
}

/** When, why, by whom and to what a rolled-back candidate was taken out of service, and its incident. */
function RollbackContext({ rollback }: { rollback: NonNullable<CandidateContext['rollback']> }) {
  const r = rollback.record;
  return (
    <section className="card rollback-context" aria-labelledby="rolled-back">
      <h2 id="rolled-back">Rolled back</h2>
      <p>
        <Time at={r.at} /> by <Person id={r.actor} systemId={r.systemId} />, to{' '}
        {rollback.target ? (
          <Link to={`/candidates/${rollback.target.id}`}>{rollback.target.name}</Link>
        ) : (
          <code>{r.toCandidateId}</code>
        )}
        . Reason: “{r.reason}”
      </p>
      {rollback.incident ? (
        <p>
          Incident: <Badge value={rollback.incident.severity} />{' '}
          <Link to={`/incidents?systemId=${rollback.incident.systemId}`}>{rollback.incident.title}</Link>{' '}
          <Badge value={rollback.incident.status} />
        </p>
      ) : (
        <p className="muted">No incident was linked.</p>
      )}
      {r.validation ? (
        <p className="muted small">
          Rollback validation: {r.validation.status} ({r.validation.decision}) — {r.validation.message}
        </p>
      ) : null}
    </section>
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
        <ul className="reasons" aria-label="Why the run failed">
          {r.failureReasons.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      ) : null}
      {r.error ? <p className="bad">{r.error}</p> : null}
    </>
  );
}

function Rollback({
  candidate: c,
  target,
  onStart,
  onDone,
}: {
  candidate: ReleaseCandidate;
  target: ContextSide | undefined;
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
      <p className="hint">
        To the last-known-good release of {c.environment}
        {target ? `, ${target.candidate.name},` : ''} unless the API picks otherwise.
      </p>
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
      {incidents.isError ? <ProblemView error={incidents.error} /> : null}
      <ConfirmAction
        label="Roll back"
        tone="danger"
        disabled={reason.trim() === ''}
        disabledReason={reason.trim() === '' ? 'A rollback needs a reason.' : undefined}
        question={
          <p>
            Roll back <strong>{c.name}</strong> ({c.environment})
            {target ? (
              <>
                {' '}
                to <strong>{target.candidate.name}</strong>
              </>
            ) : null}
            ? Reason: “{reason.trim()}”
          </p>
        }
        onConfirm={async () => {
          onStart();
          const out = await api.post(`/api/release-candidates/${c.id}/rollback`, {
            reason: reason.trim(),
            incidentId: incidentId || null,
          });
          await onDone();
          return out;
        }}
      >
        {(r) =>
          // 202: the target's validation run runs, and the rollback commits when it passes (ADR 0032).
          isRollbackAnswer(r) ? (
            <RollbackProgress candidateId={c.id} answer={r} />
          ) : (
            <pre>{JSON.stringify(r, null, 2)}</pre>
          )
        }
      </ConfirmAction>
    </div>
  );
}
