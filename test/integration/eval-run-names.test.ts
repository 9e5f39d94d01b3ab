// The local eval runner names each execution after its run and holds StartExecution's name rule (AWS Step Functions
// API Reference, StartExecution, `name`: identical input on an open execution returns it; "When the original
// execution is closed, the ExecutionAlreadyExists message is returned regardless of input"): a run is executed once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvidenceStore } from '../../functions/store/evidence-store.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../local/s3-standin.js';
import { createSfnEvalRunner } from '../../local/sfn-eval-runner.js';
import { draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { createTestStore } from '../support/store.js';

let store: GovernanceStore;
let drop: () => Promise<void>;
let s3: S3StandInHandle;
beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  s3 = await startS3StandIn({ buckets: ['evidence'] });
});
afterAll(async () => {
  await s3?.stop();
  await drop?.();
});

describe('the local eval runner', () => {
  it('executes a run once however often it is started, and refuses its closed name afterwards', async () => {
    const reports: { runId: string; ok: boolean }[] = [];
    const runner = createSfnEvalRunner(store, {
      evidence: createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'evidence' }),
      batchSize: 5,
      retryIntervalMs: 5,
      onFinished: (report) => reports.push(report),
    });
    const base = await governedSystem(store, { cases: 6 });
    const draft = await draftCandidate(store, base);
    await store.candidates.submitCandidate(owner, draft.id);
    const { run } = await store.evalRuns.createEvalRun(owner, draft.id, 'simulated');

    runner.start(run.id);
    runner.start(run.id);
    await runner.idle();
    expect(reports).toEqual([expect.objectContaining({ runId: run.id, ok: true })]);
    const machine = await runner.machine();
    expect(machine.names.status(run.id)).toBe('SUCCEEDED');

    runner.start(run.id);
    await runner.idle();

    expect(reports).toHaveLength(1);
    expect((await store.evalRuns.getEvalRun(run.id)).status).toBe('passed');
    expect(() => machine.start({ runId: run.id }, run.id)).toThrow(
      expect.objectContaining({ name: 'ExecutionAlreadyExists' }),
    );
  });
});
