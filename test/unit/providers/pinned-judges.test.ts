// The rubric wiring of eval runs (ADR 0039): the assertion services a run scores with grade llm-rubric assertions
// only with the judge config versions its candidate pins, with the content they had when pinned, through the
// provider runtime of the judge's model config (the local model server here). Every refusal is a failed assertion
// with its reason; nothing throws.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreAssertions } from '../../../functions/domain/eval/assertions.js';
import type { ProviderConnectionVersion } from '../../../functions/domain/provider-connections.js';
import {
  type Assertion,
  DEFAULT_JUDGE_OUTPUT_SCHEMA,
  DEFAULT_RUBRIC_PROMPT,
  type JudgeConfigVersion,
  type ModelConfigVersion,
} from '../../../functions/domain/types.js';
import { assertionServicesFor } from '../../../functions/workflows/assertion-services.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { type ModelServer, startModelServer } from '../../../local/model-server.js';

const SECRET = 'sk-local-pinned-judges-41a7';
let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer({ apiKey: SECRET, latencyMs: 1 });
});
afterAll(() => server.stop());

const CONNECTION = 'pcn_01JBQ6ZC2W0000000000000P01';

function connection(): ProviderConnectionVersion {
  return {
    id: CONNECTION,
    name: 'local',
    version: 1,
    provider: 'openai',
    baseUrl: server.baseUrl('openai'),
    region: null,
    secretRef: 'env:MODEL_KEY',
    concurrencyLimit: 4,
    changeSummary: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'usr_admin',
  };
}

const MODEL = {
  id: 'mc_judge',
  systemId: 'sys_1',
  name: 'judge-model',
  version: 1,
  provider: 'openai',
  model: 'judge-model',
  parameters: { temperature: 0, maxTokens: 200, topP: 1 },
  timeoutMs: 2_000,
  routingPolicy: {
    strategy: 'single',
    routes: [{ target: 'local', weight: 1, connection: { id: CONNECTION, version: 1 } }],
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
} as ModelConfigVersion;

function judge(id: string, extra: Partial<JudgeConfigVersion> = {}): JudgeConfigVersion {
  return {
    id,
    systemId: 'sys_1',
    name: 'no-legal-advice',
    version: 1,
    modelConfigId: MODEL.id,
    rubricPrompt: DEFAULT_RUBRIC_PROMPT,
    outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA,
    passThreshold: null,
    contentHash: `sha256:${id}`,
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

const STRICT_SCHEMA = {
  ...DEFAULT_JUDGE_OUTPUT_SCHEMA,
  properties: { ...DEFAULT_JUDGE_OUTPUT_SCHEMA.properties, reason: { type: 'string', minLength: 500 } },
};

/** The registry the services read: judges by id, the one model config, the one connection. */
function registry(judges: JudgeConfigVersion[]) {
  return {
    artefacts: {
      getJudgeConfig: async (id: string) => {
        const found = judges.find((j) => j.id === id);
        if (!found) throw new Error(`judge config ${id} not found`);
        return found;
      },
      getModelConfig: async () => MODEL,
    },
    providerConnections: {
      connectionVersions: async () => ({ found: new Map([[`${CONNECTION}#1`, connection()]]), missing: [] }),
    },
  } as unknown as Parameters<typeof assertionServicesFor>[0];
}

const runtime = () =>
  createProviderRuntime({
    resolveSecret: localSecretResolver({ env: { MODEL_KEY: SECRET }, dataDir: '/nonexistent' }),
    allowedHosts: ['127.0.0.1:*'],
    sleep: async () => {},
  });

const rubric = (judgeId: string): Assertion => ({
  type: 'llm-rubric',
  value: 'The answer never says "lawyer".',
  judge: judgeId,
  name: 'no-legal-advice',
});
const subject = (text: string) => ({ text, latencyMs: 1, costUsd: 0, input: {} });

describe('the rubric wiring of eval runs', () => {
  it('grades with a judge the candidate pins, through its model config on the provider runtime', async () => {
    // Prepare
    const pinned = judge('jc_1');
    const services = assertionServicesFor(registry([pinned]), undefined, runtime(), {
      judgeConfigs: [{ id: 'jc_1', contentHash: pinned.contentHash, modelConfigId: MODEL.id }],
    });

    // Act
    const [clean] = await scoreAssertions([rubric('jc_1')], subject('Section 4 applies.'), services);
    const [advice] = await scoreAssertions([rubric('jc_1')], subject('Ask a lawyer.'), services);

    // Assess
    expect(clean).toMatchObject({ type: 'llm-rubric', name: 'no-legal-advice', pass: true, score: 1 });
    expect(advice).toMatchObject({ pass: false, score: 0, reason: 'the output contains "lawyer"' });
  });

  it('fails the assertion with the reason, never throwing, when the pinned judge answers outside its schema', async () => {
    // Prepare
    const strict = judge('jc_strict', { outputSchema: STRICT_SCHEMA });
    const services = assertionServicesFor(registry([strict]), undefined, runtime(), {
      judgeConfigs: [{ id: 'jc_strict', contentHash: strict.contentHash, modelConfigId: MODEL.id }],
    });

    // Act
    const results = await scoreAssertions(
      [rubric('jc_strict'), { type: 'contains', value: 'Section', name: 'cites' }],
      subject('Section 4 applies.'),
      services,
    );

    // Assess
    expect(results).toEqual([
      {
        type: 'llm-rubric',
        name: 'no-legal-advice',
        pass: false,
        score: 0,
        reason: 'the judge answered outside its output schema',
      },
      expect.objectContaining({ type: 'contains', name: 'cites', pass: true }),
    ]);
  });

  it('refuses a judge the snapshot does not pin, or whose content differs from the pinned hash', async () => {
    // Prepare: jc_2 is approved but not pinned; jc_1 is pinned with another hash than it has
    const services = assertionServicesFor(registry([judge('jc_1'), judge('jc_2')]), undefined, runtime(), {
      judgeConfigs: [{ id: 'jc_1', contentHash: 'sha256:other', modelConfigId: MODEL.id }],
    });

    // Act
    const [unpinned] = await scoreAssertions([rubric('jc_2')], subject('fine'), services);
    const [changed] = await scoreAssertions([rubric('jc_1')], subject('fine'), services);

    // Assess
    expect(unpinned).toMatchObject({ pass: false, score: 0 });
    expect(unpinned?.reason).toContain("jc_2 is not pinned in the candidate's snapshot");
    expect(changed).toMatchObject({ pass: false, score: 0 });
    expect(changed?.reason).toContain('does not have the content hash its candidate pinned');
  });

  it('leaves llm-rubric without a judge service when the process has no provider runtime', async () => {
    // Prepare
    const services = assertionServicesFor(registry([judge('jc_1')]), undefined, undefined, { judgeConfigs: [] });

    // Act
    const [result] = await scoreAssertions([rubric('jc_1')], subject('fine'), services);

    // Assess
    expect(services.rubric).toBeUndefined();
    expect(result).toMatchObject({ pass: false, reason: 'no judge service in this deployment' });
  });
});
