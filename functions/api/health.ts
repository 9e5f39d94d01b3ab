import { healthDepsResponse, healthLiveResponse, healthReadyResponse } from '../contracts/index.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/health/live',
    summary: 'The process answers',
    public: true,
    response: { status: 200, body: healthLiveResponse },
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
  route({
    method: 'GET',
    path: '/health/ready',
    summary: 'The table answers a read',
    public: true,
    response: {
      status: 200,
      alsoStatuses: [503],
      body: healthReadyResponse,
      description: 'ready (200), or not_ready (503) when the table does not answer',
    },
    handle: async (req) => {
      try {
        await req.deps.store.systems.listSystems({ limit: 1 });
        return { status: 200, body: { status: 'ready' } };
      } catch {
        return { status: 503, body: { status: 'not_ready', checks: { table: 'unreachable' } } };
      }
    },
  }),
  route({
    method: 'GET',
    path: '/health/deps',
    summary: 'Each dependency and its state',
    public: true,
    response: {
      status: 200,
      alsoStatuses: [503],
      body: healthDepsResponse,
      description: 'ok (200), or degraded (503) naming what is not ok',
    },
    handle: async (req) => {
      const checks: Record<string, string> = {};
      try {
        await req.deps.store.systems.listSystems({ limit: 1 });
        checks.table = 'ok';
      } catch {
        checks.table = 'unreachable';
      }
      Object.assign(checks, (await req.deps.checkDependencies?.()) ?? {});
      const ok = Object.values(checks).every((v) => v === 'ok');
      return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', checks } };
    },
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
