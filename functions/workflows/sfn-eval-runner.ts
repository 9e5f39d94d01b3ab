// Starts an eval run in AWS: one execution of statemachines/eval-run.asl.json per run (lib/constructs/
// eval-state-machine.ts), named after the run so a retried request starts nothing twice. start() resolves once
// Step Functions has accepted the execution, so the API answers 202 only for a run that will proceed; the Lambda
// may freeze afterwards without losing it.
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { GovernanceStore } from '../store/index.js';
import type { EvalRunner } from './eval-runner.js';
import { failEvalRunStep } from './eval-steps.js';

export interface StepFunctionsEvalRunnerOptions {
  stateMachineArn: string;
  client?: SFNClient;
}

export function createStepFunctionsEvalRunner(
  store: GovernanceStore,
  options: StepFunctionsEvalRunnerOptions,
): EvalRunner {
  const client = options.client ?? new SFNClient({});
  return {
    async start(runId) {
      try {
        await client.send(
          new StartExecutionCommand({
            stateMachineArn: options.stateMachineArn,
            name: runId,
            input: JSON.stringify({ runId }),
          }),
        );
      } catch (error) {
        // An execution of that name exists: this run was started already.
        if ((error as Error).name === 'ExecutionAlreadyExists') return;
        const message = (error as Error).message ?? String(error);
        await failEvalRunStep(store, { runId, error: `could not start the eval run execution: ${message}` }).catch(
          () => undefined,
        );
        throw error;
      }
    },
    async idle() {},
  };
}
