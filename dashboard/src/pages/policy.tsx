// The governance policy: the version in force in words, its history, a diff between any two versions, drafts with
// their approvals and dry runs, and a form to propose a change. The server decides every step (docs/dashboard.md).
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import type { Principal } from '../../../functions/domain/types';
import { ApiError, api } from '../api';
import { can } from '../auth';
import { diffLines } from '../diff';
import {
  activationQuorum,
  type PolicyDocument,
  type PolicyDryRun,
  type PolicyList,
  type PolicyVersion,
  policyText,
  promotionRows,
  proposalOf,
  tierRows,
} from '../policy';
import { usePrincipal } from '../session';
import { Badge, ConfirmAction, DataState, Field, Hash, ProblemView, Time } from '../ui';

const POLICIES_KEY = ['policies'] as const;

/** Every version: the first page names the one in force; the history is short, so its pages are followed. */
async function fetchPolicies(): Promise<PolicyList> {
  const first = await api.get<PolicyList>('/api/policies', { limit: 100 });
  const items = [...first.items];
  let cursor = first.nextCursor;
  for (let i = 0; cursor !== null && i < 10; i++) {
    const next: PolicyList = await api.get<PolicyList>('/api/policies', { limit: 100, cursor });
    items.push(...next.items);
    cursor = next.nextCursor;
  }
  return { active: first.active, items, nextCursor: cursor };
}

export default function PolicyPage() {
  const policies = useQuery({ queryKey: POLICIES_KEY, queryFn: fetchPolicies });
  return (
    <section>
      <div className="page-head">
        <h1>Governance policy</h1>
        <span className="muted">The rules every promotion is judged by; a change is a reviewed, audited version.</span>
      </div>
      {/* One layout when the data is in: the parts below would move each other if they arrived one by one. */}
      <DataState
        query={policies}
        label="the policy"
        minHeight={640}
        isEmpty={(list) => list.active === null}
        empty="No policy version is in force yet: the genesis version is created when the table is migrated."
      >
        {(list) => (list.active ? <PolicyView active={list.active} versions={list.items} /> : null)}
      </DataState>
    </section>
  );
}

function PolicyView({ active, versions }: { active: PolicyVersion; versions: PolicyVersion[] }) {
  const principal = usePrincipal();
  const drafts = versions.filter((v) => v.status === 'draft' || v.status === 'submitted');
  return (
    <>
      <section className="card" aria-labelledby="policy-active">
        <h2 id="policy-active">
          Version {active.version} in force <Badge value={active.status} />
        </h2>
        <p className="muted small">
          activated <Time at={active.activatedAt} />
          {active.activatedBy ? ` by ${active.activatedBy.name}` : ''} · proposed by {active.createdBy.name}:{' '}
          {active.reason} · document <Hash value={active.documentHash} />
        </p>
        <PolicyRules doc={active.document} />
      </section>

      <section className="card" aria-labelledby="policy-drafts">
        <h2 id="policy-drafts">Drafts</h2>
        {drafts.length === 0 ? (
          <p className="muted">No draft awaits a decision.</p>
        ) : (
          <ul className="queue">
            {drafts.map((draft) => (
              <DraftCard key={draft.version} draft={draft} active={active} principal={principal} />
            ))}
          </ul>
        )}
        {can.governPolicy(principal) ? (
          <DocumentForm
            mode={{ kind: 'propose' }}
            start={active.document}
            startLabel={`version ${active.version}, in force`}
          />
        ) : null}
      </section>

      <section className="card" aria-labelledby="policy-history">
        <h2 id="policy-history">History</h2>
        <HistoryTable versions={versions} />
      </section>

      <section className="card" aria-labelledby="policy-diff">
        <h2 id="policy-diff">Compare versions</h2>
        <VersionDiff versions={versions} active={active} />
      </section>
    </>
  );
}

const list = (values: readonly string[]) =>
  values.length === 0 ? <span className="muted">none</span> : values.join(', ');

/** A policy document in words: what each promotion needs, what each tier lives under, and who activates a change. */
function PolicyRules({ doc }: { doc: PolicyDocument }) {
  const drift = doc.monitoring?.driftThresholds ?? [];
  return (
    <>
      <h3>Promotion, per environment and risk tier</h3>
      <div className="table-wrap">
        <table className="dense">
          <caption className="sr-only">Promotion rules per environment and risk tier</caption>
          <thead>
            <tr>
              <th scope="col">Promotion to</th>
              <th scope="col">Required approvers</th>
              <th scope="col">Blocking incidents</th>
              <th scope="col">Required dataset kinds</th>
              <th scope="col">Threshold floors</th>
              <th scope="col">Eval valid for</th>
              <th scope="col">Model card</th>
            </tr>
          </thead>
          <tbody>
            {promotionRows(doc).map((row) => (
              <tr key={`${row.environment}-${row.tier ?? 'all'}`}>
                <th scope="row">{row.tier === null ? 'staging, every tier' : `production, ${row.tier}`}</th>
                <td>{list(row.approvers)}</td>
                <td>{list(row.blockingSeverities)}</td>
                <td>{list(row.requiredDatasetKinds)}</td>
                <td>{list(row.floors)}</td>
                <td>{row.evalValidity}</td>
                <td>{row.modelCard}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Per risk tier</h3>
      <div className="table-wrap">
        <table className="dense">
          <caption className="sr-only">Rules per risk tier</caption>
          <thead>
            <tr>
              <th scope="col">Risk tier</th>
              <th scope="col">Rollback validation</th>
              <th scope="col">Review interval</th>
              <th scope="col">Monitoring incident</th>
              <th scope="col">A failed monitoring run</th>
            </tr>
          </thead>
          <tbody>
            {tierRows(doc).map((row) => (
              <tr key={row.tier}>
                <th scope="row">{row.tier}</th>
                <td>{row.rollbackValidation === 'block' ? 'a failure blocks' : 'a failure warns'}</td>
                <td>{row.reviewIntervalDays === null ? '—' : `every ${row.reviewIntervalDays} days`}</td>
                <td>{row.monitoringSeverity ?? '—'}</td>
                <td>{row.onMonitoringFailure}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <dl className="kv policy-facts">
        <div className="kv-row">
          <dt>Activation quorum</dt>
          <dd>
            {activationQuorum(doc)} governance reviewers who did not write the draft (a draft needs the larger of this
            and the version in force)
          </dd>
        </div>
        <div className="kv-row">
          <dt>Monitoring drift</dt>
          <dd>
            {drift.length === 0
              ? 'not judged'
              : drift
                  .map(
                    (t) =>
                      `${t.metric} ${t.direction === 'min' ? 'drop' : 'rise'} ≤ ${t.tolerance}${t.relative ? ' (relative)' : ''}`,
                  )
                  .join('; ')}
            {doc.monitoring?.minCasesForDrift ? `; judged from ${doc.monitoring.minCasesForDrift} cases` : ''}
          </dd>
        </div>
      </dl>
    </>
  );
}

/** Why the signed-in person is not offered Approve, or null when they are. */
function whyNotApprove(principal: Principal, draft: PolicyVersion): string | null {
  if (!principal.roles.includes('reviewer:governance')) return null; // no role: nothing to explain
  if (draft.createdBy.userId === principal.userId)
    return 'You wrote this draft: governance reviewers who did not write it approve it.';
  const mine = draft.approvals.find((a) => a.reviewerId === principal.userId);
  if (mine) return `You approved this version (${mine.at.slice(0, 16).replace('T', ' ')}).`;
  if (draft.status === 'draft') return 'The author has not submitted it for approval yet.';
  return null;
}

function DraftCard({
  draft,
  active,
  principal,
}: {
  draft: PolicyVersion;
  active: PolicyVersion;
  principal: Principal;
}) {
  const client = useQueryClient();
  const headingId = `policy-v${draft.version}`;
  const refresh = () => client.invalidateQueries({ queryKey: POLICIES_KEY });
  const act = (verb: 'submit' | 'approve' | 'activate' | 'withdraw') => async () => {
    const out = await api.post<PolicyVersion>(`/api/policies/${draft.version}/${verb}`, {});
    await refresh();
    return out;
  };
  const isAuthor = draft.createdBy.userId === principal.userId;
  const approved = draft.approvals.length;
  const quorumMet = approved >= draft.quorum;
  const notApprove = whyNotApprove(principal, draft);
  const mayApprove = principal.roles.includes('reviewer:governance') && notApprove === null;
  const activateBlocked =
    draft.status !== 'submitted'
      ? 'Activation needs a submitted draft.'
      : !quorumMet
        ? `Activation needs ${draft.quorum} approvals by governance reviewers who did not write it; it has ${approved}.`
        : undefined;
  return (
    <li className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>
        Version {draft.version} <Badge value={draft.status} />
      </h3>
      <p className="small">
        <span className="muted">
          proposed by {draft.createdBy.name} <Time at={draft.createdAt} /> from version {draft.baseVersion ?? '—'}:
        </span>{' '}
        {draft.reason}
      </p>
      {draft.baseVersion !== null && draft.baseVersion !== active.version ? (
        <p className="hint" role="note">
          Version {active.version} was activated after this draft was written from version {draft.baseVersion}: the API
          refuses its activation (POLICY_BASE_CHANGED); propose a new draft from the version in force.
        </p>
      ) : null}
      <p>
        <strong>
          Approvals: {approved} of {draft.quorum}
        </strong>
        {draft.approvals.length > 0 ? (
          <span className="muted"> ({draft.approvals.map((a) => a.name).join(', ')})</span>
        ) : null}
      </p>
      <div className="row">
        {isAuthor && draft.status === 'draft' ? (
          <ConfirmAction label="Submit" question="Submit this draft for governance approval?" onConfirm={act('submit')}>
            {() => 'Submitted for approval.'}
          </ConfirmAction>
        ) : null}
        {mayApprove ? (
          <ConfirmAction
            label="Approve"
            question={`Approve version ${draft.version} of the policy?`}
            onConfirm={act('approve')}
          >
            {() => 'Your approval is recorded.'}
          </ConfirmAction>
        ) : null}
        {can.governPolicy(principal) ? (
          <ConfirmAction
            label="Activate"
            question={`Activate version ${draft.version}? Version ${active.version} is superseded and every promotion from now on is judged by this one.`}
            onConfirm={act('activate')}
            disabled={activateBlocked !== undefined}
            disabledReason={activateBlocked}
          >
            {() => `Version ${draft.version} is in force.`}
          </ConfirmAction>
        ) : null}
        {isAuthor || principal.roles.includes('admin') ? (
          <ConfirmAction
            label="Withdraw"
            tone="danger"
            question={`Withdraw version ${draft.version}? It stays in the history, and can no longer be activated.`}
            onConfirm={act('withdraw')}
          >
            {() => 'Withdrawn.'}
          </ConfirmAction>
        ) : null}
      </div>
      {notApprove ? (
        <p className="hint" role="note">
          {notApprove}
        </p>
      ) : null}
      {isAuthor && draft.status === 'draft' ? (
        <DocumentForm
          mode={{ kind: 'edit', version: draft.version }}
          start={draft.document}
          startLabel={`draft version ${draft.version}`}
          initialReason={draft.reason}
        />
      ) : null}
      <details>
        <summary>Changes against version {active.version}</summary>
        <DiffView before={active.document} after={draft.document} />
      </details>
      {can.governPolicy(principal) ? <DryRunPanel draft={draft} /> : null}
    </li>
  );
}

/** Starts a dry run of the draft's document, follows its progress, and pages through what it would block. */
function DryRunPanel({ draft }: { draft: PolicyVersion }) {
  const [started, setStarted] = useState<PolicyDryRun | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setStarted(await api.post<PolicyDryRun>('/api/policy-dry-runs', { document: draft.document }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="dry-run" aria-label={`Dry run of version ${draft.version}`}>
      <div className="row">
        <h4>Dry run</h4>
        <button type="button" onClick={start} disabled={busy} aria-busy={busy}>
          {started ? 'Run again' : 'Start a dry run'}
        </button>
        <span className="muted small">
          which open candidates and active releases this version would block, before anyone approves it
        </span>
      </div>
      {error ? <ProblemView error={error} /> : null}
      {started ? <DryRunResult key={started.id} id={started.id} /> : null}
    </section>
  );
}

function DryRunResult({ id }: { id: string }) {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const run = useQuery({
    queryKey: ['policy-dry-run', id, cursor],
    queryFn: () => api.get<PolicyDryRun>(`/api/policy-dry-runs/${id}`, { limit: 25, cursor: cursor ?? undefined }),
    // A running job: poll until it settles.
    refetchInterval: (q) => (q.state.data?.status === 'running' ? 1000 : false),
    // The page on screen stays while the next one loads.
    placeholderData: (previous) => previous,
  });
  const progressId = useId();
  return (
    <DataState query={run} label="the dry run" minHeight={80}>
      {(r) => {
        const { systemsDone, systemsTotal } = r.progress;
        return (
          <div className="dry-run-result">
            <p role="status">
              <span id={progressId}>
                Dry run <Badge value={r.status} />:{' '}
                {systemsTotal === null
                  ? `${systemsDone} systems read`
                  : `${systemsDone} of ${systemsTotal} systems read`}
                {r.summary
                  ? ` · ${r.summary.candidatesChecked} candidates and ${r.summary.releasesChecked} active releases checked, ${r.summary.blocked} would be blocked`
                  : ''}
              </span>
            </p>
            {r.error ? <p className="bad">{r.error}</p> : null}
            {r.status === 'running' ? (
              <progress
                aria-labelledby={progressId}
                max={systemsTotal ?? undefined}
                value={systemsTotal === null ? undefined : systemsDone}
              />
            ) : null}
            {r.items.length === 0 ? (
              <p className="muted">
                {r.status === 'running' ? 'Nothing blocked so far.' : 'Nothing would be blocked by this version.'}
              </p>
            ) : (
              <div className="table-wrap">
                <table className="dense">
                  <caption className="sr-only">What the draft would block</caption>
                  <thead>
                    <tr>
                      <th scope="col">System</th>
                      <th scope="col">Subject</th>
                      <th scope="col">Environment</th>
                      <th scope="col">Blocked by</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.items.map((item) => (
                      <tr key={`${item.candidateId}-${item.subject}-${item.environment}`}>
                        <td>
                          <Link to={`/systems/${item.systemId}`}>{item.systemName}</Link>{' '}
                          <Badge value={item.riskTier} />
                        </td>
                        <td>
                          {item.subject === 'candidate' ? 'candidate' : 'active release'}{' '}
                          <Link to={`/candidates/${item.candidateId}`}>
                            <code>{item.candidateId}</code>
                          </Link>
                        </td>
                        <td>{item.environment}</td>
                        <td>
                          <ul className="reasons">
                            {item.reasons.map((reason) => (
                              <li key={reason.code}>
                                <code className="code">{reason.code}</code>
                                {item.newlyBlocked.includes(reason.code) ? <Badge value="new" /> : null}{' '}
                                {reason.message}
                              </li>
                            ))}
                          </ul>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            <div className="row">
              <button type="button" disabled={cursors.length === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous results
              </button>
              <span className="muted small">page {cursors.length}</span>
              <button
                type="button"
                disabled={r.nextCursor === null}
                onClick={() => setCursors((c) => [...c, r.nextCursor])}
              >
                Next results
              </button>
            </div>
          </div>
        );
      }}
    </DataState>
  );
}

function HistoryTable({ versions }: { versions: PolicyVersion[] }) {
  return (
    <div className="table-wrap">
      <table className="dense">
        <caption className="sr-only">Policy versions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Status</th>
            <th scope="col">From</th>
            <th scope="col">Reason</th>
            <th scope="col">Proposed</th>
            <th scope="col">Approvals</th>
            <th scope="col">Activated</th>
            <th scope="col">Document</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version}>
              <th scope="row">{v.version}</th>
              <td>
                <Badge value={v.status} />
              </td>
              <td>{v.baseVersion ?? '—'}</td>
              <td>{v.reason}</td>
              <td>
                {v.createdBy.name} <Time at={v.createdAt} />
              </td>
              <td className="num">
                {v.approvals.length} of {v.quorum}
              </td>
              <td>
                <Time at={v.activatedAt} />
                {v.activatedBy ? ` by ${v.activatedBy.name}` : ''}
              </td>
              <td>
                <Hash value={v.documentHash} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Two selects and the line diff of the two documents' rules (version and activation instant left out). */
function VersionDiff({ versions, active }: { versions: PolicyVersion[]; active: PolicyVersion }) {
  const newestDraft = versions.find((v) => v.status === 'draft' || v.status === 'submitted');
  const previous = versions.find((v) => v.version < active.version && v.status !== 'withdrawn');
  const [from, setFrom] = useState(newestDraft ? active.version : (previous?.version ?? active.version));
  const [to, setTo] = useState(newestDraft?.version ?? active.version);
  const before = versions.find((v) => v.version === from);
  const after = versions.find((v) => v.version === to);
  const options = versions.map((v) => (
    <option key={v.version} value={v.version}>
      version {v.version} ({v.status})
    </option>
  ));
  return (
    <>
      <form className="filters" aria-label="Versions to compare" onSubmit={(e) => e.preventDefault()}>
        <Field label="From">
          <select value={from} onChange={(e) => setFrom(Number(e.target.value))}>
            {options}
          </select>
        </Field>
        <Field label="To">
          <select value={to} onChange={(e) => setTo(Number(e.target.value))}>
            {options}
          </select>
        </Field>
      </form>
      {before && after ? (
        <DiffView before={before.document} after={after.document} label={`Version ${from} against ${to}`} />
      ) : null}
    </>
  );
}

/** Lines kept around each change; longer unchanged runs fold into one line saying how many. */
const CONTEXT = 3;

function DiffView({ before, after, label }: { before: PolicyDocument; after: PolicyDocument; label?: string }) {
  const lines = diffLines(policyText(proposalOf(before)), policyText(proposalOf(after)));
  const changed = lines.some((l) => l.kind !== 'same');
  if (!changed) return <p className="muted">The two documents hold the same rules.</p>;
  const near = (index: number) =>
    lines.slice(Math.max(0, index - CONTEXT), index + CONTEXT + 1).some((l) => l.kind !== 'same');
  const shown: ({ kind: 'same' | 'added' | 'removed'; text: string } | { kind: 'fold'; count: number })[] = [];
  lines.forEach((line, index) => {
    if (line.kind !== 'same' || near(index)) shown.push(line);
    else {
      const last = shown[shown.length - 1];
      if (last?.kind === 'fold') last.count++;
      else shown.push({ kind: 'fold', count: 1 });
    }
  });
  const added = lines.filter((l) => l.kind === 'added').length;
  const removed = lines.filter((l) => l.kind === 'removed').length;
  return (
    <figure className="policy-diff">
      <figcaption className="muted small">
        {label ? `${label}: ` : ''}
        {added} lines added, {removed} removed
      </figcaption>
      <pre className="diff">
        {shown.map((line, index) =>
          line.kind === 'fold' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their position.
            <div key={index} className="muted">
              {`  … ${line.count} unchanged line${line.count === 1 ? '' : 's'}`}
            </div>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: lines of a diff have no identity but their position.
            <div key={index} className={`diff-${line.kind}`}>
              {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '- ' : '  '}
              {line.text}
            </div>
          ),
        )}
      </pre>
    </figure>
  );
}

/**
 * A JSON editor of a policy document and a required reason: a new draft prefilled with the version in force, or an
 * edit of the author's own draft. A document that is not JSON is refused before sending; the API's 400 shows beside.
 */
function DocumentForm({
  mode,
  start,
  startLabel,
  initialReason = '',
}: {
  mode: { kind: 'propose' } | { kind: 'edit'; version: number };
  start: PolicyDocument;
  startLabel: string;
  initialReason?: string;
}) {
  const client = useQueryClient();
  const initialText = () => policyText(proposalOf(start));
  const [text, setText] = useState(initialText);
  const [reason, setReason] = useState(initialReason);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<PolicyVersion | null>(null);
  const submit = async () => {
    setError(null);
    setSaved(null);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch (e) {
      setError(
        new ApiError(400, {
          type: 'about:blank',
          title: 'The document is not JSON',
          status: 400,
          detail: `${(e as Error).message}; nothing was sent`,
        }),
      );
      return;
    }
    setBusy(true);
    try {
      const body = { document, reason: reason.trim() };
      setSaved(
        mode.kind === 'propose'
          ? await api.post<PolicyVersion>('/api/policies', body)
          : await api.patch<PolicyVersion>(`/api/policies/${mode.version}`, body),
      );
      await client.invalidateQueries({ queryKey: POLICIES_KEY });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const propose = mode.kind === 'propose';
  return (
    <details className="propose">
      <summary>{propose ? 'Propose a change' : 'Edit the draft'}</summary>
      <form
        aria-label={propose ? 'Propose a policy change' : `Edit draft version ${mode.version}`}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field
          label="Policy document (JSON)"
          hint={`Starts as ${startLabel}; the version number and activation instant are set on activation.`}
        >
          <textarea
            className="json-editor"
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={18}
            spellCheck={false}
          />
        </Field>
        <Field label="Reason (required)" hint="why the rules should change; kept with the version and its audit event">
          <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} maxLength={2000} required />
        </Field>
        <div className="row">
          <button type="submit" className="primary" disabled={busy || reason.trim() === ''} aria-busy={busy}>
            {propose ? 'Create the draft' : 'Save the draft'}
          </button>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setText(initialText());
              setError(null);
            }}
          >
            Start again from {startLabel}
          </button>
        </div>
        {saved ? (
          <p role="status">
            {propose ? 'Created draft' : 'Saved draft'} version {saved.version} <Badge value={saved.status} />
            {propose ? '; submit it for approval from its card above.' : '.'}
          </p>
        ) : null}
        {error ? <ProblemView error={error} /> : null}
      </form>
    </details>
  );
}
