// The one format of identifiers: a kind prefix, an underscore and a ULID (26 characters of Crockford base32).
// Pure and import-free, so contracts (shared with the CLI and the dashboard), the API and OpenAPI use the same text.

/** Prefix per kind of object: system, prompt version, model config, dataset, candidate, eval run, approval,
 * incident, promotion event, rollback record, webhook subscription, provider connection. */
export const ID_PREFIXES = ['sys', 'pv', 'mc', 'ds', 'rc', 'run', 'apr', 'inc', 'prm', 'rb', 'whk', 'pcn'] as const;
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
