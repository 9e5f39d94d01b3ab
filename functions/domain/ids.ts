// Identifiers: a type prefix and a ULID. The one impure convenience of the domain core (clock and randomness),
// kept here so that every other module stays pure and takes ids as inputs.
import { monotonicFactory, ulid } from 'ulid';

/** Prefix per kind of object: system, prompt version, model config, dataset, candidate, eval run, approval,
 * incident, promotion event, rollback record. */
export const ID_PREFIXES = ['sys', 'pv', 'mc', 'ds', 'rc', 'run', 'apr', 'inc', 'prm', 'rb'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

// Monotonic: ids minted in the same millisecond by one process still sort in the order they were made, which the
// rollback selection relies on to break ties between events with equal timestamps.
const nextUlid = monotonicFactory();

// Crockford base32, 26 characters, first character at most 7 (48-bit time).
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** A new id such as `rc_01J9Z3...`; `seedTime` (positive ms since the epoch) fixes the time part, for seeds and tests. */
export function newId(prefix: IdPrefix, seedTime?: number): string {
  // ulid reads a seed of 0 as "no seed" and would silently use the clock: refuse it rather than lie.
  if (seedTime !== undefined && !(Number.isSafeInteger(seedTime) && seedTime > 0)) {
    throw new RangeError(`seedTime must be a positive integer of milliseconds, got ${seedTime}`);
  }
  // A seeded id bypasses the monotonic factory, which would otherwise keep the latest time it has seen.
  return `${prefix}_${seedTime === undefined ? nextUlid() : ulid(seedTime)}`;
}

/** Whether `value` is a well-formed id of kind `prefix`. */
export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith(`${prefix}_`)) return false;
  return ULID_PATTERN.test(value.slice(prefix.length + 1));
}
