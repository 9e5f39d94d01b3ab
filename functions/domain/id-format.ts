// The one format of identifiers: a kind prefix, an underscore and a ULID (26 characters of Crockford base32).
// Pure and import-free, so contracts (shared with the CLI and the dashboard), the API and OpenAPI use the same text.

/** Prefix per kind of object: system, prompt version, model config, dataset, candidate, eval run, approval,
 * incident, promotion event, rollback record, webhook subscription, policy dry run, relaxation request, provider
 * connection, judge config version, rollback request, production sample, audit export. */
export const ID_PREFIXES = [
  'sys',
  'pv',
  'mc',
  'ds',
  'rc',
  'run',
  'apr',
  'inc',
  'prm',
  'rb',
  'whk',
  'pdr',
  'rlx',
  'pcn',
  'jc',
  'rrq',
  'smp',
  'aex',
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

/** The ULID part of an id, as regular-expression source: Crockford base32 (no I, L, O, U), 26 characters. */
export const ULID_SOURCE = '[0-9A-HJKMNP-TV-Z]{26}';

/** Regular-expression source of a whole id of kind `prefix`, anchored (OpenAPI `pattern`). */
export function idPatternSource(prefix: string): string {
  return `^${prefix}_${ULID_SOURCE}$`;
}

/** A regular expression that matches exactly the ids of kind `prefix`. */
export function idPattern(prefix: string): RegExp {
  return new RegExp(idPatternSource(prefix));
}

/**
 * The id of the organisation-level audit chain (issue 15): governance transitions that belong to no one system
 * (policy versions, their approvals and activations) are chained here, archived, digested and verified like a
 * system's chain. No system id can equal it (ids are `sys_` and a ULID), and no API route takes it as a system; the
 * audit routes take it as a chain (`GET /api/audit-events?systemId=org`, ADR 0024).
 */
export const ORGANISATION_CHAIN_ID = 'org';

/** Whether a chain id names the organisation chain rather than a system's. */
export function isOrganisationChain(chainId: string): boolean {
  return chainId === ORGANISATION_CHAIN_ID;
}
