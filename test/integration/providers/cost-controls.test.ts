// Cost controls on DynamoDB Local (ADR 0031): a `provider` run against the local model server, through the official
// OpenAI SDK and the local eval-run state machine, stops calling at its ceiling and ends in error with
// COST_CEILING_REACHED, the cases it did not call recorded as not executed; the monitoring day budget cannot be
// overspent by racing reservations, and a release whose run would exceed it is skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import { budgetKey } from '../../../functions/store/budgets.js';
import { createEvidenceStore, type EvidenceStore } from '../../../functions/store/evidence-store.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { getItem } from '../../../functions/store/query.js';
import { listCaseEvidence } from '../../../functions/workflows/eval-steps.js';
import { NOT_EXECUTED } from '../../../functions/workflows/providers/executor.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { estimateEvalRun } from '../../../functions/workflows/run-cost.js';
import { type ModelServer, startModelServer } from '../../../local/model-server.js';
import { createS3Client, type S3StandInHandle, startS3StandIn } from '../../../local/s3-standin.js';
import { createSfnEvalRunner } from '../../../local/sfn-eval-runner.js';
import { monitorOnce } from '../../support/check-runs.js';
import { cases, modelConfigInput } from '../../support/fixtures.js';
import { activeCandidate, approveArtefact, draftCandidate, governedSystem, owner } from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';

const SECRET = 'sk-local-cost-controls-7d1e';
const admin = actorOf(principal('usr_admin', ['admin']));
let store: GovernanceStore;
let drop: () => Promise<void>;
let s3: S3StandInHandle;
let evidence: EvidenceStore;
let server: ModelServer;

beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  s3 = await startS3StandIn({ buckets: ['evidence'] });
  evidence = createEvidenceStore({ s3: createS3Client(s3.endpoint), bucket: 'evidence' });
  server = await startModelServer({ apiKey: SECRET });
});
afterAll(async () => {
  await server?.stop();
  await s3?.stop();
  await drop?.();
});

/** A submitted candidate whose one route calls the local model server, one call at a time. */
async function providerCandidate(caseCount: number) {
  const connection = await store.providerConnections.registerConnection(admin, {
    name: `Local OpenAI ${caseCount}`,
    provider: 'openai',
    baseUrl: server.baseUrl('openai'),
    region: null,
    secretRef: 'env:LOCAL_MODEL_KEY',
    concurrencyLimit: 1,
    changeSummary: 'the local model server',
  });
  const base = await governedSystem(store, { cases: caseCount });
  const config = await store.artefacts.createModelConfig(
    owner,
    modelConfigInput(base.system.id, {
      provider: 'openai',
      model: 'gpt-4o-mini',
      routingPolicy: {
        strategy: 'single',
        routes: [{ target: 'local', weight: 1, connection: { id: connection.id, version: 1 } }],
      },
      costRates: { inputPer1k: 0.15, outputPer1k: 0.6 },
      changeSummary: 'through the OpenAI SDK',
    }),
  );
  await approveArtefact(store, 'model_config', config.id);
  const draft = await draftCandidate(store, base, { modelConfigId: config.id });
  return store.candidates.submitCandidate(owner, draft.id);
}

describe('a provider run with a cost ceiling', () => {
  it('stops calling at the ceiling, ends in error COST_CEILING_REACHED and records the cases it did not call as not executed', async () => {
    // Prepare: a ceiling of about two calls of a twelve-case run, the start told to go on over its estimate.
    const candidate = await providerCandidate(12);
    const estimate = await estimateEvalRun(store, candidate.id, 'provider');
    const maxCost = 0.00003;
    expect(estimate.cost).toBeGreaterThan(maxCost);
    const runner = createSfnEvalRunner(store, {
      batchSize: 4,
      retryIntervalMs: 5,
      evidence,
      allowedHosts: ['127.0.0.1:*'],
      providers: createProviderRuntime({
        resolveSecret: localSecretResolver({ env: { LOCAL_MODEL_KEY: SECRET }, dataDir: '/nonexistent' }),
        allowedHosts: ['127.0.0.1:*'],
      }),
    });
    const callsBefore = server.calls('openai');
    const { run: queued } = await store.evalRuns.createEvalRun(owner, candidate.id, 'provider', {
      costEstimate: estimate,
      maxCost,
    });

    // Act
    runner.start(queued.id);
    await runner.idle();

    // Assess: the run's error names the ceiling and the spend; the candidate may be evaluated again.
    const run = await store.evalRuns.getEvalRun(queued.id);
    expect(run.status).toBe('error');
    expect(run.errorCode).toBe('COST_CEILING_REACHED');
    expect(run.error).toContain(`maxCost ${maxCost} USD`);
    expect(run.error).toContain(`spent ${Math.round((run.spentUsd ?? 0) * 1e6) / 1e6} USD`);
    expect(run.costEstimate?.cost).toBe(estimate.cost);
    expect((await store.candidates.getCandidate(candidate.id)).status).toBe('submitted');
    const page = await listCaseEvidence(store, run, { limit: 100 }, { evidence });
    expect(page.items).toHaveLength(12);
    const executed = page.items.filter((i) => i.execution?.notExecuted !== true);
    const skipped = page.items.filter((i) => i.execution?.notExecuted === true);
    expect(skipped.length).toBeGreaterThan(0);
    expect(run.casesNotExecuted).toBe(skipped.length);
    for (const item of skipped) {
      expect(item.error).toBe(NOT_EXECUTED);
      expect(item.costUsd).toBe(0);
      expect(item.execution?.calls ?? []).toEqual([]);
    }
    expect(server.calls('openai') - callsBefore).toBe(executed.length);
    // Overshoot: at most one call in flight per connection slot (the limit is 1) past the ceiling.
    const spent = run.spentUsd ?? 0;
    const billed = executed.reduce((sum, i) => sum + i.costUsd, 0);
    expect(spent).toBeCloseTo(billed, 9);
    expect(spent).toBeGreaterThanOrEqual(maxCost);
    expect(spent - maxCost).toBeLessThanOrEqual(Math.max(...executed.map((i) => i.costUsd)));
  });

  it('leaves a run whose ceiling was not reached to its verdict, with its spend counted', async () => {
    // Prepare
    const candidate = await providerCandidate(4);
    const estimate = await estimateEvalRun(store, candidate.id, 'provider');
    const runner = createSfnEvalRunner(store, {
      batchSize: 4,
      retryIntervalMs: 5,
      evidence,
      allowedHosts: ['127.0.0.1:*'],
      providers: createProviderRuntime({
        resolveSecret: localSecretResolver({ env: { LOCAL_MODEL_KEY: SECRET }, dataDir: '/nonexistent' }),
        allowedHosts: ['127.0.0.1:*'],
      }),
    });
    const { run: queued } = await store.evalRuns.createEvalRun(owner, candidate.id, 'provider', {
      costEstimate: estimate,
      maxCost: (estimate.cost ?? 0) + 1,
    });

    // Act
    runner.start(queued.id);
    await runner.idle();

    // Assess: the estimate bounded what the run spent.
    const run = await store.evalRuns.getEvalRun(queued.id);
    expect(['passed', 'failed']).toContain(run.status);
    expect(run.errorCode).toBeUndefined();
    expect(run.spentUsd).toBeGreaterThan(0);
    expect(run.spentUsd).toBeLessThanOrEqual(estimate.cost ?? 0);
  });
});

describe('the monitoring day budget', () => {
  it('lets racing reservations reserve no more than the budget', async () => {
    // Prepare
    const day = '2031-01-02';

    // Act: ten reservations of 0.3 USD at once against a 1 USD budget.
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.budgets.reserveBudget('monitoring', day, 0.3, 1)),
    );

    // Assess
    expect(results.filter((r) => r.reserved)).toHaveLength(3);
    const item = await getItem(store.ctx, budgetKey('monitoring', day));
    expect(item?.reservedUsd).toBeCloseTo(0.9, 9);
    expect(item?.reservations).toBe(3);
    expect(await store.budgets.budgetReserved('monitoring', day)).toBeCloseTo(0.9, 9);
  });

  it('skips a release whose monitoring run would exceed the day budget, and runs nothing for it', async () => {
    // Prepare: an active release with a regression dataset, and a budget smaller than its run's estimate.
    const base = await governedSystem(store, { cases: 4 });
    const release = await activeCandidate(store, base);
    const dataset = await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'after-release',
      kind: 'regression',
      description: 'collected after release',
      cases: cases(5),
    });
    const estimate = await estimateEvalRun(store, release.id, 'simulated', [dataset.id]);
    const policy = {
      ...DEFAULT_POLICY,
      monitoring: { ...DEFAULT_POLICY.monitoring, dailyBudget: (estimate.cost ?? 0) / 2 },
    };
    const runsBefore = (await store.evalRuns.listEvalRuns({ candidateId: release.id }, { limit: 100 })).items.length;

    // Act
    const summary = await monitorOnce(store, { policy, systemIds: [base.system.id] });

    // Assess
    expect(estimate.cost).toBeGreaterThan(0);
    expect(summary.releases).toHaveLength(1);
    expect(summary.releases[0]).toMatchObject({ status: 'skipped', runId: null });
    expect(summary.releases[0]?.note).toMatch(/^daily monitoring budget reached/);
    const runsAfter = (await store.evalRuns.listEvalRuns({ candidateId: release.id }, { limit: 100 })).items.length;
    expect(runsAfter).toBe(runsBefore);
  });
});
