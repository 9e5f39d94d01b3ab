// An eval run whose AWS execution timed out, was aborted or failed outside its Catch is closed as `error` by the
// EventBridge rule's handler (functions/workflows/execution-closed.ts), against DynamoDB Local.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceStore } from '../../../functions/store/index.js';
import {
  closeEvalRunOnExecutionEnd,
  closingReason,
  type ExecutionStatusChange,
  runIdOf,
} from '../../../functions/workflows/execution-closed.js';
import { draftCandidate, governedSystem, owner } from '../../support/lifecycle.js';
import { createTestStore } from '../../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
});
afterAll(async () => drop());

const statusChange = (runId: string, status: string, extra: Partial<ExecutionStatusChange['detail']> = {}) => ({
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: { name: runId, status, input: JSON.stringify({ runId }), ...extra },
});

async function queuedRun() {
  const base = await governedSystem(store, { cases: 5 });
  const draft = await draftCandidate(store, base);
  const rc = await store.candidates.submitCandidate(owner, draft.id);
  const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
  return run;
}

describe('closing an eval run when its execution ends without a verdict', () => {
  it('records a timed-out execution on the run as error with the reason, and leaves the audit chain whole', async () => {
    const run = await queuedRun();
    const out = await closeEvalRunOnExecutionEnd(
      store,
      statusChange(run.id, 'TIMED_OUT', { error: 'States.Timeout', cause: null }),
    );
    expect(out.action).toBe('closed');
    const after = await store.evalRuns.getEvalRun(run.id);
    expect(after.status).toBe('error');
    expect(after.error).toContain('timed out');
    expect(after.error).toContain('States.Timeout');
    const verified = await store.audit.verifyStoredChain(run.systemId);
    expect(verified.ok).toBe(true);
  });

  it('is idempotent: a second delivery of the same event changes nothing', async () => {
    const run = await queuedRun();
    await closeEvalRunOnExecutionEnd(store, statusChange(run.id, 'ABORTED'));
    const first = await store.evalRuns.getEvalRun(run.id);
    await closeEvalRunOnExecutionEnd(store, statusChange(run.id, 'ABORTED'));
    const second = await store.evalRuns.getEvalRun(run.id);
    expect(second).toEqual(first);
    expect(second.error).toContain('aborted');
  });

  it('ignores a succeeded execution, an unknown run and an event without a run id', async () => {
    const run = await queuedRun();
    expect((await closeEvalRunOnExecutionEnd(store, statusChange(run.id, 'SUCCEEDED'))).action).toBe('ignored');
    expect((await store.evalRuns.getEvalRun(run.id)).status).toBe('queued');
    const unknown = await closeEvalRunOnExecutionEnd(store, statusChange('01HZZZZZZZZZZZZZZZZZZZZZZZ', 'FAILED'));
    expect(unknown.action).toBe('ignored');
    expect((await closeEvalRunOnExecutionEnd(store, { detail: { status: 'FAILED' } })).action).toBe('ignored');
  });
});

describe('reading the status change event', () => {
  it('takes the run id from the input, else from the execution name', () => {
    expect(runIdOf({ input: '{"runId":"r1"}', name: 'other' })).toBe('r1');
    expect(runIdOf({ input: 'not json', name: 'r2' })).toBe('r2');
    expect(runIdOf({})).toBeNull();
  });

  it('says in words why the run ended', () => {
    expect(closingReason({ status: 'FAILED', error: 'Lambda.Unknown', cause: 'boom' })).toBe(
      'the eval run execution failed: Lambda.Unknown: boom',
    );
    expect(closingReason({ status: 'ABORTED' })).toBe('the eval run execution was aborted');
  });
});
