// The release gate in AWS: one execution of statemachines/release-gate.asl.json per approval round, named after
// the candidate and the round so that a retried start starts nothing twice; and the callbacks that complete a
// gate's wait (SendTaskSuccess / SendTaskFailure with the token the gate stored on the approval record).
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { GateCallbacks, GateRunner } from './gate-runner.js';

/** The execution name of a round's gate: at most 80 characters of [A-Za-z0-9_-]. */
export function gateExecutionName(candidateId: string, roundId: string): string {
  return `${candidateId}-${roundId}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
}

export function createStepFunctionsGateRunner(options: { stateMachineArn: string; client?: SFNClient }): GateRunner {
  const client = options.client ?? new SFNClient({});
  return {
    async start(candidateId, roundId) {
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn: options.stateMachineArn,
            name: gateExecutionName(candidateId, roundId),
            input: JSON.stringify({ candidateId, roundId }),
          }),
        );
      } catch (error) {
        // An execution of that name exists: this round's gate was started already.
        if ((error as Error).name === 'ExecutionAlreadyExists') return;
        throw error;
      }
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
