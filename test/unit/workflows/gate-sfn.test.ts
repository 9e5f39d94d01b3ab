// The release gate's AWS side with Step Functions mocked by aws-sdk-client-mock: one execution per approval round,
// named after the candidate, the round and the attempt; the callbacks send the decision with the stored token; a callback that
// fails after the decision committed is reported, never thrown.
import {
  DescribeExecutionCommand,
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
import { MAX_GATE_ATTEMPTS } from '../../../functions/workflows/gate-attempts.js';
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

  // AWS Step Functions API Reference, StartExecution (docs.aws.amazon.com/step-functions/latest/apireference/
  // API_StartExecution.html), parameter `name`: "An execution can't use the name of another execution for 90 days.
  // ... When the original execution is open and the execution input from the new call is identical, the Success
  // message is returned. When the original execution is closed, the ExecutionAlreadyExists message is returned
  // regardless of input." So ExecutionAlreadyExists is no proof that the round's gate runs.
  it('restarts a round whose gate failed under the next attempt name, with the same input', async () => {
    const first = `${CANDIDATE}-${ROUND}`;
    sfn
      .on(StartExecutionCommand, { name: first })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn
      .on(StartExecutionCommand, { name: `${first}-a2` })
      .resolves({ executionArn: `${ARN}:a2`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    const runner = createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) });

    await runner.start(CANDIDATE, ROUND);

    const names = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);
    expect(names).toEqual([first, `${first}-a2`]);
    expect(sfn.commandCalls(StartExecutionCommand)[1]?.args[0].input.input).toBe(
      JSON.stringify({ candidateId: CANDIDATE, roundId: ROUND }),
    );
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input.executionArn).toBe(
      `arn:aws:states:eu-west-2:123456789012:execution:governance-dev-release-gate:${first}`,
    );
  });

  it.each(['TIMED_OUT', 'ABORTED'] as const)('restarts a round whose gate ended %s', async (status) => {
    const first = `${CANDIDATE}-${ROUND}`;
    sfn
      .on(StartExecutionCommand, { name: first })
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    sfn
      .on(StartExecutionCommand, { name: `${first}-a2` })
      .resolves({ executionArn: `${ARN}:a2`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status });

    await createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) }).start(CANDIDATE, ROUND);

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toContain(`${first}-a2`);
  });

  it.each(['RUNNING', 'SUCCEEDED'] as const)('starts no new attempt when the named one is %s', async (status) => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status });
    const runner = createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) });

    await expect(runner.start(CANDIDATE, ROUND)).resolves.toBeUndefined();
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('walks past every failed attempt to the first free name', async () => {
    const first = `${CANDIDATE}-${ROUND}`;
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn
      .on(StartExecutionCommand, { name: `${first}-a4` })
      .resolves({ executionArn: `${ARN}:a4`, startDate: new Date() });
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });

    await createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) }).start(CANDIDATE, ROUND);

    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name)).toEqual([
      first,
      `${first}-a2`,
      `${first}-a3`,
      `${first}-a4`,
    ]);
  });

  it('gives up after the last attempt instead of starting gates forever', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    const runner = createStepFunctionsGateRunner({ stateMachineArn: ARN, client: new SFNClient({}) });

    await expect(runner.start(CANDIDATE, ROUND)).rejects.toThrow(`closed without settling ${MAX_GATE_ATTEMPTS} times`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(MAX_GATE_ATTEMPTS);
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

  it('keeps the attempt suffix of a long name, so attempts never share a name', () => {
    const long = `${CANDIDATE}x`.repeat(3);
    const names = [1, 2, 12].map((attempt) => gateExecutionName(long, ROUND, attempt));
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name.length).toBeLessThanOrEqual(80);
    expect(names[2]).toMatch(/-a12$/);
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
