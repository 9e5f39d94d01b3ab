// The scheduled Lambda that keeps every open approval round under a live release gate in AWS (see gate-resume.ts).
// Env: TABLE_NAME, RELEASE_GATE_STATE_MACHINE_ARN. Needs table read and states:StartExecution on the gate.
import type { ScheduledEvent } from 'aws-lambda';
import { createObservability, eventBridgeCorrelationId, observed } from '../observability/index.js';
import type { GovernanceStore } from '../store/index.js';
import { storeFromEnv } from '../store/store-from-env.js';
import { resumeGates } from './gate-resume.js';
import { createStepFunctionsGateRunner } from './gate-sfn.js';

const { logger, metrics, meter } = createObservability('gate-resume');
let store: GovernanceStore | undefined;

export const handler = observed(
  async (_event: ScheduledEvent | undefined): Promise<Awaited<ReturnType<typeof resumeGates>>> => {
    const stateMachineArn = process.env.RELEASE_GATE_STATE_MACHINE_ARN;
    if (!stateMachineArn) throw new Error('RELEASE_GATE_STATE_MACHINE_ARN is not set');
    store ??= storeFromEnv(process.env, { onContentionRetry: meter.contentionRetried });
    const report = await resumeGates(store, createStepFunctionsGateRunner({ stateMachineArn }));
    logger.info('release gates resumed', { gateResume: report });
    if (report.failed.length > 0) throw new Error(`could not start ${report.failed.length} release gate(s)`);
    return report;
  },
  { logger, metrics, correlationId: eventBridgeCorrelationId },
);
