// Which Lambda functions bundle ajv (ADR 0052): only those that score outputs or compile a JSON Schema a caller sent.
// Every function of the dev app is bundled as the function construct bundles it (esbuild, minified ESM, tree-shaken),
// in one build with every package but ajv and its dependencies left external, so the build reads this repository's
// sources once and keeps exactly the ajv code each real bundle keeps (a function that reaches the validator only
// through code it never calls drops it, as the deployed bundle does). bench/bundles.ts measures whole bundles.
import { build, type Plugin } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLING } from '../../lib/constructs/bundling-settings.js';
import { GovernedFunction } from '../../lib/constructs/governed-function.js';
import { devGovernanceApp } from '../support/dev-app.js';

/**
 * The functions allowed to carry ajv: the API modules that check a schema value at the edge (datasets, judge configs)
 * or score posted outputs (eval-runs), the candidates module whose local in-process runner evaluates, and the
 * workflow tasks that execute and score runs or monitoring samples.
 */
const ALLOWED = [
  'functions/api/candidates.ts',
  'functions/api/datasets.ts',
  'functions/api/eval-runs.ts',
  'functions/api/judge-configs.ts',
  'functions/workflows/eval-tasks.ts',
  'functions/workflows/gate-tasks.ts',
  'functions/workflows/monitor-task.ts',
];

/** ajv and the packages only it brings (its package.json's dependencies). */
const AJV_PACKAGES = /^(ajv|fast-uri|fast-deep-equal|json-schema-traverse|require-from-string)(\/|$)/;

/** Every other package stays external: this build is about which of the repository's modules keep ajv. */
const othersExternal: Plugin = {
  name: 'others-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      AJV_PACKAGES.test(args.path) ? undefined : { path: args.path, external: true },
    );
  },
};

let entries: string[];
let ajvKB: Map<string, number>;

beforeAll(async () => {
  const functions = devGovernanceApp()
    .app.node.findAll()
    .filter((c): c is GovernedFunction => c instanceof GovernedFunction);
  entries = [...new Set(functions.map((f) => f.entry))].sort();
  const result = await build({
    entryPoints: entries.map((entry) => ({ in: entry, out: entry.replace(/\.ts$/, '') })),
    outdir: 'bundles',
    write: false,
    bundle: true,
    minify: BUNDLING.minify,
    format: BUNDLING.format,
    platform: BUNDLING.platform,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    plugins: [othersExternal],
    metafile: true,
    logLevel: 'error',
  });
  ajvKB = new Map();
  for (const output of Object.values(result.metafile.outputs)) {
    if (!output.entryPoint) continue;
    let bytes = 0;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
      if (/node_modules\/ajv\//.test(input)) bytes += bytesInOutput;
    if (bytes > 0) ajvKB.set(output.entryPoint, Math.round(bytes / 102.4) / 10);
  }
}, 240_000);

describe('which functions bundle ajv', () => {
  it('only the functions that score outputs or compile a JSON Schema at the edge carry it', () => {
    console.info(
      `ajv in ${ajvKB.size} of ${entries.length} function bundles (KB, minified):\n${[...ajvKB]
        .map(([entry, kb]) => `  ${entry.padEnd(40)} ${kb}`)
        .join('\n')}`,
    );
    expect(entries.length).toBeGreaterThanOrEqual(30);
    expect([...ajvKB.keys()].sort()).toEqual(ALLOWED);
  });
});
