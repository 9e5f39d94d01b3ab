// A tiny model server for tests of the `http` executor, on 127.0.0.1 and a free port. Each path answers as
// configured: a label, a label after a delay, an HTTP error status, or an output that breaks the contract.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ModelBehaviour =
  | { kind: 'label'; label: string; confidence?: number; inputTokens?: number; outputTokens?: number }
  | { kind: 'slow'; delayMs: number; label: string }
  | { kind: 'status'; status: number }
  | { kind: 'malformed' }
  | { kind: 'not-json' };

export interface ReceivedRequest {
  path: string;
  method: string;
  body: unknown;
}

export interface ModelServer {
  /** `127.0.0.1:<port>`, as an allowed-hosts entry. */
  host: string;
  port: number;
  /** The URL of a path on this server. */
  url(path: string): string;
  /** Sets how a path answers; unknown paths answer 404. */
  on(path: string, behaviour: ModelBehaviour): void;
  /** Requests received so far, all paths. */
  requestCount(): number;
  /** Requests received on one path. */
  requestsTo(path: string): ReceivedRequest[];
  stop(): Promise<void>;
}

export async function startModelServer(routes: Record<string, ModelBehaviour> = {}): Promise<ModelServer> {
  const behaviours = new Map(Object.entries(routes));
  const received: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    if (res.destroyed || res.writableEnded) return;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let body: unknown = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      body = Buffer.concat(chunks).toString('utf8');
    }
    received.push({ path, method: req.method ?? '', body });
    const behaviour = behaviours.get(path);
    if (behaviour === undefined) return answer(res, 404, { message: 'no such model' });
    switch (behaviour.kind) {
      case 'label':
        return answer(res, 200, {
          output: { label: behaviour.label, confidence: behaviour.confidence ?? 0.9 },
          usage: { inputTokens: behaviour.inputTokens ?? 100, outputTokens: behaviour.outputTokens ?? 20 },
        });
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer(res, 200, {
            output: { label: behaviour.label, confidence: 0.9 },
            usage: { inputTokens: 100, outputTokens: 20 },
          });
        }, behaviour.delayMs);
        timers.add(timer);
        return;
      }
      case 'status':
        return answer(res, behaviour.status, { message: `status ${behaviour.status}` });
      case 'malformed':
        // `confidence` is required by the test contract and must be a number.
        return answer(res, 200, {
          output: { label: 'billing', confidence: 'very' },
          usage: { inputTokens: 100, outputTokens: 20 },
        });
      case 'not-json':
        return answer(res, 200, '<html>not a model</html>');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { message: 'model server error' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    on: (path, behaviour) => {
      behaviours.set(path, behaviour);
    },
    requestCount: () => received.length,
    requestsTo: (path) => received.filter((r) => r.path === path),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
