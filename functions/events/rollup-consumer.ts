// The rollup consumer (ADR 0043): each governance event the bus delivers is applied to the daily metric rollups,
// after its transition committed and outside its transaction. The bus may deliver an event twice (EventBridge and
// SQS are at-least-once); the store's mark keyed by the event's chain position makes the second a no-op.
import type { GovernanceEvent } from '../domain/events.js';
import type { ApplyOutcome, RollupEvent } from '../store/rollups.js';

/** The rollup view of a governance event (null for the organisation chain's, which rollups do not count). */
function rollupEventOf(event: GovernanceEvent): RollupEvent | null {
  if (event.systemId === null) return null;
  return {
    systemId: event.systemId,
    seq: event.audit.seq,
    action: event.type,
    at: event.time,
    after: event.data.after,
  };
}

/** Applies one governance event; 'ignored' for the actions rollups do not count. */
export async function consumeForRollups(
  apply: (event: RollupEvent) => Promise<ApplyOutcome>,
  event: GovernanceEvent,
): Promise<ApplyOutcome> {
  const rollupEvent = rollupEventOf(event);
  return rollupEvent ? apply(rollupEvent) : 'ignored';
}
