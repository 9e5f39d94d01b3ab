import { createBrowserRouter, createMemoryRouter, type RouteObject } from 'react-router';
import { RegistryPage } from './pages/registry';
import { Shell } from './shell';
import { AuthCallbackPage, SignInPage } from './sign-in';

// The registry is in the initial bundle; every other page (and uPlot) loads on first visit.
const page = (load: () => Promise<{ default: React.ComponentType }>) => async () => ({
  Component: (await load()).default,
});

const appRoutes: RouteObject[] = [
  { path: '/sign-in', Component: SignInPage },
  { path: '/auth/callback', Component: AuthCallbackPage },
  {
    path: '/',
    Component: Shell,
    // Shown while the first page's lazy module loads; the same box the page's own loading state uses.
    HydrateFallback: () => <div className="loading">Loading …</div>,
    children: [
      { index: true, Component: RegistryPage },
      { path: 'systems/:id', lazy: page(() => import('./pages/system')) },
      { path: 'systems/:id/samples', lazy: page(() => import('./pages/samples')) },
      { path: 'candidates/:id', lazy: page(() => import('./pages/candidate')) },
      { path: 'approvals', lazy: page(() => import('./pages/approvals')) },
      { path: 'policy', lazy: page(() => import('./pages/policy')) },
      { path: 'incidents', lazy: page(() => import('./pages/incidents')) },
      { path: 'audit', lazy: page(() => import('./pages/audit')) },
      { path: 'prompts/:id', lazy: page(() => import('./pages/artefact')) },
      { path: 'model-configs/:id', lazy: page(() => import('./pages/artefact')) },
      { path: 'judge-configs/:id', lazy: page(() => import('./pages/artefact')) },
      { path: 'evaluations', lazy: page(() => import('./pages/evaluations')) },
      { path: 'eval-runs/:id', lazy: page(() => import('./pages/eval-run')) },
      { path: 'datasets/:id', lazy: page(() => import('./pages/dataset')) },
      { path: 'metrics', lazy: page(() => import('./pages/metrics')) },
      { path: '*', lazy: page(() => import('./pages/not-found')) },
    ],
  },
];

export const createAppRouter = () => createBrowserRouter(appRoutes);
export const createTestRouter = (path: string) => createMemoryRouter(appRoutes, { initialEntries: [path] });
