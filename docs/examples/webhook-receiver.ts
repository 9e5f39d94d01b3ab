// A webhook receiver for governance events, with node:crypto and node:http only. It verifies what the control plane
// sends (docs/events.md): `webhook-signature: v1,<base64 HMAC-SHA256>` over `<webhook-id>.<webhook-timestamp>.<body>`
// keyed with the bytes of the subscription's secret after `whsec_`, and a timestamp within five minutes (replays of
// an old delivery are refused). Deliveries are at least once: deduplicate on `webhook-id`.
//
//   WEBHOOK_SECRET=whsec_... npx tsx docs/examples/webhook-receiver.ts 8787
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';

export const TOLERANCE_SECONDS = 5 * 60;

export interface Delivery {
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, exactly as received: verify before parsing. */
  body: string;
}

export type Verification =
  | { ok: true; event: { id: string; type: string } & Record<string, unknown> }
  | { ok: false; reason: string };

/** Verifies a delivery's signature and timestamp; only then parses its body. */
export function verifyDelivery(secret: string, delivery: Delivery, nowSeconds = Date.now() / 1000): Verification {
  const header = (name: string) => {
    const value = delivery.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing webhook headers' };
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS)
    return { ok: false, reason: 'timestamp outside the tolerance' };
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest();
  const valid = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return { ok: false, reason: 'signature does not match' };
  const event = JSON.parse(delivery.body) as { id: string; type: string } & Record<string, unknown>;
  if (event.id !== id) return { ok: false, reason: 'webhook-id does not name the event' };
  return { ok: true, event };
}

async function readBody(req: IncomingMessage, limit = 1_048_576): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A receiver: 204 for a verified delivery (handed to `onEvent` once per event id), 401 otherwise. */
export function createReceiver(secret: string, onEvent: (event: { id: string; type: string }) => void): Server {
  const seen = new Set<string>();
  return createServer(async (req, res) => {
    try {
      const verification = verifyDelivery(secret, { headers: req.headers, body: await readBody(req) });
      if (!verification.ok) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end(verification.reason);
        return;
      }
      if (!seen.has(verification.event.id)) {
        seen.add(verification.event.id);
        onEvent(verification.event);
      }
      res.writeHead(204).end();
    } catch {
      res.writeHead(400).end();
    }
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) throw new Error('set WEBHOOK_SECRET to the secret the subscription was created with');
  const port = Number(process.argv[2] ?? 8787);
  createReceiver(secret, (event) => console.log(`${event.id} ${event.type}`)).listen(port, '127.0.0.1', () =>
    console.log(`listening on http://127.0.0.1:${port}`),
  );
}
