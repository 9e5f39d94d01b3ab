import { metricsOverviewResponse } from '../contracts/index.js';
import { canReadSystem } from '../domain/authorization.js';
import { seesEverything } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/metrics/overview',
    summary:
      'Counts by risk tier, status and system, review due dates and overdue reviews, serious-incident reporting deadlines coming due, over the systems the caller may read',
    response: { status: 200, body: metricsOverviewResponse },
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
