// The AWS eval runner with Step Functions mocked by aws-sdk-client-mock: one execution per run, named after it,
// started before the API answers; a run whose execution cannot start is recorded as error, not left queued.
import {
  ExecutionAlreadyExists,
  ServiceQuotaExceededException,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { createStepFunctionsEvalRunner } from '../../../functions/workflows/sfn-eval-runner.js';

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-2:123456789012:stateMachine:governance-dev-eval-run';
const RUN_ID = '01HRUN0000000000000000000A';

const sfn = mockClient(SFNClient);

/** The part of the store failEvalRunStep uses: a queued run, and failEvalRun. */
function storeWithQueuedRun() {
  const failEvalRun = vi.fn(async () => undefined);
  const getEvalRun = vi.fn(async (id: string) => ({ id, status: 'queued' }));
  const store = { evalRuns: { getEvalRun, failEvalRun } } as unknown as GovernanceStore;
  return { store, failEvalRun };
}

function runner(store: GovernanceStore) {
  return createStepFunctionsEvalRunner(store, { stateMachineArn: STATE_MACHINE_ARN, client: new SFNClient({}) });
}

beforeEach(() => {
  sfn.reset();
});

describe('the Step Functions eval runner', () => {
  it('starts one execution of the state machine, named after the run, with the run id as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE_ARN}:${RUN_ID}`, startDate: new Date() });
    const { store, failEvalRun } = storeWithQueuedRun();

    await runner(store).start(RUN_ID);

    const calls = sfn.commandCalls(StartExecutionCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: RUN_ID,
      input: JSON.stringify({ runId: RUN_ID }),
    });
    expect(failEvalRun).not.toHaveBeenCalled();
  });

  it('treats an execution of that name already existing as started', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const { store, failEvalRun } = storeWithQueuedRun();

    await expect(runner(store).start(RUN_ID)).resolves.toBeUndefined();
    expect(failEvalRun).not.toHaveBeenCalled();
  });

  it('records the run as error and rethrows when the execution cannot start', async () => {
    const failure = new ServiceQuotaExceededException({ message: 'too many executions', $metadata: {} });
    sfn.on(StartExecutionCommand).rejects(failure);
    const { store, failEvalRun } = storeWithQueuedRun();

    await expect(runner(store).start(RUN_ID)).rejects.toBe(failure);
    expect(failEvalRun).toHaveBeenCalledTimes(1);
    expect(failEvalRun).toHaveBeenCalledWith(
      expect.anything(),
      RUN_ID,
      expect.stringContaining('could not start the eval run execution: too many executions'),
    );
  });

  it('has nothing to wait for: the executions run in Step Functions', async () => {
    await expect(runner(storeWithQueuedRun().store).idle()).resolves.toBeUndefined();
  });
});
