import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { buildAuditEvent, GENESIS_HASH } from '../domain/audit-chain.js';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { canonicalJson } from '../domain/hashing.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import { emptyNarrative } from '../domain/model-card.js';
import type { Actor, AiSystem, AuditEvent, ModelCardNarrative, SystemStatus } from '../domain/types.js';
import { buildCondition } from './expressions.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { activePolicyPointer, copyToSystem } from './policies.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { auditItem, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

export type SystemInput = Pick<
  AiSystem,
  | 'name'
  | 'description'
  | 'ownerTeam'
  | 'owner'
  | 'riskTier'
  | 'euAiActCategory'
  | 'domain'
  | 'intendedPurpose'
  | 'dataSources'
  | 'humanOversight'
> & { modelCard?: ModelCardNarrative };

export type SystemPatch = Partial<Omit<SystemInput, 'name' | 'ownerTeam' | 'modelCard'>> & {
  status?: Extract<SystemStatus, 'active' | 'deprecated'>;
  /** Members of the model card narrative to replace; the members left out keep their stored value. */
  modelCard?: Partial<ModelCardNarrative>;
};

/** The largest model card narrative stored on a system (its META item and audit events stay far below 400 KB). */
export const MAX_MODEL_CARD_BYTES = 64 * 1024;

function checkNarrativeSize(card: ModelCardNarrative) {
  if (Buffer.byteLength(canonicalJson(card), 'utf8') > MAX_MODEL_CARD_BYTES) {
    throw new ValidationError(`the model card is larger than ${MAX_MODEL_CARD_BYTES} bytes`, { field: 'modelCard' });
  }
}

const sameValue = (a: unknown, b: unknown) =>
  a === undefined || b === undefined ? a === b : canonicalJson(a) === canonicalJson(b);

/** Registers a system: its META item, its name guard and the first event of its audit chain, in one transaction. */
export async function createSystem(
  ctx: StoreContext,
  actor: Actor,
  input: SystemInput,
): Promise<{ system: AiSystem; events: AuditEvent[] }> {
  const now = ctx.now().toISOString();
  const id = newId('sys');
  if (input.modelCard) checkNarrativeSize(input.modelCard);
  // The policy in force judges the new system from its first promotion (ADR 0023); none before genesis.
  const policy = await activePolicyPointer(ctx);
  const system: AiSystem = {
    id,
    ...input,
    ...(policy ? { policyVersion: policy.version } : {}),
    status: 'draft',
    activeReleases: { staging: null, production: null },
    openIncidents: { low: 0, medium: 0, high: 0, critical: 0 },
    retirementReason: null,
    replacementSystemId: null,
    createdAt: now,
    createdBy: actor.userId,
    updatedAt: now,
    version: 1,
  };
  const event = buildAuditEvent(
    { seq: 0, hash: GENESIS_HASH },
    {
      systemId: id,
      action: 'system.registered',
      entityType: 'system',
      entityId: id,
      actor,
      at: now,
      before: null,
      after: { name: system.name, riskTier: system.riskTier, ownerTeam: system.ownerTeam, status: system.status },
      reason: null,
    },
  );
  const notExists = buildCondition([{ path: 'pk', op: 'not_exists' }]);
  try {
    await ctx.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: ctx.tableName, Item: { ...keys.systemName(input.name), systemId: id }, ...notExists } },
          {
            Put: {
              TableName: ctx.tableName,
              Item: {
                ...keys.system(id),
                ...keys.systemsIndex(input.name, id),
                itemType: 'system',
                ...system,
                auditSeq: event.seq,
                auditHash: event.hash,
                counters: {},
                ...(policy ? { policy: policy.document } : {}),
              },
              ...notExists,
            },
          },
          { Put: { TableName: ctx.tableName, Item: auditItem(event), ...notExists } },
        ],
      }),
    );
  } catch (error) {
    if (
      error instanceof TransactionCanceledException &&
      error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
    ) {
      throw new ConflictError(`a system named "${input.name}" already exists`, { field: 'name' });
    }
    throw error;
  }
  if (ctx.meter) ctx.meter.writes++;
  // An activation that committed while this registration was in flight may have copied its version before this
  // META existed: the registration then takes it itself, under the same never-older condition as the copy.
  const inForce = await activePolicyPointer(ctx);
  if (inForce && inForce.version > (policy?.version ?? 0)) {
    await copyToSystem(ctx, id, inForce.version, inForce.document);
    system.policyVersion = inForce.version;
  }
  return { system, events: [event] };
}

/** The system, or a 404. */
export async function getSystem(ctx: StoreContext, id: string): Promise<AiSystem> {
  const item = await getItem(ctx, keys.system(id));
  if (!item) throw new NotFoundError(`system ${id} not found`, { id });
  return toEntity<AiSystem>(item);
}

/** Systems ordered by name, a page at a time. */
export async function listSystems(ctx: StoreContext, page: PageRequest): Promise<Page<AiSystem>> {
  return queryPage<AiSystem>(ctx, { ...queries.systems(), ...page });
}

/**
 * Changes metadata, risk tier or lifecycle (active/deprecated); name and owner team are fixed. The primitive that
 * applies a patch as given: the API goes through `patchSystem` (relaxations.ts), which turns a lowering of the risk
 * tier or EU AI Act category into a request for a second person instead.
 */
export async function updateSystem(ctx: StoreContext, actor: Actor, id: string, patch: SystemPatch): Promise<AiSystem> {
  const { result } = await runUnitOfWork(ctx, id, actor, [], (tx) => applySystemPatch(tx, id, patch));
  return result;
}

/** Writes a system patch into a unit of work (after the caller's rules); the system as it will be. */
export function applySystemPatch(tx: SystemTx, id: string, patch: SystemPatch): AiSystem {
  const current = toEntity<AiSystem>(tx.meta);
  if (current.status === 'retired')
    throw new ConflictError('a retired system cannot change', { code: 'SYSTEM_RETIRED' });
  if (patch.status && patch.status !== current.status) assertTransition('system', current.status, patch.status);
  const { modelCard: cardPatch, ...fields } = patch;
  const changed = Object.entries(fields).filter(
    ([k, v]) =>
      v !== undefined && JSON.stringify(v) !== JSON.stringify((current as unknown as Record<string, unknown>)[k]),
  );
  // The model card is merged member by member; its audit event names only the members that changed.
  const storedCard: ModelCardNarrative = { ...emptyNarrative(), ...current.modelCard };
  const cardChanges = Object.entries(cardPatch ?? {}).filter(
    ([k, v]) => v !== undefined && !sameValue(v, (storedCard as unknown as Record<string, unknown>)[k]),
  );
  if (changed.length === 0 && cardChanges.length === 0) throw new ValidationError('the patch changes nothing');
  const before: Record<string, unknown> = Object.fromEntries(
    changed.map(([k]) => [k, (current as unknown as Record<string, unknown>)[k]]),
  );
  const after: Record<string, unknown> = Object.fromEntries(changed);
  const set: Record<string, unknown> = { ...after };
  if (cardChanges.length > 0) {
    const card = { ...storedCard, ...Object.fromEntries(cardChanges) } as ModelCardNarrative;
    checkNarrativeSize(card);
    set.modelCard = card;
    before.modelCard = Object.fromEntries(
      cardChanges.map(([k]) => [k, (storedCard as unknown as Record<string, unknown>)[k]]),
    );
    after.modelCard = Object.fromEntries(cardChanges);
  }
  Object.assign(tx.metaSpec.set, set);
  const riskChanged = 'riskTier' in after;
  tx.audit({
    action: riskChanged ? 'system.risk_tier_changed' : 'system.updated',
    entityType: 'system',
    entityId: id,
    before,
    after,
  });
  return { ...current, ...set, updatedAt: tx.now, version: current.version + 1 } as AiSystem;
}

/**
 * Retires a system; refused while a release is active unless a replacement system is named. A replacement the
 * caller may not read (`visible` says no) is refused exactly as one that does not exist, so the refusal reveals
 * nothing about systems the caller cannot see.
 */
export async function retireSystem(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: { reason: string; replacementSystemId?: string | null },
  visible: (replacement: AiSystem) => boolean = () => true,
): Promise<AiSystem> {
  const replacementId = input.replacementSystemId ?? null;
  if (replacementId === id)
    throw new ValidationError('a system cannot replace itself', { field: 'replacementSystemId' });
  const preload = replacementId ? [keys.system(replacementId)] : [];
  const { result } = await runUnitOfWork(ctx, id, actor, preload, (tx) => {
    const current = toEntity<AiSystem>(tx.meta);
    assertTransition('system', current.status, 'retired');
    const active = Object.values(current.activeReleases).filter(Boolean);
    if (replacementId) {
      const replacement = tx.get(keys.system(replacementId));
      if (!replacement || replacement.status === 'retired' || !visible(toEntity<AiSystem>(replacement))) {
        throw new ValidationError('the replacement system does not exist or is retired', {
          field: 'replacementSystemId',
        });
      }
      tx.check(keys.system(replacementId), [{ path: 'status', op: '<>', value: 'retired' }]);
    } else if (active.length > 0) {
      throw new ConflictError('the system has an active release; name a replacement system to retire it', {
        code: 'ACTIVE_RELEASE_PRESENT',
        activeReleases: current.activeReleases,
      });
    }
    Object.assign(tx.metaSpec.set, {
      status: 'retired',
      retirementReason: input.reason,
      replacementSystemId: replacementId,
    });
    tx.audit({
      action: 'system.retired',
      entityType: 'system',
      entityId: id,
      before: { status: current.status },
      after: { status: 'retired', replacementSystemId: replacementId },
      reason: input.reason,
    });
    return {
      ...current,
      status: 'retired' as const,
      retirementReason: input.reason,
      replacementSystemId: replacementId,
      updatedAt: tx.now,
      version: current.version + 1,
    };
  });
  return result;
}
