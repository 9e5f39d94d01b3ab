// `npm start` and `npm run test:browser` call this first: builds dashboard/dist when it is missing or older than
// any source it is built from (dashboard sources, the contracts and domain vocabulary it imports).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = [
  'dashboard/src',
  'dashboard/index.html',
  'dashboard/vite.config.ts',
  'functions/contracts',
  'functions/domain',
];

function newest(path: string): number {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let max = stats.mtimeMs;
  for (const entry of readdirSync(path)) max = Math.max(max, newest(join(path, entry)));
  return max;
}

/** True when dashboard/dist/index.html is missing or older than a source. */
export function dashboardIsStale(): boolean {
  const built = newest(join(repo, 'dashboard/dist/index.html'));
  if (built === 0) return true;
  return SOURCES.some((source) => newest(join(repo, source)) > built);
}

/** Builds the dashboard when stale; returns whether it built. Throws when the build fails. */
export function buildDashboardIfStale(log: (line: string) => void = console.log): boolean {
  if (!dashboardIsStale()) return false;
  log('building the dashboard (dashboard/dist) …');
  const result = spawnSync(
    process.execPath,
    [
      join(repo, 'node_modules/vite/bin/vite.js'),
      'build',
      '--config',
      join(repo, 'dashboard/vite.config.ts'),
      '--logLevel',
      'warn',
    ],
    {
      cwd: repo,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) throw new Error(`the dashboard build failed (exit ${result.status})`);
  return true;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    if (!buildDashboardIfStale()) console.log('dashboard/dist is up to date');
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
