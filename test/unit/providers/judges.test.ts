// The rubric port of llm-rubric assertions through the official SDKs against the local model server, which answers a
// judge's prompt deterministically: pass iff the output contains none of the words the rubric names in double
// quotes. Every failure of the judge is a failed verdict with its reason, never a thrown error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderConnectionVersion, ProviderKind } from '../../../functions/domain/provider-connections.js';
import {
  DEFAULT_JUDGE_OUTPUT_SCHEMA,
  DEFAULT_RUBRIC_PROMPT,
  type JudgeConfigVersion,
  type ModelConfigVersion,
} from '../../../functions/domain/types.js';
import { createRubricPort, type JudgeSource } from '../../../functions/workflows/judges.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { type ModelServer, startModelServer, type WireFormat } from '../../../local/model-server.js';

const SECRET = 'sk-local-judge-5d1e8a2c';
let server: ModelServer;

beforeAll(async () => {
  server = await startModelServer({ apiKey: SECRET, latencyMs: 5 });
});
afterAll(() => server.stop());

const CONNECTION_IDS: Record<ProviderKind, string> = {
  openai: 'pcn_01JBQ6ZC2W0000000000000J01',
  anthropic: 'pcn_01JBQ6ZC2W0000000000000J02',
  bedrock: 'pcn_01JBQ6ZC2W0000000000000J03',
};

function connection(provider: ProviderKind): ProviderConnectionVersion {
  return {
    id: CONNECTION_IDS[provider],
    name: `local ${provider}`,
    version: 1,
    provider,
    baseUrl: server.baseUrl(provider as WireFormat),
    region: provider === 'bedrock' ? 'us-east-1' : null,
    secretRef: 'env:MODEL_KEY',
    concurrencyLimit: 4,
    changeSummary: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'usr_admin',
  };
}

function modelConfig(provider: ProviderKind, timeoutMs = 2_000): ModelConfigVersion {
  const c = connection(provider);
  return {
    id: `mc_judge_${provider}`,
    systemId: 'sys_1',
    name: 'judge-model',
    version: 1,
    provider,
    model: 'judge-model',
    parameters: { temperature: 0, maxTokens: 200, topP: 1 },
    timeoutMs,
    routingPolicy: {
      strategy: 'single',
      routes: [{ target: provider, weight: 1, connection: { id: c.id, version: c.version } }],
    },
    fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    costRates: { inputPer1k: 0, outputPer1k: 0 },
    lineage: { artifactUri: 'local://judge', trainingDataVersion: 'n/a', codeCommit: 'abc1234' },
    contentHash: 'sha256:mc',
    status: 'approved',
    changeSummary: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'usr_ml',
    submittedAt: '2026-01-01T00:00:00.000Z',
    reviewedBy: 'usr_reviewer',
    reviewComment: null,
  };
}

function judgeConfig(id: string, provider: ProviderKind, extra: Partial<JudgeConfigVersion> = {}): JudgeConfigVersion {
  return {
    id,
    systemId: 'sys_1',
    name: 'no-legal-advice',
    version: 1,
    modelConfigId: `mc_judge_${provider}`,
    rubricPrompt: DEFAULT_RUBRIC_PROMPT,
    outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA,
    passThreshold: null,
    contentHash: 'sha256:jc',
    status: 'approved',
    changeSummary: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'usr_judge_author',
    submittedAt: '2026-01-01T00:00:00.000Z',
    reviewedBy: 'usr_reviewer',
    reviewComment: null,
    ...extra,
  };
}

/** An in-memory registry that counts its reads. */
function source(judges: JudgeConfigVersion[], timeoutMs = 2_000) {
  const reads = { judge: 0, model: 0 };
  const registry: JudgeSource = {
    async judgeConfig(id) {
      reads.judge += 1;
      const found = judges.find((j) => j.id === id);
      if (!found) throw new Error(`judge config ${id} not found`);
      return found;
    },
    async modelConfig(id) {
      reads.model += 1;
      const provider = id.replace('mc_judge_', '') as ProviderKind;
      return modelConfig(provider, timeoutMs);
    },
    async connectionVersions(pins) {
      const all = (['openai', 'anthropic', 'bedrock'] as const).map(connection);
      const found = new Map<string, ProviderConnectionVersion>();
      for (const pin of pins) {
        const c = all.find((x) => x.id === pin.id && x.version === pin.version);
        if (c) found.set(`${pin.id}#${pin.version}`, c);
      }
      return { found, missing: pins.filter((p) => !found.has(`${p.id}#${p.version}`)) };
    },
  };
  return { registry, reads };
}

function runtime(key = SECRET) {
  return createProviderRuntime({
    resolveSecret: localSecretResolver({ env: { MODEL_KEY: key }, dataDir: '/nonexistent' }),
    allowedHosts: ['127.0.0.1:*'],
    sleep: async () => {},
  });
}

const RUBRIC = 'The answer gives no legal advice: it never says "lawyer" or "sue".';

describe('the rubric port of llm-rubric assertions', () => {
  it.each(['openai', 'anthropic', 'bedrock'] as const)(
    'passes an output the %s judge finds none of the rubric words in, and fails one it does, saying why',
    async (provider) => {
      // Prepare
      const { registry } = source([judgeConfig('jc_1', provider)]);
      const rubric = createRubricPort(registry, runtime());

      // Act
      const clean = await rubric({
        judge: 'jc_1',
        rubric: RUBRIC,
        input: { q: 'refund?' },
        output: 'Refunds take 5 days.',
      });
      const advice = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: { q: 'refund?' }, output: 'Ask a Lawyer.' });

      // Assess
      expect(clean).toEqual({ pass: true, score: 1, reason: 'the output contains none of the words the rubric names' });
      expect(advice).toEqual({ pass: false, score: 0, reason: 'the output contains "lawyer"' });
    },
  );

  it('loads each judge once per run however many cases it grades', async () => {
    // Prepare
    const { registry, reads } = source([judgeConfig('jc_1', 'openai')]);
    const rubric = createRubricPort(registry, runtime());

    // Act
    const verdicts = await Promise.all(
      ['a', 'b', 'c'].map((output) => rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output })),
    );

    // Assess
    expect(verdicts.map((v) => v.pass)).toEqual([true, true, true]);
    expect(reads).toEqual({ judge: 1, model: 1 });
  });

  it('fails the case when the judge answers outside its schema, naming the schema', async () => {
    // Prepare
    const { registry } = source([judgeConfig('jc_1', 'openai')]);
    const rubric = createRubricPort(registry, runtime());
    server.fail({ kind: 'ignore-schema' });

    // Act
    const verdict = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });

    // Assess
    expect(verdict.pass).toBe(false);
    expect(verdict.score).toBe(0);
    expect(verdict.reason).toMatch(/did not answer/);
  });

  it('fails the case when the judge answers a JSON object its schema refuses', async () => {
    // Prepare: the judge's schema asks for a member the model server does not fill with a valid value
    const strict = {
      ...DEFAULT_JUDGE_OUTPUT_SCHEMA,
      properties: { ...DEFAULT_JUDGE_OUTPUT_SCHEMA.properties, reason: { type: 'string', minLength: 500 } },
    };
    const { registry } = source([judgeConfig('jc_1', 'openai', { outputSchema: strict })]);
    const rubric = createRubricPort(registry, runtime());

    // Act
    const verdict = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });

    // Assess
    expect(verdict).toEqual({ pass: false, score: 0, reason: 'the judge answered outside its output schema' });
  });

  it('fails the case when the judge call fails or times out', async () => {
    // Prepare
    const { registry } = source([judgeConfig('jc_1', 'openai')], 150);
    const rubric = createRubricPort(registry, runtime());

    // Act
    server.fail({ kind: 'status', status: 400 });
    const refused = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });
    server.fail({ kind: 'delay', ms: 1_000 });
    const slow = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });

    // Assess
    expect(refused.pass).toBe(false);
    expect(refused.reason).toMatch(/did not answer: .*400/);
    expect(slow.pass).toBe(false);
    expect(slow.reason).toMatch(/timed out/);
  });

  it('fails the case, naming the connection and never the secret, when the provider refuses the credential', async () => {
    // Prepare
    const { registry } = source([judgeConfig('jc_1', 'openai')]);
    const rubric = createRubricPort(registry, runtime('sk-wrong-key-000'));

    // Act
    const verdict = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });

    // Assess
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain(CONNECTION_IDS.openai);
    expect(verdict.reason).not.toContain('sk-wrong-key-000');
    expect(verdict.reason).not.toContain(SECRET);
  });

  it('fails the case when the judge config is unknown or not approved', async () => {
    // Prepare
    const { registry } = source([judgeConfig('jc_draft', 'openai', { status: 'draft' })]);
    const rubric = createRubricPort(registry, runtime());

    // Act
    const unknown = await rubric({ judge: 'jc_none', rubric: RUBRIC, input: null, output: 'fine' });
    const draft = await rubric({ judge: 'jc_draft', rubric: RUBRIC, input: null, output: 'fine' });

    // Assess
    expect(unknown).toMatchObject({ pass: false, score: 0 });
    expect(unknown.reason).toContain('jc_none could not be loaded');
    expect(draft).toEqual({
      pass: false,
      score: 0,
      reason: 'judge config jc_draft is draft, not approved: it cannot grade',
    });
  });

  it('passes on the score against the pass threshold when the judge sets one', async () => {
    // Prepare: a judge that answers a score only, with a threshold the model server's 1 meets and its 0 does not
    const scoreOnly = {
      type: 'object',
      properties: { score: { type: 'number', minimum: 0, maximum: 1 }, reason: { type: 'string' } },
      required: ['score'],
      additionalProperties: false,
    };
    const { registry } = source([judgeConfig('jc_1', 'anthropic', { outputSchema: scoreOnly, passThreshold: 0.7 })]);
    const rubric = createRubricPort(registry, runtime());

    // Act
    const clean = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'fine' });
    const advice = await rubric({ judge: 'jc_1', rubric: RUBRIC, input: null, output: 'you should sue' });

    // Assess
    expect(clean).toMatchObject({ pass: true, score: 1 });
    expect(advice).toMatchObject({ pass: false, score: 0, reason: 'the output contains "sue"' });
  });
});
