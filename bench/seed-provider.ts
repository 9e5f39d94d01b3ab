// Seeding time with and without the provider story (issue 16: at most 10 % longer with it). The demo is seeded into
// fresh tables of one DynamoDB Local, alternately without and with the story (seed/provider-demo.ts: a connection to
// the local model server, a model config, a candidate and its eval run through the official OpenAI SDK), as `npm
// start` seeds it: the model server in this process at its default 20-50 ms a call, the secret in a file under a
// data folder. Each mode is seeded ROUNDS times, interleaved, so a change of the shared machine's load falls on both.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { createDocumentClient } from '../functions/store/client.js';
import { createEvidenceStore } from '../functions/store/evidence-store.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { createProviderRuntime } from '../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../functions/workflows/providers/secrets.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { startModelServer } from '../local/model-server.js';
import { createS3Client, startS3StandIn } from '../local/s3-standin.js';
import { seedIfEmpty } from '../seed/load.js';

const ROUNDS = Number(process.env.BENCH_SEED_ROUNDS ?? '2');
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round2 = (n: number) => Math.round(n * 100) / 100;

export async function benchSeedProvider(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-seed-'));
  const apiKey = 'sk-bench-seed-provider';
  await mkdir(join(dataDir, 'provider-secrets'), { recursive: true });
  await writeFile(join(dataDir, 'provider-secrets', 'local-model-server'), `${apiKey}\n`, { mode: 0o600 });
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  const s3 = await startS3StandIn({ buckets: ['bench-seed'] });
  const server = await startModelServer({ apiKey });
  const loadBefore = loadavg().map((l) => Math.round(l * 10) / 10);
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    const evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'bench-seed' });
    const allowedHosts = ['127.0.0.1:*'];
    const providers = createProviderRuntime({ resolveSecret: localSecretResolver({ dataDir }), allowedHosts });
    const seconds: { without: number[]; with: number[] } = { without: [], with: [] };
    // The story's own time, from the seed's log line (`seed: the provider story took N s`).
    const storySeconds: number[] = [];
    const log = (line: string) => {
      const took = /the provider story took ([\d.]+) s/.exec(line);
      if (took) storySeconds.push(Number(took[1]));
    };
    let table = 0;
    const seed = async (withStory: boolean) => {
      const tableName = `bench-seed-${table++}`;
      await doc.send(new CreateTableCommand(createTableInput(tableName)));
      const started = performance.now();
      const summary = await seedIfEmpty({
        doc,
        tableName,
        evidence,
        log,
        ...(withStory
          ? { providerDemo: { baseUrl: server.baseUrl('openai'), secretRef: 'file:local-model-server', providers } }
          : {}),
      });
      const elapsed = (performance.now() - started) / 1000;
      if (summary === null || (withStory && !summary.providerDemo)) throw new Error('bench: the demo was not seeded');
      (withStory ? seconds.with : seconds.without).push(round2(elapsed));
      process.stderr.write(
        `bench: seeded ${withStory ? 'with' : 'without'} the provider story in ${elapsed.toFixed(1)} s\n`,
      );
    };
    // A first seed warms DynamoDB Local and the JIT; it is not counted.
    await seed(false);
    seconds.without.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await seed(false);
      await seed(true);
    }
    const without = mean(seconds.without);
    const withStory = mean(seconds.with);
    return {
      rounds: ROUNDS,
      secondsWithout: seconds.without,
      secondsWith: seconds.with,
      meanWithout: round2(without),
      meanWith: round2(withStory),
      ratio: round2(withStory / without),
      longerByPercent: Math.round((withStory / without - 1) * 1000) / 10,
      storySeconds,
      storyShareOfSeedWithout: round2(mean(storySeconds) / without),
      target: 'at most 10 % longer with the provider story',
      modelServerCalls: server.calls('openai'),
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg().map((l) => Math.round(l * 10) / 10),
    };
  } finally {
    await server.stop();
    await s3.stop();
    await dynamo.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
