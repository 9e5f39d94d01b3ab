import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API_MODULES } from '../../../functions/api/routes.js';
import {
  API_DOC_PATH,
  BEGIN_MARKER,
  END_MARKER,
  fieldRows,
  generatedSection,
  renderRoutes,
  replaceGeneratedSection,
} from '../../../scripts/api-doc.js';

describe('the generated API route reference', () => {
  it('in docs/api.md is up to date with functions/api/routes.ts (fix: npx tsx scripts/api-doc.ts --write)', () => {
    // Prepare
    const doc = readFileSync(API_DOC_PATH, 'utf8');

    // Act
    const current = generatedSection(doc);

    // Assess
    expect(current, 'docs/api.md lost its api-doc markers').toBeDefined();
    expect(current).toBe(renderRoutes(API_MODULES));
  });

  it('names every route of every resource module with its method and path', () => {
    // Prepare
    const routes = Object.values(API_MODULES).flatMap((m) => m.routes);

    // Act
    const section = renderRoutes(API_MODULES);

    // Assess
    expect(routes.length).toBeGreaterThan(40);
    for (const r of routes) expect(section).toContain(`| ${r.method} | \`${r.path}\` |`);
  });

  it('lists nested fields, optionality, nullability and defaults of a body schema', () => {
    // Prepare
    const schema = z
      .object({
        name: z.string().min(1).max(10),
        tier: z.enum(['low', 'high']).default('low'),
        parent: z.string().nullable().optional(),
        items: z.array(z.object({ weight: z.number().int().min(0).max(5) })).max(3),
      })
      .strict();

    // Act
    const rows = fieldRows(schema);

    // Assess
    expect(rows).toEqual([
      { field: 'name', required: true, type: 'string, 1–10 chars' },
      { field: 'tier', required: false, type: 'one of `low`, `high`', defaultValue: '"low"' },
      { field: 'parent', required: false, type: 'string or null' },
      { field: 'items', required: true, type: 'array (≤ 3 items) of objects' },
      { field: 'items[].weight', required: true, type: 'integer, 0–5' },
    ]);
  });

  it('replaces only the marked section of a document', () => {
    // Prepare
    const doc = `# API\n\nintro\n\n${BEGIN_MARKER}\nold\n${END_MARKER}\n\n## after\n`;

    // Act
    const updated = replaceGeneratedSection(doc, `${BEGIN_MARKER}\nnew $& $1\n${END_MARKER}`);

    // Assess
    expect(updated).toBe(`# API\n\nintro\n\n${BEGIN_MARKER}\nnew $& $1\n${END_MARKER}\n\n## after\n`);
    expect(() => replaceGeneratedSection('# no markers', 'x')).toThrow(/api-doc/);
  });
});
