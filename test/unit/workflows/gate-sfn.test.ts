// The release gate's AWS side with Step Functions mocked by aws-sdk-client-mock: one execution per approval round,
// named after the candidate and the round; the callbacks send the decision with the stored token; a callback that
// fails after the decision committed is reported, never thrown.
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { notifyGate } from '../../../functions/workflows/gate-runner.js';
import {
  createStepFunctionsGateCallbacks,
  createStepFunctionsGateRunner,
  gateExecutionName,
} from '../../../functions/workflows/gate-sfn.js';

const ARN = 'arn:aws:states:eu-west-2:123456789012:stateMachine:governance-dev-release-gate';
const CANDIDATE = 'rc_01HZZZZZZZZZZZZZZZZZZZZZZZ';
const ROUND = 'apr_01HZZZZZZZZZZZZZZZZZZZZZZZ';

const sfn = mockClient(SFNClient);
beforeEach(() => sfn.reset());

function storeWithToken(token: string | null) {
  return { approvals: { taskTokenOf: vi.fn(async () => token) } } as unknown as GovernanceStore;
}

describe('the Step Functions gate runner', () => {
  it('starts one execution per round, named after the candidate and the round, with both as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });

    await createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) }).start(CANDIDATE, ROUND);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      name: `${CANDIDATE}-${ROUND}`,
      input: JSON.stringify({ candidateId: CANDIDATE, roundId: ROUND }),
    });
  });

  it('treats an execution of the same name as the round already started', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    const runner = createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) });
    await expect(runner.start(CANDIDATE, ROUND)).resolves.toBeUndefined();
  });

  it('passes any other refusal on', async () => {
    sfn.on(StartExecutionCommand).rejects(new Error('AccessDenied'));
    const runner = createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) });
    await expect(runner.start(CANDIDATE, ROUND)).rejects.toThrow('AccessDenied');
  });

  it('keeps execution names within 80 characters of the allowed alphabet', () => {
    const name = gateExecutionName(`${CANDIDATE}:x`.repeat(3), ROUND);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('the Step Functions gate callbacks', () => {
  it('sends an approval as SendTaskSuccess with the token and the decision as output', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});

    const sent = await notifyGate(
      storeWithToken('tok-1'),
      createStepFunctionsGateCallbacks(new SFNClient({})),
      ROUND,
      'approved',
    );

    expect(sent).toBe('sent');
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: 'tok-1',
      output: JSON.stringify({ approvalId: ROUND, status: 'approved' }),
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it.each([
    ['rejected', 'ApprovalRejected'],
    ['changes_requested', 'ApprovalChangesRequested'],
  ] as const)('sends %s as SendTaskFailure with the error %s', async (status, error) => {
    sfn.on(SendTaskFailureCommand).resolves({});

    await notifyGate(storeWithToken('tok-2'), createStepFunctionsGateCallbacks(new SFNClient({})), ROUND, status);

    const input = sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ taskToken: 'tok-2', error });
    expect(input?.cause).toContain(ROUND);
  });

  it('sends nothing when no gate stored a token on the approval', async () => {
    const sent = await notifyGate(
      storeWithToken(null),
      createStepFunctionsGateCallbacks(new SFNClient({})),
      ROUND,
      'approved',
    );
    expect(sent).toBe('no-gate');
    expect(sfn.calls()).toHaveLength(0);
  });

  it('reports a failed send without throwing: the committed decision stands', async () => {
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const log = vi.fn();

    const sent = await notifyGate(
      storeWithToken('tok-3'),
      createStepFunctionsGateCallbacks(new SFNClient({})),
      ROUND,
      'approved',
      log,
    );

    expect(sent).toBe('failed');
    expect(log).toHaveBeenCalledWith(expect.stringContaining('Task Timed Out'));
  });
});
