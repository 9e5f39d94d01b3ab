// The policy dry run as a background job (ADR 0027). POST /api/policy-dry-runs records the job and puts a request
// event; in AWS an EventBridge rule starts the job function (policy-dry-run-task.ts) with it, locally the local
// stack calls the same handler. One invocation takes steps (a page of systems each, functions/store/policy-dry-runs.ts)
// while its time lasts, then puts the request again with the position reached; after MAX_INVOCATIONS the job fails
// and says so rather than run without bound.
import { GovernanceError } from '../domain/errors.js';
import type { GovernanceStore } from '../store/index.js';

/** The request event: the API puts it, and the job puts it again to continue (the CDK rule's pattern names both). */
export const POLICY_DRY_RUN_SOURCE = 'governance.policy';
export const POLICY_DRY_RUN_DETAIL_TYPE = 'PolicyDryRunRequested';

/** What an invocation is asked to do: continue dry run `dryRunId` from `cursor` (null: from the start). */
export interface DryRunRequest {
  dryRunId: string;
  cursor: string | null;
  /** 1 for the first invocation of the job; each continuation counts one more. */
  invocation: number;
}

/** Invocations one dry run may take: 50 of up to 15 minutes, far more than an organisation of thousands needs. */
export const MAX_INVOCATIONS = 50;

/** Time an invocation keeps for one more step and for putting its continuation: it stops stepping below this. */
const STEP_RESERVE_MS = 60_000;

/** Puts a request event (EventBridge in AWS; the local stack's runner locally). */
export type EmitDryRunRequest = (request: DryRunRequest) => Promise<void>;

export interface DryRunJobDeps {
  store: GovernanceStore;
  emit: EmitDryRunRequest;
  /** Milliseconds this invocation has left (Lambda's context.getRemainingTimeInMillis). */
  remainingMs: () => number;
  /** Systems per step (tests: small pages); default the store's. */
  systemsPerStep?: number;
  /** Told of an unexpected error before the job is marked failed (the function's logger). */
  onError?: (error: unknown) => void;
}

export type DryRunInvocationOutcome = 'succeeded' | 'continued' | 'failed' | 'superseded';

/** The request in an event's detail, or undefined when it is not one (a malformed event is logged, never run). */
export function parseDryRunRequest(detail: unknown): DryRunRequest | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const { dryRunId, cursor, invocation } = detail as Record<string, unknown>;
  if (typeof dryRunId !== 'string' || !/^pdr_[0-9A-HJKMNP-TV-Z]{26}$/.test(dryRunId)) return undefined;
  if (cursor !== null && typeof cursor !== 'string') return undefined;
  if (typeof invocation !== 'number' || !Number.isInteger(invocation) || invocation < 1) return undefined;
  return { dryRunId, cursor, invocation };
}

/** What the requester reads when the job stops on an error: a governance error's own message, else a pointer. */
function failureMessage(error: unknown): string {
  if (error instanceof GovernanceError) return `the dry run stopped: ${error.message}`;
  return 'the dry run stopped on an unexpected error; the job function logged it. Start it again';
}

/** One invocation of the job: steps until done or out of time, then a continuation; failures end the job. */
export async function runPolicyDryRun(deps: DryRunJobDeps, request: DryRunRequest): Promise<DryRunInvocationOutcome> {
  const { store } = deps;
  let cursor = request.cursor;
  try {
    for (;;) {
      const outcome = await store.policyDryRuns.runPolicyDryRunStep(request.dryRunId, cursor, {
        ...(deps.systemsPerStep ? { systemsPerStep: deps.systemsPerStep } : {}),
      });
      if (outcome.state === 'finished') return 'succeeded';
      // Another delivery of this request took the step: that one carries the job on.
      if (outcome.state === 'superseded') return 'superseded';
      cursor = outcome.position;
      if (deps.remainingMs() < STEP_RESERVE_MS) break;
    }
    if (request.invocation >= MAX_INVOCATIONS) {
      await store.policyDryRuns.failPolicyDryRun(
        request.dryRunId,
        `the dry run did not finish within ${MAX_INVOCATIONS} invocations of the job; the organisation is larger than it is sized for`,
      );
      return 'failed';
    }
    await deps.emit({ dryRunId: request.dryRunId, cursor, invocation: request.invocation + 1 });
    return 'continued';
  } catch (error) {
    deps.onError?.(error);
    await store.policyDryRuns.failPolicyDryRun(request.dryRunId, failureMessage(error));
    return 'failed';
  }
}

/** Puts request events on an EventBridge bus (the API's start and the job's continuation). */
export function eventBridgeDryRunEmitter(eventBusName: string): EmitDryRunRequest {
  return async (request) => {
    const { EventBridgeClient, PutEventsCommand } = await import('@aws-sdk/client-eventbridge');
    const out = await new EventBridgeClient({}).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName,
            Source: POLICY_DRY_RUN_SOURCE,
            DetailType: POLICY_DRY_RUN_DETAIL_TYPE,
            Detail: JSON.stringify(request),
          },
        ],
      }),
    );
    if (out.FailedEntryCount) throw new Error('the policy dry run request was not accepted by EventBridge');
  };
}
