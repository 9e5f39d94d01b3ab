// Content and snapshot hashes. A hash covers what the artefact says, never its bookkeeping (ids, status,
// timestamps, reviewers), so a review or a re-read never changes it and two equal contents always hash equal.
import {
  ARTEFACT_KINDS,
  type ArtefactKindName,
  type ArtefactKindRegistry,
  type ArtefactKindSpec,
  snapshotMembers,
} from './artefact-kinds.js';
import { canonicalJson, contentHash } from './hashing.js';
import type {
  Environment,
  JudgeConfigVersion,
  ModelConfigVersion,
  PinnedVersion,
  PromptVersion,
  Threshold,
} from './types.js';

/** The fields of a prompt version that its content hash covers. */
export const PROMPT_CONTENT_FIELDS = ARTEFACT_KINDS.prompt.contentFields;

/** The fields of a model config version that its content hash covers. */
export const MODEL_CONFIG_CONTENT_FIELDS = ARTEFACT_KINDS.model_config.contentFields;

/** The fields of a judge config version that its content hash covers. */
const JUDGE_CONFIG_CONTENT_FIELDS = ARTEFACT_KINDS.judge_config.contentFields;

export type PromptContent = Pick<PromptVersion, (typeof PROMPT_CONTENT_FIELDS)[number]>;
export type ModelConfigContent = Pick<ModelConfigVersion, (typeof MODEL_CONFIG_CONTENT_FIELDS)[number]>;
export type JudgeConfigContent = Pick<JudgeConfigVersion, (typeof JUDGE_CONFIG_CONTENT_FIELDS)[number]>;

type Membership<K extends ArtefactKindName> = (typeof ARTEFACT_KINDS)[K]['snapshot'];
type MemberField<Required extends boolean> = {
  [K in ArtefactKindName]: Membership<K> extends { required: Required; idField: infer I; hashField: infer H }
    ? I | H
    : never;
}[ArtefactKindName] &
  string;

type ListField = {
  [K in ArtefactKindName]: Membership<K> extends { list: true; listField: infer L } ? L : never;
}[ArtefactKindName] &
  string;

/** The id and content hash of each registered kind a candidate pins; optional kinds may be absent. */
type SnapshotMemberFields = { [F in MemberField<true>]: string } & {
  [F in MemberField<false>]?: string | null;
} & { [F in ListField]?: readonly PinnedVersion[] | null };

export type SnapshotInput = SnapshotMemberFields & {
  systemId: string;
  environment: Environment;
  datasetIds: readonly string[];
  thresholds: readonly Threshold[];
};

function pick<T extends object, K extends keyof T>(value: T, keys: readonly K[]): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = value[key];
  return picked;
}

/** Content hash of a version of `kind` over the kind's content fields only; other members are ignored. */
export function artefactContentHash(kind: Pick<ArtefactKindSpec, 'contentFields'>, fields: object): string {
  return contentHash(pick(fields as Record<string, unknown>, kind.contentFields));
}

/** Content hash of a prompt version over PROMPT_CONTENT_FIELDS only; extra members of `fields` are ignored. */
export function promptContentHash(fields: PromptContent): string {
  return artefactContentHash(ARTEFACT_KINDS.prompt, fields);
}

/** Content hash of a model config version over MODEL_CONFIG_CONTENT_FIELDS only; extra members are ignored. */
export function modelConfigContentHash(fields: ModelConfigContent): string {
  return artefactContentHash(ARTEFACT_KINDS.model_config, fields);
}

/** Content hash of a judge config version over JUDGE_CONFIG_CONTENT_FIELDS only; extra members are ignored. */
export function judgeConfigContentHash(fields: JudgeConfigContent): string {
  return artefactContentHash(ARTEFACT_KINDS.judge_config, fields);
}

/** A list member's versions as a snapshot holds them: `{ id, contentHash }` only, once per id, sorted by id. */
export function pinnedList(versions: readonly PinnedVersion[]): PinnedVersion[] {
  const byId = new Map(versions.map((v) => [v.id, { id: v.id, contentHash: v.contentHash }]));
  return [...byId.values()].sort((a, b) => compareText(a.id, b.id));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The snapshot members' ids and hashes as the hash input holds them. A required kind's fields are always there (as
 * before the registry); an optional kind a candidate does not pin is left out, so registering a kind never changes
 * the hash of a snapshot taken before it existed. A list member (judge configs) is there only when it names at
 * least one version, as `[{ id, contentHash }]` sorted by id: the order a request named them in does not matter.
 */
function memberFields(input: SnapshotInput, kinds: ArtefactKindRegistry): Record<string, unknown> {
  const fields = input as unknown as Readonly<Record<string, unknown>>;
  const members: Record<string, unknown> = {};
  for (const member of snapshotMembers(kinds)) {
    if (member.list) {
      const list = fields[member.listField] as readonly PinnedVersion[] | null | undefined;
      if (list && list.length > 0) members[member.listField] = pinnedList(list);
      continue;
    }
    const { idField, hashField, required } = member;
    if (!required && fields[idField] == null) continue;
    members[idField] = fields[idField];
    members[hashField] = fields[hashField];
  }
  return members;
}

/** Hash of a release candidate's snapshot: the exact versions, their content hashes, datasets and thresholds. */
export function snapshotHash(input: SnapshotInput, kinds: ArtefactKindRegistry = ARTEFACT_KINDS): string {
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
    ...memberFields(input, kinds),
    datasetIds,
    thresholds,
  });
}
