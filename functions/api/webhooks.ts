// Webhook subscriptions: admins subscribe to any system's events (or every system's); model owners to their own
// teams' systems. The signing secret is in the create response only (the table holds it sealed with the webhook
// secrets key, which this function may encrypt with and not decrypt). Auditors read subscriptions and delivery logs.
import {
  createdWebhook,
  createWebhookRequest,
  deliveryPage,
  listDeliveriesQuery,
  listWebhooksQuery,
  webhookPage,
  webhookSubscription,
} from '../contracts/webhooks.js';
import { assertCanRegisterSystem } from '../domain/authorization.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors.js';
import { eventFilterProblem } from '../domain/events.js';
import type { Principal } from '../domain/types.js';
import { isLoopback } from '../events/target.js';
import { secretCipherFromEnv } from '../store/kms-secret-cipher.js';
import type { WebhookSubscription } from '../store/webhooks.js';
import { actorOf, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';

const has = (p: Principal, role: string) => p.roles.some((r) => r === role);

function canRead(p: Principal, sub: WebhookSubscription): boolean {
  if (has(p, 'admin') || has(p, 'auditor')) return true;
  return has(p, 'model_owner') && sub.ownerTeam !== null && p.teams.includes(sub.ownerTeam);
}

function canManage(p: Principal, sub: WebhookSubscription): boolean {
  if (has(p, 'admin')) return true;
  return has(p, 'model_owner') && sub.ownerTeam !== null && p.teams.includes(sub.ownerTeam);
}

/** Loads a subscription the principal may read; any other is answered like an id that does not exist. */
async function loadWebhook(req: IdRequest, manage = false): Promise<WebhookSubscription> {
  const id = req.params.id;
  const sub = await req.deps.store.webhooks.getWebhook(id);
  if (!canRead(req.principal, sub)) throw new NotFoundError(`webhook ${id} not found`, { id });
  if (manage && !canManage(req.principal, sub)) throw new ForbiddenError('auditors have read-only access');
  return sub;
}

function publicView(sub: WebhookSubscription) {
  return {
    id: sub.id,
    url: sub.url,
    events: sub.events,
    systemId: sub.systemId,
    description: sub.description,
    createdAt: sub.createdAt,
    createdBy: sub.createdBy,
  };
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/webhooks',
    summary: 'Subscribe a URL to governance events (the signing secret is returned in this response only)',
    body: createWebhookRequest,
    response: { status: 201, body: createdWebhook },
    handle: async (req) => {
      const p = req.principal;
      if (!has(p, 'admin') && !has(p, 'model_owner'))
        throw new ForbiddenError('only admins and model owners may subscribe webhooks');
      const errors = req.body.events
        .map((filter, i) => ({ path: `events.${i}`, message: eventFilterProblem(filter) }))
        .filter((e): e is { path: string; message: string } => e.message !== undefined);
      if (errors.length) throw new ValidationError('events names no event type', { errors });
      // The allowed-host list is the dispatcher's (it may change); what can never be delivered is refused now.
      const url = new URL(req.body.url);
      if (url.username !== '' || url.password !== '')
        throw new ValidationError('url must not hold credentials', {
          errors: [{ path: 'url', message: 'no credentials' }],
        });
      if (url.protocol !== 'https:' && !isLoopback(url.hostname))
        throw new ValidationError('url must use https', {
          errors: [{ path: 'url', message: 'https outside loopback' }],
        });
      let ownerTeam: string | null = null;
      if (req.body.systemId) {
        const system = await systemFor(req, req.body.systemId, 'read');
        assertCanRegisterSystem(p, system.ownerTeam);
        ownerTeam = system.ownerTeam;
      } else if (!has(p, 'admin')) {
        throw new ForbiddenError('a subscription to every system needs the admin role; name a systemId');
      }
      if (!req.deps.webhookSecrets) throw new Error('no cipher of webhook secrets was composed for this handler');
      const { subscription, secret } = await req.deps.store.webhooks.createWebhook(
        actorOf(p),
        {
          url: req.body.url,
          events: req.body.events,
          systemId: req.body.systemId ?? null,
          ownerTeam,
          description: req.body.description ?? null,
        },
        req.deps.webhookSecrets,
      );
      return {
        status: 201,
        body: { ...publicView(subscription), secret },
        headers: { location: `/api/webhooks/${subscription.id}`, 'cache-control': 'no-store' },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/webhooks',
    summary: 'Webhook subscriptions the caller may see',
    query: listWebhooksQuery,
    response: { status: 200, body: webhookPage },
    handle: async (req) => {
      const page = await req.deps.store.webhooks.listWebhooks(req.query);
      const items = page.items.filter((s) => canRead(req.principal, s)).map(publicView);
      return { status: 200, body: { items, nextCursor: page.nextCursor } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/webhooks/{id}',
    summary: 'One webhook subscription (without its secret)',
    response: { status: 200, body: webhookSubscription },
    handle: async (req) => ({ status: 200, body: publicView(await loadWebhook(req)) }),
  }),
  route({
    method: 'DELETE',
    path: '/api/webhooks/{id}',
    summary: 'Delete a webhook subscription (its delivery log expires after 30 days)',
    response: { status: 204, body: null },
    handle: async (req) => {
      await loadWebhook(req, true);
      await req.deps.store.webhooks.deleteWebhook(req.params.id);
      return { status: 204 };
    },
  }),
  route({
    method: 'GET',
    path: '/api/webhooks/{id}/deliveries',
    summary: "A webhook's delivery attempts, newest first",
    query: listDeliveriesQuery,
    response: { status: 200, body: deliveryPage },
    handle: async (req) => {
      await loadWebhook(req);
      const page = await req.deps.store.webhooks.listDeliveries(req.params.id, req.query);
      return { status: 200, body: page };
    },
  }),
];

/** The composition root of the webhooks function: the API's deps and the KMS cipher of WEBHOOK_SECRETS_KEY_ID. */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => ({ ...base, webhookSecrets: secretCipherFromEnv(env) })),
);
