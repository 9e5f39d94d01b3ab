import { describe, expect, it } from 'vitest';
import { archiveLagMs } from '../../../functions/audit/archiver.js';
import { makeEvents, streamEvent, streamRecord, systemIds } from './fixture.js';

describe('the archive lag', () => {
  it('is the time from the oldest audit event of a batch to its arrival at the archiver', () => {
    // makeEvents spaces events one second apart from 2026-11-01T00:00:00Z.
    const events = makeEvents(systemIds(2), 3);
    const batch = streamEvent(events.slice(2, 5).map((event, i) => streamRecord(event, i + 1)));
    const now = Date.parse('2026-11-01T00:01:00.000Z');

    expect(archiveLagMs(batch, now)).toBe(60_000 - 2_000);
  });

  it('is undefined for a batch with no audit event, so nothing is reported', () => {
    expect(archiveLagMs(streamEvent([{ eventID: 'x', eventName: 'REMOVE' }]), Date.now())).toBeUndefined();
  });

  it('is never negative when the archiver’s clock is behind the table’s', () => {
    const [event] = makeEvents(systemIds(1), 1);
    const batch = streamEvent([streamRecord(event as NonNullable<typeof event>, 1)]);

    expect(archiveLagMs(batch, Date.parse('2026-10-31T23:59:00.000Z'))).toBe(0);
  });
});
