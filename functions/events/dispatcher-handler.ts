// Lambda entry: webhook delivery from the SQS queue that the bus's webhook rule fills (message body = the
// EventBridge event, whose `detail` is the governance event). Attempts within one receive are bounded and spaced
// by backoff; a message whose deliveries still fail is reported as a batch item failure, so SQS makes it visible
// again after its visibility timeout and, after maxReceiveCount receives, moves it to the dead-letter queue.
// The first invocation of a container runs the migration that seals secrets still stored in plain (recorded once
// per table; docs/runbooks/webhook-secrets.md): an invocation with no records runs it on demand.
// Env: TABLE_NAME, WEBHOOK_ALLOWED_HOSTS, WEBHOOK_SECRETS_KEY_ID.

import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { GovernanceEvent } from '../domain/events.js';
import { createObservability, observed, recordsCorrelationId, warnLines } from '../observability/index.js';
import { sharedDocumentClient } from '../store/client.js';
import { tableNameFromEnv } from '../store/config.js';
import { secretCipherFromEnv } from '../store/kms-secret-cipher.js';
import { encryptWebhookSecrets } from '../store/migrations/encrypt-webhook-secrets.js';
import { runMigrations } from '../store/migrations/index.js';
import type { StoreContext } from '../store/unit-of-work.js';
import * as webhooks from '../store/webhooks.js';
import { createWebhookDispatcher, DEFAULT_RETRY, type WebhookDispatcher } from './dispatcher.js';
import { allowedHostsFromEnv } from './target.js';

/** Attempts per receive: with 10 s timeouts and 1, 2 s waits, well inside the function's timeout. */
export const ATTEMPTS_PER_RECEIVE = 3;

const { logger, metrics } = createObservability('webhook-dispatcher');
let dispatcher: WebhookDispatcher | undefined;

async function dispatchMessages(event: SQSEvent): Promise<SQSBatchResponse> {
  if (!dispatcher) {
    // The webhooks module alone, not the whole store: a smaller bundle and cold start.
    const ctx: StoreContext = {
      doc: sharedDocumentClient(),
      tableName: tableNameFromEnv(process.env),
      now: () => new Date(),
    };
    const secrets = secretCipherFromEnv(process.env);
    try {
      const log = (line: string) => logger.info(line);
      await runMigrations({ ...ctx, log, webhookSecrets: secrets }, [encryptWebhookSecrets]);
    } catch (error) {
      // Deliveries go on: webhookTargets seals any plaintext secret it meets; the next cold start tries again.
      logger.error('the migration of webhook secrets failed', { error: error as Error });
    }
    dispatcher = createWebhookDispatcher({
      store: {
        webhookTargets: () => webhooks.webhookTargets(ctx, secrets),
        recordDelivery: (attempt) => webhooks.recordDelivery(ctx, attempt),
        wasDelivered: (webhookId, eventId) => webhooks.wasDelivered(ctx, webhookId, eventId),
        markDelivered: (webhookId, eventId) => webhooks.markDelivered(ctx, webhookId, eventId),
      },
      allowedHosts: allowedHostsFromEnv(process.env),
      retry: { ...DEFAULT_RETRY, attempts: ATTEMPTS_PER_RECEIVE },
      log: warnLines(logger),
    });
  }
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    // Each message is its own piece of work: its lines carry its id.
    logger.setCorrelationId(record.messageId);
    try {
      const governanceEvent = (JSON.parse(record.body) as { detail: GovernanceEvent }).detail;
      const receives = Number(record.attributes.ApproximateReceiveCount ?? '1');
      const outcomes = await dispatcher.dispatch(governanceEvent, (receives - 1) * ATTEMPTS_PER_RECEIVE + 1);
      if (outcomes.some((o) => o.outcome === 'failed')) failures.push({ itemIdentifier: record.messageId });
    } catch (error) {
      logger.error('webhook dispatch failed', { messageId: record.messageId, error: error as Error });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

export const handler = observed(dispatchMessages, { logger, metrics, correlationId: recordsCorrelationId });
