// Where webhooks may be delivered: the same allow-list check as the http eval executor (host:port exactly as
// listed, no credentials in the URL, checked before any connection), and https only unless the host is loopback.
import { checkTarget, type TargetCheck } from '../workflows/allowed-hosts.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether a URL's hostname is this machine (plain http is allowed there only). */
export function isLoopback(hostname: string): boolean {
  return LOOPBACK.has(hostname.toLowerCase());
}

/** The local stack's default: receivers on this machine, any port. */
export const LOCAL_WEBHOOK_ALLOWED_HOSTS = ['127.0.0.1:*', 'localhost:*'] as const;

/** Whether a webhook may be delivered to `url` (decided without DNS and without connecting). */
export function checkWebhookUrl(url: string, allowedHosts: readonly string[]): TargetCheck {
  const check = checkTarget(url, allowedHosts);
  if (!check.ok) return check;
  if (check.url.protocol !== 'https:' && !isLoopback(check.url.hostname))
    return { ok: false, reason: 'webhooks outside this machine must use https' };
  return check;
}

/** WEBHOOK_ALLOWED_HOSTS: comma-separated `host`, `host:port` or `host:*`; unset or empty allows none. */
export function allowedHostsFromEnv(env: Record<string, string | undefined>): string[] {
  return (env.WEBHOOK_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
}
