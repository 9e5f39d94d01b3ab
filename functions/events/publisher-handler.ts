// Lambda entry: the governance event publisher on the table's stream (event source filter itemType = audit,
// ReportBatchItemFailures). Env: EVENT_BUS_NAME.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createObservability, observed, recordsCorrelationId, warnLines } from '../observability/index.js';
import { createEventPublisher } from './publisher.js';

const { logger, metrics } = createObservability('event-publisher');
let publish: ReturnType<typeof createEventPublisher> | undefined;

export const handler = observed<DynamoDBStreamEvent, DynamoDBBatchResponse>(
  async (event) => {
    if (!publish) {
      const client = new EventBridgeClient({});
      publish = createEventPublisher({
        busName: process.env.EVENT_BUS_NAME as string,
        log: warnLines(logger),
        put: async (entries) => {
          const out = await client.send(new PutEventsCommand({ Entries: entries }));
          return entries.map(
            (_, i) => out.Entries?.[i]?.ErrorCode ?? (out.Entries?.[i]?.EventId ? undefined : 'NoEventId'),
          );
        },
      });
    }
    return publish(event);
  },
  { logger, metrics, correlationId: recordsCorrelationId },
);
