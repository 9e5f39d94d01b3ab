// Identifiers: a type prefix and a ULID. The one impure convenience of the domain core (clock and randomness),
// kept here so that every other module stays pure and takes ids as inputs. The format itself is in id-format.ts.
import { monotonicFactory, ulid } from 'ulid';
import type { IdPrefix } from './id-format.js';

// Monotonic: ids minted in the same millisecond by one process still sort in the order they were made, which the
// rollback selection relies on to break ties between events with equal timestamps.
const nextUlid = monotonicFactory();

/** A new id such as `rc_01J9Z3...`; `seedTime` (positive ms since the epoch) fixes the time part, for seeds and tests. */
export function newId(prefix: IdPrefix, seedTime?: number): string {
  // ulid reads a seed of 0 as "no seed" and would silently use the clock: refuse it rather than lie.
  if (seedTime !== undefined && !(Number.isSafeInteger(seedTime) && seedTime > 0)) {
    throw new RangeError(`seedTime must be a positive integer of milliseconds, got ${seedTime}`);
  }
  // A seeded id bypasses the monotonic factory, which would otherwise keep the latest time it has seen.
  return `${prefix}_${seedTime === undefined ? nextUlid() : ulid(seedTime)}`;
}
