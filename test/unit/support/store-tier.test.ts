// The `store` project shares one module graph between the files of a worker (ADR 0047): what one file changes in
// the process or a module, the next file of that worker meets. These checks read every file of the tier for the
// ways a file can leave such state behind, so a file that starts to need one fails here, by name, instead of
// making another file fail in some orders only. Such a file moves back to the `stack` project (it leaves
// test/support/store-tier.ts); it does not get an exception.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STORE_FOLDER, STORE_TIER } from '../../support/store-tier.js';

const root = join(import.meta.dirname, '../../..');

/** The tier's files: every test file under the store folder and each file the list names. */
function tierFiles(): string[] {
  const folder = readdirSync(join(root, STORE_FOLDER), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `${STORE_FOLDER}${name.split('\\').join('/')}`);
  const named = STORE_TIER.filter((entry) => !entry.includes('*'));
  return [...folder, ...named].sort();
}

/** What would outlive a file in a shared module graph or process, with why. */
const LEAKS: { pattern: RegExp; why: string }[] = [
  { pattern: /process\.env/, why: 'the environment is the process’s, and the next file reads it' },
  { pattern: /vi\.(mock|doMock|hoisted)\(/, why: 'a module mock replaces the module for the worker' },
  { pattern: /vi\.(stubEnv|stubGlobal|spyOn)\(/, why: 'a stub or spy stays unless every path restores it' },
  { pattern: /vi\.(useFakeTimers|setSystemTime)\(/, why: 'fake timers are the worker’s clock' },
  { pattern: /globalThis/, why: 'the global object is the worker’s' },
  { pattern: /aws-sdk-client-mock/, why: 'it patches the SDK client classes every file shares' },
  {
    pattern: /support\/(seeded-stack|http|model-server|check-runs)\.js|local\/(stack|start|model-server)\.js/,
    why: 'a local stack, model server or check-run receiver belongs to the stack project',
  },
  { pattern: /from 'node:(http|net)'/, why: 'a server of its own takes ports: the stack project' },
];

describe('the store project’s files (ADR 0047)', () => {
  it('names only files that exist, so the list does not go stale', () => {
    // Prepare
    const named = STORE_TIER.filter((entry) => !entry.includes('*'));

    // Act
    const missing = named.filter((path) => !existsSync(join(root, path)));

    // Assess
    expect(missing).toEqual([]);
    expect(tierFiles().length).toBeGreaterThan(named.length);
  });

  it('holds no file that changes the process, mocks a module or starts a server of its own', () => {
    // Prepare
    const files = tierFiles();

    // Act
    const leaks = files.flatMap((path) => {
      const text = readFileSync(join(root, path), 'utf8');
      return LEAKS.filter(({ pattern }) => pattern.test(text)).map(({ why }) => `${path}: ${why}`);
    });

    // Assess
    expect(leaks).toEqual([]);
  });

  it('sees a leak where there is one', () => {
    // Prepare
    const text = "vi.mock('../x.js');\nprocess.env.TABLE_NAME = 't';\nimport { createServer } from 'node:http';";

    // Act
    const found = LEAKS.filter(({ pattern }) => pattern.test(text)).map(({ why }) => why);

    // Assess
    expect(found).toHaveLength(3);
  });
});
