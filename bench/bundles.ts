// Bundle size and cold import time of every function, bundled the way the function construct bundles it
// (lib/constructs/bundling-settings.ts), and the wall time and peak memory of `npm run synth`.
// Cold import runs each bundle in a fresh Node process with the functions' NODE_OPTIONS, a proxy for Lambda's init
// phase. For comparison (ADR 0004), two handlers are also bundled with the AWS SDK left external and loaded from
// node_modules, as it would be from the runtime.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { BUNDLING } from '../lib/constructs/bundling-settings.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Inside the repository, so that an external AWS SDK resolves from node_modules as it would from the runtime.
const OUT = join(ROOT, 'node_modules', '.cache', 'bench-bundles');
const API_TARGET_KB = 150;
const FUNCTION_TARGET_KB = 250;
const IMPORT_TARGET_MS = 100;

export interface BenchBundlesOptions {
  /** Fresh-process imports per bundle; the median is reported. */
  runs?: number;
  /** Also time `npm run synth` (bundles all functions, runs cdk-nag and CloudFormation validation). */
  synth?: boolean;
  /** Also bundle two handlers with the AWS SDK external (the runtime's), to compare (ADR 0004). */
  compareRuntimeSdk?: boolean;
}

interface Entry {
  name: string;
  file: string;
  kind: 'api' | 'authorizer';
}

function entries(): Entry[] {
  const routes = JSON.parse(readFileSync(join(ROOT, 'functions/api/routes.json'), 'utf8')) as { module: string }[];
  const modules = [...new Set(routes.map((route) => route.module))];
  return [
    ...modules.map((module) => ({ name: module, file: `functions/api/${module}.ts`, kind: 'api' as const })),
    { name: 'authorizer', file: 'functions/api/auth/authorizer.ts', kind: 'authorizer' },
  ];
}

async function bundle(entry: Entry, runtimeSdk: boolean): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const outfile = join(OUT, runtimeSdk ? 'runtime-sdk' : 'deployed', `${entry.name}.mjs`);
  const result = await build({
    entryPoints: [join(ROOT, entry.file)],
    outfile,
    bundle: true,
    minify: BUNDLING.minify,
    format: BUNDLING.format,
    platform: BUNDLING.platform,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    banner: { js: BUNDLING.banner },
    external: runtimeSdk ? ['@aws-sdk/*'] : [...BUNDLING.externalModules],
    sourcemap: BUNDLING.sourceMap,
    sourcesContent: BUNDLING.sourcesContent,
    metafile: true,
    logLevel: 'error',
  });
  return { file: outfile, bytes: statSync(outfile).size, metafile: result.metafile };
}

/** The heaviest packages (or source folders) in a bundle, in KB. */
function heaviest(metafile: Metafile, count = 5): Record<string, number> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match?.[1] ?? input.split('/').slice(0, 2).join('/');
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return Object.fromEntries(
    [...byPackage]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, bytes]) => [name, kb(bytes)]),
  );
}

/** Milliseconds to import the bundle in a fresh Node process, `runs` times. */
function coldImports(file: string, runs: number): number[] {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, [BUNDLING.nodeOptions, '--input-type=module', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', AWS_REGION: 'eu-central-1' },
    });
    if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
    times.push(Number(child.stdout.trim().split('\n').pop()));
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return round(
    sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2,
  );
}

const round = (value: number) => Math.round(value * 10) / 10;
const kb = (bytes: number) => round(bytes / 1024);

/** Wall time and peak resident memory of `npm run synth`, through /usr/bin/time -v when the machine has it. */
function timeSynth(): Record<string, unknown> {
  const timeBin = '/usr/bin/time';
  const started = performance.now();
  const child = existsSync(timeBin)
    ? spawnSync(timeBin, ['-v', 'npm', 'run', 'synth'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 })
    : spawnSync('npm', ['run', 'synth'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wallSeconds = round((performance.now() - started) / 1000);
  if (child.status !== 0) return { error: `npm run synth exited ${child.status}`, stderr: child.stderr.slice(-2000) };
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(child.stderr)?.[1];
  return {
    wallSeconds,
    // The largest single process of the run (the CDK app), not the sum over processes.
    peakRssMiB: rss ? round(Number(rss) / 1024) : 'unavailable (no /usr/bin/time)',
  };
}

export async function benchBundles(options: BenchBundlesOptions = {}): Promise<Record<string, unknown>> {
  const runs = options.runs ?? 5;
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });

  const functions: Record<string, unknown>[] = [];
  for (const entry of entries()) {
    const built = await bundle(entry, false);
    const target = entry.kind === 'api' ? API_TARGET_KB : FUNCTION_TARGET_KB;
    const times = coldImports(built.file, runs);
    functions.push({
      function: entry.name,
      kind: entry.kind,
      sizeKB: kb(built.bytes),
      sizeTargetKB: target,
      withinSizeTarget: built.bytes <= target * 1024,
      coldImportMs: median(times),
      coldImportRunsMs: times.map(round),
      withinImportTarget: median(times) <= IMPORT_TARGET_MS,
      heaviestKB: heaviest(built.metafile),
    });
  }

  const result: Record<string, unknown> = {
    settings: { ...BUNDLING, runs },
    targets: { apiHandlerKB: API_TARGET_KB, functionKB: FUNCTION_TARGET_KB, coldImportMs: IMPORT_TARGET_MS },
    functions,
  };

  if (options.compareRuntimeSdk ?? true) {
    result.withRuntimeSdk = [];
    for (const entry of entries().filter((e) => ['health', 'candidates'].includes(e.name))) {
      const built = await bundle(entry, true);
      (result.withRuntimeSdk as unknown[]).push({
        function: entry.name,
        sizeKB: kb(built.bytes),
        coldImportMs: median(coldImports(built.file, runs)),
      });
    }
  }
  if (options.synth ?? true) result.synth = timeSynth();
  return result;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(JSON.stringify(await benchBundles({ synth: !process.argv.includes('--no-synth') }), null, 2));
}
