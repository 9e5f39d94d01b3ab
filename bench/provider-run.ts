// The provider benchmark (issue 16): N cases (default 10,000; BENCH_PROVIDER_CASES for a quick check) against one
// local OpenAI-compatible server with a fixed 50 ms latency, at a connection concurrency of 32, in one run:
// - floor: N bare calls of the `openai` SDK, 32 at a time (the same request the adapter sends), measured before and
//   after the other phases, so a change of the shared machine's load shows;
// - state machine: an eval run of N cases with the `provider` executor through statemachines/eval-run.asl.json in
//   the local interpreter, as `npm start` runs it (its MaxConcurrency, DynamoDB Local, the S3 stand-in for evidence),
//   the connection's concurrencyLimit 32;
// - promptfoo 0.121.20 (installed in a scratch folder, never a dependency: BENCH_PROMPTFOO_DIR, default
//   /tmp/pf-scratch) with its `openai` provider at --max-concurrency 32, the same rendered prompts.
// The model server runs in a child process (bench/model-server-child.ts), a fresh one per phase, so its CPU and
// memory are not counted. Memory: the peak of this process's RSS plus DynamoDB Local's (polled every 100 ms, and
// each process's VmHWM), or of promptfoo's process tree in its phase.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import OpenAI from 'openai';
import { createDocumentClient } from '../functions/store/client.js';
import { createEvidenceStore } from '../functions/store/evidence-store.js';
import { createStore } from '../functions/store/index.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { renderTemplate } from '../functions/workflows/http-executor.js';
import { openaiClient } from '../functions/workflows/providers/openai.js';
import { createProviderRuntime } from '../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../functions/workflows/providers/secrets.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { createS3Client, startS3StandIn } from '../local/s3-standin.js';
import { createSfnEvalRunner } from '../local/sfn-eval-runner.js';
import { cases as fixtureCases, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';
import { cpuSeconds, memorySampler, processTree, resetPeak, statusKb } from './process-stats.js';

const CASES = Number(process.env.BENCH_PROVIDER_CASES ?? '10000');
const CONCURRENCY = 32;
const LATENCY_MS = 50;
const PROMPTFOO_VERSION = '0.121.20';
const PROMPTFOO_DIR = process.env.BENCH_PROMPTFOO_DIR ?? '/tmp/pf-scratch';
const API_KEY = 'sk-bench-provider-run';
/** Phases to run (default all), for investigating one: `floor,stateMachine,promptfoo`. */
const PHASES = (process.env.BENCH_PROVIDER_PHASES ?? 'floor,stateMachine,promptfoo').split(',');
/** The state machine run's batch size and Map concurrency when overridden (default: as the product sizes them). */
const SM_BATCH_SIZE = Number(process.env.BENCH_PROVIDER_BATCH_SIZE ?? '0') || undefined;
const SM_MAX_CONCURRENCY = Number(process.env.BENCH_PROVIDER_MAX_CONCURRENCY ?? '0') || undefined;
/** More state machine runs in the same run, `<batch size>x<Map concurrency>` each (e.g. `50x4,100x8`), to compare. */
const SM_VARIANTS = (process.env.BENCH_PROVIDER_VARIANTS ?? '')
  .split(',')
  .map((v) => /^(\d+)x(\d+)$/.exec(v.trim()))
  .filter((m): m is RegExpExecArray => m !== null)
  .map((m) => ({ batchSize: Number(m[1]), maxConcurrency: Number(m[2]) }));
const owner = { userId: 'omar.owner', name: 'Omar', roles: ['model_owner' as const] };
const reviewer = { userId: 'tessa.technical', name: 'Tessa', roles: ['reviewer:technical' as const] };
const admin = { userId: 'ada.admin', name: 'Ada', roles: ['admin' as const] };
const PARAMETERS = { temperature: 0.1, maxTokens: 256, topP: 1 };

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const mb = (kb: number) => Math.round(kb / 1024);
/** CPU seconds per 1,000 calls of each process between two readings. */
const cpuPer1000 = (after: number[], before: number[]) =>
  after.map((a, i) => round2(((a - (before[i] ?? 0)) * 1000) / CASES));

interface ModelServerChild {
  baseUrl: string;
  pid: number;
  stats(): Promise<{ calls: number; peakInFlight: number }>;
  stop(): Promise<void>;
}

/** Starts the model server in a child process (fixed latency) and waits until it listens. */
async function startModelServerChild(): Promise<ModelServerChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./model-server-child.ts', import.meta.url))],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, BENCH_MODEL_KEY: API_KEY, BENCH_MODEL_LATENCY_MS: String(LATENCY_MS) },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the model server child exited (${code})`)));
    child.on('message', (m: { port?: number }) => {
      if (typeof m.port === 'number') resolve(m.port);
    });
  });
  child.removeAllListeners('exit');
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    pid: child.pid as number,
    stats: () =>
      new Promise((resolve) => {
        const on = (m: { stats?: { calls: number; peakInFlight: number } }) => {
          if (!m.stats) return;
          child.off('message', on);
          resolve(m.stats);
        };
        child.on('message', on);
        child.send('stats');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      }),
  };
}

/** Runs `fn` for 0..n-1, at most `limit` at a time. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) await fn(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

const template = promptInput('sys').template;
const outputContract = promptInput('sys').outputContract;
const prompts = fixtureCases(CASES).map((c) => renderTemplate(template, c.input));

/** The floor: N bare SDK calls, CONCURRENCY at a time, the request the `openai` adapter sends. */
async function floorPhase(label: string) {
  const server = await startModelServerChild();
  try {
    const client = new OpenAI({ apiKey: API_KEY, baseURL: server.baseUrl, maxRetries: 0 });
    const call = (prompt: string) =>
      client.chat.completions.create(
        {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: prompt }],
          temperature: PARAMETERS.temperature,
          top_p: PARAMETERS.topP,
          max_tokens: PARAMETERS.maxTokens,
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'output', schema: outputContract, strict: false },
          },
        },
        { timeout: 5000, maxRetries: 0 },
      );
    let failed = 0;
    const cpuBefore = [await cpuSeconds('self'), await cpuSeconds(server.pid)];
    const started = performance.now();
    let callSeconds = 0;
    await pool(CASES, CONCURRENCY, async (i) => {
      const callStarted = performance.now();
      const completion = await call(prompts[i] as string).catch(() => null);
      callSeconds += (performance.now() - callStarted) / 1000;
      if (completion === null) failed++;
      else JSON.parse(completion.choices[0]?.message?.content ?? 'null');
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuPer1000([await cpuSeconds('self'), await cpuSeconds(server.pid)], cpuBefore);
    const stats = await server.stats();
    process.stderr.write(`bench: provider floor (${label}) ${Math.round(CASES / seconds)} calls/s\n`);
    return {
      seconds: Number(seconds.toFixed(2)),
      callsPerSecond: Math.round(CASES / seconds),
      failed,
      meanCallMs: Math.round((callSeconds * 1000) / CASES),
      meanInFlight: round1(callSeconds / seconds),
      cpuSecondsPer1000Calls: { node: cpu[0], modelServer: cpu[1] },
      serverCalls: stats.calls,
      peakInFlight: stats.peakInFlight,
      loadAverage1m: round1(loadavg()[0] ?? 0),
    };
  } finally {
    await server.stop();
  }
}

/** The eval run through the local state machine, as `npm start` runs it. */
async function stateMachinePhase(options: { batchSize?: number; maxConcurrency?: number } = {}) {
  const server = await startModelServerChild();
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  const s3 = await startS3StandIn({ buckets: ['bench-evidence'] });
  try {
    const evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'bench-evidence' });
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench-provider')));
    const store = createStore({ doc, tableName: 'bench-provider' });
    const connection = await store.providerConnections.registerConnection(admin, {
      name: 'Bench model server',
      provider: 'openai',
      baseUrl: server.baseUrl,
      region: null,
      secretRef: 'env:BENCH_MODEL_KEY',
      concurrencyLimit: CONCURRENCY,
      changeSummary: 'the benchmark model server',
    });
    const { system } = await store.systems.createSystem(owner, systemInput());
    const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
    const config = await store.artefacts.createModelConfig(
      owner,
      modelConfigInput(system.id, {
        parameters: PARAMETERS,
        routingPolicy: {
          strategy: 'single',
          routes: [{ target: 'bench', weight: 1, connection: { id: connection.id, version: connection.version } }],
        },
        fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
      }),
    );
    for (const [kind, id] of [
      ['prompt', prompt.id],
      ['model_config', config.id],
    ] as const) {
      await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
      await store.artefacts.transitionArtefact(reviewer, kind, id, 'approved', 'ok');
    }
    const dataset = await store.datasets.createDataset(owner, {
      systemId: system.id,
      name: 'bench',
      kind: 'baseline',
      description: `${CASES} cases`,
      cases: fixtureCases(CASES),
    });
    const rc = await store.candidates.createCandidate(owner, {
      systemId: system.id,
      name: 'bench',
      environment: 'production',
      promptVersionId: prompt.id,
      modelConfigId: config.id,
      datasetIds: [dataset.id],
      // The server answers a label the contract names no enum for: accuracy is not the point, the run's pace is.
      thresholds: [{ metric: 'timeoutRate', direction: 'max', value: 0.5, regressionTolerance: null }],
      notes: '',
    });
    await store.candidates.submitCandidate(owner, rc.id);
    // The real OpenAI adapter, timed: the time calls are in flight, for the mean number in flight.
    let callSeconds = 0;
    const providers = createProviderRuntime({
      clients: {
        openai: (c, secret) => {
          const client = openaiClient(c, secret);
          return {
            async call(request) {
              const callStarted = performance.now();
              try {
                return await client.call(request);
              } finally {
                callSeconds += (performance.now() - callStarted) / 1000;
              }
            },
          };
        },
      },
      resolveSecret: localSecretResolver({ env: { BENCH_MODEL_KEY: API_KEY }, dataDir: '/nonexistent' }),
      allowedHosts: ['127.0.0.1:*'],
    });
    // The tasks timed: Prepare and Aggregate hold no call in flight; the Map's share of the run is what batches pace.
    const taskSeconds = { prepare: 0, aggregate: 0, mapStart: 0, mapEnd: 0 };
    const plan = { batchSize: 0, batchCount: 0, maxConcurrency: 0 };
    const clock = () => performance.now() / 1000;
    let report: { transitions: number; retries: number; ok: boolean; error?: string } | undefined;
    const runner = createSfnEvalRunner(store, {
      evidence,
      allowedHosts: ['127.0.0.1:*'],
      providers,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
      ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
      onFinished: (r) => (report = r),
      wrapTasks: (tasks) => ({
        ...tasks,
        prepare: async (event) => {
          const t = clock();
          try {
            const planned = await tasks.prepare(event);
            Object.assign(plan, {
              batchSize: planned.batchSize,
              batchCount: planned.batchCount,
              maxConcurrency: planned.maxConcurrency,
            });
            return planned;
          } finally {
            taskSeconds.prepare = clock() - t;
            taskSeconds.mapStart = clock();
          }
        },
        executeBatch: async (event) => {
          try {
            return await tasks.executeBatch(event);
          } finally {
            taskSeconds.mapEnd = clock();
          }
        },
        aggregate: async (event) => {
          const t = clock();
          try {
            return await tasks.aggregate(event);
          } finally {
            taskSeconds.aggregate = clock() - t;
          }
        },
      }),
    });
    await runner.machine();
    const jvm = dynamo.process.pid;
    const resets = [await resetPeak('self'), jvm ? await resetPeak(jvm) : false];
    const sampler = memorySampler(() => (jvm ? [process.pid, jvm] : [process.pid]));
    const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'provider');
    const processes = [process.pid, jvm ?? 0, server.pid];
    const cpuBefore = await Promise.all(processes.map(cpuSeconds));
    const started = performance.now();
    runner.start(run.id);
    await runner.idle();
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuPer1000(await Promise.all(processes.map(cpuSeconds)), cpuBefore);
    const memory = await sampler.stop();
    const done = await store.evalRuns.getEvalRun(run.id);
    const stats = await server.stats();
    const objects = await evidence.listBatches(run.id);
    process.stderr.write(`bench: provider state machine ${Math.round(CASES / seconds)} calls/s (${done.status})\n`);
    return {
      status: done.status,
      error: done.error ?? report?.error ?? null,
      seconds: Number(seconds.toFixed(2)),
      callsPerSecond: Math.round(CASES / seconds),
      serverCalls: stats.calls,
      peakInFlight: stats.peakInFlight,
      meanCallMs: Math.round((callSeconds * 1000) / CASES),
      meanInFlight: round1(callSeconds / seconds),
      batching: {
        ...plan,
        prepareSeconds: round2(taskSeconds.prepare),
        mapSeconds: round2(taskSeconds.mapEnd - taskSeconds.mapStart),
        aggregateSeconds: round2(taskSeconds.aggregate),
        meanInFlightDuringMap: round1(callSeconds / Math.max(0.001, taskSeconds.mapEnd - taskSeconds.mapStart)),
      },
      cpuSecondsPer1000Calls: { node: cpu[0], dynamoDbLocal: cpu[1], modelServer: cpu[2] },
      limiterPeak: providers.limiter.peak(`${connection.id}#${connection.version}`),
      batchObjects: objects.length,
      stateTransitions: report?.transitions ?? null,
      peakRssMb: {
        nodePlusDynamoDbLocal: memory.peakSumMb,
        node: await statusKb('self', 'VmHWM').then(mb),
        dynamoDbLocal: jvm ? await statusKb(jvm, 'VmHWM').then(mb) : null,
        measuredFrom: resets.every(Boolean) ? 'the eval run (VmHWM reset before it)' : 'process start',
      },
      loadAverage1m: round1(loadavg()[0] ?? 0),
    };
  } finally {
    await s3.stop();
    await dynamo.stop();
    await server.stop();
  }
}

/** promptfoo's `openai` provider at --max-concurrency 32 on the same prompts and server. */
async function promptfooPhase() {
  const main = join(PROMPTFOO_DIR, 'node_modules', 'promptfoo', 'dist', 'src', 'main.js');
  const version = await readFile(join(PROMPTFOO_DIR, 'node_modules', 'promptfoo', 'package.json'), 'utf8')
    .then((text) => (JSON.parse(text) as { version: string }).version)
    .catch(() => null);
  if (version === null)
    return {
      skipped: `promptfoo is not installed: npm install --prefix ${PROMPTFOO_DIR} promptfoo@${PROMPTFOO_VERSION}`,
    };
  const server = await startModelServerChild();
  const work = join(PROMPTFOO_DIR, 'bench');
  await mkdir(work, { recursive: true });
  try {
    const config = {
      description: 'provider benchmark',
      prompts: ['{{prompt}}'],
      providers: [
        {
          id: 'openai:chat:gpt-4o-mini',
          config: {
            apiBaseUrl: server.baseUrl,
            apiKey: API_KEY,
            temperature: PARAMETERS.temperature,
            top_p: PARAMETERS.topP,
            max_tokens: PARAMETERS.maxTokens,
            response_format: {
              type: 'json_schema',
              json_schema: { name: 'output', schema: outputContract, strict: false },
            },
          },
        },
      ],
      tests: prompts.map((prompt) => ({ vars: { prompt } })),
    };
    // JSON is YAML: promptfoo reads it as its YAML config.
    await writeFile(join(work, 'promptfooconfig.yaml'), JSON.stringify(config));
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        main,
        'eval',
        '-c',
        'promptfooconfig.yaml',
        '--max-concurrency',
        String(CONCURRENCY),
        '--no-cache',
        '--no-progress-bar',
        '--no-table',
      ],
      {
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          PROMPTFOO_CONFIG_DIR: join(work, '.promptfoo'),
          PROMPTFOO_DISABLE_TELEMETRY: '1',
          PROMPTFOO_DISABLE_UPDATE: '1',
          PROMPTFOO_DISABLE_SHARING: '1',
          OPENAI_API_KEY: API_KEY,
        },
      },
    );
    const output: string[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const pid = child.pid as number;
    const serverCpuBefore = await cpuSeconds(server.pid);
    const sampler = memorySampler(() => processTree(pid));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const seconds = (performance.now() - started) / 1000;
    const memory = await sampler.stop();
    const serverCpu = cpuPer1000([await cpuSeconds(server.pid)], [serverCpuBefore]);
    const stats = await server.stats();
    const text = output.join('');
    const duration = /Duration:\s*([^\n(]+)/.exec(text)?.[1]?.trim() ?? null;
    process.stderr.write(`bench: promptfoo ${Math.round(stats.calls / seconds)} calls/s (exit ${code})\n`);
    return {
      version,
      exitCode: code,
      seconds: Number(seconds.toFixed(2)),
      callsPerSecond: Math.round(stats.calls / seconds),
      serverCalls: stats.calls,
      peakInFlight: stats.peakInFlight,
      reportedDuration: duration,
      cpuSecondsPer1000Calls: {
        processTree: round2((memory.cpuSeconds * 1000) / Math.max(1, stats.calls)),
        modelServer: serverCpu[0],
      },
      peakRssMb: { processTree: memory.peakSumMb, processes: memory.hwmMb },
      loadAverage1m: round1(loadavg()[0] ?? 0),
      ...(code === 0 ? {} : { outputTail: text.slice(-1500) }),
    };
  } finally {
    await server.stop();
  }
}

export async function benchProviderRun(): Promise<Record<string, unknown>> {
  const loadBefore = loadavg().map(round1);
  // A short warm-up (JIT, sockets) that is not measured.
  const warm = await startModelServerChild();
  const warmClient = new OpenAI({ apiKey: API_KEY, baseURL: warm.baseUrl, maxRetries: 0 });
  await pool(Math.min(200, CASES), CONCURRENCY, async (i) => {
    await warmClient.chat.completions.create({ model: 'w', messages: [{ role: 'user', content: prompts[i] ?? '' }] });
  });
  await warm.stop();

  const floorBefore = PHASES.includes('floor') ? await floorPhase('before') : null;
  const stateMachine = PHASES.includes('stateMachine')
    ? await stateMachinePhase({
        ...(SM_BATCH_SIZE ? { batchSize: SM_BATCH_SIZE } : {}),
        ...(SM_MAX_CONCURRENCY ? { maxConcurrency: SM_MAX_CONCURRENCY } : {}),
      })
    : null;
  const variants: Record<string, unknown> = {};
  for (const v of SM_VARIANTS) variants[`${v.batchSize}x${v.maxConcurrency}`] = await stateMachinePhase(v);
  const promptfoo = PHASES.includes('promptfoo') ? await promptfooPhase() : null;
  const floorAfter = PHASES.includes('floor') ? await floorPhase('after') : null;
  const floor = Math.max(floorBefore?.callsPerSecond ?? 0, floorAfter?.callsPerSecond ?? 0);
  return {
    cases: CASES,
    modelLatencyMs: LATENCY_MS,
    connectionConcurrency: CONCURRENCY,
    stateMachineOverrides: { batchSize: SM_BATCH_SIZE ?? null, maxConcurrency: SM_MAX_CONCURRENCY ?? null },
    idealCallsPerSecond: Math.round((CONCURRENCY * 1000) / LATENCY_MS),
    loadAverageBefore: loadBefore,
    floor: { before: floorBefore, after: floorAfter },
    stateMachine,
    ...(SM_VARIANTS.length ? { stateMachineVariants: variants } : {}),
    promptfoo,
    stateMachineToFloor:
      stateMachine && floor > 0
        ? {
            ratio: Number((stateMachine.callsPerSecond / floor).toFixed(3)),
            against: 'the faster of the two floors',
            slowerByPercent: round1((floor / stateMachine.callsPerSecond - 1) * 100),
            target: 'at most 15 % slower',
          }
        : null,
  };
}
