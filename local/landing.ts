import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Principal } from '../functions/domain/types.js';
import { LOCAL_TOKEN_PATH, serveTokenRequest, type TokenEndpointOptions } from './token-endpoint.js';

/** What a browser sees at the root until the dashboard is served here: where the API and the docs are. */
function landingPage(req: IncomingMessage, res: ServerResponse): void {
  if (req.url !== '/' && req.url !== '/index.html') {
    res.writeHead(404, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify({ type: '/problems/not-found', title: 'Not Found', status: 404, detail: `nothing at ${req.url}` }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Governance control plane (local)</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto">
<h1>Governance control plane — local stack</h1>
<p>The HTTP API is served under <code>/api</code>; every route but <code>/health/*</code> needs a bearer token
(<code>npm start</code> printed one per demo role; <code>npm run token -- --role ROLE</code> mints more).</p>
<ul><li><a href="/health/live">/health/live</a></li><li><a href="/health/deps">/health/deps</a></li></ul>
<p>The reviewers' dashboard is not built: run <code>npm run build:dashboard</code> (or restart with <code>npm start</code>, which builds it) and reload.</p></body></html>`);
}

/** What the local server answers beside the API: the built dashboard (with SPA fallback), its config, identities. */
export interface DashboardHostOptions {
  /** The built dashboard (`npm run build:dashboard` writes dashboard/dist). */
  distDir: string;
  /**
   * The demo identities and their development tokens, served at GET /local/identities for the dashboard's
   * sign-in. Local server only: this route is never an API Lambda route.
   */
  identities: () => { principal: Principal; token: string; refreshToken?: string }[];
  /** The stand-in for Cognito's token endpoint at POST /local/oauth2/token (refresh_token grant); none without it. */
  tokenEndpoint?: TokenEndpointOptions;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The dashboard when dashboard/dist exists, else the landing page (which says how to build it). */
export function dashboardHost(options: DashboardHostOptions) {
  const root = resolve(options.distDir);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = decodeURIComponentSafe((req.url ?? '/').split('?')[0] ?? '/');
    if (path === LOCAL_TOKEN_PATH && method === 'POST' && options.tokenEndpoint) {
      await serveTokenRequest(options.tokenEndpoint, req, res);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      req.resume();
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: '/problems/method-not-allowed', title: 'Method Not Allowed', status: 405 }));
      return;
    }
    if (path === '/local/identities') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ identities: options.identities() }));
      return;
    }
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      const refresh = options.tokenEndpoint
        ? { tokenUrl: LOCAL_TOKEN_PATH, clientId: options.tokenEndpoint.clientId }
        : {};
      res.end(JSON.stringify({ auth: { kind: 'local', identitiesUrl: '/local/identities', ...refresh } }));
      return;
    }
    const index = join(root, 'index.html');
    if (path === null || !(await isFile(index))) {
      landingPage(req, res);
      return;
    }
    const file = normalize(join(root, path));
    const inside = file.startsWith(`${root}${sep}`);
    if (inside && (await isFile(file))) {
      const immutable = path.startsWith('/assets/');
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      if (method === 'HEAD') res.end();
      else createReadStream(file).pipe(res);
      return;
    }
    if (path.startsWith('/assets/') || extname(path) !== '') {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ type: '/problems/not-found', title: 'Not Found', status: 404, detail: `nothing at ${path}` }),
      );
      return;
    }
    // A route of the single-page app: its index.html, which routes in the browser.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(method === 'HEAD' ? undefined : await readFile(index));
  };
}

function decodeURIComponentSafe(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
