// Versions of the registered artefact kinds (functions/domain/artefact-kinds.ts: prompt versions, model config
// versions and judge config versions): versioned, content-hashed, immutable once submitted. ARTEFACT_STORE is the store's one table of kinds.
import { ARTEFACT_KINDS, type ArtefactKindName } from '../domain/artefact-kinds.js';
import { authorsOf, ciAuthorsForAudit, ciAuthorsOf, separationOfDuties } from '../domain/authorship.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import { artefactContentHash } from '../domain/snapshot.js';
import type {
  Actor,
  AiSystem,
  ArtefactStatus,
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
} from '../domain/types.js';
import { keys, queries, toEntity, type VersionedTag } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

export type PromptInput = Pick<
  PromptVersion,
  'systemId' | 'name' | 'template' | 'variables' | 'inputContract' | 'outputContract' | 'changeSummary'
>;

export type ModelConfigInput = Pick<
  ModelConfigVersion,
  | 'systemId'
  | 'name'
  | 'provider'
  | 'model'
  | 'parameters'
  | 'timeoutMs'
  | 'routingPolicy'
  | 'fallbackPolicy'
  | 'costRates'
  | 'lineage'
  | 'changeSummary'
>;

export type JudgeConfigInput = Pick<
  JudgeConfigVersion,
  'systemId' | 'name' | 'modelConfigId' | 'rubricPrompt' | 'outputSchema' | 'passThreshold' | 'changeSummary'
>;

export type ArtefactKind = ArtefactKindName;

/** The stored version and the registration input of each kind. */
export interface ArtefactTypes {
  prompt: { version: PromptVersion; input: PromptInput };
  model_config: { version: ModelConfigVersion; input: ModelConfigInput };
  judge_config: { version: JudgeConfigVersion; input: JudgeConfigInput };
}

interface ArtefactStoreSpec {
  /** Names the per-name version counter on the system's META and the kind's index partitions. */
  readonly counter: VersionedTag;
  readonly key: (id: string) => { pk: string; sk: string };
  readonly indexes: (systemId: string, name: string, version: number, id: string) => Record<string, string>;
}

/** Where each registered kind lives in the table: item key, index keys and per-name version counter. */
export const ARTEFACT_STORE: { readonly [K in ArtefactKind]: ArtefactStoreSpec } = {
  prompt: { counter: 'PV', key: keys.prompt, indexes: keys.promptIndexes },
  model_config: { counter: 'MC', key: keys.modelConfig, indexes: keys.modelConfigIndexes },
  judge_config: { counter: 'JC', key: keys.judgeConfig, indexes: keys.judgeConfigIndexes },
};

const spec = (kind: ArtefactKind) => ({ ...ARTEFACT_STORE[kind], ...ARTEFACT_KINDS[kind] });

type Artefact = ArtefactTypes[ArtefactKind]['version'];

/** Registers the next version of a named artefact of `kind` of a system; its content hash follows the registry. */
export async function createArtefact<K extends ArtefactKind>(
  ctx: StoreContext,
  actor: Actor,
  kind: K,
  input: ArtefactTypes[K]['input'],
): Promise<ArtefactTypes[K]['version']> {
  type T = ArtefactTypes[K]['version'];
  const s = spec(kind);
  const hash = artefactContentHash(s, input);
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, [], (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    if (system.status === 'retired') throw new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' });
    const counterName = `${s.counter}:${input.name}`;
    const counters = (tx.meta.counters ?? {}) as Record<string, number>;
    const version = (counters[counterName] ?? 0) + 1;
    const id = newId(s.idPrefix);
    const artefact = {
      id,
      ...input,
      version,
      contentHash: hash,
      status: 'draft' as ArtefactStatus,
      createdAt: tx.now,
      createdBy: actor.userId,
      submittedAt: null,
      submittedBy: null,
      ciAuthors: ciAuthorsOf(actor, 'created'),
      reviewedBy: null,
      reviewComment: null,
    } as unknown as T;
    tx.metaSpec.set[`counters.${counterName}`] = version;
    tx.put({ ...s.key(id), ...s.indexes(input.systemId, input.name, version, id), itemType: kind, ...artefact });
    tx.audit({
      action: `${kind}.created`,
      entityType: kind,
      entityId: id,
      after: { name: input.name, version, contentHash: hash, status: 'draft', ...ciAuthorsForAudit(actor, 'created') },
    });
    return artefact;
  });
  return result;
}

/** Registers the next version of a named prompt of a system. */
export function createPrompt(ctx: StoreContext, actor: Actor, input: PromptInput): Promise<PromptVersion> {
  return createArtefact(ctx, actor, 'prompt', input);
}

/** Registers the next version of a named model config of a system. */
export function createModelConfig(
  ctx: StoreContext,
  actor: Actor,
  input: ModelConfigInput,
): Promise<ModelConfigVersion> {
  return createArtefact(ctx, actor, 'model_config', input);
}

/** One prompt version or model config version, or a 404. */
export async function getArtefact<T extends Artefact>(ctx: StoreContext, kind: ArtefactKind, id: string): Promise<T> {
  const item = await getItem(ctx, ARTEFACT_STORE[kind].key(id));
  if (!item) throw new NotFoundError(`${ARTEFACT_KINDS[kind].label} ${id} not found`, { id });
  return toEntity<T>(item);
}

/** Versions of a system (by name, then version), or of every system (newest first). */
export function listArtefacts<T extends Artefact>(
  ctx: StoreContext,
  kind: ArtefactKind,
  filter: { systemId?: string; name?: string },
  page: PageRequest,
): Promise<Page<T>> {
  if (filter.systemId) {
    return queryPage<T>(ctx, {
      ...queries.versionsOfSystem(filter.systemId, ARTEFACT_STORE[kind].counter, filter.name),
      ...page,
    });
  }
  return queryPage<T>(ctx, { ...queries.allOfType(ARTEFACT_STORE[kind].counter), newestFirst: true, ...page });
}

/** Moves a version through review: submit (draft → in_review, frozen from then on), approve or reject. */
export async function transitionArtefact<T extends Artefact>(
  ctx: StoreContext,
  actor: Actor,
  kind: ArtefactKind,
  id: string,
  to: Extract<ArtefactStatus, 'in_review' | 'approved' | 'rejected'>,
  comment: string | null,
): Promise<T> {
  const s = spec(kind);
  const current = await getArtefact<T>(ctx, kind, id);
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, [s.key(id)], (tx) => {
    const item = tx.get(s.key(id));
    if (!item) throw new NotFoundError(`${s.label} ${id} not found`, { id });
    const artefact = toEntity<T>(item);
    assertTransition(kind, artefact.status, to);
    const review = to !== 'in_review';
    // Whoever created or submitted it, or whose GitHub login a pipeline's write of it named, cannot review it.
    const duties = review ? separationOfDuties(authorsOf(kind, artefact), actor) : { allowed: true as const };
    if (!duties.allowed) {
      throw new ForbiddenError(`the author of a ${s.label} cannot review it: ${duties.message}`, {
        code: 'SEPARATION_OF_DUTIES',
        authorship: duties.conflicts,
      });
    }
    const set: Record<string, unknown> = review
      ? { status: to, reviewedBy: actor.userId, reviewComment: comment }
      : {
          status: to,
          submittedAt: tx.now,
          submittedBy: actor.userId,
          ciAuthors: [...(artefact.ciAuthors ?? []), ...ciAuthorsOf(actor, 'submitted')],
        };
    tx.update(s.key(id), {
      set,
      conditions: [
        { path: 'status', op: '=', value: artefact.status },
        { path: 'contentHash', op: '=', value: artefact.contentHash },
      ],
    });
    tx.audit({
      action: `${kind}.${review ? to : 'submitted'}`,
      entityType: kind,
      entityId: id,
      before: { status: artefact.status },
      after: {
        status: to,
        contentHash: artefact.contentHash,
        ...(review ? {} : ciAuthorsForAudit(actor, 'submitted')),
      },
      reason: comment,
    });
    return { ...artefact, ...set } as T;
  });
  return result;
}

/** One prompt version, or a 404. */
export const getPrompt = (ctx: StoreContext, id: string) => getArtefact<PromptVersion>(ctx, 'prompt', id);

/** One model config version, or a 404. */
export const getModelConfig = (ctx: StoreContext, id: string) =>
  getArtefact<ModelConfigVersion>(ctx, 'model_config', id);

/** One judge config version, or a 404. */
export const getJudgeConfig = (ctx: StoreContext, id: string) =>
  getArtefact<JudgeConfigVersion>(ctx, 'judge_config', id);
