// The demo's people and pipeline. The local stack mints its development tokens for these same user ids, so a
// reviewer who signs in as `priya.product` sees the approvals the seed left for the product role.
import type { Actor, Principal, PrincipalRole } from '../functions/domain/types.js';

export interface DemoUser {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly PrincipalRole[];
  /** Owner teams a model owner acts for. */
  readonly teams: readonly string[];
  /** The person's linked GitHub login (the same as local/token.ts demoIdentities gives them); none for the pipeline. */
  readonly githubLogin?: string;
}

export const DEMO_USERS = [
  { id: 'ada.admin', name: 'Ada Admin', roles: ['admin'], teams: [], githubLogin: 'ada-gh' },
  {
    id: 'omar.owner',
    name: 'Omar Owner',
    roles: ['model_owner'],
    teams: ['support-ai', 'claims-ai', 'risk-ai', 'docs-ai'],
    githubLogin: 'omar-gh',
  },
  { id: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'], teams: [], githubLogin: 'tessa-gh' },
  { id: 'tom.technical', name: 'Tom Technical', roles: ['reviewer:technical'], teams: [], githubLogin: 'tom-gh' },
  { id: 'priya.product', name: 'Priya Product', roles: ['reviewer:product'], teams: [], githubLogin: 'priya-gh' },
  { id: 'rahul.risk', name: 'Rahul Risk', roles: ['reviewer:risk'], teams: [], githubLogin: 'rahul-gh' },
  {
    id: 'greta.governance',
    name: 'Greta Governance',
    roles: ['reviewer:governance'],
    teams: [],
    githubLogin: 'greta-gh',
  },
  { id: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'], teams: [], githubLogin: 'aud-gh' },
  { id: 'ci.pipeline', name: 'CI Pipeline', roles: ['pipeline'], teams: [] },
] as const satisfies readonly DemoUser[];

export type DemoUserId = (typeof DEMO_USERS)[number]['id'];

/** The demo user with this id; throws for an id that is not one of them. */
function demoUser(id: DemoUserId): DemoUser {
  const user: DemoUser | undefined = DEMO_USERS.find((u) => u.id === id);
  if (!user) throw new Error(`no demo user ${id}`);
  return user;
}

/** The user as a verified principal; a pipeline principal may act on `systems`. */
export function demoPrincipal(id: DemoUserId, systems: string[] = []): Principal {
  const user = demoUser(id);
  return {
    userId: user.id,
    name: user.name,
    roles: [...user.roles],
    teams: [...user.teams],
    systems,
    ...(user.githubLogin ? { githubLogin: user.githubLogin } : {}),
  };
}

/** The user as the actor an audit event names. */
export function demoActor(id: DemoUserId): Actor {
  const user = demoUser(id);
  return {
    userId: user.id,
    name: user.name,
    roles: [...user.roles],
    ...(user.githubLogin ? { githubLogin: user.githubLogin } : {}),
  };
}
