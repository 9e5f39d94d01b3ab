// Webhook subscriptions and their delivery log. A subscription's signing secret is generated here, returned once by
// createWebhook and otherwise read only by the dispatcher (webhookTargets); it never leaves through the API again.
// The item holds the secret only as `secretCiphertext`, sealed by the cipher the composition root passes (a dedicated
// KMS key in AWS) under the subscription's encryption context; items written before that held `secret` in plain and
// are sealed in place (encryptPlaintextSecrets, and webhookTargets for any it meets). Delivery attempts expire after
// 30 days.
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
import { type SecretCipher, webhookSecretContext } from './webhook-secrets.js';

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

/** What the dispatcher needs: the subscription and, decrypted on demand, its signing secret. */
export interface WebhookTarget extends WebhookSubscription {
  /** The plaintext secret; rejects with SecretDecryptionError when the stored ciphertext is not this item's. */
  signingSecret: () => Promise<string>;
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

/** Creates a subscription with a new secret, stored sealed; the only time the secret is returned. */
export async function createWebhook(
  ctx: StoreContext,
  actor: Actor,
  input: WebhookInput,
  secrets: SecretCipher,
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
  const secretCiphertext = await secrets.encrypt(secret, webhookSecretContext(subscription.id));
  await ctx.doc.send(
    new PutCommand({
      TableName: ctx.tableName,
      Item: {
        ...keys.webhook(subscription.id),
        ...keys.webhooksIndex(subscription.id),
        itemType: 'webhook',
        ...subscription,
        secretCiphertext,
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

const subscriptionItems = (ctx: StoreContext) =>
  allPages((p) => queryPage<Record<string, unknown>>(ctx, { ...queries.webhooks(), ...p, limit: 100 }));

/** Whether an item still holds its secret in plain (written before secrets were sealed). */
const holdsPlaintext = (item: Record<string, unknown>) =>
  typeof item.secret === 'string' && item.secretCiphertext === undefined;

/**
 * Seals a plaintext secret in place: the same item with `secretCiphertext` instead of `secret`, written only if the
 * item still holds that plaintext (a deleted or already sealed subscription is left alone). Answers whether it wrote.
 */
async function sealPlaintextSecret(
  ctx: StoreContext,
  secrets: SecretCipher,
  item: Record<string, unknown>,
): Promise<boolean> {
  // Lists hand items without their key attributes (toEntity): the keys are built again, as createWebhook built them.
  const { secret, ...rest } = item;
  const id = item.id as string;
  const secretCiphertext = await secrets.encrypt(secret as string, webhookSecretContext(id));
  try {
    await ctx.doc.send(
      new PutCommand({
        TableName: ctx.tableName,
        Item: { ...rest, ...keys.webhook(id), ...keys.webhooksIndex(id), itemType: 'webhook', secretCiphertext },
        ...buildCondition([
          { path: 'secret', op: '=', value: secret },
          { path: 'secretCiphertext', op: 'not_exists' },
        ]),
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** Every subscription, each with its secret decrypted on demand, for the dispatcher; plaintext ones are sealed first. */
export async function webhookTargets(ctx: StoreContext, secrets: SecretCipher): Promise<WebhookTarget[]> {
  const items = await subscriptionItems(ctx);
  return Promise.all(
    items.map(async (item) => {
      const subscription = toSubscription(item);
      if (holdsPlaintext(item)) {
        // Written by an older version during a deployment, after the migration ran: sealed now, signed as before.
        await sealPlaintextSecret(ctx, secrets, item);
        const plaintext = item.secret as string;
        return { ...subscription, signingSecret: async () => plaintext };
      }
      const ciphertext = String(item.secretCiphertext ?? '');
      return {
        ...subscription,
        signingSecret: () => secrets.decrypt(ciphertext, webhookSecretContext(subscription.id)),
      };
    }),
  );
}

/** The migration of secrets written in plain: seals every one in place; idempotent. Answers how many it sealed. */
export async function encryptPlaintextSecrets(ctx: StoreContext, secrets: SecretCipher): Promise<number> {
  let sealed = 0;
  for (const item of await subscriptionItems(ctx)) {
    if (holdsPlaintext(item) && (await sealPlaintextSecret(ctx, secrets, item))) sealed++;
  }
  return sealed;
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
