// Cost controls over HTTP on the local stack (ADR 0031): the estimate route answers and writes nothing, a bad
// maxCost is a 400 naming the field with nothing written, a start over its ceiling is a 422 with nothing written
// unless the caller says to start anyway, and the started run carries its estimate and ceiling.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { apiClient, eventually } from '../support/http.js';
import { draftCandidate, governedSystem, owner } from '../support/lifecycle.js';
import { dynamoEndpoint } from '../support/store.js';

type Json = Record<string, unknown>;
type Estimate = { cost: number; cases: number; inputTokens: number; outputTokens: number; upperBound: boolean };
type Problem = Json & { code?: string; errors?: { path: string; message: string }[] };

describe('cost controls over HTTP', () => {
  let stack: LocalStack;
  let dataDir: string;
  const tableName = `e2e-cost-${Date.now()}`;
  const api = () => apiClient(stack.url, stack.tokens['omar.owner']?.token);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-e2e-cost-'));
    stack = await startLocalStack({
      port: 0,
      dataDir,
      dynamoEndpoint: dynamoEndpoint(),
      tableName,
      seed: false,
      // One batch at a time: the ceiling test's second batch then starts after the first billed the ceiling, so it
      // calls nothing. Batches run at once may each bill their first case before seeing another's spend (ADR 0031,
      // decision 5: the simulator's overshoot is one batch's cost per concurrent batch), which made the count a race.
      evalRunnerOptions: { batchSize: 5, maxConcurrency: 1, retryIntervalMs: 5 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Every item of the table, as text: what "nothing was written" compares. */
  async function tableText(): Promise<string> {
    const items: unknown[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out: ScanCommandOutput = await stack.doc.send(
        new ScanCommand({ TableName: stack.tableName, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      // Verification checkpoints move with reads (ADR 0013), not with anything a request wrote.
      items.push(...(out.Items ?? []).filter((i) => i.pk !== 'AUDIT#VERIFICATION'));
      start = out.LastEvaluatedKey;
    } while (start);
    return JSON.stringify(items.map((i) => JSON.stringify(i)).sort());
  }

  async function submittedCandidate(cases: number) {
    const base = await governedSystem(stack.store, { cases });
    const draft = await draftCandidate(stack.store, base);
    return stack.store.candidates.submitCandidate(owner, draft.id);
  }

  it('answers the estimate of a run with 200 and writes nothing', async () => {
    // Prepare
    const rc = await submittedCandidate(8);
    const before = await tableText();

    // Act
    const res = await api().post<{ estimate: Estimate; startable: boolean; maxCost: number | null }>(
      `/api/release-candidates/${rc.id}/run-evals/estimate`,
      { executor: 'simulated', maxCost: 100 },
    );

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.estimate).toMatchObject({ cases: 8, upperBound: true, currency: 'USD' });
    expect(res.body.estimate.cost).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ startable: true, maxCost: 100, reason: null });
    expect(await tableText()).toBe(before);
  });

  it('refuses maxCost of -1, of 0 and of "abc" with a 400 naming maxCost, on the start and on the estimate, writing nothing', async () => {
    // Prepare
    const rc = await submittedCandidate(4);
    const before = await tableText();

    // Act
    const answers = [];
    for (const path of ['run-evals', 'run-evals/estimate'])
      for (const maxCost of [-1, 0, 'abc'])
        answers.push(
          await api().post<Problem>(`/api/release-candidates/${rc.id}/${path}`, { executor: 'simulated', maxCost }),
        );
    const submitted = await api().post<Problem>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'submitted',
      maxCost: 1,
    });

    // Assess
    for (const res of answers) {
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((res.body.errors ?? []).some((e) => e.path.split(/[.,]/).includes('maxCost'))).toBe(true);
    }
    expect(submitted.status).toBe(400);
    expect(submitted.body.field).toBe('maxCost');
    expect(await tableText()).toBe(before);
  });

  it('refuses a start whose estimate exceeds maxCost with 422 COST_ESTIMATE_OVER_CEILING, and starts it when told to, recording estimate and ceiling', async () => {
    // Prepare
    const rc = await submittedCandidate(6);
    const estimate = (
      await api().post<{ estimate: Estimate }>(`/api/release-candidates/${rc.id}/run-evals/estimate`, {
        executor: 'simulated',
      })
    ).body.estimate;
    // Below what one simulated case costs: the first case spends it, the others (the rest of its batch of 5 and the
    // second batch, started after it) are not executed.
    const maxCost = 0.000001;
    expect(estimate.cost).toBeGreaterThan(maxCost);
    const before = await tableText();

    // Act
    const refused = await api().post<Problem>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'simulated',
      maxCost,
    });
    const afterRefusal = await tableText();
    const started = await api().post<Json & { id: string }>(`/api/release-candidates/${rc.id}/run-evals`, {
      executor: 'simulated',
      maxCost,
      ifEstimateExceeds: 'start',
    });
    const finished = await eventually(async () => {
      const run = (await api().get<Json & { status: string }>(`/api/eval-runs/${started.body.id}`)).body;
      return run.status === 'queued' || run.status === 'running' ? undefined : run;
    });

    // Assess
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('COST_ESTIMATE_OVER_CEILING');
    expect(refused.body.detail).toContain(`maxCost ${maxCost} USD`);
    expect(afterRefusal).toBe(before);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ maxCost, costEstimate: estimate });
    expect(finished).toMatchObject({ status: 'error', errorCode: 'COST_CEILING_REACHED', maxCost });
    expect(finished.casesNotExecuted).toBe(5);
    expect(finished.spentUsd as number).toBeGreaterThanOrEqual(maxCost);
    expect(finished.error).toContain(`maxCost ${maxCost} USD`);
  });
});
