import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { AUDIT_ACTIONS } from '../../../functions/contracts/incidents';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/id-format';
import type { AiSystem, AuditEvent } from '../../../functions/domain/types';
import { api, getAll, type Page } from '../api';
import { AuditExport } from '../audit-export';
import { can } from '../auth';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, Hash, ProblemView, Time } from '../ui';

interface BrokenPlace {
  seq?: number;
  reason?: string;
  message?: string;
}

interface VerifyAnswer {
  table: {
    systemId: string;
    ok: boolean;
    events: number;
    headSeq: number;
    headHash: string | null;
    brokenAt: { seq: number; reason: string; message: string } | null;
  };
  archive: {
    status: string;
    detail?: string;
    brokenAt?: BrokenPlace | null;
    fullVerification?: { status: string; reason?: string; brokenAt?: BrokenPlace | null } | null;
  };
}

export default function AuditPage() {
  const principal = usePrincipal();
  const [params, setParams] = useSearchParams();
  const systems = useQuery({ queryKey: ['systems', 'all'], queryFn: () => getAll<AiSystem>('/api/systems') });
  const systemId = params.get('systemId') ?? '';
  const action = params.get('action') ?? '';
  const actor = params.get('actor') ?? '';
  const entityId = params.get('entityId') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const allowed = systemId !== '' || can.seeAllAudit(principal);
  // Every filter goes to the server (GET /api/audit-events filters the whole chain or timeline, not what is loaded).
  const filters = {
    systemId: systemId || undefined,
    action: action || undefined,
    actor: actor || undefined,
    entityId: entityId || undefined,
    from: from ? `${from}T00:00:00.000Z` : undefined,
    to: to ? `${to}T23:59:59.999Z` : undefined,
  };
  const events = useInfiniteQuery({
    queryKey: ['audit', filters, 'desc'],
    enabled: allowed,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.get<Page<AuditEvent>>('/api/audit-events', {
        ...filters,
        order: 'desc',
        limit: 100,
        cursor: pageParam ?? undefined,
      }),
    getNextPageParam: (last) => last.nextCursor,
  });
  const verify = useQuery({
    queryKey: ['audit-verify', systemId],
    enabled: systemId !== '',
    queryFn: () => api.get<VerifyAnswer>('/api/audit-events/verify', { systemId }),
  });
  const loaded = useMemo(() => events.data?.pages.flatMap((p) => p.items) ?? [], [events.data]);
  // Text filters apply when submitted (Enter or Apply), not at each keystroke: each is a query of the server.
  const applyText = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams(params);
    for (const key of ['actor', 'entityId']) {
      const value = String(form.get(key) ?? '').trim();
      if (value) next.set(key, value);
      else next.delete(key);
    }
    setParams(next, { replace: true });
  };
  // The organisation chain (policy transitions, ADR 0024) is no system: it has a name of its own.
  const names = new Map([
    [ORGANISATION_CHAIN_ID, 'Organisation'],
    ...(systems.data?.items ?? []).map((s): [string, string] => [s.id, s.name]),
  ]);
  return (
    <section>
      <div className="page-head">
        <h1>Audit timeline</h1>
      </div>
      {can.exportAudit(principal) ? <AuditExport filters={filters} /> : null}
      <form
        className="filters"
        aria-label="Filter the audit timeline"
        onSubmit={applyText}
        key={`${actor}|${entityId}`}
      >
        <Field label="System">
          {/* A fixed width: the systems' names arrive after the first paint, and a select growing to its longest option
              would wrap the filters and shift the timeline below (CLS). */}
          <select className="system-select" value={systemId} onChange={(e) => set('systemId', e.target.value)}>
            <option value="">every system</option>
            {can.seeAllAudit(principal) ? <option value={ORGANISATION_CHAIN_ID}>Organisation (policy)</option> : null}
            {(systems.data?.items ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Action">
          <select value={action} onChange={(e) => set('action', e.target.value)}>
            <option value="">every action</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Actor (user id)">
          <input name="actor" defaultValue={actor} />
        </Field>
        <Field label="Entity id">
          <input name="entityId" defaultValue={entityId} />
        </Field>
        <Field label="From">
          <input type="date" value={from} onChange={(e) => set('from', e.target.value)} />
        </Field>
        <Field label="To">
          <input type="date" value={to} onChange={(e) => set('to', e.target.value)} />
        </Field>
        <button type="submit">Apply</button>
      </form>
      <p className="muted small">
        The server filters each page it reads: a page may hold fewer events than asked; load more to go on.
      </p>
      <div className="verify" aria-live="polite">
        {systemId === '' ? (
          <span className="muted">Choose a system (or the organisation) to verify its hash chain.</span>
        ) : verify.isPending ? (
          <span aria-busy="true">Verifying the chain …</span>
        ) : verify.isError ? (
          <ProblemView error={verify.error} />
        ) : verify.data && !verify.data.table.ok ? (
          <div className="problem" role="alert">
            <Badge value="broken" /> The chain is broken at seq {verify.data.table.brokenAt?.seq}:{' '}
            {verify.data.table.brokenAt?.message}
          </div>
        ) : verify.data && archiveBroken(verify.data.archive) ? (
          <div className="problem" role="alert">
            <Badge value="broken" /> The chain in the table verifies ({verify.data.table.events} events), but its
            archive does not: {archiveProblem(verify.data.archive)}
          </div>
        ) : verify.data ? (
          <span>
            <Badge value="verified" /> Chain verified: {verify.data.table.events} events, head seq{' '}
            {verify.data.table.headSeq} <Hash value={verify.data.table.headHash} />. Archive:{' '}
            {verify.data.archive.status}
            {verify.data.archive.detail ? ` (${verify.data.archive.detail})` : ''}.
          </span>
        ) : null}
      </div>
      {!allowed ? (
        <p className="hint">Your role reads the audit timeline one system at a time: choose a system.</p>
      ) : (
        <DataState
          query={{ ...events, data: loaded }}
          label="audit events"
          minHeight={360}
          isEmpty={(d) => d.length === 0 && !events.hasNextPage}
          empty="No audit event matches the filters."
        >
          {(items) => (
            <>
              <table className="dense audit">
                <caption className="sr-only">Audit events, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">At</th>
                    {systemId ? null : <th scope="col">System</th>}
                    <th scope="col">Seq</th>
                    <th scope="col">Action</th>
                    <th scope="col">Entity</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Hash</th>
                    <th scope="col">Prev hash</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={`${e.systemId}:${e.seq}`}>
                      <td>
                        <Time at={e.at} />
                      </td>
                      {systemId ? null : (
                        <td>
                          <Link to={`/audit?systemId=${e.systemId}`}>{names.get(e.systemId) ?? e.systemId}</Link>
                        </td>
                      )}
                      <td className="num">{e.seq}</td>
                      <td>
                        <code>{e.action}</code>
                        {e.reason ? <div className="muted small">“{e.reason}”</div> : null}
                      </td>
                      <td>{entityLink(e)}</td>
                      <td title={e.actor.roles.join(', ')}>{e.actor.name}</td>
                      <td>
                        <Hash value={e.hash} />
                      </td>
                      <td>
                        <Hash value={e.prevHash} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {events.hasNextPage ? (
                <button type="button" onClick={() => events.fetchNextPage()} disabled={events.isFetchingNextPage}>
                  {events.isFetchingNextPage ? 'Loading …' : 'Load older events'}
                </button>
              ) : null}
            </>
          )}
        </DataState>
      )}
    </section>
  );
}

/**
 * Whether the archive's verification (incremental, or the last full one) found a break, or the last full result's
 * signature does not verify (an untrusted statement proves nothing: it is shown as the error it is).
 */
function archiveBroken(archive: VerifyAnswer['archive']): boolean {
  const full = archive.fullVerification?.status;
  return archive.status === 'broken' || full === 'broken' || full === 'untrusted';
}

/** Where the archive broke, in words. */
function archiveProblem(archive: VerifyAnswer['archive']): string {
  if (archive.fullVerification?.status === 'untrusted')
    return `the signed result of its last full verification does not verify (${archive.fullVerification.reason ?? 'untrusted'}); run npm run audit:verify.`;
  const place = archive.brokenAt ?? archive.fullVerification?.brokenAt;
  if (!place) return 'its verification reported a break without a place; run npm run audit:verify.';
  return `${place.message ?? place.reason ?? 'broken'}${place.seq !== undefined ? ` (seq ${place.seq})` : ''}.`;
}

/** The page an audit event's entity lives on, by its type (names the system for chain-wide entities). */
function entityPath(e: Pick<AuditEvent, 'entityType' | 'entityId' | 'systemId' | 'after' | 'before'>) {
  const id = encodeURIComponent(e.entityId);
  const candidateOf = (e.after?.candidateId ?? e.before?.candidateId) as unknown;
  switch (e.entityType) {
    case 'candidate':
      return `/candidates/${id}`;
    case 'system':
      return `/systems/${id}`;
    case 'eval_run':
      return `/eval-runs/${id}`;
    case 'approval':
      return typeof candidateOf === 'string' ? `/candidates/${encodeURIComponent(candidateOf)}` : '/approvals';
    case 'incident':
      return '/incidents?status=all';
    case 'policy':
      return '/policy';
    case 'relaxation':
      return '/approvals';
    default:
      // Prompt and model config versions: their type is named by their id's prefix (ADR 0022's artefact kinds).
      if (e.entityId.startsWith('pv_')) return `/prompts/${id}`;
      if (e.entityId.startsWith('mc_')) return `/model-configs/${id}`;
      return null;
  }
}

function entityLink(e: AuditEvent) {
  const to = entityPath(e);
  const label = (
    <>
      {e.entityType.replace(/_/g, ' ')} <code title={e.entityId}>{e.entityId.slice(0, 12)}…</code>
    </>
  );
  return to ? <Link to={to}>{label}</Link> : <span>{label}</span>;
}
