import { describe, expect, it } from 'vitest';
import {
  MODEL_CONFIG_CONTENT_FIELDS,
  type ModelConfigContent,
  modelConfigContentHash,
  PROMPT_CONTENT_FIELDS,
  type PromptContent,
  promptContentHash,
  type SnapshotInput,
  snapshotHash,
} from '../../../functions/domain/snapshot.js';
import type { ModelConfigVersion, PromptVersion, Threshold } from '../../../functions/domain/types.js';

const promptContent: PromptContent = {
  template: 'Classify: {{ticket}}',
  variables: ['ticket'],
  inputContract: { type: 'object', properties: { ticket: { type: 'string' } } },
  outputContract: { type: 'object', properties: { label: { type: 'string' } } },
};

const modelContent: ModelConfigContent = {
  provider: 'bedrock',
  model: 'claude',
  parameters: { temperature: 0, maxTokens: 256, topP: 1 },
  timeoutMs: 5000,
  routingPolicy: { strategy: 'single', routes: [{ target: 'claude', weight: 1 }] },
  fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
  costRates: { inputPer1k: 0.003, outputPer1k: 0.015 },
  lineage: { artifactUri: 's3://models/claude', trainingDataVersion: 'v3', codeCommit: 'abc123' },
};

const accuracy: Threshold = { metric: 'accuracy', direction: 'min', value: 0.9, regressionTolerance: 0.02 };
const latency: Threshold = { metric: 'latencyP95Ms', direction: 'max', value: 800, regressionTolerance: null };

function snapshot(overrides: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    systemId: 'sys_1',
    environment: 'production',
    promptVersionId: 'pv_1',
    promptContentHash: promptContentHash(promptContent),
    modelConfigId: 'mc_1',
    modelConfigContentHash: modelConfigContentHash(modelContent),
    datasetIds: ['ds_b', 'ds_a'],
    thresholds: [accuracy, latency],
    ...overrides,
  };
}

describe('content hashes of prompt and model config versions', () => {
  it('cover exactly the content-bearing fields', () => {
    // Assess
    expect([...PROMPT_CONTENT_FIELDS].sort()).toEqual(['inputContract', 'outputContract', 'template', 'variables']);
    expect([...MODEL_CONFIG_CONTENT_FIELDS].sort()).toEqual([
      'costRates',
      'fallbackPolicy',
      'lineage',
      'model',
      'parameters',
      'provider',
      'routingPolicy',
      'timeoutMs',
    ]);
  });

  it('ignore ids, status, review fields and timestamps', () => {
    // Prepare
    const draft = { ...promptContent, id: 'pv_1', status: 'draft', createdAt: '2025-01-01T00:00:00Z' };
    const reviewed = { ...promptContent, id: 'pv_2', status: 'approved', reviewedBy: 'bob', contentHash: 'x' };
    const model = { ...modelContent, id: 'mc_9', status: 'in_review', submittedAt: '2025-02-02T00:00:00Z' };

    // Act / Assess
    expect(promptContentHash(draft as unknown as PromptVersion)).toBe(promptContentHash(reviewed as never));
    expect(promptContentHash(draft as never)).toBe(promptContentHash(promptContent));
    expect(modelConfigContentHash(model as unknown as ModelConfigVersion)).toBe(modelConfigContentHash(modelContent));
  });

  it('change when any content-bearing field changes', () => {
    // Act
    const prompts = new Set([
      promptContentHash(promptContent),
      promptContentHash({ ...promptContent, template: 'Classify carefully: {{ticket}}' }),
      promptContentHash({ ...promptContent, variables: ['ticket', 'customer'] }),
      promptContentHash({ ...promptContent, inputContract: {} }),
      promptContentHash({ ...promptContent, outputContract: {} }),
    ]);
    const models = new Set([
      modelConfigContentHash(modelContent),
      modelConfigContentHash({ ...modelContent, model: 'other' }),
      modelConfigContentHash({ ...modelContent, parameters: { ...modelContent.parameters, temperature: 0.1 } }),
      modelConfigContentHash({ ...modelContent, lineage: { ...modelContent.lineage, codeCommit: 'def456' } }),
    ]);

    // Assess
    expect(prompts.size).toBe(5);
    expect(models.size).toBe(4);
    expect(promptContentHash(promptContent)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('snapshot hash of a release candidate', () => {
  it('does not depend on the order of datasets or thresholds', () => {
    // Act
    const a = snapshotHash(snapshot({ datasetIds: ['ds_a', 'ds_b'], thresholds: [accuracy, latency] }));
    const b = snapshotHash(snapshot({ datasetIds: ['ds_b', 'ds_a'], thresholds: [latency, accuracy] }));

    // Assess
    expect(a).toBe(b);
  });

  it('treats thresholds that differ only in tolerance as different snapshots, whatever their order', () => {
    // Prepare
    const loose = { ...accuracy, regressionTolerance: 0.05 };

    // Act
    const a = snapshotHash(snapshot({ thresholds: [accuracy, loose] }));
    const b = snapshotHash(snapshot({ thresholds: [loose, accuracy] }));

    // Assess
    expect(a).toBe(b);
    expect(a).not.toBe(snapshotHash(snapshot({ thresholds: [accuracy, accuracy] })));
  });

  it('changes when any part of the snapshot changes', () => {
    // Act
    const hashes = new Set([
      snapshotHash(snapshot()),
      snapshotHash(snapshot({ systemId: 'sys_2' })),
      snapshotHash(snapshot({ environment: 'staging' })),
      snapshotHash(snapshot({ promptVersionId: 'pv_2' })),
      snapshotHash(snapshot({ promptContentHash: 'sha256:other' })),
      snapshotHash(snapshot({ modelConfigId: 'mc_2' })),
      snapshotHash(snapshot({ modelConfigContentHash: 'sha256:other' })),
      snapshotHash(snapshot({ datasetIds: ['ds_a'] })),
      snapshotHash(snapshot({ thresholds: [{ ...accuracy, value: 0.95 }, latency] })),
    ]);

    // Assess
    expect(hashes.size).toBe(9);
  });

  it('ignores members that are not part of the snapshot and does not reorder the caller’s lists', () => {
    // Prepare
    const input = snapshot();
    const candidateLike = { ...input, id: 'rc_1', status: 'approved', snapshotHash: 'sha256:old' };

    // Act
    const hash = snapshotHash(candidateLike);

    // Assess
    expect(hash).toBe(snapshotHash(input));
    expect(input.datasetIds).toEqual(['ds_b', 'ds_a']);
  });
});
