// Who is signed in: the token's claims, decoded for display and for hiding actions a role may not take. The server
// verifies the token and decides every action; nothing here is a security boundary.
import type { Principal, PrincipalRole, ReviewerRole } from '../../functions/domain/types';
import { PRINCIPAL_ROLES } from '../../functions/domain/types';

function decodeSegment(segment: string): unknown {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v) => typeof v === 'string') : []);

/** The principal as the server would read it (functions/api/auth/verify-token.ts), without verifying anything. */
export function principalFromToken(
  token: string,
): (Principal & { expiresAt: number | null; issuedAt: number | null }) | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  let claims: Record<string, unknown>;
  try {
    claims = decodeSegment(payload) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (typeof claims.sub !== 'string') return null;
  const rawRoles = [...list(claims.roles), ...list(claims['cognito:groups'])].map((r) =>
    r.replace(/^reviewer[-_]/, 'reviewer:'),
  );
  const roles = rawRoles.filter((r): r is PrincipalRole => (PRINCIPAL_ROLES as readonly string[]).includes(r));
  // As the server names a person: `cognito:username` is an opaque id when people sign in with their email.
  const name = [claims.name, claims.email, claims['cognito:username'], claims.username].find(
    (v): v is string => typeof v === 'string',
  );
  const teams = [...list(claims.teams), ...String(claims['custom:teams'] ?? '').split(',')].filter(Boolean);
  const systems = [...list(claims.systems), ...String(claims['custom:systems'] ?? '').split(',')].filter(Boolean);
  return {
    userId: claims.sub,
    name: name ?? claims.sub,
    roles: [...new Set(roles)],
    teams,
    systems,
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
    issuedAt: typeof claims.iat === 'number' ? claims.iat * 1000 : null,
  };
}

export interface SystemRef {
  id: string;
  ownerTeam: string;
}

/** What the dashboard offers a principal; mirrors functions/domain/authorization.ts, the server still decides. */
export const can = {
  registerSystem: (p: Principal) =>
    p.roles.includes('admin') || (p.roles.includes('model_owner') && p.teams.length > 0),
  registerFor: (p: Principal, team: string) =>
    p.roles.includes('admin') || (p.roles.includes('model_owner') && p.teams.includes(team)),
  /** Promote, roll back, build candidates, run evals. */
  operate: (p: Principal, s: SystemRef) =>
    p.roles.includes('admin') ||
    (p.roles.includes('model_owner') && p.teams.includes(s.ownerTeam)) ||
    (p.roles.includes('pipeline') && p.systems.includes(s.id)),
  /**
   * Read a system's production samples and set their redaction and retention (ADR 0042): admins and the owners of
   * its team; reviewers and auditors read the monitoring scores, not the traffic.
   */
  readSamples: (p: Principal, s: SystemRef) =>
    p.roles.includes('admin') || (p.roles.includes('model_owner') && p.teams.includes(s.ownerTeam)),
  decide: (p: Principal, role: ReviewerRole) => p.roles.includes(`reviewer:${role}` as PrincipalRole),
  reviewArtefacts: (p: Principal) => p.roles.includes('reviewer:technical'),
  /** Open, update and resolve incidents: everyone but a read-only auditor. */
  handleIncidents: (p: Principal) => p.roles.some((r) => r !== 'auditor'),
  /** Propose, activate and dry-run policy versions (approving one also needs not to be its author). */
  governPolicy: (p: Principal) => p.roles.includes('admin') || p.roles.includes('reviewer:governance'),
  seeAllAudit: (p: Principal) => p.roles.some((r) => r === 'admin' || r === 'auditor' || r.startsWith('reviewer:')),
  /** POST /api/audit-exports: admins and auditors (functions/domain/audit-export.ts assertCanExportAudit). */
  exportAudit: (p: Principal) => p.roles.includes('admin') || p.roles.includes('auditor'),
};

export function reviewerRoles(p: Principal): ReviewerRole[] {
  return p.roles.filter((r) => r.startsWith('reviewer:')).map((r) => r.slice('reviewer:'.length) as ReviewerRole);
}
