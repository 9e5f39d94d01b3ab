// Prompt versions and model config versions: versioned, content-hashed, immutable once submitted.
import { ConflictError, ForbiddenError, NotFoundError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import { modelConfigContentHash, promptContentHash } from '../domain/snapshot.js';
import type { Actor, AiSystem, ArtefactStatus, ModelConfigVersion, PromptVersion } from '../domain/types.js';
import { keys, queries, toEntity } from './keys.js';
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

export type ArtefactKind = 'prompt' | 'model_config';

const spec = {
  prompt: { prefix: 'pv', counter: 'PV', key: keys.prompt, indexes: keys.promptIndexes, label: 'prompt version' },
  model_config: {
    prefix: 'mc',
    counter: 'MC',
    key: keys.modelConfig,
    indexes: keys.modelConfigIndexes,
    label: 'model config',
  },
} as const;

type Artefact = PromptVersion | ModelConfigVersion;

async function createArtefact<T extends Artefact>(
  ctx: StoreContext,
  actor: Actor,
  kind: ArtefactKind,
  input: PromptInput | ModelConfigInput,
  hash: string,
): Promise<T> {
  const s = spec[kind];
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, [], (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    if (system.status === 'retired') throw new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' });
    const counterName = `${s.counter}:${input.name}`;
    const counters = (tx.meta.counters ?? {}) as Record<string, number>;
    const version = (counters[counterName] ?? 0) + 1;
    const id = newId(s.prefix);
    const artefact = {
      id,
      ...input,
      version,
      contentHash: hash,
      status: 'draft' as ArtefactStatus,
      createdAt: tx.now,
      createdBy: actor.userId,
      submittedAt: null,
      reviewedBy: null,
      reviewComment: null,
    } as unknown as T;
    tx.metaSpec.set[`counters.${counterName}`] = version;
    tx.put({ ...s.key(id), ...s.indexes(input.systemId, input.name, version, id), itemType: kind, ...artefact });
    tx.audit({
      action: `${kind}.created`,
      entityType: kind,
      entityId: id,
      after: { name: input.name, version, contentHash: hash, status: 'draft' },
    });
    return artefact;
  });
  return result;
}

/** Registers the next version of a named prompt of a system. */
export function createPrompt(ctx: StoreContext, actor: Actor, input: PromptInput): Promise<PromptVersion> {
  return createArtefact<PromptVersion>(ctx, actor, 'prompt', input, promptContentHash(input));
}

/** Registers the next version of a named model config of a system. */
export function createModelConfig(
  ctx: StoreContext,
  actor: Actor,
  input: ModelConfigInput,
): Promise<ModelConfigVersion> {
  return createArtefact<ModelConfigVersion>(ctx, actor, 'model_config', input, modelConfigContentHash(input));
}

/** One prompt version or model config version, or a 404. */
export async function getArtefact<T extends Artefact>(ctx: StoreContext, kind: ArtefactKind, id: string): Promise<T> {
  const item = await getItem(ctx, spec[kind].key(id));
  if (!item) throw new NotFoundError(`${spec[kind].label} ${id} not found`, { id });
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
      ...queries.versionsOfSystem(filter.systemId, spec[kind].counter, filter.name),
      ...page,
    });
  }
  return queryPage<T>(ctx, { ...queries.allOfType(spec[kind].counter), newestFirst: true, ...page });
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
  const s = spec[kind];
  const current = await getArtefact<T>(ctx, kind, id);
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, [s.key(id)], (tx) => {
    const item = tx.get(s.key(id));
    if (!item) throw new NotFoundError(`${s.label} ${id} not found`, { id });
    const artefact = toEntity<T>(item);
    assertTransition(kind, artefact.status, to);
    const review = to !== 'in_review';
    if (review && artefact.createdBy === actor.userId) {
      throw new ForbiddenError(`the author of a ${s.label} cannot review it`, { code: 'SEPARATION_OF_DUTIES' });
    }
    const set: Record<string, unknown> = review
      ? { status: to, reviewedBy: actor.userId, reviewComment: comment }
      : { status: to, submittedAt: tx.now };
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
      after: { status: to, contentHash: artefact.contentHash },
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
