// Per-object authorisation (no BOLA): every decision takes the verified principal and the stored object, never a
// field of the request body. Reads that fail answer 404, not 403, so that another team's ids do not reveal that
// the object exists; a principal who may read but not write gets an honest 403.
import { ForbiddenError, NotFoundError } from './errors.js';
import type { AiSystem, Principal, ReviewerRole } from './types.js';

type SystemRef = Pick<AiSystem, 'id' | 'ownerTeam'>;

function has(principal: Principal, role: Principal['roles'][number]): boolean {
  return principal.roles.includes(role);
}

function ownsTeam(principal: Principal, ownerTeam: string): boolean {
  return has(principal, 'model_owner') && principal.teams.includes(ownerTeam);
}

function pipelineFor(principal: Principal, systemId: string): boolean {
  return has(principal, 'pipeline') && principal.systems.includes(systemId);
}

/** Whether the principal holds `reviewer:<role>`. */
export function hasReviewerRole(principal: Principal, role: ReviewerRole): boolean {
  return has(principal, `reviewer:${role}`);
}

function isReviewer(principal: Principal): boolean {
  return principal.roles.some((role) => role.startsWith('reviewer:'));
}

/** Admins, auditors and reviewers read every system; owners their teams' systems; pipelines their own systems. */
export function canReadSystem(principal: Principal, system: SystemRef): boolean {
  return (
    has(principal, 'admin') ||
    has(principal, 'auditor') ||
    isReviewer(principal) ||
    ownsTeam(principal, system.ownerTeam) ||
    pipelineFor(principal, system.id)
  );
}

/**
 * Admins, auditors and reviewers read the organisation's audit chain (policy transitions, ADR 0024), as they read
 * every system's; owners and pipelines, whose reads are scoped to systems, do not.
 */
export function canReadOrganisationChain(principal: Principal): boolean {
  return has(principal, 'admin') || has(principal, 'auditor') || isReviewer(principal);
}

/** Throws ForbiddenError unless the principal may read the organisation chain (its existence is no secret). */
export function assertCanReadOrganisationChain(principal: Principal): void {
  if (!canReadOrganisationChain(principal))
    throw new ForbiddenError('only admins, auditors and reviewers read the organisation chain');
}

/** Admins, owners of the system's team and pipelines scoped to it may register versions, datasets and candidates. */
export function canWriteSystemArtefacts(principal: Principal, system: SystemRef): boolean {
  return has(principal, 'admin') || ownsTeam(principal, system.ownerTeam) || pipelineFor(principal, system.id);
}

/** Admins, and model owners acting for `ownerTeam`, may register a system owned by that team. */
export function canRegisterSystem(principal: Principal, ownerTeam: string): boolean {
  return has(principal, 'admin') || ownsTeam(principal, ownerTeam);
}

/**
 * Whose metric rollups a principal may read without naming a system: every scope for admins, auditors and
 * reviewers; a model owner their own teams'; a pipeline none (it names its system).
 */
export function canReadTeamMetrics(principal: Principal, ownerTeam: string | undefined): boolean {
  if (has(principal, 'admin') || has(principal, 'auditor') || isReviewer(principal)) return true;
  return ownerTeam !== undefined && ownsTeam(principal, ownerTeam);
}

/** Admins, owners of the system's team and pipelines scoped to it may promote and roll back. */
export function canPromote(principal: Principal, system: SystemRef): boolean {
  return has(principal, 'admin') || ownsTeam(principal, system.ownerTeam) || pipelineFor(principal, system.id);
}

/** Throws NotFoundError (not 403, to hide existence) unless the principal may read the system. */
export function assertCanReadSystem(principal: Principal, system: SystemRef): void {
  if (!canReadSystem(principal, system)) throw new NotFoundError(`system ${system.id} not found`, { id: system.id });
}

/** Throws NotFoundError when the system is invisible to the principal, ForbiddenError when it is read-only. */
export function assertCanWriteSystemArtefacts(principal: Principal, system: SystemRef): void {
  assertCanReadSystem(principal, system);
  if (!canWriteSystemArtefacts(principal, system)) {
    throw new ForbiddenError(`${principal.userId} may not change artefacts of system ${system.id}`, { id: system.id });
  }
}

/** Throws ForbiddenError unless the principal may register a system for `ownerTeam`. */
export function assertCanRegisterSystem(principal: Principal, ownerTeam: string): void {
  if (!canRegisterSystem(principal, ownerTeam)) {
    throw new ForbiddenError(`${principal.userId} may not register systems for team ${ownerTeam}`, { ownerTeam });
  }
}

/** Throws NotFoundError when the system is invisible to the principal, ForbiddenError when it may not promote. */
export function assertCanPromote(principal: Principal, system: SystemRef): void {
  assertCanReadSystem(principal, system);
  if (!canPromote(principal, system)) {
    throw new ForbiddenError(`${principal.userId} may not promote releases of system ${system.id}`, { id: system.id });
  }
}

/** Throws ForbiddenError unless the principal holds `reviewer:<role>`; admin does not imply any reviewer role. */
export function assertReviewerRole(principal: Principal, role: ReviewerRole): void {
  if (!hasReviewerRole(principal, role)) {
    throw new ForbiddenError(`this decision needs the reviewer:${role} role`, { requiredRole: `reviewer:${role}` });
  }
}

function applicationFor(principal: Principal, systemId: string): boolean {
  return has(principal, 'application') && principal.systems.length === 1 && principal.systems[0] === systemId;
}

/** Admins, owners of the system's team, and the application scoped to it post production samples (ADR 0042). */
function canPostSamples(principal: Principal, system: SystemRef): boolean {
  return has(principal, 'admin') || ownsTeam(principal, system.ownerTeam) || applicationFor(principal, system.id);
}

/**
 * Admins and owners of the system's team read its samples and set their redaction and retention: samples are
 * production traffic, which may hold what redaction missed, so reviewers and auditors read the scores, not the text.
 */
function canReadSamples(principal: Principal, system: SystemRef): boolean {
  return has(principal, 'admin') || ownsTeam(principal, system.ownerTeam);
}

/** Throws NotFoundError when the system is invisible to the principal, ForbiddenError when it may not post samples. */
export function assertCanPostSamples(principal: Principal, system: SystemRef): void {
  if (canPostSamples(principal, system)) return;
  assertCanReadSystem(principal, system);
  throw new ForbiddenError(`${principal.userId} may not post samples for system ${system.id}`, { id: system.id });
}

/** Throws NotFoundError when the system is invisible to the principal, ForbiddenError when it may not read samples. */
export function assertCanReadSamples(principal: Principal, system: SystemRef): void {
  assertCanReadSystem(principal, system);
  if (!canReadSamples(principal, system)) {
    throw new ForbiddenError(`only admins and the system's owners read its samples`, { id: system.id });
  }
}
