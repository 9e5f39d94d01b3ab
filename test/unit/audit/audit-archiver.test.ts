// The archiver's handling of stream records: only audit items, deterministic batch keys per contiguous run, a
// repeat taken as already archived (412), and failed puts reported per record for Lambda to retry.
import { describe, expect, it } from 'vitest';
import { auditEventOfRecord, createArchiver } from '../../../functions/audit/archiver.js';
import { batchKey } from '../../../functions/audit/layout.js';
import { MemoryArchive } from '../../../functions/audit/memory-archive.js';
import type { ArchiveStore } from '../../../functions/audit/ports.js';
import { makeEvents, streamEvent, streamRecord, systemIds } from './fixture.js';

describe('the audit archiver', () => {
  const [a, b] = systemIds(2) as [string, string];
  const events = makeEvents([a, b], 6, 3);
  const records = events.map((e, i) => streamRecord(e, i + 1));

  it('takes an audit event only from an INSERT: a MODIFY is a migration re-keying the item, not a new event', () => {
    // Prepare: the same audit item, once written and once re-keyed into its index shard
    const written = streamRecord(events[0] as never, 1);
    const rekeyed = { ...streamRecord(events[0] as never, 2), eventName: 'MODIFY' as const };

    // Act
    const found = [written, rekeyed].map((record) => auditEventOfRecord(record)?.seq);

    // Assess
    expect(found).toEqual([events[0]?.seq, undefined]);
  });

  it('writes one batch per system and contiguous run, ignores other items, and takes a repeat as archived', async () => {
    const archive = new MemoryArchive();
    const other = { ...streamRecord(events[0] as never, 99) };
    other.dynamodb = { ...other.dynamodb, NewImage: { itemType: { S: 'system' }, pk: { S: 'SYS#x' } } };
    const stats: unknown[] = [];
    const archiver = createArchiver({ archive, onStats: (s) => stats.push(s) });

    const first = await archiver(streamEvent([...records, other]));
    const again = await archiver(streamEvent(records));

    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect([...archive.objects.keys()].sort()).toEqual([batchKey(a, 1, 6), batchKey(b, 1, 6)].sort());
    expect(stats[0]).toMatchObject({ ignored: 1, events: 12, batchesWritten: 2, batchesAlreadyArchived: 0 });
    expect(stats[1]).toMatchObject({ batchesWritten: 0, batchesAlreadyArchived: 2 });
  });

  it('reports every record of a run whose put failed, and nothing of the runs that were written', async () => {
    const memory = new MemoryArchive();
    const archive: ArchiveStore = {
      get: (k) => memory.get(k),
      list: (p, s) => memory.list(p, s),
      listFolders: (p) => memory.listFolders(p),
      putIfAbsent: async (key, body) => {
        if (key.includes(b)) throw new Error('injected');
        return memory.putIfAbsent(key, body);
      },
    };
    const out = await createArchiver({ archive })(streamEvent(records));
    const expected = records
      .filter((_, i) => (events[i] as { systemId: string }).systemId === b)
      .map((r) => r.dynamodb?.SequenceNumber);
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(expected.sort());
    expect([...memory.objects.keys()]).toEqual([batchKey(a, 1, 6)]);
  });
});
