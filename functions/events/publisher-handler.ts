// Lambda entry: the governance event publisher on the table's stream (event source filter itemType = audit,
// ReportBatchItemFailures). Env: EVENT_BUS_NAME.
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createEventPublisher } from './publisher.js';

let publish: ReturnType<typeof createEventPublisher> | undefined;

export const handler: ReturnType<typeof createEventPublisher> = (event) => {
  if (!publish) {
    const client = new EventBridgeClient({});
    publish = createEventPublisher({
      busName: process.env.EVENT_BUS_NAME as string,
      log: (line) => console.warn(line),
      put: async (entries) => {
        const out = await client.send(new PutEventsCommand({ Entries: entries }));
        return entries.map(
          (_, i) => out.Entries?.[i]?.ErrorCode ?? (out.Entries?.[i]?.EventId ? undefined : 'NoEventId'),
        );
      },
    });
  }
  return publish(event);
};
