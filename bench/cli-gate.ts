// `govern gate` round trips against the local stack (DynamoDB Local, the same handlers behind the local HTTP
// server): 200 calls of the command run in-process (argument parsing, contract validation, HTTP, output), alternated
// with 200 bare GETs of the gate route (the floor it stands on); then up to 200 spawns of the bundled CLI
// (cli/dist/govern.mjs, Node start-up included, as a pipeline step pays it) within five minutes, beside the start-up
// of an empty Node process. Median and p99 of each.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCli } from '../cli/build.js';
import { runCaptured } from '../cli/in-process.js';
import { EXIT } from '../cli/program.js';
import { startLocalStack } from '../local/stack.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const CALLS = 200;
/** The spawned CLI stops early when its calls take longer than this in all (a loaded, shared machine). */
const SPAWN_BUDGET_MS = 300_000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    calls: samples.length,
    medianMs: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
  };
}

async function timed(n: number, call: () => Promise<void>, budgetMs = Number.POSITIVE_INFINITY): Promise<number[]> {
  const samples: number[] = [];
  const until = performance.now() + budgetMs;
  for (let i = 0; i < n && performance.now() < until; i++) {
    const started = performance.now();
    await call();
    samples.push(performance.now() - started);
  }
  return samples;
}

function spawnGate(bundle: string, argv: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...argv], { env }, (error) =>
      resolve(error ? (typeof error.code === 'number' ? error.code : 1) : 0),
    );
  });
}

export async function benchCliGate() {
  const dataDir = await mkdtemp(join(tmpdir(), 'gov-bench-cli-'));
  const built = buildCli(join(dataDir, 'govern.mjs'));
  const stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: false, log: () => undefined });
  try {
    const owner = stack.tokens['omar.owner']?.token ?? '';
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${stack.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    const system = await post('/api/systems', systemInput({ riskTier: 'medium' }));
    const prompt = await post('/api/prompts', promptInput(system.id));
    const config = await post('/api/model-configs', modelConfigInput(system.id));
    const dataset = await post('/api/eval-datasets', {
      systemId: system.id,
      name: 'baseline',
      kind: 'baseline',
      cases: cases(4),
    });
    const candidate = await post('/api/release-candidates', {
      systemId: system.id,
      name: 'bench',
      promptVersionId: prompt.id,
      modelConfigId: config.id,
      datasetIds: [dataset.id],
      thresholds: LENIENT_THRESHOLDS,
    });
    const token = await stack.mint({
      userId: 'ci.pipeline',
      name: 'CI',
      roles: ['pipeline'],
      teams: [],
      systems: [system.id],
    });
    const env = { GOVERN_API_URL: stack.url, GOVERN_TOKEN: token, PATH: process.env.PATH ?? '' };
    const argv = ['gate', candidate.id];

    // A draft candidate's gate blocks (exit 3): the full answer with reasons is read and printed every time.
    const check = (code: number) => {
      if (code !== EXIT.blocked) throw new Error(`govern gate exited ${code}, expected ${EXIT.blocked}`);
    };
    for (let i = 0; i < 10; i++) check((await runCaptured(argv, env)).code); // warm-up: JIT, connections, caches

    // The bare GET and the in-process command alternate, so both see the same load of the shared machine.
    const http: number[] = [];
    const inProcess: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      http.push(
        ...(await timed(1, async () => {
          const res = await fetch(`${stack.url}/api/release-candidates/${candidate.id}/gate`, {
            headers: { authorization: `Bearer ${token}` },
          });
          if (res.status !== 200) throw new Error(`gate answered ${res.status}`);
          await res.arrayBuffer();
        })),
      );
      inProcess.push(...(await timed(1, async () => check((await runCaptured(argv, env)).code))));
    }
    const { file, bytes } = await built;
    check(await spawnGate(file, argv, env));
    // What any Node process pays before the CLI's first line runs.
    const nodeStartup = await timed(20, async () => {
      await new Promise<void>((resolve) => execFile(process.execPath, ['-e', ''], () => resolve()));
    });
    const spawned = await timed(CALLS, async () => check(await spawnGate(file, argv, env)), SPAWN_BUDGET_MS);

    return {
      calls: CALLS,
      outcome: 'blocked (exit 3), reasons printed',
      httpGet: summary(http),
      inProcess: summary(inProcess),
      spawnedBundle: { ...summary(spawned), bundleKiB: Math.round(bytes / 102.4) / 10 },
      nodeStartup: summary(nodeStartup),
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
