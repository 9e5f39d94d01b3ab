// The provider executor through the official SDKs against the local model server (127.0.0.1, a free port): every
// bad answer is that case's outcome, retries honour Retry-After and are recorded, a timeout moves on, the
// connection's concurrency limit holds at the server, routes cross providers, and a refused credential fails the run
// naming the connection and never the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConnectionVersion, ProviderKind } from '../../../functions/domain/provider-connections.js';
import type { EvalCase, ModelConfigVersion } from '../../../functions/domain/types.js';
import { executeProviderCase, type ProviderModelConfig } from '../../../functions/workflows/providers/executor.js';
import { createConnectionLimiter } from '../../../functions/workflows/providers/limiter.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { type ModelServer, startModelServer, type WireFormat } from '../../../local/model-server.js';

const SECRET = 'sk-local-unit-7f3a9c1e5b';
let server: ModelServer;
const sleeps: number[] = [];

beforeAll(async () => {
  server = await startModelServer({ apiKey: SECRET, latencyMs: 5 });
});
afterAll(() => server.stop());

function connection(provider: ProviderKind, version = 1, extra: Partial<ProviderConnectionVersion> = {}) {
  return {
    id: `pcn_01JBQ6ZC2W00000000000000${provider === 'openai' ? '01' : provider === 'anthropic' ? '02' : '03'}`,
    name: `local ${provider}`,
    version,
    provider,
    baseUrl: server.baseUrl(provider as WireFormat),
    region: provider === 'bedrock' ? 'us-east-1' : null,
    secretRef: 'env:MODEL_KEY',
    concurrencyLimit: 4,
    changeSummary: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'usr_admin',
    ...extra,
  } satisfies ProviderConnectionVersion;
}

const contract = {
  type: 'object',
  properties: { label: { type: 'string', enum: ['billing', 'bug', 'account'] }, confidence: { type: 'number' } },
  required: ['label', 'confidence'],
};
const prompt = { template: 'Classify this support note: {{note}}', outputContract: contract };
const evalCase = (caseId: string, note: string, expectedLabel = 'billing'): EvalCase => ({
  caseId,
  input: { note },
  expectedLabel,
  expectedOutput: null,
  tags: [],
});

function config(
  routes: ModelConfigVersion['routingPolicy']['routes'],
  extra: Partial<ProviderModelConfig> = {},
): ProviderModelConfig {
  return {
    model: 'gpt-4o-mini',
    parameters: { temperature: 0, maxTokens: 200, topP: 1 },
    // Generous: a loaded machine must not turn an answered call into a timeout (the timeout case sets its own).
    timeoutMs: 10_000,
    routingPolicy: { strategy: routes.length > 1 ? 'fallback_chain' : 'single', routes },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0.5, outputPer1k: 1.5 },
    ...extra,
  };
}

function runtime(key = SECRET, limiter = createConnectionLimiter()) {
  return createProviderRuntime({
    resolveSecret: localSecretResolver({ env: { MODEL_KEY: key }, dataDir: '/nonexistent' }),
    allowedHosts: ['127.0.0.1:*'],
    limiter,
    sleep: async (ms) => void sleeps.push(ms),
  });
}

const routeTo = (c: ProviderConnectionVersion, target = c.provider) => ({
  target,
  weight: 1,
  connection: { id: c.id, version: c.version },
});

async function run(
  c: ProviderConnectionVersion[],
  caseInput: EvalCase,
  extra: Partial<ProviderModelConfig> = {},
  rt = runtime(),
) {
  return executeProviderCase({
    evalCase: caseInput,
    prompt,
    modelConfig: config(
      c.map((x) => routeTo(x)),
      extra,
    ),
    connections: new Map(c.map((x) => [`${x.id}#${x.version}`, x])),
    runtime: rt,
  });
}

describe('the provider executor through the official SDKs', () => {
  it.each(['openai', 'anthropic', 'bedrock'] as const)(
    'answers a case through %s with usage priced at the cost rates and the evidence of the call',
    async (provider) => {
      // Prepare
      const c = connection(provider);

      // Act
      const result = await run([c], evalCase(`ok-${provider}`, 'my invoice shows a billing error'));

      // Assess
      expect(result).toMatchObject({ predictedLabel: 'billing', correct: true, schemaValid: true, error: null });
      expect(result.execution.tokensIn).toBeGreaterThan(0);
      expect(result.execution.tokensOut).toBeGreaterThan(0);
      const expectedCost = (result.execution.tokensIn * 0.5 + result.execution.tokensOut * 1.5) / 1000;
      expect(result.costUsd).toBeCloseTo(expectedCost, 9);
      expect(result.execution.prompt).toBe('Classify this support note: my invoice shows a billing error');
      expect(result.execution.outputText).toContain('"label":"billing"');
      expect(result.execution.calls).toHaveLength(1);
      expect(result.execution.calls?.[0]).toMatchObject({ provider, status: 200, connection: `${c.id}@1` });
    },
  );

  it('retries a 429 after the Retry-After it asked for and records both calls', async () => {
    // Prepare
    sleeps.length = 0;
    server.fail({ kind: 'status', status: 429, retryAfter: '3' });

    // Act
    const result = await run([connection('openai')], evalCase('retry-429', 'billing question'));

    // Assess
    expect(sleeps).toEqual([3000]);
    expect(result.schemaValid).toBe(true);
    expect(result.execution.attempts).toBe(2);
    expect(result.execution.calls?.map((c) => [c.status, c.retryAfterMs])).toEqual([
      [429, 3000],
      [200, null],
    ]);
  });

  it('gives up a route after its bounded retries of 500s and makes the case an error, not a failed run', async () => {
    // Prepare
    sleeps.length = 0;
    server.fail(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 500 })));

    // Act
    const result = await run([connection('anthropic')], evalCase('all-500', 'billing question'));

    // Assess
    expect(result).toMatchObject({ output: null, correct: false, schemaValid: false, costUsd: 0 });
    expect(result.error).toMatch(/answered 500/);
    expect(result.execution.attempts).toBe(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it('records a timeout as the case timing out and falls back to the next route of the chain', async () => {
    // Prepare
    // The delayed answer would come long after the timeout; the fallback has the same timeout, which a loaded
    // machine's answered call stays far below (the server drops the held connection when it stops).
    server.fail({ kind: 'delay', ms: 60_000 });

    // Act
    const result = await run([connection('openai'), connection('bedrock')], evalCase('timeout', 'billing'), {
      timeoutMs: 2_000,
    });

    // Assess
    expect(result).toMatchObject({ timedOut: true, fallbackUsed: true, fallbackSucceeded: true, schemaValid: true });
    expect(result.execution.calls?.map((c) => [c.provider, c.status])).toEqual([
      ['openai', null],
      ['bedrock', 200],
    ]);
  });

  it('makes a cut connection, malformed JSON and an ignored schema each that case outcome', async () => {
    // Prepare
    server.fail({ kind: 'cut' }, { kind: 'cut' }, { kind: 'cut' });
    const cut = await run([connection('openai')], evalCase('cut', 'billing'));
    server.fail({ kind: 'malformed' });
    const malformed = await run([connection('openai')], evalCase('malformed', 'billing'));

    // Act
    server.fail({ kind: 'ignore-schema' });
    const ignored = await run([connection('anthropic')], evalCase('ignored', 'billing'));

    // Assess
    expect(cut).toMatchObject({ output: null, schemaValid: false });
    expect(cut.error).toMatch(/connection failed/);
    expect(malformed).toMatchObject({ output: null, schemaValid: false, error: 'openai: malformed answer: not JSON' });
    expect(ignored).toMatchObject({ output: null, schemaValid: false, error: 'the answer is not a JSON object' });
    expect(ignored.execution.outputText).toMatch(/^I think this is about/);
  });

  it('holds one connection to its concurrency limit across parallel batches, observed at the server', async () => {
    // Prepare
    const limited = connection('openai', 7, { concurrencyLimit: 3 });
    const shared = runtime(SECRET, createConnectionLimiter());
    const slow = await startModelServer({ apiKey: SECRET, latencyMs: 30 });
    const here = { ...limited, baseUrl: slow.baseUrl('openai') };

    // Act
    const batches = Array.from({ length: 4 }, (_, b) =>
      Promise.all(Array.from({ length: 6 }, (_, i) => run([here], evalCase(`b${b}-${i}`, 'billing'), {}, shared))),
    );
    const results = (await Promise.all(batches)).flat();

    // Assess
    expect(results.every((r) => r.schemaValid)).toBe(true);
    expect(slow.peakInFlight()).toBe(3);
    expect(shared.limiter.peak(`${here.id}#7`)).toBe(3);
    await slow.stop();
  });

  it('fails the run on a refused credential, naming the connection and never the secret', async () => {
    // Prepare
    const wrong = 'sk-wrong-0d9e8f7a6b';

    // Act
    const outcome = run([connection('openai')], evalCase('auth', 'billing'), {}, runtime(wrong)).catch((e) => e);

    // Assess
    const error = (await outcome) as Error;
    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain('local openai (pcn_01JBQ6ZC2W0000000000000001 v1) refused its credential (401)');
    expect(error.message).not.toContain(wrong);
    expect(error.message).not.toContain(SECRET);
  });

  it('fails the run on a missing secret, naming the connection and its reference', async () => {
    // Prepare
    const rt = createProviderRuntime({
      resolveSecret: localSecretResolver({ env: {}, dataDir: '/nonexistent' }),
      allowedHosts: ['127.0.0.1:*'],
    });

    // Act
    const outcome = rt.check([connection('anthropic')]).catch((e) => e);

    // Assess
    expect(((await outcome) as Error).message).toBe(
      'provider connection local anthropic (pcn_01JBQ6ZC2W0000000000000002 v1): its secret env:MODEL_KEY is not set',
    );
  });
});
