// `npm run smoke -- --api URL` against the local stack on the seeded demo: the checks a deployment must pass (ready,
// a read, the audit archive, a gate) pass here with a reader's token and exit 0; a wrong token fails them and exits 1.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmoke } from '../../scripts/smoke.js';
import { type SeededStack, startSeededStack } from '../support/seeded-stack.js';

const run = promisify(execFile);

let seeded: SeededStack;
beforeAll(async () => {
  seeded = await startSeededStack({ name: 'smoke' });
});
afterAll(async () => seeded?.stop());

/** Runs the script as an operator would, with the token in GOVERN_TOKEN; resolves with its exit code and output. */
async function smoke(token: string, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    // `node --import tsx` is what `npx tsx` ends in, without npm's and tsx's own launcher processes before it.
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/smoke.ts', '--api', seeded.stack.url, ...args],
      {
        env: { ...process.env, GOVERN_TOKEN: token },
        timeout: 60_000,
      },
    );
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, out: failed.stdout ?? '' };
  }
}

describe('the smoke test of a deployment, run against the local stack', () => {
  it('passes every check with an auditor token and exits 0', async () => {
    const { code, out } = await smoke(seeded.stack.tokens['aud.auditor']?.token as string);

    expect(out).toMatch(/^PASS {2}health/m);
    expect(out).toMatch(/^PASS {2}read/m);
    expect(out).toMatch(/^PASS {2}archive/m);
    expect(out).toMatch(/^PASS {2}gate/m);
    expect(out).toContain('all 4 checks passed');
    expect(code).toBe(0);
  });

  it('fails the checks that need the API to accept the token, and exits 1, with a wrong token', async () => {
    const { code, out } = await smoke('not-a-token');

    expect(out).toMatch(/^PASS {2}health/m);
    expect(out).toMatch(/^FAIL {2}read: .*GET \/api\/systems answered 401/m);
    expect(out).toMatch(/^FAIL {2}archive/m);
    expect(out).toMatch(/^FAIL {2}gate/m);
    expect(code).toBe(1);
  });

  it('reads the gate of the candidate it is given, and fails on one that does not exist', async () => {
    const token = seeded.stack.tokens['aud.auditor']?.token as string;
    const systems = await fetch(`${seeded.stack.url}/api/systems?limit=1`, {
      headers: { authorization: `Bearer ${token}` },
    }).then((r) => r.json() as Promise<{ items: { id: string }[] }>);
    const systemId = systems.items[0]?.id as string;

    const missing = await runSmoke({
      api: seeded.stack.url,
      token,
      systemId,
      candidateId: 'rc_01J9Z3Q8X4K7M2N5P6R7S8T9V0',
    });

    expect(missing.find((c) => c.name.startsWith('gate'))).toMatchObject({
      ok: false,
      detail: expect.stringContaining('404'),
    });
    expect(missing.filter((c) => c.ok).map((c) => c.name.split(':')[0])).toEqual(['health', 'read', 'archive']);
  });

  it('refuses to run without GOVERN_TOKEN and says how to pass it', async () => {
    const { code } = await smoke('');
    expect(code).toBe(2);
  });
});
