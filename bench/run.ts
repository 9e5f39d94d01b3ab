// `npm run bench`: runs every benchmark and writes the figures to bench/results/latest.json (and prints them).
// Figures from one run are compared with each other (ratios), never with fixed times: the machines are shared.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const only = process.argv.slice(2);
const suites: Record<string, () => Promise<unknown>> = {
  evalScoring: async () => (await import('./eval-scoring.js')).benchEvalScoring(),
  store: async () => (await import('./store.js')).benchStore(),
  evalStateMachine: async () => (await import('./eval-state-machine.js')).benchEvalStateMachine(),
  releaseGate: async () => (await import('./release-gate.js')).benchReleaseGate(),
};
suites.bundles = async () => (await import('./bundles.js')).benchBundles();
suites.auditArchive = async () => (await import('./audit-archive.js')).benchAuditArchive();
suites.dashboard = async () => (await import('./dashboard.js')).benchDashboard();
suites.cliGate = async () => (await import('./cli-gate.js')).benchCliGate();
suites.euAiActReport = async () => (await import('./report.js')).benchReport();
suites.submittedRun = async () => (await import('./submitted-run.js')).benchSubmittedRun();
suites.apiLoad = async () => (await import('./api-load.js')).benchApiLoad();
suites.auditVerifyIncremental = async () =>
  (await import('./audit-verify-incremental.js')).benchAuditVerifyIncremental();
// The audit export job over 100,000 events, memory sampled (BENCH_EXPORT_EVENTS for another size; ADR 0044).
suites.auditExport = async () => (await import('./audit-export.js')).benchAuditExport();
// `npm run bench -- metricsOverview` (BENCH_ROLLUP_SYSTEMS, BENCH_ROLLUP_DAYS for a quicker check).
suites.metricsOverview = async () => (await import('./metrics-overview.js')).benchMetricsOverview();
// `npm run bench -- providerRun` (BENCH_PROVIDER_CASES=1000 for a quick check; promptfoo from BENCH_PROMPTFOO_DIR).
suites.providerRun = async () => (await import('./provider-run.js')).benchProviderRun();
// `npm run bench -- assertions`: 10,000 cases x 5 deterministic assertions in-process beside promptfoo 0.121.20
// (BENCH_ASSERTION_CASES for a quick check; promptfoo from BENCH_PROMPTFOO_DIR).
suites.assertions = async () => (await import('./assertions.js')).benchAssertions();
// `npm run bench -- seedProvider`: seeding time with and without the provider story (BENCH_SEED_ROUNDS, default 2).
suites.seedProvider = async () => (await import('./seed-provider.js')).benchSeedProvider();

const results: Record<string, unknown> = {
  at: new Date().toISOString(),
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  },
};
for (const [name, run] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name} …\n`);
  const started = performance.now();
  try {
    results[name] = await run();
  } catch (error) {
    results[name] = { error: (error as Error).message };
  }
  process.stderr.write(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
const file = new URL('./results/latest.json', import.meta.url);
// A run of some suites (`npm run bench -- store`) updates their figures and keeps the others'.
const previous = only.length ? await readFile(file, 'utf8').then(JSON.parse, () => ({})) : {};
await writeFile(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
console.log(JSON.stringify(results, null, 2));
console.error(`bench: figures written to ${file.pathname}`);
