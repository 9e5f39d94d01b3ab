// The event publisher on the table's stream (filtered to audit items): each committed audit event becomes one
// governance event on the bus. Entries go out in PutEvents batches of 10; a failed entry reports its stream record
// as a batch item failure, so Lambda retries from there (bisecting, then the dead-letter queue). A redelivered
// record publishes the same event id again: consumers deduplicate on it.
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { auditEventOfRecord } from '../audit/archiver.js';
import { EVENT_SOURCE, type GovernanceEvent, isEventType, toGovernanceEvent } from '../domain/events.js';

/** One PutEvents entry, as @aws-sdk/client-eventbridge takes it. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Time: Date;
  EventBusName?: string;
  Resources?: string[];
}

/** Sends up to 10 entries; returns, per entry in order, an error code or undefined when it was accepted. */
export type PutEntries = (entries: BusEntry[]) => Promise<(string | undefined)[]>;

const PUT_EVENTS_MAX_ENTRIES = 10;

/** The bus entry of a governance event. */
function busEntryOf(event: GovernanceEvent, busName?: string): BusEntry {
  return {
    Source: EVENT_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(event),
    Time: new Date(event.time),
    ...(busName ? { EventBusName: busName } : {}),
  };
}

/** The governance events of a stream batch, each with its record's sequence number. */
export function eventsOfRecords(
  records: readonly DynamoDBRecord[],
  log: (line: string) => void = () => undefined,
): { event: GovernanceEvent; sequenceNumber: string }[] {
  const out: { event: GovernanceEvent; sequenceNumber: string }[] = [];
  for (const record of records) {
    const audit = auditEventOfRecord(record);
    if (!audit) continue;
    // Published all the same (nothing committed is missed); the catalogue test should have caught it.
    if (!isEventType(audit.action)) log(`event type ${audit.action} is not in the catalogue`);
    out.push({ event: toGovernanceEvent(audit), sequenceNumber: record.dynamodb?.SequenceNumber ?? '' });
  }
  return out;
}

export function createEventPublisher(options: { put: PutEntries; busName?: string; log?: (line: string) => void }) {
  const log = options.log ?? (() => undefined);
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const items = eventsOfRecords(event.Records, log);
    for (let start = 0; start < items.length; start += PUT_EVENTS_MAX_ENTRIES) {
      const chunk = items.slice(start, start + PUT_EVENTS_MAX_ENTRIES);
      let errors: (string | undefined)[];
      try {
        errors = await options.put(chunk.map((i) => busEntryOf(i.event, options.busName)));
      } catch (error) {
        log(`PutEvents failed: ${(error as Error).message}`);
        errors = chunk.map(() => 'PutEventsFailed');
      }
      const failed = chunk.findIndex((_, i) => errors[i] !== undefined);
      if (failed >= 0) {
        log(`event ${chunk[failed]?.event.id} was not accepted by the bus: ${errors[failed]}`);
        // Lambda resumes at the lowest failed record; everything before it counts as published.
        return { batchItemFailures: [{ itemIdentifier: chunk[failed]?.sequenceNumber ?? '' }] };
      }
    }
    return { batchItemFailures: [] };
  };
}
