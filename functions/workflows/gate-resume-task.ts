import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { resumeGates } from './gate-resume.js';
import { createStepFunctionsGateRunner } from './gate-sfn.js';

let store: GovernanceStore | undefined;

export async function handler(): Promise<Awaited<ReturnType<typeof resumeGates>>> {
  const stateMachineArn = process.env.RELEASE_GATE_STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error('RELEASE_GATE_STATE_MACHINE_ARN is not set');
  store ??= storeFromEnv(process.env);
  const report = await resumeGates(store, createStepFunctionsGateRunner({ stateMachineArn }));
  console.log(JSON.stringify({ gateResume: report }));
  if (report.failed.length > 0) throw new Error(`could not start ${report.failed.length} release gate(s)`);
  return report;
}
