// Where the run's seeded demo appears (test/support/seeded-demo.ts writes it, test/global-setup.ts says where), and
// the wait for it. Apart from seeded-demo.ts so that the stack tier's setup file, which every file of the tier runs,
// imports no more than this: seeded-demo.ts imports the whole local stack, about 1.5 s of CPU a file to evaluate
// for the many files that start no stack.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/** The file the dump is written to when the seed succeeded, and the one written when it failed. */
export const dumpFile = (dir: string) => join(dir, 'seeded-demo.json');
export const failureFile = (dir: string) => join(dir, 'seed-failed.txt');

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

/**
 * Waits (bounded) until this run's seed has ended: true once its dump is written, false if it failed (the failure
 * is beside the dump, for `seededDemoDump` to report).
 */
export async function seedSettled(dir: string, timeoutMs = 240_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await exists(dumpFile(dir))) return true;
    if (await exists(failureFile(dir))) return false;
    if (Date.now() > until) throw new Error(`the shared demo seed was not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
