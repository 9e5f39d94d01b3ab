// The `similar` assertion against the local model server: the openai SDK's embeddings call (base64, decoded by the
// SDK) through the provider runtime, the connection version read through the store port, and every failure turned
// into a failed assertion with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreAssertions } from '../../../functions/domain/eval/assertions.js';
import type { ProviderConnectionVersion } from '../../../functions/domain/provider-connections.js';
import type { Assertion } from '../../../functions/domain/types.js';
import { similarityThroughConnections } from '../../../functions/workflows/assertion-services.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { localEmbedding, type ModelServer, startModelServer } from '../../../local/model-server.js';

const SECRET = 'sk-local-unit-similar-4d2b';
let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({ apiKey: SECRET, latencyMs: 1 });
});
afterAll(() => server.stop());

const connection = (): ProviderConnectionVersion => ({
  id: 'pcn_01JBQ6ZC2W0000000000000009',
  name: 'local openai',
  version: 1,
  provider: 'openai',
  baseUrl: server.baseUrl('openai'),
  region: null,
  secretRef: 'env:MODEL_KEY',
  concurrencyLimit: 2,
  changeSummary: '',
  createdAt: '2026-01-01T00:00:00.000Z',
  createdBy: 'usr_admin',
});

function services(key = SECRET) {
  const c = connection();
  const store = {
    providerConnections: {
      connectionVersions: async (pins: readonly { id: string; version: number }[]) => ({
        found: new Map(pins.filter((p) => p.id === c.id && p.version === 1).map((p) => [`${p.id}#${p.version}`, c])),
        missing: pins.filter((p) => p.id !== c.id || p.version !== 1),
      }),
    },
  } as unknown as Parameters<typeof similarityThroughConnections>[0];
  const runtime = createProviderRuntime({
    resolveSecret: localSecretResolver({ env: { MODEL_KEY: key }, dataDir: '/nonexistent' }),
    allowedHosts: ['127.0.0.1:*'],
  });
  return { similarity: similarityThroughConnections(store, runtime) };
}

const similar = (value: string, threshold = 0.75, version = 1): Assertion => ({
  type: 'similar',
  value,
  threshold,
  connection: { id: 'pcn_01JBQ6ZC2W0000000000000009', version },
  model: 'text-embedding-local',
});
const subject = (text: string) => ({ text, latencyMs: 1, costUsd: 0, input: {} });

describe('similar against the local model server', () => {
  it('passes for texts sharing their words and fails for unrelated ones, scoring the cosine', async () => {
    // Act
    const [same, other] = await scoreAssertions(
      [similar('Your refund was approved today'), similar('The weather in Lisbon is mild')],
      subject('your refund was approved today'),
      services(),
    );
    // Assess
    expect(same).toMatchObject({ pass: true });
    expect(same?.score).toBeCloseTo(1, 5);
    expect(other).toMatchObject({ pass: false });
    expect(other?.score).toBeLessThan(0.3);
  });

  it('the local embedding is a normalised hashed bag of words', () => {
    const v = localEmbedding('Refund refund approved');
    let norm = 0;
    for (const x of v) norm += x * x;
    expect(v).toHaveLength(256);
    expect(norm).toBeCloseTo(1, 5);
    expect(localEmbedding('')).toEqual(new Float32Array(256));
  });

  it('a refused credential or an unknown connection version fails the assertion with the reason, not the run', async () => {
    const [refused] = await scoreAssertions([similar('x')], subject('x'), services('wrong-key'));
    expect(refused).toMatchObject({ pass: false });
    expect(refused?.reason).toContain('credential refused (401)');
    expect(refused?.reason).not.toContain('wrong-key');
    const [missing] = await scoreAssertions([similar('x', 0.75, 9)], subject('x'), services());
    expect(missing?.reason).toContain('no provider connection version');
  });
});
