// Refused promotions and rollbacks are recorded (issue 18 item 4, ADR 0037): when the gate refuses a caller who was
// allowed to ask (authorisation was checked before), the refusal is written to the system's audit chain after the
// fact, in its own transaction, or queued for the outbox drain. The caller's answer is the gate's refusal in every
// case: recording it never changes the 409, and never turns it into a 500.
import { GateBlockedError } from '../domain/errors.js';
import type { Environment, ReleaseCandidate } from '../domain/types.js';
import { actorOf } from './access.js';
import { apiObservability } from './observability.js';
import type { Request } from './route.js';

const { logger } = apiObservability;

/**
 * Runs a promotion or rollback of `candidate`; when the gate refuses it (GateBlockedError), records the refusal and
 * rethrows the refusal. Other failures (403, 404, ACTIVE_RELEASE_CHANGED, validation) pass through unrecorded.
 */
export async function recordingRefusals<T>(
  req: Request<unknown, unknown, unknown>,
  refused: { candidate: ReleaseCandidate; environment: Environment; kind: 'promote' | 'rollback' },
  transition: () => Promise<T>,
): Promise<T> {
  try {
    return await transition();
  } catch (error) {
    if (error instanceof GateBlockedError) await recordRefusal(req, refused, error);
    throw error;
  }
}

async function recordRefusal(
  req: Request<unknown, unknown, unknown>,
  refused: { candidate: ReleaseCandidate; environment: Environment; kind: 'promote' | 'rollback' },
  error: GateBlockedError,
): Promise<void> {
  const { candidate, environment, kind } = refused;
  const idempotencyKey = req.headers['idempotency-key'];
  try {
    const outcome = await req.deps.store.refusals.recordPromotionRefusal(actorOf(req.principal), {
      systemId: candidate.systemId,
      candidateId: candidate.id,
      environment,
      kind,
      reasons: error.reasons,
      refusedAt: req.deps.store.ctx.now().toISOString(),
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    });
    if (outcome.outcome === 'queued') {
      logger.warn('refused promotion queued for the outbox', { candidateId: candidate.id, error: outcome.error });
    } else if (outcome.outcome === 'lost') {
      logger.error('refused promotion not recorded', { candidateId: candidate.id, error: outcome.error });
    }
  } catch (failure) {
    // recordPromotionRefusal does not throw; should it ever, the refusal still stands as the answer.
    logger.error('refused promotion not recorded', { candidateId: candidate.id, error: failure as Error });
  }
}
