// Policy dry runs on this machine (ADR 0027): where AWS has an EventBridge rule start the job function on each
// PolicyDryRunRequested event, the local stack hands the same event to the same handler
// (functions/workflows/policy-dry-run-task.ts) in this process, in the background; a continuation the job puts
// is handed over the same way. `idle()` waits for every job started so far (tests, stop).
import { randomUUID } from 'node:crypto';
import type { GovernanceStore } from '../functions/store/index.js';
import {
  type DryRunRequest,
  type EmitDryRunRequest,
  POLICY_DRY_RUN_DETAIL_TYPE,
  POLICY_DRY_RUN_SOURCE,
} from '../functions/workflows/policy-dry-run.js';
import { createPolicyDryRunHandler } from '../functions/workflows/policy-dry-run-task.js';

export interface LocalPolicyDryRuns {
  /** Puts a request event: the handler runs it in the background. */
  start: EmitDryRunRequest;
  idle(): Promise<void>;
}

/** The local stand-in for the rule and its target; `systemsPerStep` lets tests take several steps. */
export function createLocalPolicyDryRuns(
  store: GovernanceStore,
  options: { systemsPerStep?: number; log?: (line: string) => void } = {},
): LocalPolicyDryRuns {
  const pending = new Set<Promise<unknown>>();
  const start: EmitDryRunRequest = async (request: DryRunRequest) => {
    const event = {
      id: randomUUID(),
      source: POLICY_DRY_RUN_SOURCE,
      'detail-type': POLICY_DRY_RUN_DETAIL_TYPE,
      detail: request,
    };
    // As EventBridge does, the put returns at once; the invocation follows.
    const work = Promise.resolve()
      .then(() => handler(event))
      .catch((error: unknown) =>
        options.log?.(`policy dry run ${request.dryRunId}: the job failed: ${(error as Error).message}`),
      );
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  const handler = createPolicyDryRunHandler(() => ({
    store,
    emit: start,
    ...(options.systemsPerStep ? { systemsPerStep: options.systemsPerStep } : {}),
  }));
  return {
    start,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
  };
}
