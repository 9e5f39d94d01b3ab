// A failed release gate is restarted under the next attempt's name, locally as in AWS: the local runner keeps a
// closed execution's name taken (AWS Step Functions API Reference, StartExecution, `name`: "When the original
// execution is closed, the ExecutionAlreadyExists message is returned regardless of input"), so only a new name
// restarts the round's gate; a running gate is never started twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRecord } from '../../functions/domain/types.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { notifyGate } from '../../functions/workflows/gate-runner.js';
import { gateExecutionName } from '../../functions/workflows/gate-sfn.js';
import { createLocalGateRunner, type GateReport } from '../../local/gate-runner.js';
import { createExecutionNames } from '../../local/step-functions.js';
import { candidateAwaitingApproval, type GovernedSystem, governedSystem, reviewerFor } from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let base: GovernedSystem;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  base = await governedSystem(store);
});
afterAll(async () => drop());

async function until(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  // Backs off from 10 ms to 100 ms: each check reads DynamoDB Local, and a wait of a second polled it a hundred times.
  for (let wait = 10; !(await check()); wait = Math.min(100, wait * 2)) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

describe('a release gate whose execution failed', () => {
  it('is restarted under the next attempt name and settles the round', async () => {
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    const roundId = approvals[0]?.id as string;
    const reports: GateReport[] = [];
    let failures = 1;
    const runner = createLocalGateRunner(store, {
      retryIntervalMs: 5,
      onFinished: (report) => reports.push(report),
      // The first attempt fails outside any retry (a permanent error of its first task): the execution ends FAILED.
      wrapTasks: (tasks) => ({
        ...tasks,
        openRound: async (event) => {
          if (failures-- > 0) throw Object.assign(new Error('the first attempt breaks'), { name: 'NotFoundError' });
          return tasks.openRound(event);
        },
      }),
    });

    await runner.start(candidate.id, roundId);
    await runner.idle();
    const first = gateExecutionName(candidate.id, roundId);
    expect(reports[0]).toMatchObject({ ok: false, executionName: first, end: 'GateFailed' });
    expect(runner.executionNames.status(first)).toBe('FAILED');
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('awaiting_approval');

    // What the scheduled resume does in AWS: the open round gets a gate again, under a name of its own.
    expect(await runner.resume()).toBeGreaterThanOrEqual(1);
    const second = gateExecutionName(candidate.id, roundId, 2);
    expect(runner.executionNames.status(second)).toBe('RUNNING');
    await until(async () => {
      const tokens = await Promise.all(approvals.map((a) => store.approvals.taskTokenOf(a.id)));
      return tokens.every((t) => t !== null) && runner.tokens.waiting() >= approvals.length;
    });
    // Resuming while it runs starts nothing twice.
    await runner.start(candidate.id, roundId);
    expect(runner.executionNames.status(gateExecutionName(candidate.id, roundId, 3))).toBeUndefined();

    for (const approval of approvals as ApprovalRecord[]) {
      await store.approvals.decideApproval(reviewerFor[approval.role], approval.id, 'approved', 'approved by test');
      expect(await notifyGate(store, runner.callbacks, approval.id, 'approved')).toBe('sent');
    }
    await until(() => reports.some((r) => r.executionName === second));
    await runner.stop();

    expect(reports.find((r) => r.executionName === second)).toMatchObject({ ok: true, candidateStatus: 'approved' });
    expect(runner.executionNames.status(second)).toBe('SUCCEEDED');
  });

  it('is not restarted once a round is settled: a succeeded attempt keeps its name', async () => {
    const names = createExecutionNames();
    const { candidate, approvals } = await candidateAwaitingApproval(store, base, { evaluation: 'recorded' });
    const roundId = approvals[0]?.id as string;
    const reports: GateReport[] = [];
    const runner = createLocalGateRunner(store, {
      retryIntervalMs: 5,
      executionNames: names,
      onFinished: (r) => reports.push(r),
    });
    await runner.start(candidate.id, roundId);
    await until(() => runner.tokens.waiting() >= approvals.length);
    for (const approval of approvals as ApprovalRecord[]) {
      await store.approvals.decideApproval(reviewerFor[approval.role], approval.id, 'approved', 'approved by test');
      await notifyGate(store, runner.callbacks, approval.id, 'approved');
    }
    await runner.idle();
    expect(reports).toHaveLength(1);

    await runner.start(candidate.id, roundId);

    expect(runner.live()).toEqual([]);
    expect(names.status(gateExecutionName(candidate.id, roundId, 2))).toBeUndefined();
  });
});
