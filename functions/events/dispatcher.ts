// The webhook dispatcher: for one governance event, every subscription whose filter and system match (and that
// existed when the event committed) gets a signed POST. Each attempt is logged; a failed attempt (non-2xx, timeout,
// connection error, a redirect) is retried with exponential backoff up to a bounded number of attempts; a URL
// outside the allowed hosts is refused before any connection and never retried. Deliveries are at least once: a
// redelivered event already delivered to a subscription is skipped, and receivers deduplicate on `webhook-id`. A
// signing secret that does not decrypt for its subscription (a ciphertext moved from another item) refuses the
// delivery, never retried; a failure to reach the key service fails it, so the queue retries.
import { type GovernanceEvent, matchesEventFilter } from '../domain/events.js';
import { SecretDecryptionError } from '../store/webhook-secrets.js';
import type { DeliveryAttempt, WebhookTarget } from '../store/webhooks.js';
import { signWebhook } from './signature.js';
import { checkWebhookUrl } from './target.js';

interface WebhookLog {
  webhookTargets(): Promise<WebhookTarget[]>;
  recordDelivery(attempt: DeliveryAttempt): Promise<void>;
  wasDelivered(webhookId: string, eventId: string): Promise<boolean>;
  markDelivered(webhookId: string, eventId: string): Promise<void>;
}

export interface RetryPolicy {
  /** Attempts per dispatch, the first included. */
  attempts: number;
  /** Wait before the second attempt; doubled for each further one. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 1_000, maxMs: 30_000 };
const DEFAULT_TIMEOUT_MS = 10_000;

export interface DispatcherOptions {
  store: WebhookLog;
  allowedHosts: readonly string[];
  retry?: RetryPolicy;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  /** Aborted when the process stops: no further attempt is started (the local stack's stop). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface DispatchOutcome {
  webhookId: string;
  outcome: DeliveryAttempt['outcome'] | 'already_delivered';
  attempts: number;
}

/** The wait before attempt `attempt + 1`. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
}

/** Whether a subscription receives an event: its filter, its system, and it existed when the event committed. */
function subscribes(target: WebhookTarget, event: GovernanceEvent): boolean {
  if (target.systemId !== null && target.systemId !== event.systemId) return false;
  if (Date.parse(target.createdAt) > Date.parse(event.time)) return false;
  return matchesEventFilter(event.type, target.events);
}

const defaultSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export function createWebhookDispatcher(options: DispatcherOptions) {
  const retry = options.retry ?? DEFAULT_RETRY;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetchImpl ?? fetch;
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const log = options.log ?? (() => undefined);

  /** One POST; the attempt as it goes into the log (without nextRetryAt). */
  async function attemptOnce(
    target: WebhookTarget,
    event: GovernanceEvent,
    body: string,
    attempt: number,
    secret: string,
  ) {
    const base = { webhookId: target.id, eventId: event.id, eventType: event.type, attempt };
    const check = checkWebhookUrl(target.url, options.allowedHosts);
    if (!check.ok) {
      const at = now().toISOString();
      return { ...base, outcome: 'refused', statusCode: null, error: check.reason, latencyMs: null, at } as const;
    }
    const sentAt = now();
    const timestamp = Math.floor(sentAt.getTime() / 1000);
    const started = performance.now();
    try {
      const response = await fetchImpl(check.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'governance-webhooks/1',
          'webhook-id': event.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(secret, event.id, timestamp, body),
        },
        body,
      });
      await response.body?.cancel().catch(() => undefined);
      const latencyMs = Math.round(performance.now() - started);
      const ok = response.status >= 200 && response.status < 300;
      return {
        ...base,
        outcome: ok ? 'delivered' : 'failed',
        statusCode: response.status,
        error: ok ? null : `the receiver answered ${response.status}`,
        latencyMs,
        at: sentAt.toISOString(),
      } as const;
    } catch (error) {
      const latencyMs = Math.round(performance.now() - started);
      const cause = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorText(error);
      return {
        ...base,
        outcome: 'failed',
        statusCode: null,
        error: cause,
        latencyMs,
        at: sentAt.toISOString(),
      } as const;
    }
  }

  /** Delivers one event to one subscription, with retries; `firstAttempt` numbers attempts across queue rounds. */
  async function deliver(target: WebhookTarget, event: GovernanceEvent, firstAttempt = 1): Promise<DispatchOutcome> {
    if (await options.store.wasDelivered(target.id, event.id))
      return { webhookId: target.id, outcome: 'already_delivered', attempts: 0 };
    const body = JSON.stringify(event);
    let secret: string;
    try {
      secret = await target.signingSecret();
    } catch (error) {
      const refused = error instanceof SecretDecryptionError;
      const reason = refused ? 'the signing secret does not decrypt for this subscription' : errorText(error);
      await options.store.recordDelivery({
        webhookId: target.id,
        eventId: event.id,
        eventType: event.type,
        attempt: firstAttempt,
        outcome: refused ? 'refused' : 'failed',
        statusCode: null,
        error: `${refused ? '' : 'the signing secret could not be read: '}${reason}`,
        latencyMs: null,
        at: now().toISOString(),
        nextRetryAt: null,
      });
      log(`webhook ${target.id}: event ${event.id} not sent: its signing secret could not be read`);
      return { webhookId: target.id, outcome: refused ? 'refused' : 'failed', attempts: 1 };
    }
    for (let i = 0; i < retry.attempts; i++) {
      const attempt = firstAttempt + i;
      const result = await attemptOnce(target, event, body, attempt, secret);
      const last = result.outcome !== 'failed' || i === retry.attempts - 1;
      const wait = last ? 0 : backoffMs(retry, i + 1);
      await options.store.recordDelivery({
        ...result,
        nextRetryAt: last ? null : new Date(now().getTime() + wait).toISOString(),
      });
      if (result.outcome === 'delivered') await options.store.markDelivered(target.id, event.id);
      if (last || options.signal?.aborted) {
        if (result.outcome !== 'delivered')
          log(`webhook ${target.id}: event ${event.id} ${result.outcome} after ${i + 1} attempt(s): ${result.error}`);
        return { webhookId: target.id, outcome: result.outcome, attempts: i + 1 };
      }
      await sleep(wait);
      if (options.signal?.aborted) {
        log(`webhook ${target.id}: event ${event.id} not retried: the dispatcher stopped`);
        return { webhookId: target.id, outcome: 'failed', attempts: i + 1 };
      }
    }
    /* c8 ignore next */
    throw new Error('unreachable');
  }

  return {
    deliver,
    /** Delivers an event to every subscription that wants it, concurrently. */
    async dispatch(event: GovernanceEvent, firstAttempt = 1): Promise<DispatchOutcome[]> {
      const targets = (await options.store.webhookTargets()).filter((t) => subscribes(t, event));
      return Promise.all(targets.map((t) => deliver(t, event, firstAttempt)));
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;

function errorText(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return (cause ? `${e.message}: ${cause}` : e.message).slice(0, 500);
}
