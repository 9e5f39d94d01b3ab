import { type Overview, REPORTING_WINDOW_DAYS, summariseOverview } from '../domain/overview.js';
import type { AiSystem, EvalRun, Incident, ReleaseCandidate } from '../domain/types.js';
import { openReportingClocks } from './incidents.js';
import { queries } from './keys.js';
import { policiesOfVersions } from './policies.js';
import { queryAll } from './query.js';
import type { StoreContext } from './unit-of-work.js';

/**
 * Reads the registry's index partitions (Queries, never a Scan) and summarises them. It reads every system,
 * candidate, run and open incident: fine for hundreds of systems; beyond that, counters maintained in the
 * transactions would replace it (noted in docs/architecture/failure-modes.md). Review due dates come from the same
 * Queries: the newest activation among a system's candidates, else its registration (functions/domain/review.ts).
 * Serious-incident reporting deadlines come from one bounded Query of the open clocks due within the window
 * (gsi2 `INCCLOCK#open`, sorted by deadline), not from the incidents. Each system is judged under its policy in
 * force: the documents of the versions the systems' METAs name, one read per distinct version (ADR 0023).
 */
export async function metricsOverview(ctx: StoreContext, filter: { systemIds?: Set<string> } = {}): Promise<Overview> {
  const now = ctx.now();
  const [systems, candidates, runs, open, mitigating, pending, clocks] = await Promise.all([
    queryAll<AiSystem>(ctx, queries.systems()),
    queryAll<ReleaseCandidate>(ctx, queries.allOfType('RC')),
    queryAll<EvalRun>(ctx, queries.allOfType('RUN')),
    queryAll<Incident>(ctx, queries.incidentsByStatus('open')),
    queryAll<Incident>(ctx, queries.incidentsByStatus('mitigating')),
    queryAll<{ systemId: string }>(ctx, queries.approvalQueue('pending')),
    openReportingClocks(ctx, new Date(now.getTime() + REPORTING_WINDOW_DAYS * 86_400_000)),
  ]);
  const policies = await policiesOfVersions(
    ctx,
    systems.flatMap((s) => (s.policyVersion === undefined ? [] : [s.policyVersion])),
  );
  const keep = <T extends { systemId?: string; id?: string }>(items: T[], key: (i: T) => string) =>
    filter.systemIds ? items.filter((i) => filter.systemIds?.has(key(i))) : items;
  return summariseOverview({
    systems: keep(systems, (s) => s.id),
    candidates: keep(candidates, (c) => c.systemId),
    runs: keep(runs, (r) => r.systemId),
    incidents: keep([...open, ...mitigating], (i) => i.systemId),
    pendingApprovals: keep(pending, (a) => a.systemId).length,
    reportingClocks: keep(clocks.items, (c) => c.systemId),
    now,
    policies,
  });
}
