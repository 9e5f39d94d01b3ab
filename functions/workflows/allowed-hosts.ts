// Which hosts the control plane may call (the http executor's targets, provider connections' endpoints, judges and
// webhook targets): only http: and https: URLs without credentials whose host:port is exactly one of the allowed
// entries. Kept apart from the http executor so that the functions that only check a host (webhooks, provider
// connections) do not bundle the executor's output-contract validator, and with it ajv (ADR 0052).

export type TargetCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Whether the executor may call this target: an http(s) URL with no credentials whose host:port is allowed. */
export function checkTarget(target: string, allowedHosts: readonly string[]): TargetCheck {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return { ok: false, reason: 'target is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `scheme ${url.protocol} is not allowed` };
  }
  if (url.username !== '' || url.password !== '')
    return { ok: false, reason: 'credentials in the URL are not allowed' };
  const key = hostKey(url.hostname, url.port || (url.protocol === 'https:' ? '443' : '80'));
  for (const entry of allowedHosts) {
    for (const allowed of allowedKeys(entry)) {
      if (allowed === key || (allowed.endsWith(':*') && allowed === hostKey(url.hostname, '*')))
        return { ok: true, url };
    }
  }
  return { ok: false, reason: `${key} is not an allowed host` };
}

function hostKey(hostname: string, port: string): string {
  return `${hostname.toLowerCase()}:${port}`;
}

function allowedKeys(entry: string): string[] {
  // `host:*` allows every port of that host (the local stack's default for loopback model servers).
  const anyPort = /^(.+):\*$/.exec(entry.trim());
  if (anyPort?.[1] !== undefined) {
    const [key] = allowedKeys(anyPort[1]);
    return key === undefined ? [] : [`${key.slice(0, key.lastIndexOf(':'))}:*`];
  }
  let url: URL;
  try {
    url = new URL(`http://${entry.trim()}`);
  } catch {
    return [];
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') return [];
  // The URL parser drops :80 for http; an explicit ":80" entry must still match only port 80.
  const explicitPort = /:(\d+)$/.exec(entry.trim())?.[1];
  if (explicitPort !== undefined) return [hostKey(url.hostname, String(Number(explicitPort)))];
  return [hostKey(url.hostname, '80'), hostKey(url.hostname, '443')];
}

/**
 * The allowed hosts from a comma-separated list (EVAL_ALLOWED_HOSTS): `host`, `host:port` or `host:*` entries;
 * empty or unset allows none.
 */
export function parseAllowedHosts(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
}

/** Hosts the local stack allows by default: model servers on the loopback interface, any port. */
export const LOCAL_ALLOWED_HOSTS: readonly string[] = ['127.0.0.1:*', 'localhost:*'];
