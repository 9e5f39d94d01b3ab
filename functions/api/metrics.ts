import {
  metricsOverviewQuery,
  metricsOverviewResponse,
  registrySummaryQuery,
  registrySummaryResponse,
} from '../contracts/index.js';
import { canReadSystem, canReadTeamMetrics } from '../domain/authorization.js';
import { ForbiddenError } from '../domain/errors.js';
import { requestedSystemIds } from '../domain/overview.js';
import { decodeRankCursor, encodeRankCursor, rangeOf } from '../domain/rollups.js';
import { systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

/** The slowest systems per page when the request names no limit. */
const DEFAULT_SLOWEST = 10;

// The overview reads the daily rollups the rollup consumer derives from committed audit events (ADR 0043), never
// the whole registry: its size depends on the range and the page, not on how many systems there are. Without a
// systemId, model owners name one of their teams; pipelines name their system. The registry's state now (a row per
// named system, reporting deadlines) is GET /api/metrics/registry, bounded by the request as well (ADR 0048).
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
      "The registry now for the systems named (at most 50): each one's open and blocking incidents, failed evals, candidates awaiting approval and review due date; and the serious-incident reporting deadlines coming due; over the systems the caller may read",
    query: registrySummaryQuery,
    response: { status: 200, body: registrySummaryResponse },
    // Reads what the request names, never the whole registry: a system the caller may not read is a 404, as one that
    // does not exist is, so the answer reveals nothing of other teams' systems.
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.overview.registrySummary({
        systemIds: requestedSystemIds(req.query.systemIds),
        visible: (system) => canReadSystem(req.principal, system),
      }),
    }),
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
