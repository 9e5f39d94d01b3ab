// The scheduled repair of release gates in AWS (functions/workflows/gate-resume.ts): every candidate awaiting
// approval gets its round's gate started, a candidate that left the gate does not, and one failure to start is
// reported without stopping the others. Against DynamoDB Local, with the AWS runner over a mocked SFN client.
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { resumeGates } from '../../../functions/workflows/gate-resume.js';
import { createStepFunctionsGateRunner, gateExecutionName } from '../../../functions/workflows/gate-sfn.js';
import { approveAll, candidateAwaitingApproval, governedSystem } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
});
afterAll(async () => drop());

describe('resuming release gates on a schedule', () => {
  it('starts the gate of every waiting round, named after the round, and skips rounds that closed', async () => {
    const base = await governedSystem(store);
    const waiting = await candidateAwaitingApproval(store, base);
    const decided = await candidateAwaitingApproval(store, base);
    await approveAll(store, decided.approvals);

    const sfn = mockClient(SFNClient);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:x', startDate: new Date() });
    const runner = createStepFunctionsGateRunner({
      stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:gate',
      client: new SFNClient({}),
    });
    const report = await resumeGates(store, runner);

    const names = sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name);
    const roundId = waiting.candidate.approvalIds[0] as string;
    expect(names).toContain(gateExecutionName(waiting.candidate.id, roundId));
    expect(names.some((name) => name?.startsWith(decided.candidate.id))).toBe(false);
    expect(report.failed).toEqual([]);
    expect(report.started).toBe(names.length);
    sfn.restore();
  });

  it('reports a gate that cannot be started and goes on with the others', async () => {
    const base = await governedSystem(store);
    const first = await candidateAwaitingApproval(store, base);
    const second = await candidateAwaitingApproval(store, base);
    const failing = new Set([first.candidate.id]);
    const started: string[] = [];
    const report = await resumeGates(store, {
      async start(candidateId) {
        if (failing.has(candidateId)) throw new Error('throttled');
        started.push(candidateId);
      },
      async idle() {},
    });
    expect(report.failed).toContainEqual({ candidateId: first.candidate.id, error: 'throttled' });
    expect(started).toContain(second.candidate.id);
  });
});
