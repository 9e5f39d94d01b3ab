import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { lazy, memo, Suspense, useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { RegistryRow, RegistrySummary } from '../../../functions/domain/overview';
import { EU_AI_ACT_CATEGORIES, RISK_TIERS, SYSTEM_STATUSES } from '../../../functions/domain/types';
import { api } from '../api';
import { can } from '../auth';
import { usePrincipal } from '../session';
import { Badge, DataState, Field, ProblemView } from '../ui';
import { fetchRegistryPage, REGISTRY_STALE_MS, type RegistrySystem, registryPageKey } from './registry-query';

// The form (and the zod contract it checks with) loads when first opened: the first paint needs neither.
const RegisterForm = lazy(() => import('./register-form'));

type OverviewRow = RegistryRow;

export function RegistryPage() {
  const principal = usePrincipal();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const tier = params.get('tier') ?? '';
  const category = params.get('category') ?? '';
  const status = params.get('status') ?? '';
  // The search box answers at once; the request waits until typing pauses.
  const search = useDebounced(q.trim(), 250);
  const filters = useMemo(
    () => ({ q: search, riskTier: tier, euAiActCategory: category, status }),
    [search, tier, category, status],
  );
  const filtered = Boolean(search || tier || category || status);
  // One page at a time from the API's cursor pagination; the filters are applied by the API over every system.
  // cursors[i] starts page i (null: the first), starts[i] is how many systems the pages before it listed (pages
  // may be short: filtered pages stop after a bounded read); a change of filters goes back to the first page.
  const [paging, setPaging] = useState({ filters, cursors: [null] as (string | null)[], starts: [0], index: 0 });
  const current = paging.filters === filters ? paging : { filters, cursors: [null], starts: [0], index: 0 };
  const cursor = current.cursors[current.index] ?? null;
  const systems = useQuery({
    // The same key and function main.tsx prefetches the first page with (registry-query.ts).
    queryKey: registryPageKey(filters, cursor),
    queryFn: () => fetchRegistryPage(filters, cursor),
    // The rows of the previous page stay while the next loads: the table keeps its height.
    placeholderData: keepPreviousData,
    // Back to a page just seen: its rows answer from the cache, without a request (registering invalidates them).
    staleTime: REGISTRY_STALE_MS,
  });
  // The counts of the rows on screen, and only those (ADR 0048): asked for once their page is in, with their ids, so
  // the request does not compete with the page and its cost does not grow with the registry (the rows show "…" in
  // the count columns until then).
  const visibleIds = (systems.isPlaceholderData ? [] : (systems.data?.items ?? [])).map((s) => s.id).join(',');
  const overview = useQuery({
    queryKey: ['registry-rows', visibleIds],
    queryFn: () => api.get<RegistrySummary>('/api/metrics/registry', { systemIds: visibleIds }),
    enabled: visibleIds !== '',
    staleTime: REGISTRY_STALE_MS,
  });
  const [showForm, setShowForm] = useState(false);
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  const byId = useMemo(() => new Map((overview.data?.systems ?? []).map((s) => [s.id, s])), [overview.data]);
  const items = systems.data?.items ?? [];
  const nextCursor = systems.isPlaceholderData ? null : (systems.data?.nextCursor ?? null);
  const first = current.starts[current.index] ?? 0;
  const goTo = (index: number) =>
    setPaging(
      index < current.cursors.length
        ? { ...current, index }
        : {
            filters,
            cursors: [...current.cursors, nextCursor],
            starts: [...current.starts, first + items.length],
            index,
          },
    );
  const range = `Systems ${first + 1}–${first + items.length}`;
  const summary = systems.isPlaceholderData
    ? `Loading page ${current.index + 1} …`
    : !filtered
      ? `${range}${nextCursor ? ', more on the next pages' : ''}`
      : items.length > 0
        ? `${range} matching the filters${nextCursor ? ', more may follow' : ''}`
        : nextCursor
          ? 'No match among the systems examined so far: the next page continues the search'
          : 'No system matches the filters';

  return (
    <section>
      <div className="page-head">
        <h1>AI systems</h1>
        {can.registerSystem(principal) ? (
          <button type="button" className="primary" aria-expanded={showForm} onClick={() => setShowForm((v) => !v)}>
            {showForm ? 'Close the form' : 'Register a system'}
          </button>
        ) : null}
      </div>
      {showForm ? (
        <Suspense fallback={<div className="loading">Loading the form …</div>}>
          <RegisterForm teams={principal.roles.includes('admin') ? [] : principal.teams} />
        </Suspense>
      ) : null}
      <form className="filters" aria-label="Filter systems" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search">
          <input
            type="search"
            value={q}
            onChange={(e) => set('q', e.target.value)}
            placeholder="name, team, owner, id"
          />
        </Field>
        <Field label="Risk tier">
          <select value={tier} onChange={(e) => set('tier', e.target.value)}>
            <option value="">any</option>
            {RISK_TIERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field label="EU AI Act category">
          <select value={category} onChange={(e) => set('category', e.target.value)}>
            <option value="">any</option>
            {EU_AI_ACT_CATEGORIES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
        <Field label="Lifecycle">
          <select value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">any</option>
            {SYSTEM_STATUSES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </Field>
      </form>
      {/* The buttons come first: the count's changing width moves nothing. */}
      <nav className="pager row" aria-label="Pages of systems">
        <button type="button" disabled={current.index === 0} onClick={() => goTo(current.index - 1)}>
          Previous page
        </button>
        <button type="button" disabled={!nextCursor} onClick={() => goTo(current.index + 1)}>
          Next page
        </button>
        <p className="count" aria-live="polite">
          {systems.data ? summary : '\u00a0'}
        </p>
      </nav>
      <DataState
        query={systems}
        label="systems"
        minHeight={360}
        isEmpty={(page) => page.items.length === 0 && !filtered && current.index === 0}
      >
        {(page) => (
          <SystemsTable
            systems={page.items}
            overview={byId}
            overviewError={overview.error}
            busy={systems.isPlaceholderData}
            empty={
              nextCursor
                ? 'No system on this page matches: the next page continues the search.'
                : 'No system matches the filters.'
            }
          />
        )}
      </DataState>
    </section>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function SystemsTable({
  systems,
  overview,
  overviewError,
  busy,
  empty,
}: {
  systems: RegistrySystem[];
  overview: Map<string, OverviewRow>;
  overviewError: unknown;
  busy: boolean;
  empty: string;
}) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      {overviewError ? <ProblemView error={overviewError} /> : null}
      <table className="dense">
        <caption className="sr-only">AI systems</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Owner team</th>
            <th scope="col">Risk tier</th>
            <th scope="col">EU AI Act</th>
            <th scope="col">Lifecycle</th>
            <th scope="col">Production</th>
            <th scope="col">Staging</th>
            <th scope="col" title="open and mitigating incidents">
              Incidents
            </th>
            <th scope="col" title={BLOCKERS_MEANING}>
              Blockers <span aria-hidden="true">ⓘ</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {systems.length === 0 ? (
            <tr>
              <td colSpan={9} className="empty">
                {empty}
              </td>
            </tr>
          ) : null}
          {systems.map((s) => (
            <SystemRow key={s.id} system={s} overview={overview.get(s.id)} />
          ))}
        </tbody>
      </table>
      <p className="muted small legend">
        <strong>Blockers</strong>: {BLOCKERS_MEANING}. <strong>Production</strong> and <strong>Staging</strong>: the
        active release of each environment, by name.
      </p>
    </div>
  );
}

const BLOCKERS_MEANING =
  'what stands between the system and its next release: candidates whose latest eval failed, candidates awaiting approval, and open incidents of a severity the policy blocks promotion on';

/** One row; memoised, so the counts arriving re-render only the rows whose counts changed. */
const SystemRow = memo(function SystemRow({
  system: s,
  overview: o,
}: {
  system: RegistrySystem;
  overview: OverviewRow | undefined;
}) {
  return (
    <tr>
      <td>
        <Link to={`/systems/${s.id}`}>{s.name}</Link>
      </td>
      <td>{s.ownerTeam}</td>
      <td>
        <Badge value={s.riskTier} />
      </td>
      <td>
        <Badge value={s.euAiActCategory} />
      </td>
      <td>
        <Badge value={s.status} />
      </td>
      <td>{release(s.activeReleases.production, s.activeReleaseNames?.production)}</td>
      <td>{release(s.activeReleases.staging, s.activeReleaseNames?.staging)}</td>
      <td className="num">
        {o ? o.openIncidents : '…'}
        {o && o.openBlockingIncidents > 0 ? (
          <span className="badge tone-bad" title="open incidents of a severity the policy blocks on for this tier">
            {o.openBlockingIncidents} blocking
          </span>
        ) : null}
      </td>
      <td className="num">
        {o ? (
          <span
            title={`${o.failedEvals} failed evals, ${o.awaitingApproval} awaiting approval, ${o.openBlockingIncidents} blocking incidents`}
          >
            {o.failedEvals + o.awaitingApproval + o.openBlockingIncidents}
          </span>
        ) : (
          '…'
        )}
      </td>
    </tr>
  );
});

/** An active release by name (its id in the title); the id's tail when the name is unknown, never its common head. */
function release(id: string | null, name: string | null | undefined) {
  return id ? (
    <Link to={`/candidates/${id}`} title={id} className="release-name">
      {name ?? <code>…{id.slice(-8)}</code>}
    </Link>
  ) : (
    <span className="muted">none</span>
  );
}
