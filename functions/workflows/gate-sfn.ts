// The release gate in AWS: one execution of statemachines/release-gate.asl.json per attempt of an approval round,
// named after the candidate, the round and the attempt (gate-attempts.ts): a repeated start of a running attempt
// starts nothing twice, and a failed or timed-out one is followed by the next attempt, since Step Functions keeps a
// closed execution's name for 90 days. And the callbacks that complete a gate's wait (SendTaskSuccess /
// SendTaskFailure with the token the gate stored on the approval record).
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ExecutionStatus, type GateExecutions, startGateAttempt } from './gate-attempts.js';
import type { GateCallbacks, GateRunner } from './gate-runner.js';

export { gateExecutionName } from './gate-attempts.js';

/** The ARN of a named execution of a state machine (`...:stateMachine:<machine>` → `...:execution:<machine>:<name>`). */
function executionArn(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** StartExecution and DescribeExecution on one state machine. */
function stepFunctionsExecutions(client: SFNClient, stateMachineArn: string): GateExecutions {
  return {
    async start(name, input) {
      await client.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    },
    async status(name) {
      try {
        const described = await client.send(
          new DescribeExecutionCommand({ executionArn: executionArn(stateMachineArn, name) }),
        );
        return described.status as ExecutionStatus | undefined;
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
  };
}

export function createStepFunctionsGateRunner(options: { stateMachineArn: string; client?: SFNClient }): GateRunner {
  const executions = stepFunctionsExecutions(options.client ?? new SFNClient({}), options.stateMachineArn);
  return {
    async start(candidateId, roundId) {
      await startGateAttempt(executions, candidateId, roundId);
    },
    async idle() {},
  };
}

export function createStepFunctionsGateCallbacks(client: SFNClient = new SFNClient({})): GateCallbacks {
  return {
    async succeed(token, output) {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    },
    async fail(token, error, cause) {
      // Step Functions limits error to 256 and cause to 32,768 characters.
      await client.send(
        new SendTaskFailureCommand({ taskToken: token, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }),
      );
    },
  };
}
