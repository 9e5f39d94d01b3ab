// `provider` eval runs through the local eval-run state machine, DynamoDB Local and the S3 stand-in, calling the
// local model server through the official OpenAI SDK: per-case usage and cost in the evidence, a verdict (never an
// executor error for bad answers), a wrong credential failing the run by the connection's name, and a search of the
// table (items and audit events), the evidence objects and everything written to stdout and stderr that finds the
// secret nowhere.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceStore, type EvidenceStore } from '../../../functions/store/evidence-store.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { listCaseEvidence } from '../../../functions/workflows/eval-steps.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { type ModelServer, startModelServer } from '../../../local/model-server.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { createSfnEvalRunner } from '../../../local/sfn-eval-runner.js';
import { modelConfigInput } from '../../support/fixtures.js';
import { approveArtefact, draftCandidate, governedSystem, owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const SECRET = 'sk-local-integration-4c1d2e9f8a7b';
const admin = actorOf(principal('usr_admin', ['admin']));
let store: GovernanceStore;
let tableName: string;
let drop: () => Promise<void>;
let s3: S3StandInHandle;
let evidence: EvidenceStore;
let server: ModelServer;

beforeAll(async () => {
  ({ store, tableName, drop } = await createTestStore());
  s3 = await startS3StandIn({ buckets: ['evidence'] });
  evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'evidence' });
  server = await startModelServer({ apiKey: SECRET });
});
afterAll(async () => {
  await server?.stop();
  await s3?.stop();
  await drop?.();
});

async function providerCandidate(name: string, secretRef: string) {
  const connection = await store.providerConnections.registerConnection(admin, {
    name,
    provider: 'openai',
    baseUrl: server.baseUrl('openai'),
    region: null,
    secretRef,
    concurrencyLimit: 4,
    changeSummary: 'the local model server',
  });
  const base = await governedSystem(store, { cases: 12 });
  const config = await store.artefacts.createModelConfig(
    owner,
    modelConfigInput(base.system.id, {
      provider: 'openai',
      model: 'gpt-4o-mini',
      routingPolicy: {
        strategy: 'single',
        routes: [{ target: 'local', weight: 1, connection: { id: connection.id, version: 1 } }],
      },
      costRates: { inputPer1k: 0.15, outputPer1k: 0.6 },
      changeSummary: 'through the OpenAI SDK',
    }),
  );
  await approveArtefact(store, 'model_config', config.id);
  const draft = await draftCandidate(store, base, { modelConfigId: config.id });
  return { connection, candidate: await store.candidates.submitCandidate(owner, draft.id) };
}

async function runProvider(candidateId: string, env: Record<string, string>) {
  const runner = createSfnEvalRunner(store, {
    batchSize: 5,
    retryIntervalMs: 5,
    evidence,
    allowedHosts: ['127.0.0.1:*'],
    providers: createProviderRuntime({
      resolveSecret: localSecretResolver({ env, dataDir: '/nonexistent' }),
      allowedHosts: ['127.0.0.1:*'],
    }),
  });
  const { run } = await store.evalRuns.createEvalRun(owner, candidateId, 'provider');
  runner.start(run.id);
  await runner.idle();
  return store.evalRuns.getEvalRun(run.id);
}

/** Everything written to stdout and stderr while `fn` runs. */
async function captured<T>(fn: () => Promise<T>): Promise<{ value: T; output: string }> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const tap =
    (write: typeof out) =>
    (chunk: unknown, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    };
  process.stdout.write = tap(out) as typeof process.stdout.write;
  process.stderr.write = tap(err) as typeof process.stderr.write;
  try {
    return { value: await fn(), output: chunks.join('') };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

describe('provider runs in the eval-run state machine', () => {
  it('evaluates every case through the OpenAI SDK with usage and cost in its evidence, and leaks the secret nowhere', async () => {
    // Prepare
    const { candidate } = await providerCandidate('Local OpenAI', 'env:LOCAL_MODEL_KEY');

    // Act
    const { value: run, output } = await captured(() => runProvider(candidate.id, { LOCAL_MODEL_KEY: SECRET }));

    // Assess
    expect(run.status === 'passed' || run.status === 'failed').toBe(true);
    expect(run.error ?? null).toBeNull();
    expect(server.calls('openai')).toBeGreaterThanOrEqual(12);
    const page = await listCaseEvidence(store, run, { limit: 100 }, { evidence });
    expect(page.items).toHaveLength(12);
    for (const item of page.items) {
      expect(item.execution?.tokensIn).toBeGreaterThan(0);
      expect(item.execution?.tokensOut).toBeGreaterThan(0);
      expect(item.costUsd).toBeGreaterThan(0);
      expect(item.execution?.calls?.[0]).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', status: 200 });
    }
    expect(run.metrics?.costMeanUsd).toBeGreaterThan(0);
    const table = JSON.stringify((await store.ctx.doc.send(new ScanCommand({ TableName: tableName }))).Items);
    const objects = JSON.stringify(await evidence.readBatch(run.id, 0)) + JSON.stringify(page);
    expect(table).toContain('env:LOCAL_MODEL_KEY');
    expect(table).toContain('provider_connection.registered');
    for (const place of [table, objects, output]) expect(place).not.toContain(SECRET);
  });

  it('fails the run with an error naming the connection when the secret is wrong, and writes the secret nowhere', async () => {
    // Prepare
    const wrong = 'sk-wrong-integration-5e6f7a8b';
    const { connection, candidate } = await providerCandidate('Wrong key', 'env:LOCAL_MODEL_KEY');

    // Act
    const { value: run, output } = await captured(() => runProvider(candidate.id, { LOCAL_MODEL_KEY: wrong }));

    // Assess
    expect(run.status).toBe('error');
    expect(run.error).toContain(`provider connection Wrong key (${connection.id} v1) refused its credential (401)`);
    const table = JSON.stringify((await store.ctx.doc.send(new ScanCommand({ TableName: tableName }))).Items);
    for (const place of [table, output, run.error ?? '']) {
      expect(place).not.toContain(wrong);
      expect(place).not.toContain(SECRET);
    }
  });

  it('fails the run before any call when the secret is missing, naming the connection and its reference', async () => {
    // Prepare
    const { connection, candidate } = await providerCandidate('No key', 'env:NOT_SET_ANYWHERE');
    const before = server.calls();

    // Act
    const run = await runProvider(candidate.id, {});

    // Assess
    expect(run.status).toBe('error');
    expect(run.error).toContain(
      `provider connection No key (${connection.id} v1): its secret env:NOT_SET_ANYWHERE is not set`,
    );
    expect(server.calls()).toBe(before);
  });
});
