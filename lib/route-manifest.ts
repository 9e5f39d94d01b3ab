// The API's routes as data: functions/api/routes.json, generated from functions/api/routes.ts by
// scripts/routes-manifest.ts (and checked by test/infra/routes-manifest.test.ts). lib/ reads the file instead of
// importing the handler modules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './constructs/governed-function.js';

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
type HttpMethodName = (typeof HTTP_METHODS)[number];

export interface ManifestRoute {
  module: string;
  method: HttpMethodName;
  path: string;
  public: boolean;
}

const ROUTES_JSON = join(PROJECT_ROOT, 'functions', 'api', 'routes.json');

/** Reads and checks the route manifest: every entry names a module file, a method and an absolute path. */
export function readRouteManifest(file = ROUTES_JSON): ManifestRoute[] {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(raw) || raw.length === 0) throw new Error(`${file} must be a non-empty array of routes`);
  return raw.map((entry, index) => {
    const { module, method, path } = (entry ?? {}) as Record<string, unknown>;
    const isPublic = (entry as Record<string, unknown>).public;
    if (
      typeof module !== 'string' ||
      !/^[a-z][a-z0-9-]*$/.test(module) ||
      !HTTP_METHODS.includes(method as HttpMethodName) ||
      typeof path !== 'string' ||
      !path.startsWith('/') ||
      typeof isPublic !== 'boolean'
    ) {
      throw new Error(`${file}[${index}] is not { module, method, path, public }`);
    }
    return { module, method: method as HttpMethodName, path, public: isPublic };
  });
}

/** Modules in manifest order, each with its routes. */
export function routesByModule(routes: readonly ManifestRoute[]): Map<string, ManifestRoute[]> {
  const modules = new Map<string, ManifestRoute[]>();
  for (const route of routes) modules.set(route.module, [...(modules.get(route.module) ?? []), route]);
  return modules;
}

/**
 * A module whose routes are all GET only reads: the shared HTTP stack writes (idempotency records) only for POST,
 * and GET handlers only query. Everything else reads and writes.
 */
export function tableAccessOf(routes: readonly ManifestRoute[]): 'read' | 'readwrite' {
  return routes.every((route) => route.method === 'GET') ? 'read' : 'readwrite';
}
