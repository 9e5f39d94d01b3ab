import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { ORGANISATION_CHAIN_ID } from '../../../functions/domain/id-format';
import type { AiSystem, AuditEvent } from '../../../functions/domain/types';
import { api, getAll, type Page } from '../api';
import { can } from '../auth';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, Hash, ProblemView, Time } from '../ui';

interface VerifyAnswer {
  table: {
    systemId: string;
    ok: boolean;
    events: number;
    headSeq: number;
    headHash: string | null;
    brokenAt: { seq: number; reason: string; message: string } | null;
  };
  archive: { status: string; detail?: string };
}

export default function AuditPage() {
  const principal = usePrincipal();
  const [params, setParams] = useSearchParams();
  const systems = useQuery({ queryKey: ['systems', 'all'], queryFn: () => getAll<AiSystem>('/api/systems') });
  const systemId = params.get('systemId') ?? '';
  const action = params.get('action') ?? '';
  const actor = params.get('actor') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const allowed = systemId !== '' || can.seeAllAudit(principal);
  const events = useInfiniteQuery({
    queryKey: ['audit', systemId || 'all', 'desc'],
    enabled: allowed,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.get<Page<AuditEvent>>('/api/audit-events', {
        systemId: systemId || undefined,
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
  const filtered = useMemo(
    () =>
      loaded.filter(
        (e) =>
          (!action || e.action.includes(action)) &&
          (!actor || `${e.actor.userId} ${e.actor.name}`.toLowerCase().includes(actor.toLowerCase())) &&
          (!from || e.at >= from) &&
          (!to || e.at.slice(0, 10) <= to),
      ),
    [loaded, action, actor, from, to],
  );
  // The organisation chain (policy transitions, ADR 0024) is no system: it has a name of its own.
  const names = new Map([
    [ORGANISATION_CHAIN_ID, 'Organisation'],
    ...(systems.data?.items ?? []).map((s): [string, string] => [s.id, s.name]),
  ]);
  const actions = [...new Set(loaded.map((e) => e.action))].sort();
  const exportJson = () => {
    const blob = new Blob([`${filtered.map((e) => JSON.stringify(e)).join('\n')}\n`], { type: 'application/x-ndjson' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `audit-${systemId || 'all'}-${new Date().toISOString().slice(0, 19)}.jsonl`;
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <section>
      <div className="page-head">
        <h1>Audit timeline</h1>
        <button type="button" onClick={exportJson} disabled={filtered.length === 0}>
          Export {filtered.length} events (JSONL)
        </button>
      </div>
      <form className="filters" aria-label="Filter the audit timeline" onSubmit={(e) => e.preventDefault()}>
        <Field label="System">
          <select value={systemId} onChange={(e) => set('systemId', e.target.value)}>
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
          <input list="audit-actions" value={action} onChange={(e) => set('action', e.target.value)} />
          <datalist id="audit-actions">
            {actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </Field>
        <Field label="Actor">
          <input value={actor} onChange={(e) => set('actor', e.target.value)} />
        </Field>
        <Field label="From">
          <input type="date" value={from} onChange={(e) => set('from', e.target.value)} />
        </Field>
        <Field label="To">
          <input type="date" value={to} onChange={(e) => set('to', e.target.value)} />
        </Field>
      </form>
      <div className="verify" aria-live="polite">
        {systemId === '' ? (
          <span className="muted">Choose a system (or the organisation) to verify its hash chain.</span>
        ) : verify.isPending ? (
          <span aria-busy="true">Verifying the chain …</span>
        ) : verify.isError ? (
          <ProblemView error={verify.error} />
        ) : verify.data?.table.ok ? (
          <span>
            <Badge value="verified" /> Chain verified: {verify.data.table.events} events, head seq{' '}
            {verify.data.table.headSeq} <Hash value={verify.data.table.headHash} />. Archive:{' '}
            {verify.data.archive.status}
            {verify.data.archive.detail ? ` (${verify.data.archive.detail})` : ''}.
          </span>
        ) : (
          <span>
            <Badge value="broken" /> Chain broken at seq {verify.data?.table.brokenAt?.seq}:{' '}
            {verify.data?.table.brokenAt?.message}
          </span>
        )}
      </div>
      {!allowed ? (
        <p className="hint">Your role reads the audit timeline one system at a time: choose a system.</p>
      ) : (
        <DataState
          query={{ ...events, data: filtered }}
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

function entityLink(e: AuditEvent) {
  const id = e.entityId;
  const to = id.startsWith('rc_')
    ? `/candidates/${id}`
    : id.startsWith('sys_')
      ? `/systems/${id}`
      : id.startsWith('pv_')
        ? `/prompts/${id}`
        : id.startsWith('mc_')
          ? `/model-configs/${id}`
          : id.startsWith('run_')
            ? `/eval-runs/${id}`
            : null;
  return to ? (
    <Link to={to}>
      {e.entityType} <code>{id.slice(0, 12)}…</code>
    </Link>
  ) : (
    <span>
      {e.entityType} <code title={id}>{id.slice(0, 12)}…</code>
    </span>
  );
}
