// Monitoring passes and rollbacks as tests drive them since ADR 0032: their runs go through the eval-run state
// machine in the local interpreter, and these helpers wait for the runs and their continuations to end.
import type { ApprovalPolicy } from '../../functions/domain/policy.js';
import type { Actor, RollbackRequest } from '../../functions/domain/types.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { keys } from '../../functions/store/keys.js';
import { copyToSystem } from '../../functions/store/policies.js';
import { getItem } from '../../functions/store/query.js';
import type { OpenedRollback } from '../../functions/store/rollback-requests.js';
import { type MonitoringSummary, type ReleaseMonitoring, runMonitoring } from '../../functions/workflows/monitor.js';
import { requestRollback } from '../../functions/workflows/rollback-validation.js';
import { createSfnEvalRunner, type SfnEvalRunnerOptions } from '../../local/sfn-eval-runner.js';
import { testEvidence } from './lifecycle.js';

/** A local eval-run state machine over `store`, its monitoring results collected by run id. */
export function checkRunner(store: GovernanceStore, options: Partial<SfnEvalRunnerOptions> = {}) {
  const judged = new Map<string, ReleaseMonitoring>();
  const runner = createSfnEvalRunner(store, {
    evidence: testEvidence,
    retryIntervalMs: 1,
    ...options,
    continuation: { onMonitored: (r) => r.runId && judged.set(r.runId, r) },
  });
  return { runner, judged };
}

/** Puts `policy` in force on the system (its META's copy, the next version), as an activation would. */
export async function putPolicyInForce(store: GovernanceStore, systemId: string, policy: ApprovalPolicy) {
  const meta = await getItem(store.ctx, keys.system(systemId));
  const version = ((meta?.policyVersion as number | undefined) ?? 0) + 1;
  await copyToSystem(store.ctx, systemId, version, { ...policy, version });
}

/** One monitoring pass that waits for its runs (and any rollback validation they start), as `npm run monitor` does. */
export async function monitorOnce(
  store: GovernanceStore,
  options: { systemIds: string[]; policy?: ApprovalPolicy; runner?: Partial<SfnEvalRunnerOptions> },
): Promise<MonitoringSummary> {
  if (options.policy) for (const id of options.systemIds) await putPolicyInForce(store, id, options.policy);
  const { runner, judged } = checkRunner(store, options.runner);
  return runMonitoring(store, {
    runner,
    systemIds: options.systemIds,
    wait: async () => {
      await runner.idle();
      return judged;
    },
  });
}

/** A rollback request and its settlement: the 202's request, then the request once its validation run ended. */
export async function rollbackAndWait(
  store: GovernanceStore,
  actor: Actor,
  id: string,
  input: { reason: string; incidentId?: string | null; targetCandidateId?: string | null },
  options: Partial<SfnEvalRunnerOptions> = {},
): Promise<{ opened: OpenedRollback; settled: RollbackRequest }> {
  const { runner } = checkRunner(store, options);
  const opened = await requestRollback(store, runner, actor, id, input);
  await runner.idle();
  return { opened, settled: await store.rollbackRequests.getRollbackRequest(opened.request.id) };
}
