// `npm run build:cli`: bundles the CLI into one ES module, cli/dist/govern.mjs, that needs Node 20 and nothing else
// (commander, zod and the contracts are inlined), so a pipeline can `npm pack` cli/ or copy the one file.
import { chmod } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const BUNDLE = fileURLToPath(new URL('./dist/govern.mjs', import.meta.url));

/**
 * Builds the bundle (to cli/dist/govern.mjs, or `outfile`: tests running in parallel each build their own); resolves
 * with its path and size in bytes.
 */
export async function buildCli(outfile = BUNDLE): Promise<{ file: string; bytes: number }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    metafile: true,
    // commander is CommonJS: its require() of Node built-ins needs a real require in an ES module.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __govern_createRequire } from 'node:module';\nconst require = __govern_createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
  const bytes = result.metafile.outputs[Object.keys(result.metafile.outputs)[0] ?? '']?.bytes ?? 0;
  return { file: outfile, bytes };
}

const invokedDirectly = process.argv[1] === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const { file, bytes } = await buildCli();
  process.stdout.write(`built ${file} (${(bytes / 1024).toFixed(1)} KB)\n`);
}
