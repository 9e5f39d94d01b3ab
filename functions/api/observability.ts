// The API's logger, metrics buffer and governance meter, one set per container (each API module is its own Lambda;
// POWERTOOLS_SERVICE_NAME names it `api-<module>` in AWS, `api` locally). The HTTP middleware stack sets the
// correlation id from the API Gateway request id and flushes the buffer once per request (observe()).
import { ActiveReleaseChangedError, GateBlockedError } from '../domain/errors.js';
import { createObservability, type GovernanceMeter } from '../observability/index.js';

export const apiObservability = createObservability('api');

/** The reason codes of a refused promotion or rollback (the gate's, or the expected active release's), else none. */
function refusalReasons(error: unknown): string[] {
  if (error instanceof GateBlockedError || error instanceof ActiveReleaseChangedError) {
    const reasons = (error.detail as { reasons?: { code: string }[] }).reasons ?? [];
    return reasons.map((reason) => reason.code);
  }
  return [];
}

/**
 * Runs a promotion or rollback and counts it: promoted (by environment and kind) when it commits, refused by
 * reason code when the gate or the active-release precondition said no. Other failures are not refusals.
 */
export async function measuredTransition<T>(
  meter: Pick<GovernanceMeter, 'promoted' | 'promotionRefused'>,
  kind: 'promote' | 'rollback',
  transition: () => Promise<T>,
  environmentOf: (out: T) => string,
): Promise<T> {
  try {
    const out = await transition();
    meter.promoted(environmentOf(out), kind);
    return out;
  } catch (error) {
    const reasons = refusalReasons(error);
    if (reasons.length > 0) meter.promotionRefused(reasons);
    throw error;
  }
}
