import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a browser sees at the root until the dashboard is served here: where the API and the docs are. */
export function landingPage(req: IncomingMessage, res: ServerResponse): void {
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
<p>The reviewers' dashboard is not built yet; see the README's curl walk-through.</p></body></html>`);
}
