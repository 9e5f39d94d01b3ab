// Writes functions/api/routes.json, the route manifest that lib/ reads to wire API Gateway: CDK must not import the
// handler modules (they pull the AWS SDK, zod and the store into the synth process), so the routes they declare are
// copied here as data. `--check` exits 1 when the committed file differs; test/infra/routes-manifest.test.ts does
// the same inside `npm test`.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { API_MODULES } from '../functions/api/routes.js';

export interface ManifestRoute {
  /** The resource module under functions/api/, which is one Lambda function. */
  module: string;
  method: string;
  path: string;
  /** Public routes (health checks) have no authoriser. */
  public: boolean;
}

export const ROUTES_JSON = fileURLToPath(new URL('../functions/api/routes.json', import.meta.url));

/** Every route of every API module, in the order routes.ts lists modules and each module lists routes. */
export function routeManifest(): ManifestRoute[] {
  return Object.entries(API_MODULES).flatMap(([module, resource]) =>
    resource.routes.map((route) => ({ module, method: route.method, path: route.path, public: route.public === true })),
  );
}

/** The manifest as the committed file holds it. */
export function renderManifest(routes: ManifestRoute[]): string {
  return `${JSON.stringify(routes, null, 2)}\n`;
}

async function main(): Promise<void> {
  const expected = renderManifest(routeManifest());
  if (process.argv.includes('--check')) {
    const actual = await readFile(ROUTES_JSON, 'utf8').catch(() => '');
    if (actual !== expected) {
      console.error('functions/api/routes.json is stale: run `npx tsx scripts/routes-manifest.ts`');
      process.exit(1);
    }
    console.log('functions/api/routes.json matches functions/api/routes.ts');
    return;
  }
  await writeFile(ROUTES_JSON, expected);
  console.log(`wrote ${routeManifest().length} routes to functions/api/routes.json`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
