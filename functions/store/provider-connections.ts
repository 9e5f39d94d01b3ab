// Provider connections (issue 16) in the table. They belong to no system, so each registration and each new version
// is an audited transition of the organisation chain (ORGANISATION_CHAIN_ID), committed with its audit event in one
// transaction by runUnitOfWork. Versions are immutable items (`PCONN#<id>` / `V#<version>`, written with
// attribute_not_exists); the META beside them holds the latest version and is the list's index entry; a name is
// unique through a guard item. Nothing here holds a secret's value: only the admin's reference to it.
import { ORGANISATION_CHAIN_ID } from '../domain/audit-chain.js';
import { ConflictError, NotFoundError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type {
  ConnectionPin,
  ProviderConnectionInput,
  ProviderConnectionVersion,
} from '../domain/provider-connections.js';
import type { Actor } from '../domain/types.js';
import { pad } from './keys.js';
import { ensureOrganisationChain } from './organisation-chain.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { batchGet, type Item, runUnitOfWork, type StoreContext } from './unit-of-work.js';

/** The keys of connection items: pure, beside the store that alone writes them. */
export const connectionKeys = {
  meta: (id: string) => ({ pk: `PCONN#${id}`, sk: 'META' }),
  version: (id: string, version: number) => ({ pk: `PCONN#${id}`, sk: `V#${pad(version, 6)}` }),
  name: (name: string) => ({ pk: `PCONNNAME#${name.trim().toLowerCase()}`, sk: 'UNIQUE' }),
  /** The list of connections by name: one partition (an organisation registers a handful). */
  listIndex: (name: string, id: string) => ({ gsi1pk: 'PCONNS', gsi1sk: `${name.trim().toLowerCase()}#${id}` }),
} as const;

/** A connection: its latest version's fields and the number of versions. */
export type ProviderConnection = ProviderConnectionVersion & { latestVersion: number };

const VERSION_FIELDS = [
  'id',
  'name',
  'version',
  'provider',
  'baseUrl',
  'region',
  'secretRef',
  'concurrencyLimit',
  'changeSummary',
  'createdAt',
  'createdBy',
] as const satisfies readonly (keyof ProviderConnectionVersion)[];

function toVersion(item: Item): ProviderConnectionVersion {
  const out: Record<string, unknown> = {};
  for (const field of VERSION_FIELDS) out[field] = item[field] ?? null;
  return out as unknown as ProviderConnectionVersion;
}

function toConnection(item: Item): ProviderConnection {
  return { ...toVersion(item), latestVersion: item.latestVersion as number };
}

/** Runs an organisation-chain unit of work, creating the chain's head on first use. */
async function onOrganisationChain<T>(
  ctx: StoreContext,
  actor: Actor,
  preload: Parameters<typeof runUnitOfWork>[3],
  work: Parameters<typeof runUnitOfWork<T>>[4],
) {
  try {
    return await runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, preload, work);
  } catch (error) {
    if (!(error instanceof NotFoundError) || (error.detail as { systemId?: string }).systemId !== ORGANISATION_CHAIN_ID)
      throw error;
    await ensureOrganisationChain(ctx);
    return runUnitOfWork(ctx, ORGANISATION_CHAIN_ID, actor, preload, work);
  }
}

/** Registers a connection at version 1 (`provider_connection.registered` on the organisation chain). */
export async function registerConnection(
  ctx: StoreContext,
  actor: Actor,
  input: ProviderConnectionInput & { name: string; changeSummary: string },
): Promise<ProviderConnection> {
  const id = newId('pcn');
  const { result } = await onOrganisationChain(ctx, actor, [], (tx) => {
    const version: ProviderConnectionVersion = {
      id,
      name: input.name,
      version: 1,
      provider: input.provider,
      baseUrl: input.baseUrl,
      region: input.region,
      secretRef: input.secretRef,
      concurrencyLimit: input.concurrencyLimit,
      changeSummary: input.changeSummary,
      createdAt: tx.now,
      createdBy: actor.userId,
    };
    tx.put(
      { ...connectionKeys.name(input.name), itemType: 'ProviderConnectionName', connectionId: id },
      [{ path: 'pk', op: 'not_exists' }],
      () => new ConflictError(`a provider connection named ${input.name} exists`, { field: 'name' }),
    );
    tx.put({ ...connectionKeys.version(id, 1), itemType: 'ProviderConnectionVersion', ...version });
    tx.put({
      ...connectionKeys.meta(id),
      ...connectionKeys.listIndex(input.name, id),
      itemType: 'ProviderConnection',
      ...version,
      latestVersion: 1,
    });
    tx.audit({
      action: 'provider_connection.registered',
      entityType: 'provider_connection',
      entityId: id,
      after: { ...version },
    });
    return { ...version, latestVersion: 1 };
  });
  return result;
}

/**
 * Adds the next version of a connection (`provider_connection.versioned`). The provider and the name never change;
 * the META's latestVersion is the condition, so two racing changes cannot both become version n + 1.
 */
export async function addConnectionVersion(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: Omit<ProviderConnectionInput, 'provider'> & { changeSummary: string },
): Promise<ProviderConnection> {
  const { result } = await onOrganisationChain(ctx, actor, [connectionKeys.meta(id)], (tx) => {
    const meta = tx.get(connectionKeys.meta(id));
    if (!meta) throw new NotFoundError(`provider connection ${id} not found`, { id });
    const current = toConnection(meta);
    const next: ProviderConnectionVersion = {
      ...toVersion(meta),
      version: current.latestVersion + 1,
      baseUrl: input.baseUrl,
      region: input.region,
      secretRef: input.secretRef,
      concurrencyLimit: input.concurrencyLimit,
      changeSummary: input.changeSummary,
      createdAt: tx.now,
      createdBy: actor.userId,
    };
    tx.put({ ...connectionKeys.version(id, next.version), itemType: 'ProviderConnectionVersion', ...next });
    tx.put(
      {
        ...connectionKeys.meta(id),
        ...connectionKeys.listIndex(current.name, id),
        itemType: 'ProviderConnection',
        ...next,
        latestVersion: next.version,
      },
      [{ path: 'latestVersion', op: '=', value: current.latestVersion }],
    );
    tx.audit({
      action: 'provider_connection.versioned',
      entityType: 'provider_connection',
      entityId: id,
      before: { ...toVersion(meta) },
      after: { ...next },
    });
    return { ...next, latestVersion: next.version };
  });
  return result;
}

/** A connection's latest state, or a 404. */
export async function getConnection(ctx: StoreContext, id: string): Promise<ProviderConnection> {
  const item = await getItem(ctx, connectionKeys.meta(id));
  if (!item) throw new NotFoundError(`provider connection ${id} not found`, { id });
  return toConnection(item);
}

/** One immutable version, or a 404. */
export async function getConnectionVersion(
  ctx: StoreContext,
  id: string,
  version: number,
): Promise<ProviderConnectionVersion> {
  const item = await getItem(ctx, connectionKeys.version(id, version));
  if (!item) throw new NotFoundError(`provider connection ${id} has no version ${version}`, { id, version });
  return toVersion(item);
}

/** The versions pinned by a model config's routes, read in one BatchGetItem; the pins that do not exist are listed. */
export async function connectionVersions(
  ctx: StoreContext,
  pins: readonly ConnectionPin[],
): Promise<{ found: Map<string, ProviderConnectionVersion>; missing: ConnectionPin[] }> {
  const items = await batchGet(
    ctx,
    pins.map((p) => connectionKeys.version(p.id, p.version)),
  );
  const found = new Map<string, ProviderConnectionVersion>();
  const missing: ConnectionPin[] = [];
  for (const pin of pins) {
    const key = connectionKeys.version(pin.id, pin.version);
    const item = items.get(`${key.pk}|${key.sk}`);
    if (item) found.set(pinKey(pin), toVersion(item));
    else missing.push(pin);
  }
  return { found, missing };
}

/** The map key of a pin in `connectionVersions`' answer. */
export const pinKey = (pin: ConnectionPin) => `${pin.id}#${pin.version}`;

/** Connections by name, a page at a time. */
export async function listConnections(ctx: StoreContext, page: PageRequest = {}): Promise<Page<ProviderConnection>> {
  const out = await queryPage<Item>(ctx, { index: 'gsi1', partition: 'PCONNS', ...page });
  return { items: out.items.map(toConnection), nextCursor: out.nextCursor };
}

/** Every version of one connection, oldest first. */
export async function listConnectionVersions(
  ctx: StoreContext,
  id: string,
  page: PageRequest = {},
): Promise<Page<ProviderConnectionVersion>> {
  const out = await queryPage<Item>(ctx, { partition: `PCONN#${id}`, prefix: 'V#', ...page });
  return { items: out.items.map(toVersion), nextCursor: out.nextCursor };
}
