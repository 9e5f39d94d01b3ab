// Content and snapshot hashes. A hash covers what the artefact says, never its bookkeeping (ids, status,
// timestamps, reviewers), so a review or a re-read never changes it and two equal contents always hash equal.
import { canonicalJson, contentHash } from './hashing.js';
import type { Environment, ModelConfigVersion, PromptVersion, Threshold } from './types.js';

/** The fields of a prompt version that its content hash covers. */
export const PROMPT_CONTENT_FIELDS = ['template', 'variables', 'inputContract', 'outputContract'] as const;

/** The fields of a model config version that its content hash covers. */
export const MODEL_CONFIG_CONTENT_FIELDS = [
  'provider',
  'model',
  'parameters',
  'timeoutMs',
  'routingPolicy',
  'fallbackPolicy',
  'costRates',
  'lineage',
] as const;

export type PromptContent = Pick<PromptVersion, (typeof PROMPT_CONTENT_FIELDS)[number]>;
export type ModelConfigContent = Pick<ModelConfigVersion, (typeof MODEL_CONFIG_CONTENT_FIELDS)[number]>;

export interface SnapshotInput {
  systemId: string;
  environment: Environment;
  promptVersionId: string;
  promptContentHash: string;
  modelConfigId: string;
  modelConfigContentHash: string;
  datasetIds: readonly string[];
  thresholds: readonly Threshold[];
}

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = value[key];
  return picked;
}

/** Content hash of a prompt version over PROMPT_CONTENT_FIELDS only; extra members of `fields` are ignored. */
export function promptContentHash(fields: PromptContent): string {
  return contentHash(pick(fields, PROMPT_CONTENT_FIELDS));
}

/** Content hash of a model config version over MODEL_CONFIG_CONTENT_FIELDS only; extra members are ignored. */
export function modelConfigContentHash(fields: ModelConfigContent): string {
  return contentHash(pick(fields, MODEL_CONFIG_CONTENT_FIELDS));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Hash of a release candidate's snapshot: the exact versions, their content hashes, datasets and thresholds. */
export function snapshotHash(input: SnapshotInput): string {
  // Datasets and thresholds are sets: their order in a request must not make a different snapshot. Code-unit order
  // of canonical JSON (not localeCompare) keeps the hash independent of the runtime's locale.
  const datasetIds = [...input.datasetIds].sort(compareText);
  const thresholds = input.thresholds
    .map((t) => ({
      metric: t.metric,
      direction: t.direction,
      value: t.value,
      regressionTolerance: t.regressionTolerance ?? null,
    }))
    .map((t) => ({ t, key: canonicalJson(t) }))
    .sort((a, b) => compareText(a.key, b.key))
    .map(({ t }) => t);
  return contentHash({
    systemId: input.systemId,
    environment: input.environment,
    promptVersionId: input.promptVersionId,
    promptContentHash: input.promptContentHash,
    modelConfigId: input.modelConfigId,
    modelConfigContentHash: input.modelConfigContentHash,
    datasetIds,
    thresholds,
  });
}
