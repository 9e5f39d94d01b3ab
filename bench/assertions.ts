// The assertions benchmark (issue 17): 10,000 cases (BENCH_ASSERTION_CASES for a quick check) with five
// deterministic assertions each (contains, icontains, regex, is-json, levenshtein), in one run:
// - this product: the domain's scorer (assertionsOf + scoreDeterministic, as a submitted or provider run scores
//   each case) in this process, on the outputs as text; best of 5 rounds, with this process's peak RSS and heap;
// - promptfoo 0.121.20 (a scratch install, never a dependency: BENCH_PROMPTFOO_DIR, default /tmp/pf-scratch) on the
//   same cases and the same assertions, exported by `promptfooTestsOf` as `govern datasets export` does, its `echo`
//   provider answering each case's output (prompt `{{output}}`), so the model call costs nothing. Its wall time
//   includes its start-up; its own "Duration" line is reported beside it. Memory: its process tree's peak RSS.
// Both sides must agree on how many cases pass every assertion, or the figures compare different work.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { assertionsOf, scoreDeterministic } from '../functions/domain/eval/assertions.js';
import { PROMPTFOO_VERSION, promptfooTestsOf } from '../functions/domain/promptfoo-tests.js';
import type { Assertion, EvalCase } from '../functions/domain/types.js';
import { memorySampler, processTree } from './process-stats.js';

const CASES = Number(process.env.BENCH_ASSERTION_CASES ?? '10000');
const ROUNDS = 5;
const PROMPTFOO_DIR = process.env.BENCH_PROMPTFOO_DIR ?? '/tmp/pf-scratch';
const LABELS = ['billing', 'technical', 'account', 'shipping', 'other'];

const round1 = (n: number) => Math.round(n * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The five assertions of every case: the dataset's defaults (is-json) and the case's own four. */
const DEFAULTS: Assertion[] = [{ type: 'is-json', name: 'json' }];

/** Case i's output: JSON naming a label; every seventh is cut short (not JSON), so some cases fail. */
function outputOf(i: number): string {
  const label = LABELS[i % LABELS.length] as string;
  const json = JSON.stringify({ label, confidence: 0.5 + (i % 50) / 100, rationale: `ticket ${i} is about ${label}` });
  return i % 7 === 6 ? json.slice(0, -2) : json;
}

function benchCases(): { cases: EvalCase[]; outputs: string[] } {
  const outputs = Array.from({ length: CASES }, (_, i) => outputOf(i));
  const cases = outputs.map((output, i): EvalCase => {
    const label = LABELS[i % LABELS.length] as string;
    return {
      caseId: `case-${String(i).padStart(6, '0')}`,
      // The output rides in the input so promptfoo's echo provider answers it (prompt `{{output}}`).
      input: { output },
      expectedLabel: label,
      expectedOutput: null,
      tags: [],
      assert: [
        { type: 'contains', value: `"label":"${label}"`, name: 'label' },
        { type: 'icontains', value: 'RATIONALE' },
        { type: 'regex', value: '"confidence":0\\.\\d+' },
        { type: 'levenshtein', value: `{"label":"${label}"}`, threshold: 80 },
      ],
    };
  });
  return { cases, outputs };
}

/** Scores every case's five assertions in this process; answers how many cases passed all of them. */
function scoreAll(cases: readonly EvalCase[], outputs: readonly string[], onCase: (i: number) => void): number {
  let passed = 0;
  for (let i = 0; i < cases.length; i++) {
    const evalCase = cases[i] as EvalCase;
    const subject = { text: outputs[i] ?? null, latencyMs: 0, costUsd: 0, input: evalCase.input };
    let all = true;
    for (const a of assertionsOf(DEFAULTS, evalCase)) if (!scoreDeterministic(a, subject).pass) all = false;
    if (all) passed++;
    if (i % 500 === 0) onCase(i);
  }
  return passed;
}

function ourSide(cases: readonly EvalCase[], outputs: readonly string[]) {
  let peakHeap = 0;
  const sampleHeap = () => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  };
  const seconds: number[] = [];
  let passed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    passed = scoreAll(cases, outputs, sampleHeap);
    seconds.push((performance.now() - started) / 1000);
  }
  sampleHeap();
  const best = Math.min(...seconds);
  return {
    casesPassingEveryAssertion: passed,
    rounds: ROUNDS,
    bestSeconds: Number(best.toFixed(3)),
    casesPerSecond: Math.round(cases.length / best),
    assertionsPerSecond: Math.round((cases.length * 5) / best),
    medianCasesPerSecond: Math.round(cases.length / ([...seconds].sort((a, b) => a - b)[2] ?? best)),
    // maxRSS: this process's peak resident set so far (KiB), which includes the cases built for both sides.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    peakHeapUsedMb: mb(peakHeap),
  };
}

async function promptfooSide(cases: readonly EvalCase[]) {
  const main = join(PROMPTFOO_DIR, 'node_modules', 'promptfoo', 'dist', 'src', 'main.js');
  const version = await readFile(join(PROMPTFOO_DIR, 'node_modules', 'promptfoo', 'package.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { version: string }).version)
    .catch(() => null);
  if (version === null)
    return {
      skipped: `promptfoo is not installed in ${PROMPTFOO_DIR}: npm install --prefix ${PROMPTFOO_DIR} promptfoo@${PROMPTFOO_VERSION}; only this product's side was measured`,
    };
  const work = join(PROMPTFOO_DIR, 'bench-assertions');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const { tests, untranslated } = promptfooTestsOf({ defaultAssert: DEFAULTS }, cases);
  if (untranslated.length) throw new Error(`${untranslated.length} assertions did not translate to promptfoo`);
  await writeFile(join(work, 'tests.json'), JSON.stringify(tests));
  await writeFile(
    join(work, 'promptfooconfig.yaml'),
    'description: assertions benchmark\nprompts: ["{{output}}"]\nproviders: ["echo"]\ntests: file://tests.json\n',
  );
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [main, 'eval', '-c', 'promptfooconfig.yaml', '--no-cache', '--no-progress-bar', '--no-table', '-o', 'results.json'],
    {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PROMPTFOO_CONFIG_DIR: join(work, '.promptfoo'),
        PROMPTFOO_DISABLE_TELEMETRY: '1',
        PROMPTFOO_DISABLE_UPDATE: '1',
        PROMPTFOO_DISABLE_SHARING: '1',
      },
    },
  );
  const output: string[] = [];
  child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
  const pid = child.pid as number;
  const sampler = memorySampler(() => processTree(pid));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  const memory = await sampler.stop();
  const text = output.join('');
  // The counts and promptfoo's own evaluation time come from the results file it wrote, not its console output.
  const written = await readFile(join(work, 'results.json'), 'utf8')
    .then(
      (t) =>
        JSON.parse(t) as {
          results?: { stats?: { successes?: number; errors?: number; durationMs?: number } };
          runtimeOptions?: { maxConcurrency?: number };
        },
    )
    .catch(() => null);
  const stats = written?.results?.stats;
  return {
    version,
    exitCode: code,
    casesPassingEveryAssertion: stats?.successes ?? null,
    errors: stats?.errors ?? null,
    seconds: Number(seconds.toFixed(2)),
    casesPerSecond: Math.round(cases.length / seconds),
    evaluationSeconds: stats?.durationMs === undefined ? null : Number((stats.durationMs / 1000).toFixed(1)),
    maxConcurrency: written?.runtimeOptions?.maxConcurrency ?? null,
    cpuSeconds: memory.cpuSeconds,
    peakRssMb: { processTree: memory.peakSumMb, processes: memory.hwmMb },
    ...(code === 0 || code === 100 ? {} : { outputTail: text.slice(-1500) }),
  };
}

export async function benchAssertions(): Promise<Record<string, unknown>> {
  const loadBefore = loadavg().map(round1);
  const { cases, outputs } = benchCases();
  // A short warm-up (JIT) that is not measured.
  scoreAll(cases.slice(0, 500), outputs.slice(0, 500), () => undefined);
  const ours = ourSide(cases, outputs);
  process.stderr.write(`bench: assertions in-process ${ours.casesPerSecond} cases/s\n`);
  const promptfoo = await promptfooSide(cases);
  const theirs = 'casesPerSecond' in promptfoo ? promptfoo : null;
  return {
    cases: CASES,
    assertionsPerCase: 5,
    assertionTypes: ['is-json', 'contains', 'icontains', 'regex', 'levenshtein'],
    loadAverageBefore: loadBefore,
    inProcess: ours,
    promptfoo,
    agree: theirs ? theirs.casesPassingEveryAssertion === ours.casesPassingEveryAssertion : null,
    inProcessToPromptfoo: theirs ? Number((ours.casesPerSecond / theirs.casesPerSecond).toFixed(1)) : null,
    loadAverageAfter: loadavg().map(round1),
  };
}
