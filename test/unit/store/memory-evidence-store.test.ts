// The in-memory evidence store is a test double: it must keep the S3 store's rules (write once, keys, cursors), or
// tests passing it would prove things the real store does not do.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { batchKey, textsKey } from '../../../functions/store/evidence-store.js';
import { createMemoryEvidenceStore } from '../../../functions/store/memory-evidence-store.js';

type Line = { index: number; note: string };
const lines = (from: number, count: number): Line[] =>
  Array.from({ length: count }, (_, i) => ({ index: from + i, note: `case ${from + i}` }));

describe('the in-memory evidence store', () => {
  it('writes a batch once: a second put of the same batch keeps the first and says it was not written', async () => {
    // Prepare
    const evidence = createMemoryEvidenceStore<Line>();
    const first = await evidence.putBatch('run_1', 0, lines(0, 2));

    // Act
    const again = await evidence.putBatch('run_1', 0, lines(100, 2));

    // Assess
    expect(first).toEqual({ key: batchKey('run_1', 0), written: true });
    expect(again).toEqual({ key: batchKey('run_1', 0), written: false });
    expect(await evidence.readBatch('run_1', 0)).toEqual(lines(0, 2));
  });

  it('reads the batches page by page in index order across batch boundaries, each record once', async () => {
    // Prepare
    const evidence = createMemoryEvidenceStore<Line>();
    await evidence.putBatch('run_2', 1, lines(3, 3));
    await evidence.putBatch('run_2', 0, lines(0, 3));
    const seen: number[] = [];
    let cursor: string | null = null;

    // Act
    do {
      const page: Awaited<ReturnType<typeof evidence.readPage>> = await evidence.readPage('run_2', {
        limit: 4,
        cursor,
      });
      seen.push(...page.records.map((r) => r.index));
      cursor = page.nextCursor;
    } while (cursor);

    // Assess
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('refuses a run id or cursor the S3 store would refuse, and a missing batch reads as null', async () => {
    // Prepare
    const evidence = createMemoryEvidenceStore<Line>();

    // Act
    const missing = await evidence.readBatch('run_3', 0);

    // Assess
    expect(missing).toBeNull();
    await expect(evidence.putBatch('../etc', 0, [])).rejects.toThrow(ValidationError);
    await expect(evidence.readPage('run_3', { cursor: 'not a cursor' })).rejects.toThrow(ValidationError);
    expect(evidence.describe()).toBe('memory');
  });

  it("keeps a submitted run's posted texts once under their name, reads a missing name as null and refuses a bad one", async () => {
    // Prepare
    const evidence = createMemoryEvidenceStore<Line>();

    // Act
    await evidence.putTexts('run_4', 'post-1', { 3: 'Ask a lawyer.' });
    await evidence.putTexts('run_4', 'post-1', { 3: 'replaced?' });
    const kept = await evidence.readTexts('run_4', 'post-1');
    const missing = await evidence.readTexts('run_4', 'post-2');

    // Assess
    expect(kept).toEqual({ 3: 'Ask a lawyer.' });
    expect(missing).toBeNull();
    await expect(evidence.putTexts('run_4', '../batches/000000', {})).rejects.toThrow(ValidationError);
    expect(textsKey('run_4', 'post-1')).toBe('runs/run_4/texts/post-1.json');
  });
});
