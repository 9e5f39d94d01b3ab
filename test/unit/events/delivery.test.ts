import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { verifyDelivery } from '../../../docs/examples/webhook-receiver.js';
import { backoffMs } from '../../../functions/events/dispatcher.js';
import { type BusEntry, createEventPublisher } from '../../../functions/events/publisher.js';
import { hasValidSignature, signWebhook } from '../../../functions/events/signature.js';
import { allowedHostsFromEnv, checkWebhookUrl } from '../../../functions/events/target.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('webhook signatures', () => {
  it('verify with the same secret, id, timestamp and body, and with nothing else', () => {
    const signature = signWebhook(SECRET, 'sys_1:1', 1_700_000_000, '{"a":1}');
    expect(hasValidSignature(SECRET, 'sys_1:1', 1_700_000_000, '{"a":1}', signature)).toBe(true);
    expect(hasValidSignature(SECRET, 'sys_1:1', 1_700_000_000, '{"a":2}', signature)).toBe(false);
    expect(hasValidSignature(SECRET, 'sys_1:2', 1_700_000_000, '{"a":1}', signature)).toBe(false);
    expect(
      hasValidSignature(
        `whsec_${Buffer.alloc(32, 8).toString('base64')}`,
        'sys_1:1',
        1_700_000_000,
        '{"a":1}',
        signature,
      ),
    ).toBe(false);
    expect(hasValidSignature(SECRET, 'sys_1:1', 1_700_000_000, '{"a":1}', `v1,bad ${signature}`)).toBe(true);
  });

  it('are accepted by the example receiver inside the tolerance and refused outside it', () => {
    const body = JSON.stringify({ id: 'sys_1:1', type: 'release.promoted' });
    const headers = {
      'webhook-id': 'sys_1:1',
      'webhook-timestamp': '1700000000',
      'webhook-signature': signWebhook(SECRET, 'sys_1:1', 1_700_000_000, body),
    };
    expect(verifyDelivery(SECRET, { headers, body }, 1_700_000_100).ok).toBe(true);
    expect(verifyDelivery(SECRET, { headers, body }, 1_700_000_400)).toEqual({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(
      verifyDelivery(SECRET, { headers: { ...headers, 'webhook-signature': undefined }, body }, 1_700_000_000).ok,
    ).toBe(false);
  });
});

describe('webhook targets', () => {
  it('allow only listed hosts, https outside loopback, no credentials', () => {
    expect(checkWebhookUrl('https://hooks.example.org/x', ['hooks.example.org']).ok).toBe(true);
    expect(checkWebhookUrl('http://hooks.example.org/x', ['hooks.example.org'])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/https/),
    });
    expect(checkWebhookUrl('https://other.example.org/x', ['hooks.example.org']).ok).toBe(false);
    expect(checkWebhookUrl('https://u:p@hooks.example.org/x', ['hooks.example.org']).ok).toBe(false);
    expect(checkWebhookUrl('http://127.0.0.1:9000/x', ['127.0.0.1:*']).ok).toBe(true);
    expect(checkWebhookUrl('http://169.254.169.254/latest', ['127.0.0.1:*']).ok).toBe(false);
    expect(checkWebhookUrl('https://hooks.example.org/x', []).ok).toBe(false);
  });

  it('read WEBHOOK_ALLOWED_HOSTS as a list, none when unset', () => {
    expect(allowedHostsFromEnv({})).toEqual([]);
    expect(allowedHostsFromEnv({ WEBHOOK_ALLOWED_HOSTS: ' a.example.org, b.example.org:8443 ,' })).toEqual([
      'a.example.org',
      'b.example.org:8443',
    ]);
  });

  it('back off exponentially up to the cap', () => {
    const policy = { attempts: 6, baseMs: 100, maxMs: 500 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(policy, a))).toEqual([100, 200, 400, 500, 500]);
  });
});

function auditRecord(seq: number, action = 'incident.opened'): DynamoDBRecord {
  const item = {
    pk: 'SYS#sys_1#AUDIT',
    sk: `SEQ#${seq}`,
    itemType: 'audit',
    systemId: 'sys_01JABCDEFGHJKMNPQRSTVWXYZ0',
    seq,
    prevHash: '0'.repeat(64),
    hash: 'c'.repeat(64),
    action,
    entityType: 'incident',
    entityId: 'inc_1',
    actor: { userId: 'u', name: 'U', roles: ['admin'] },
    at: '2026-11-23T05:00:00.000Z',
    before: null,
    after: { status: 'open', severity: 'high', title: 't' },
    reason: null,
  };
  return {
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String(1000 + seq), NewImage: marshall(item) as never },
  };
}

describe('the event publisher', () => {
  it('puts one entry per audit record, in batches of ten, with the envelope as detail', async () => {
    const batches: BusEntry[][] = [];
    const publish = createEventPublisher({
      busName: 'bus',
      put: async (entries) => {
        batches.push(entries);
        return entries.map(() => undefined);
      },
    });
    const records = [
      ...Array.from({ length: 12 }, (_, i) => auditRecord(i + 1)),
      {
        eventName: 'INSERT',
        dynamodb: { SequenceNumber: '9', NewImage: marshall({ itemType: 'incident' }) as never },
      } as DynamoDBRecord,
    ];

    const response = await publish({ Records: records });

    expect(response.batchItemFailures).toEqual([]);
    expect(batches.map((b) => b.length)).toEqual([10, 2]);
    const first = batches[0]?.[0];
    expect(first).toMatchObject({
      Source: 'governance.control-plane',
      DetailType: 'incident.opened',
      EventBusName: 'bus',
    });
    expect(JSON.parse(first?.Detail ?? '{}')).toMatchObject({
      id: 'sys_01JABCDEFGHJKMNPQRSTVWXYZ0:1',
      type: 'incident.opened',
    });
  });

  it('reports the first entry the bus refused, so the stream resumes there', async () => {
    const publish = createEventPublisher({
      put: async (entries) => entries.map((_, i) => (i === 1 ? 'ThrottlingException' : undefined)),
    });

    const response = await publish({ Records: [auditRecord(1), auditRecord(2), auditRecord(3)] });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '1002' }]);
  });
});
