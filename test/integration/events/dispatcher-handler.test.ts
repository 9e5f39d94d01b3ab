// The webhook dispatcher's Lambda entry on the SQS queue: it reads the governance event from the EventBridge
// envelope, numbers attempts across receives, and reports a message whose delivery failed, so SQS retries it.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGovernanceEvent } from '../../../functions/domain/events.js';
import { newId } from '../../../functions/domain/ids.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createTestStore } from '../../support/store.js';

const admin = { userId: 'ada.admin', name: 'Ada', roles: ['admin' as const] };

function sqsMessage(systemId: string, seq: number, receiveCount: number): SQSEvent['Records'][number] {
  const event = toGovernanceEvent({
    systemId,
    seq,
    prevHash: '0'.repeat(64),
    hash: 'd'.repeat(64),
    action: 'incident.opened',
    entityType: 'incident',
    entityId: 'inc_1',
    actor: admin,
    at: new Date(Date.now() + 1000).toISOString(),
    before: null,
    after: { status: 'open', severity: 'high', title: 't' },
    reason: null,
  });
  const body = { version: '0', id: 'x', 'detail-type': event.type, source: event.source, detail: event };
  return {
    messageId: `m-${seq}`,
    receiptHandle: 'r',
    body: JSON.stringify(body),
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  } as unknown as SQSEvent['Records'][number];
}

describe('the dispatcher handler', () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let server: Server;
  let answer = 500;

  beforeAll(async () => {
    let tableName: string;
    ({ store, drop, tableName } = await createTestStore());
    process.env.TABLE_NAME = tableName;
    process.env.WEBHOOK_ALLOWED_HOSTS = '127.0.0.1:*';
    server = createServer((_req, res) => res.writeHead(answer).end());
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
    await drop?.();
  });

  it('reports a failed delivery for SQS to retry, and numbers the next receive after the first one', async () => {
    const { handler } = await import('../../../functions/events/dispatcher-handler.js');
    const systemId = newId('sys');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { subscription } = await store.webhooks.createWebhook(admin, {
      url,
      events: ['incident.*'],
      systemId,
      ownerTeam: null,
      description: null,
    });

    answer = 500;
    const failed = await handler({ Records: [sqsMessage(systemId, 1, 1)] });
    answer = 200;
    const retried = await handler({ Records: [sqsMessage(systemId, 1, 2)] });

    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(retried.batchItemFailures).toEqual([]);
    const log = (await store.webhooks.listDeliveries(subscription.id)).items;
    expect(log.map((a) => [a.attempt, a.outcome])).toEqual([
      [4, 'delivered'],
      [3, 'failed'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
  }, 30_000);
});
