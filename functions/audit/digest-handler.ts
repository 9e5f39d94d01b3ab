// Lambda entry: the digest writer, on an EventBridge schedule (every interval, also when nothing arrived).
// Env: AUDIT_BUCKET, AUDIT_SIGNING_KEY_ID.
import type { ScheduledEvent } from 'aws-lambda';
import { createObservability, eventBridgeCorrelationId, observed, warnLines } from '../observability/index.js';
import { writeDigest } from './digest.js';
import { archiveFromEnv, signerFromEnv } from './env.js';

const { logger, metrics } = createObservability('audit-digest');

export const handler = observed(
  async (_event: ScheduledEvent | undefined) => {
    const result = await writeDigest({ archive: archiveFromEnv(), signer: signerFromEnv(), log: warnLines(logger) });
    logger.info('audit digest written', { auditDigest: result });
    return result;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
