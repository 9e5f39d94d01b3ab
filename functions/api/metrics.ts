import { metricsOverviewQuery, metricsOverviewResponse, registrySummaryResponse } from '../contracts/index.js';
import { canReadSystem, canReadTeamMetrics } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import { decodeRankCursor, encodeRankCursor, rangeOf } from '../domain/rollups.js';
import { seesEverything, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

/** The slowest systems per page when the request names no limit. */
const DEFAULT_SLOWEST = 10;

// The overview reads the daily rollups the rollup consumer derives from committed audit events (ADR 0043), never
// the whole registry: its size depends on the range and the page, not on how many systems there are. Without a
// systemId, model owners name one of their teams; pipelines name their system. The registry's state now (counts,
// reviews, reporting deadlines, a row per system) is GET /api/metrics/registry.
export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/metrics/overview',
    summary:
      'Daily rollups of a range (default the last 30 days): promotions, rollbacks, eval runs passed and failed, refused promotions by reason, incidents by severity, gaps as nulls; the systems with the worst p95 a page at a time; by system, team, tier',
    query: metricsOverviewQuery,
    response: { status: 200, body: metricsOverviewResponse },
    handle: async (req) => {
      const { systemId, team, tier } = req.query;
      if (systemId) await systemFor(req, systemId, 'read');
      else if (!canReadTeamMetrics(req.principal, team))
        throw new ForbiddenError(
          'name a systemId, or a team you own: only admins, auditors and reviewers read every team',
        );
      const { from, to } = rangeOf(req.query, req.deps.store.ctx.now());
      const limit = req.query.limit ?? DEFAULT_SLOWEST;
      const offset = decodeRankCursor(req.query.cursor);
      const rollups = await req.deps.store.rollups.rollupOverview({
        from,
        to,
        ...(systemId ? { systemId } : {}),
        ...(team ? { team } : {}),
        ...(tier ? { tier } : {}),
        limit,
        offset,
      });
      const t = rollups.totals;
      return {
        status: 200,
        body: {
          from,
          to,
          filter: { systemId: systemId ?? null, team: team ?? null, tier: tier ?? null },
          days: rollups.series,
          totals: {
            promotions: t.promotions,
            rollbacks: t.rollbacks,
            evalRuns: { passed: t.evalRunsPassed, failed: t.evalRunsFailed },
            refusedPromotions: t.refusedPromotions,
            refusedPromotionsByReason: t.refusedByReason,
            incidentsOpened: t.incidentsOpened,
            incidentsBySeverity: t.incidentsBySeverity,
          },
          systemRuns: rollups.systemRuns,
          slowestSystems: {
            items: rollups.slowest.items,
            nextCursor: rollups.slowest.more ? encodeRankCursor(offset + limit) : null,
          },
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/metrics/registry',
    summary:
      'The registry now: counts by risk tier, status and system, review due dates and overdue reviews, serious-incident reporting deadlines coming due, over the systems the caller may read',
    response: { status: 200, body: registrySummaryResponse },
    handle: async (req) => {
      let systemIds: Set<string> | undefined;
      if (!seesEverything(req.principal)) {
        const all = await req.deps.store.overview.metricsOverview();
        systemIds = new Set(all.systems.filter((s) => canReadSystem(req.principal, s)).map((s) => s.id));
      }
      return { status: 200, body: await req.deps.store.overview.metricsOverview(systemIds ? { systemIds } : {}) };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
