// Names first, ids second (ADR 0045). A person's display name is the one their ID token carried when they acted
// (`name`, else `email`), as the record of the act kept it: an audit event's actor, an approval's reviewerName, a
// request's requestedBy. The product keeps no directory of people; where a record holds only a user id, the name
// comes from the system's audit chain, whose events name every actor.
import { useQuery } from '@tanstack/react-query';
import type { AuditEvent } from '../../functions/domain/types';
import { api, type Page } from './api';
import { useSession } from './session';

/** Audit events read to learn the names of a system's people: its newest, where the people acting now are. */
const NAME_PAGES = 5;
const NAME_PAGE_SIZE = 100;

/** The latest name each actor of a system's audit chain acted under, newest events first. */
async function namesOfSystem(systemId: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor: string | null = null;
  for (let i = 0; i < NAME_PAGES; i++) {
    const page: Page<AuditEvent> = await api.get<Page<AuditEvent>>('/api/audit-events', {
      systemId,
      order: 'desc',
      limit: NAME_PAGE_SIZE,
      cursor: cursor ?? undefined,
    });
    for (const e of page.items) if (!names.has(e.actor.userId)) names.set(e.actor.userId, e.actor.name);
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return names;
}

/** The display names a system's audit chain knows (empty while loading, or when the caller may not read it). */
function useNames(systemId: string | null | undefined): Map<string, string> {
  const names = useQuery({
    queryKey: ['people', systemId],
    queryFn: () => namesOfSystem(systemId as string),
    enabled: Boolean(systemId),
    staleTime: 5 * 60_000,
    retry: false,
  });
  return names.data ?? EMPTY;
}

const EMPTY = new Map<string, string>();

/**
 * A person: their display name, with their user id beside it, smaller. `name` when the record carries one;
 * otherwise the signed-in user's own, or the name the system's audit chain knows; the id alone when none does.
 */
export function Person({
  id,
  name,
  systemId,
}: {
  id: string | null | undefined;
  name?: string | null;
  systemId?: string | null;
}) {
  const { principal } = useSession();
  const known = useNames(name ? null : systemId);
  if (!id) return <span className="muted">—</span>;
  const display = name ?? (principal?.userId === id ? principal.name : known.get(id)) ?? null;
  if (display === null || display === id) return <code className="person-id">{id}</code>;
  return (
    <span className="person">
      {display} <code className="person-id muted small">{id}</code>
    </span>
  );
}
