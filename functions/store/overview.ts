import { NotFoundError } from '../domain/errors.js';
import {
  REPORTING_WINDOW_DAYS,
  type RegistrySummary,
  registryRow,
  reportingDeadlinesComingDue,
} from '../domain/overview.js';
import type { AiSystem, ReleaseCandidate } from '../domain/types.js';
import { openReportingClocks } from './incidents.js';
import { keys, queries, toEntity } from './keys.js';
import { policyOfMeta } from './policy-in-force.js';
import { queryAll } from './query.js';
import { batchGet, type Item, type StoreContext } from './unit-of-work.js';

/**
 * The registry's state now for the systems a request names (ADR 0048): bounded by the request, never by the
 * registry. One BatchGetItem of the named systems' METAs (their active releases, their per-severity counters of
 * unresolved incidents, their copy of the policy in force); a NotFoundError for the first one that does not exist or
 * that `visible` refuses, before any candidate is read; else, for each one, one Query of its own candidates partition (counts, and the newest activation for its review due date, functions/domain/review.ts).
 * Serious-incident reporting deadlines come from one bounded Query of the open clocks due within the window
 * (gsi2 `INCCLOCK#open`, sorted by deadline, at most 500 read), kept when `visible` accepts their system (one
 * BatchGetItem of those systems' METAs). No Query of every system, candidate or run.
 */
export async function registrySummary(
  ctx: StoreContext,
  request: { systemIds: readonly string[]; visible: (system: AiSystem) => boolean },
): Promise<RegistrySummary> {
  const now = ctx.now();
  const [metas, clocks] = await Promise.all([
    metasOf(ctx, request.systemIds),
    openReportingClocks(ctx, new Date(now.getTime() + REPORTING_WINDOW_DAYS * 86_400_000)),
  ]);
  // A named system that does not exist, or that the caller may not read, is a 404 naming it, as everywhere (ADR 0003).
  const named = request.systemIds.map((id) => {
    const meta = metas.get(id);
    if (!meta || !request.visible(toEntity<AiSystem>(meta))) throw new NotFoundError(`system ${id} not found`, { id });
    return meta;
  });
  const rows = await Promise.all(
    named.map(async (meta) => {
      const system = toEntity<AiSystem>(meta);
      const candidates = await queryAll<ReleaseCandidate>(ctx, queries.candidatesOfSystem(system.id));
      return registryRow(system, candidates, now, policyOfMeta(meta));
    }),
  );
  // The clocks' systems: those already read for the rows, the others in one more batch.
  const clockSystems = await metasOf(
    ctx,
    clocks.items.map((c) => c.systemId).filter((id) => !metas.has(id)),
  );
  for (const [id, meta] of metas) clockSystems.set(id, meta);
  const names = new Map<string, string>();
  for (const [id, meta] of clockSystems) {
    const system = toEntity<AiSystem>(meta);
    if (request.visible(system)) names.set(id, system.name);
  }
  return {
    systems: rows,
    reportingDeadlines: reportingDeadlinesComingDue(
      clocks.items.filter((c) => names.has(c.systemId)),
      names,
      now,
    ),
  };
}

/** The METAs of the systems, by id (absent ids left out), in BatchGetItems of at most 100 keys. */
async function metasOf(ctx: StoreContext, ids: readonly string[]): Promise<Map<string, Item>> {
  if (ids.length === 0) return new Map();
  const found = await batchGet(
    ctx,
    ids.map((id) => keys.system(id)),
  );
  const out = new Map<string, Item>();
  for (const item of found.values()) out.set(String(item.id), item);
  return out;
}
