// lib/ wires API Gateway from functions/api/routes.json because it must not import the handlers; this test keeps
// the file equal to what the handler modules declare.
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRouteManifest, routesByModule, tableAccessOf } from '../../lib/route-manifest.js';
import { ROUTES_JSON, renderManifest, routeManifest } from '../../scripts/routes-manifest.js';

describe('the route manifest', () => {
  it('is exactly what functions/api/routes.ts declares (else run `npx tsx scripts/routes-manifest.ts`)', () => {
    const committed = readFileSync(ROUTES_JSON, 'utf8');

    expect(committed).toBe(renderManifest(routeManifest()));
  });

  it('names each route once, and only the health checks and the published documents are public', () => {
    const routes = readRouteManifest();
    const keys = routes.map((route) => `${route.method} ${route.path}`);

    expect(new Set(keys).size).toBe(keys.length);
    expect(routes.filter((route) => route.public).map((route) => route.path)).toEqual([
      '/health/live',
      '/health/ready',
      '/health/deps',
      '/api/schemas/model-card.json',
      '/api/events/schemas',
      '/api/openapi.json',
      '/api/docs',
    ]);
  });

  it('gives read-only table access to modules that only answer GET, and read-write to the others', () => {
    const access = Object.fromEntries(
      [...routesByModule(readRouteManifest())].map(([module, routes]) => [module, tableAccessOf(routes)]),
    );

    expect(
      Object.entries(access)
        .filter(([, mode]) => mode === 'read')
        .map(([module]) => module),
    ).toEqual(['health', 'metrics', 'model-cards', 'events', 'reports', 'reference']);
    // audit starts export jobs (POST /api/audit-exports, ADR 0044).
    expect(access.audit).toBe('readwrite');
    expect(access.candidates).toBe('readwrite');
  });

  it('refuses a manifest entry that is not { module, method, path, public }', () => {
    const file = join(tmpdir(), `routes-manifest-${process.pid}.json`);
    const write = (content: unknown) => {
      writeFileSync(file, JSON.stringify(content));
      return () => readRouteManifest(file);
    };

    expect(write([{ module: 'systems', method: 'TRACE', path: '/api/x', public: false }])).toThrow(/is not/);
    expect(write([{ module: '../evil', method: 'GET', path: '/api/x', public: false }])).toThrow(/is not/);
    expect(write([])).toThrow(/non-empty/);
  });
});
