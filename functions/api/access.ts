// Per-object authorisation helpers for handlers: load the system an object belongs to and decide on the
// verified principal. A principal that may not read a system gets a 404, so ids of other teams' objects leak nothing.
import {
  assertCanPromote,
  assertCanReadSystem,
  assertCanWriteSystemArtefacts,
  canReadSystem,
} from '../domain/authorization.js';
import { NotFoundError } from '../domain/errors.js';
import type { RelaxationRequest } from '../domain/relaxation.js';
import type { Actor, AiSystem, Principal } from '../domain/types.js';
import type { Page } from '../store/index.js';
import type { Request } from './http.js';

export type Access = 'read' | 'write' | 'promote';

/** Loads the system and asserts the principal's access to it. */
export async function systemFor(req: Request<unknown, unknown>, systemId: string, access: Access): Promise<AiSystem> {
  const system = await req.deps.store.systems.getSystem(systemId);
  assertCanReadSystem(req.principal, system);
  if (access === 'write') assertCanWriteSystemArtefacts(req.principal, system);
  if (access === 'promote') assertCanPromote(req.principal, system);
  return system;
}

/**
 * Loads the system of a child object (prompt, candidate, approval, ...) and asserts access; a principal who may not
 * see the system gets exactly the answer of an id that does not exist, naming the child, never its system.
 */
export async function childAccess(
  req: Request<unknown, unknown>,
  child: { id: string; systemId: string },
  label: string,
  access: Access,
): Promise<AiSystem> {
  try {
    return await systemFor(req, child.systemId, access);
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(`${label} ${child.id} not found`, { id: child.id });
    throw error;
  }
}

/** Keeps only the items of systems the principal may read (lists are queried first, then filtered per object). */
export async function readable<T extends { systemId: string }>(
  req: Request<unknown, unknown>,
  page: Page<T>,
): Promise<Page<T>> {
  const p = req.principal;
  if (p.roles.some((r) => r === 'admin' || r === 'auditor' || r.startsWith('reviewer:'))) return page;
  const ids = [...new Set(page.items.map((i) => i.systemId))];
  const allowed = new Set<string>();
  await Promise.all(
    ids.map(async (id) => {
      const system = await req.deps.store.systems.getSystem(id).catch(() => null);
      if (system && canReadSystem(p, system)) allowed.add(id);
    }),
  );
  return { items: page.items.filter((i) => allowed.has(i.systemId)), nextCursor: page.nextCursor };
}

/** True when the principal sees every system without a per-object check. */
export function seesEverything(p: Principal): boolean {
  return p.roles.some((r) => r === 'admin' || r === 'auditor' || r.startsWith('reviewer:'));
}

/**
 * The answer of a change that may have become a relaxation request: 202 with the request (and its location), or 200
 * with what changed.
 */
export function relaxationOr<T extends object>(
  out: T | { request: RelaxationRequest },
  changed: (out: T) => unknown,
): { status: number; body: unknown; headers?: Record<string, string> } {
  if ('request' in out) {
    return {
      status: 202,
      body: out.request,
      headers: { location: `/api/relaxation-requests/${out.request.id}` },
    };
  }
  return { status: 200, body: changed(out as T) };
}

export const actorOf = (p: Principal): Actor => ({
  userId: p.userId,
  name: p.name,
  roles: p.roles,
  // Not written to the audit log; the store records them as authorship (separation of duties, ADR 0022).
  ...(p.githubLogin ? { githubLogin: p.githubLogin } : {}),
  ...(p.ci ? { ci: p.ci } : {}),
});
