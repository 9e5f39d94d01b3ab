// Webhook subscriptions and their delivery log. A subscription's signing secret is generated here, returned once by
// createWebhook and otherwise read only by the dispatcher (webhookTargets); it never leaves through the API again.
// The table is encrypted with the customer-managed key, as every other item. Delivery attempts expire after 30 days.
import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { monotonicFactory } from 'ulid';
import { NotFoundError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { Actor } from '../domain/types.js';
import { buildCondition } from './expressions.js';
import { keys, queries } from './keys.js';
import { allPages, type Page } from './pagination.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import type { StoreContext } from './unit-of-work.js';

export interface WebhookSubscription {
  id: string;
  url: string;
  /** Event filters: `*`, exact types, or prefixes such as `release.*`. */
  events: string[];
  /** Only this system's events; null for every system. */
  systemId: string | null;
  /** The owner team of `systemId` when it was created: who besides admins may read and delete it. */
  ownerTeam: string | null;
  description: string | null;
  createdAt: string;
  createdBy: string;
}

/** What the dispatcher needs: the subscription and its signing secret. */
export interface WebhookTarget extends WebhookSubscription {
  secret: string;
}

export interface WebhookInput {
  url: string;
  events: string[];
  systemId: string | null;
  ownerTeam: string | null;
  description: string | null;
}

export interface DeliveryAttempt {
  webhookId: string;
  eventId: string;
  eventType: string;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'refused';
  statusCode: number | null;
  error: string | null;
  latencyMs: number | null;
  at: string;
  /** When the next attempt is due; null when there is none (delivered, refused, or out of attempts). */
  nextRetryAt: string | null;
}

const DELIVERY_LOG_DAYS = 30;
const nextUlid = monotonicFactory();
const newWebhookId = () => newId('whk');

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function toSubscription(item: Record<string, unknown>): WebhookSubscription {
  return {
    id: item.id as string,
    url: item.url as string,
    events: item.events as string[],
    systemId: (item.systemId as string | null) ?? null,
    ownerTeam: (item.ownerTeam as string | null) ?? null,
    description: (item.description as string | null) ?? null,
    createdAt: item.createdAt as string,
    createdBy: item.createdBy as string,
  };
}

/** Creates a subscription with a new secret; the only time the secret is returned. */
export async function createWebhook(
  ctx: StoreContext,
  actor: Actor,
  input: WebhookInput,
): Promise<{ subscription: WebhookSubscription; secret: string }> {
  const subscription: WebhookSubscription = {
    id: newWebhookId(),
    url: input.url,
    events: [...new Set(input.events)],
    systemId: input.systemId,
    ownerTeam: input.ownerTeam,
    description: input.description,
    createdAt: ctx.now().toISOString(),
    createdBy: actor.userId,
  };
  const secret = generateWebhookSecret();
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: {
        ...keys.webhook(subscription.id),
        ...keys.webhooksIndex(subscription.id),
        itemType: 'webhook',
        ...subscription,
        secret,
      },
      ...buildCondition([{ path: 'pk', op: 'not_exists' }]),
    }),
  );
  return { subscription, secret };
}

/** One subscription (without its secret), or a 404. */
export async function getWebhook(ctx: StoreContext, id: string): Promise<WebhookSubscription> {
  const item = await getItem(ctx, keys.webhook(id));
  if (!item) throw new NotFoundError(`webhook ${id} not found`, { id });
  return toSubscription(item);
}

/** A page of every subscription, oldest first (the handler filters per principal). */
export async function listWebhooks(ctx: StoreContext, page: PageRequest = {}): Promise<Page<WebhookSubscription>> {
  const out = await queryPage<Record<string, unknown>>(ctx, { ...queries.webhooks(), ...page });
  return { items: out.items.map(toSubscription), nextCursor: out.nextCursor };
}

/** Every subscription with its secret, for the dispatcher. */
export async function webhookTargets(ctx: StoreContext): Promise<WebhookTarget[]> {
  const items = await allPages((p) =>
    queryPage<Record<string, unknown>>(ctx, { ...queries.webhooks(), ...p, limit: 100 }),
  );
  return items.map((item) => ({ ...toSubscription(item), secret: item.secret as string }));
}

/** Deletes a subscription; its delivery log stays until it expires. */
export async function deleteWebhook(ctx: StoreContext, id: string): Promise<void> {
  try {
    await ctx.doc.send(
      new DeleteCommand({
        TableName: ctx.tableName,
        Key: keys.webhook(id),
        ...buildCondition([{ path: 'pk', op: 'exists' }]),
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException')
      throw new NotFoundError(`webhook ${id} not found`, { id });
    throw error;
  }
}

/** Appends one attempt to a subscription's delivery log. */
export async function recordDelivery(ctx: StoreContext, attempt: DeliveryAttempt): Promise<void> {
  const ttl = Math.floor(Date.parse(attempt.at) / 1000) + DELIVERY_LOG_DAYS * 24 * 60 * 60;
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: { ...keys.webhookDelivery(attempt.webhookId, nextUlid()), itemType: 'webhook_delivery', ...attempt, ttl },
    }),
  );
}

/** A page of a subscription's delivery attempts, newest first. */
export async function listDeliveries(
  ctx: StoreContext,
  webhookId: string,
  page: PageRequest = {},
): Promise<Page<DeliveryAttempt>> {
  const prefix = keys.webhookDeliveryPrefix(webhookId);
  return queryPage<DeliveryAttempt>(ctx, { partition: prefix.pk, prefix: prefix.skPrefix, newestFirst: true, ...page });
}

/** Whether an event was already delivered to a subscription (stream records arrive at least once). */
export async function wasDelivered(ctx: StoreContext, webhookId: string, eventId: string): Promise<boolean> {
  const out = await ctx.doc.send(
    new GetCommand({ TableName: ctx.tableName, Key: keys.webhookSent(webhookId, eventId), ConsistentRead: true }),
  );
  return out.Item !== undefined;
}

/** Marks an event delivered to a subscription (kept as long as the delivery log). */
export async function markDelivered(ctx: StoreContext, webhookId: string, eventId: string): Promise<void> {
  const ttl = Math.floor(ctx.now().getTime() / 1000) + DELIVERY_LOG_DAYS * 24 * 60 * 60;
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: { ...keys.webhookSent(webhookId, eventId), itemType: 'webhook_sent', ttl },
    }),
  );
}
