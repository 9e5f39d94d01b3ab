// The registry of versioned, reviewed artefact kinds: what each kind is, independent of storage and transport.
// Every layer has one module that maps each registered kind to its own concern (store: keys, counters and
// indexes; contracts: zod schemas; API: routes by resource; evidence: report inputs), and
// test/unit/domain/artefact-kinds.test.ts fails when one of them lacks a registered kind.
// docs/architecture/new-artefact-kind.md walks the files a new kind touches.
//
// A judge config (`jc_`, ADR 0036) is the first list-valued member: a candidate pins every judge its llm-rubric
// assertions name (`SnapshotListMembership`).
//
// Eval datasets (`ds_`) are versioned too but are not registered here: they have no review lifecycle (immutable
// from creation, never submitted, approved or rejected), a candidate names a set of them rather than exactly one
// version, and the snapshot hash covers their ids only (their cases are hashed into the dataset's own content
// hash at upload). Registering them would change the hash input of every existing snapshot.
import type { IdPrefix } from './id-format.js';

/** The fields a kind contributes to a candidate's snapshot: the pinned version's id and its content hash. */
interface SnapshotMembership {
  readonly idField: string;
  readonly hashField: string;
  /**
   * Whether every candidate must pin a version of this kind. Only the kinds that existed when the first snapshot
   * was taken are required: a new required kind would make every existing candidate `SNAPSHOT_INELIGIBLE`.
   */
  readonly required: boolean;
  readonly list?: false;
}

/**
 * A list-valued member (ADR 0036): a candidate pins any number of versions of the kind (the judge configs its
 * llm-rubric assertions name), held in `listField` as `[{ id, contentHash }]` sorted by id. Never required; an
 * absent or empty list is left out of the snapshot hash, so candidates that pin none keep their hash.
 */
interface SnapshotListMembership {
  readonly list: true;
  /** The field of the candidate request that names the versions (their ids). */
  readonly idsField: string;
  /** The candidate's field: the pinned versions, `{ id, contentHash }`, sorted by id. */
  readonly listField: string;
  readonly required: false;
}

export type SnapshotMember = SnapshotMembership | SnapshotListMembership;

export interface ArtefactKindSpec {
  /** The kind's name in stored items (`itemType`), audit actions and entity types. */
  readonly name: string;
  readonly idPrefix: IdPrefix;
  /** How people call one version, in messages and documents. */
  readonly label: string;
  /** The API collection: `/api/<resource>`. */
  readonly resource: string;
  /** The fields its content hash covers (never bookkeeping: ids, status, timestamps, reviewers). */
  readonly contentFields: readonly string[];
  /** What a candidate pins of it; null when candidates do not pin it. */
  readonly snapshot: SnapshotMember | null;
  /** The field of the compliance report inputs that lists the versions candidates pinned. */
  readonly evidence: string;
}

/** Every registered kind, by name. Order is the order of the snapshot's members in messages. */
export const ARTEFACT_KINDS = {
  prompt: {
    name: 'prompt',
    idPrefix: 'pv',
    label: 'prompt version',
    resource: 'prompts',
    contentFields: ['template', 'variables', 'inputContract', 'outputContract'],
    snapshot: { idField: 'promptVersionId', hashField: 'promptContentHash', required: true },
    evidence: 'prompts',
  },
  model_config: {
    name: 'model_config',
    idPrefix: 'mc',
    label: 'model config',
    resource: 'model-configs',
    contentFields: [
      'provider',
      'model',
      'parameters',
      'timeoutMs',
      'routingPolicy',
      'fallbackPolicy',
      'costRates',
      'lineage',
    ],
    snapshot: { idField: 'modelConfigId', hashField: 'modelConfigContentHash', required: true },
    evidence: 'modelConfigs',
  },
  judge_config: {
    name: 'judge_config',
    idPrefix: 'jc',
    label: 'judge config',
    resource: 'judge-configs',
    contentFields: ['modelConfigId', 'rubricPrompt', 'outputSchema', 'passThreshold'],
    snapshot: { list: true, idsField: 'judgeConfigIds', listField: 'judgeConfigs', required: false },
    evidence: 'judgeConfigs',
  },
} as const satisfies Record<string, ArtefactKindSpec>;

export type ArtefactKindName = keyof typeof ARTEFACT_KINDS;

/** A registry of kinds; the default is ARTEFACT_KINDS, tests pass extended ones. */
export type ArtefactKindRegistry = Readonly<Record<string, ArtefactKindSpec>>;

/** The names of the registered kinds, in registry order. */
export const ARTEFACT_KIND_NAMES = Object.keys(ARTEFACT_KINDS) as ArtefactKindName[];

/** The id prefix of each registered kind's API collection (`prompts` → `pv`). */
export function idPrefixByResource(kinds: ArtefactKindRegistry = ARTEFACT_KINDS): Record<string, IdPrefix> {
  return Object.fromEntries(Object.values(kinds).map((k) => [k.resource, k.idPrefix]));
}

/** The snapshot memberships of the kinds candidates pin, in registry order. */
export function snapshotMembers(kinds: ArtefactKindRegistry = ARTEFACT_KINDS): SnapshotMember[] {
  return Object.values(kinds).flatMap((k) => (k.snapshot ? [k.snapshot] : []));
}

/** The ids of the versions of one member a candidate pins: none, one, or a list's. */
export function pinnedIds(member: SnapshotMember, candidate: object): string[] {
  const fields = candidate as Readonly<Record<string, unknown>>;
  if (member.list) {
    const list = fields[member.listField];
    return Array.isArray(list)
      ? list.flatMap((p) => (typeof (p as { id?: unknown })?.id === 'string' ? [(p as { id: string }).id] : []))
      : [];
  }
  const id = fields[member.idField];
  return typeof id === 'string' ? [id] : [];
}
