// Governance events on this machine: a second reader of DynamoDB Local's stream (as the publisher Lambda is a
// second consumer of the table stream in AWS), filtered to audit items, publishes each committed audit event to an
// in-process bus; the webhook dispatcher and the metric rollup consumer subscribe to it. Deliveries run beside the pump, so a slow receiver
// never holds the stream back; `idle()` waits for them (tests).
import { join } from 'node:path';
import type { GovernanceEvent } from '../functions/domain/events.js';
import { createWebhookDispatcher, type DispatchOutcome, type RetryPolicy } from '../functions/events/dispatcher.js';
import { eventsOfRecords } from '../functions/events/publisher.js';
import { consumeForRollups } from '../functions/events/rollup-consumer.js';
import type { GovernanceStore } from '../functions/store/index.js';
import type { SecretCipher } from '../functions/store/webhook-secrets.js';
import { isAuditRecord } from './audit-archive.js';
import { type StreamPump, startStreamPump } from './stream-pump.js';

type EventListener = (event: GovernanceEvent) => unknown;

interface LocalEventBus {
  publish(event: GovernanceEvent): void;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void;
  /** The last 1,000 events published, oldest first. */
  recent: GovernanceEvent[];
  /** Resolves once every listener's work on events published so far has settled. */
  idle(): Promise<void>;
}

/** An in-process bus: listeners run concurrently, each failure is logged and never reaches the publisher. */
function createLocalEventBus(log: (line: string) => void = () => undefined): LocalEventBus {
  const listeners = new Set<EventListener>();
  const pending = new Set<Promise<unknown>>();
  const recent: GovernanceEvent[] = [];
  return {
    recent,
    publish(event) {
      recent.push(event);
      if (recent.length > 1000) recent.shift();
      for (const listener of listeners) {
        const work = Promise.resolve()
          .then(() => listener(event))
          .catch((error: unknown) => log(`event ${event.id}: a listener failed: ${(error as Error).message}`));
        pending.add(work);
        void work.finally(() => pending.delete(work));
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}

export interface LocalEventsOptions {
  dynamoEndpoint: string;
  tableName: string;
  store: GovernanceStore;
  /** Decrypts the subscriptions' signing secrets (the local key file's cipher). */
  webhookSecrets: SecretCipher;
  dataDir: string;
  /** Hosts webhooks may be delivered to (default 127.0.0.1 and localhost, any port). */
  allowedHosts: readonly string[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface LocalEvents {
  bus: LocalEventBus;
  pump: StreamPump;
  /** Outcomes of the webhook deliveries so far (last 1,000). */
  deliveries: DispatchOutcome[];
  /** Waits until every event committed before the call is published and its deliveries have settled. */
  settle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the event publisher (stream pump -> bus) and the webhook dispatcher on the bus. */
export async function startLocalEvents(options: LocalEventsOptions): Promise<LocalEvents> {
  const log = options.log ?? (() => undefined);
  const bus = createLocalEventBus(log);
  const deliveries: DispatchOutcome[] = [];
  // Stopping ends the waits between retries at once and starts no further attempt.
  const stopping = new AbortController();
  const sleep = (ms: number) =>
    new Promise<void>((done) => {
      const onAbort = () => {
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(() => {
        stopping.signal.removeEventListener('abort', onAbort);
        done();
      }, ms);
      stopping.signal.addEventListener('abort', onAbort, { once: true });
    });
  const dispatcher = createWebhookDispatcher({
    store: {
      ...options.store.webhooks,
      webhookTargets: () => options.store.webhooks.webhookTargets(options.webhookSecrets),
    },
    allowedHosts: options.allowedHosts,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    signal: stopping.signal,
    sleep,
    log,
  });
  bus.subscribe(async (event) => {
    for (const outcome of await dispatcher.dispatch(event)) {
      deliveries.push(outcome);
      if (deliveries.length > 1000) deliveries.shift();
    }
  });
  // Metric rollups (ADR 0043): each event applied once to its day, as the rollup consumer Lambda does in AWS.
  bus.subscribe((event) => consumeForRollups((e) => options.store.rollups.applyRollupEvent(e), event));
  const pump = await startStreamPump({
    endpoint: options.dynamoEndpoint,
    tableName: options.tableName,
    filter: isAuditRecord,
    deadLetterFile: join(options.dataDir, 'events-dead-letter.jsonl'),
    log,
    handler: async (event) => {
      for (const { event: governanceEvent } of eventsOfRecords(event.Records, log)) bus.publish(governanceEvent);
      return { batchItemFailures: [] };
    },
  });
  return {
    bus,
    pump,
    deliveries,
    async settle(timeoutMs = 30_000) {
      await pump.drain(timeoutMs);
      await bus.idle();
    },
    async stop() {
      await pump.stop();
      stopping.abort();
      await bus.idle();
    },
  };
}
