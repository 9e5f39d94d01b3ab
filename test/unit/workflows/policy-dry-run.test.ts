// The dry run job's invocation loop without a table (ADR 0027): it steps while its time lasts, then continues itself
// with the position it reached; it fails the job on an error with a message that names nothing internal; and an
// event that is not a request is never run.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/domain/errors.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import type { DryRunStepOutcome } from '../../../functions/store/policy-dry-runs.js';
import {
  type DryRunRequest,
  parseDryRunRequest,
  runPolicyDryRun,
} from '../../../functions/workflows/policy-dry-run.js';

const ID = 'pdr_01J9Z3Q8X4K7M2N5P6R7S8T9V0';

/** A store whose job has `pages` steps to take; it records the positions stepped from and any failure. */
function fakeStore(pages: number, failAt?: { step: number; error: Error }) {
  const stepped: (string | null)[] = [];
  const failed: string[] = [];
  const store = {
    policyDryRuns: {
      runPolicyDryRunStep: async (_id: string, from: string | null): Promise<DryRunStepOutcome> => {
        stepped.push(from);
        if (failAt && stepped.length === failAt.step) throw failAt.error;
        const done = stepped.length >= pages;
        return done ? { state: 'finished' } : { state: 'continue', position: `page-${stepped.length + 1}` };
      },
      failPolicyDryRun: async (_id: string, message: string) => void failed.push(message),
    },
  } as unknown as GovernanceStore;
  return { store, stepped, failed };
}

describe('one invocation of the dry run job', () => {
  it('takes every step in one invocation while time is plentiful', async () => {
    // Prepare
    const { store, stepped } = fakeStore(3);
    const emitted: DryRunRequest[] = [];

    // Act
    const outcome = await runPolicyDryRun(
      { store, emit: async (r) => void emitted.push(r), remainingMs: () => 10 * 60_000 },
      { dryRunId: ID, cursor: null, invocation: 1 },
    );

    // Assess
    expect(outcome).toBe('succeeded');
    expect(stepped).toEqual([null, 'page-2', 'page-3']);
    expect(emitted).toEqual([]);
  });

  it('continues itself from the position it reached when less than a minute is left', async () => {
    // Prepare
    const { store, stepped } = fakeStore(3);
    const emitted: DryRunRequest[] = [];
    const left = [5 * 60_000, 30_000];

    // Act
    const outcome = await runPolicyDryRun(
      { store, emit: async (r) => void emitted.push(r), remainingMs: () => left.shift() ?? 0 },
      { dryRunId: ID, cursor: 'page-1', invocation: 4 },
    );

    // Assess
    expect(outcome).toBe('continued');
    expect(stepped).toEqual(['page-1', 'page-2']);
    expect(emitted).toEqual([{ dryRunId: ID, cursor: 'page-3', invocation: 5 }]);
  });

  it("fails the job with a governance error's own message, and with a pointer to the log for anything else", async () => {
    // Prepare
    const governance = fakeStore(3, { step: 1, error: new NotFoundError(`system sys_1 not found`) });
    const internal = fakeStore(3, { step: 2, error: new Error('connect ECONNREFUSED 10.1.2.3:443 token=abc') });
    const deps = { emit: async () => undefined, remainingMs: () => 10 * 60_000 };

    // Act
    const outcomes = [
      await runPolicyDryRun({ ...deps, store: governance.store }, { dryRunId: ID, cursor: null, invocation: 1 }),
      await runPolicyDryRun({ ...deps, store: internal.store }, { dryRunId: ID, cursor: null, invocation: 1 }),
    ];

    // Assess
    expect(outcomes).toEqual(['failed', 'failed']);
    expect(governance.failed).toEqual(['the dry run stopped: system sys_1 not found']);
    expect(internal.failed).toHaveLength(1);
    expect(internal.failed[0]).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|token/);
  });
});

describe('the request event', () => {
  it('reads a request and refuses anything else', () => {
    // Assess
    expect(parseDryRunRequest({ dryRunId: ID, cursor: null, invocation: 1 })).toEqual({
      dryRunId: ID,
      cursor: null,
      invocation: 1,
    });
    for (const detail of [
      undefined,
      'x',
      {},
      { dryRunId: 'rc_01J9Z3Q8X4K7M2N5P6R7S8T9V0', cursor: null, invocation: 1 },
      { dryRunId: ID, cursor: 7, invocation: 1 },
      { dryRunId: ID, cursor: null, invocation: 0 },
      { dryRunId: ID, cursor: null, invocation: 1.5 },
    ]) {
      expect(parseDryRunRequest(detail), JSON.stringify(detail)).toBeUndefined();
    }
  });
});
