// Store benchmarks against DynamoDB Local: requests and consumed capacity per governed action, and the latency of
// the first page of a list at 100 and at 10,000 items in one system (their ratio is what is compared).
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { buildAuditEvent, GENESIS_HASH } from '../functions/domain/audit-chain.js';
import { newId } from '../functions/domain/ids.js';
import type { AuditEvent, ReleaseCandidate } from '../functions/domain/types.js';
import { batchPut } from '../functions/store/batch-write.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createStore, type GovernanceStore, type RequestMeter } from '../functions/store/index.js';
import { keys } from '../functions/store/keys.js';
import { createMemoryEvidenceStore } from '../functions/store/memory-evidence-store.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { auditItem } from '../functions/store/unit-of-work.js';
import { createInProcessEvalRunner } from '../functions/workflows/eval-runner.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';
import { approvedCandidate, governedSystem, owner as lifecycleOwner } from '../test/support/lifecycle.js';

const owner = { userId: 'omar.owner', name: 'Omar', roles: ['model_owner' as const] };
const reviewer = {
  userId: 'tessa.technical',
  name: 'Tessa',
  roles: ['reviewer:technical' as const],
  teams: [],
  systems: [],
};

function freshMeter(): RequestMeter {
  return { reads: 0, writes: 0, readCapacity: 0, writeCapacity: 0 };
}

async function measure<T>(meter: RequestMeter, fn: () => Promise<T>) {
  Object.assign(meter, freshMeter());
  const result = await fn();
  return {
    result,
    figures: {
      reads: meter.reads,
      writes: meter.writes,
      readCapacity: meter.readCapacity,
      writeCapacity: meter.writeCapacity,
    },
  };
}

async function requestsPerAction(store: GovernanceStore, meter: RequestMeter) {
  const { system } = await store.systems.createSystem(owner, systemInput({ riskTier: 'low' }));
  const figures: Record<string, unknown> = {};
  const prompt = await measure(meter, () => store.artefacts.createPrompt(owner, promptInput(system.id)));
  figures.newVersion = prompt.figures;
  const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
  for (const [kind, id] of [
    ['prompt', prompt.result.id],
    ['model_config', config.id],
  ] as const) {
    await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
    await store.artefacts.transitionArtefact(reviewer, kind, id, 'approved', null);
  }
  const dataset = await store.datasets.createDataset(owner, {
    systemId: system.id,
    name: 'base',
    kind: 'baseline',
    description: '',
    cases: cases(10),
  });
  const rc = await store.candidates.createCandidate(owner, {
    systemId: system.id,
    name: 'rc',
    environment: 'production',
    promptVersionId: prompt.result.id,
    modelConfigId: config.id,
    datasetIds: [dataset.id],
    thresholds: LENIENT_THRESHOLDS,
    notes: '',
  });
  await store.candidates.submitCandidate(owner, rc.id);
  const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
  // Run the steps but measure only the final record of the verdict.
  // The run's per-case evidence goes to the in-memory double: this benchmark counts table requests only.
  const evidence = createMemoryEvidenceStore();
  const runner = createInProcessEvalRunner(store, { evidence });
  const { prepareEvalRun, executeEvalBatch } = await import('../functions/workflows/eval-steps.js');
  const plan = await prepareEvalRun(store, { runId: run.id });
  for (const batch of plan.batches) await executeEvalBatch(store, { runId: run.id, batch }, undefined, { evidence });
  const current = await store.evalRuns.getEvalRun(run.id);
  const recorded = await measure(meter, () =>
    store.evalRuns.completeEvalRun(owner, run.id, {
      passed: true,
      metrics: current.metrics ?? ({} as never),
      slices: [],
      thresholdVerdicts: [],
      comparisons: [],
      failureReasons: [],
    }),
  );
  figures.recordEval = recorded.figures;
  await runner.idle();
  const { approvals } = await store.candidates.requestApproval(owner, rc.id);
  const approval = approvals[0];
  if (!approval) throw new Error('no approval requested');
  figures.approve = (
    await measure(meter, () => store.approvals.decideApproval(reviewer, approval.id, 'approved', null))
  ).figures;
  figures.promote = (
    await measure(meter, () => store.candidates.promoteCandidate(owner, rc.id, { expectedActiveCandidateId: null }))
  ).figures;
  return figures;
}

/** Loads `n` candidates and `n` audit events into one system with the store's own key builders and chain builder. */
async function loadSystem(store: GovernanceStore, n: number): Promise<string> {
  const { system, events } = await store.systems.createSystem(owner, systemInput());
  const now = new Date().toISOString();
  const candidates = Array.from({ length: n }, () => {
    const id = newId('rc');
    const rc = {
      id,
      systemId: system.id,
      name: 'bulk',
      environment: 'production',
      status: 'draft',
      snapshotHash: 'sha256:bench',
      createdAt: now,
    } as Partial<ReleaseCandidate>;
    return { ...keys.candidate(id), ...keys.candidateIndexes(system.id, id), itemType: 'candidate', ...rc };
  });
  let head = { seq: events[0]?.seq ?? 1, hash: events[0]?.hash ?? GENESIS_HASH };
  const audits: AuditEvent[] = [];
  for (let i = 0; i < n; i++) {
    const e = buildAuditEvent(head, {
      systemId: system.id,
      action: 'bench.event',
      entityType: 'candidate',
      entityId: 'x',
      actor: owner,
      at: now,
      before: null,
      after: { i },
      reason: null,
    });
    head = { seq: e.seq, hash: e.hash };
    audits.push(e);
  }
  await batchPut(store.ctx, [...candidates, ...audits.map(auditItem)]);
  return system.id;
}

async function firstPageLatency(fn: () => Promise<unknown>, rounds = 30): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/** Runs the store benchmarks on a DynamoDB Local of its own. */
/**
 * The promotion race at volume (the test proves it with 8 racers): `racers` approved candidates promoted at once,
 * each from a store of its own; exactly one may win, every other is refused as ACTIVE_RELEASE_CHANGED.
 */
async function promotionRace(doc: ReturnType<typeof createDocumentClient>, tableName: string, racers: number) {
  const store = createStore({ doc, tableName });
  const base = await governedSystem(store, { system: { riskTier: 'low' }, cases: 3 });
  const candidates: ReleaseCandidate[] = [];
  for (let i = 0; i < racers; i++) {
    candidates.push(await approvedCandidate(store, base, { name: `race-${i}`, evaluation: 'recorded' }));
  }
  const started = performance.now();
  const outcomes = await Promise.allSettled(
    candidates.map((c) =>
      createStore({ doc, tableName, queuePerSystem: false }).candidates.promoteCandidate(lifecycleOwner, c.id, {
        expectedActiveCandidateId: null,
      }),
    ),
  );
  const refused = outcomes
    .filter((o) => o.status === 'rejected')
    .map((o) => (o.reason as { detail?: { code?: string } }).detail?.code);
  const chain = await store.audit.verifyStoredChain(base.system.id);
  return {
    racers,
    won: outcomes.length - refused.length,
    refusedActiveReleaseChanged: refused.filter((code) => code === 'ACTIVE_RELEASE_CHANGED').length,
    chainOk: chain.ok,
    raceMs: Math.round(performance.now() - started),
  };
}

export async function benchStore(): Promise<Record<string, unknown>> {
  const dynamo = await startDynamoDbLocal({ heapMb: 1024 });
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench')));
    const meter = freshMeter();
    const store = createStore({ doc, tableName: 'bench', meter });
    const perAction = await requestsPerAction(store, meter);
    const small = await loadSystem(store, 100);
    const large = await loadSystem(store, 10_000);
    const page = async (systemId: string) => ({
      candidates: await firstPageLatency(() => store.candidates.listCandidates({ systemId }, { limit: 25 })),
      audit: await firstPageLatency(() => store.audit.listAuditEvents({ systemId }, { limit: 25 })),
    });
    const at100 = await page(small);
    const at10k = await page(large);
    const race = await promotionRace(doc, 'bench', 20);
    return {
      promotionRace: race,
      requestsPerAction: perAction,
      firstPageMedianMs: { at100, at10000: at10k },
      firstPageRatio10kTo100: {
        candidates: Number((at10k.candidates / at100.candidates).toFixed(3)),
        audit: Number((at10k.audit / at100.audit).toFixed(3)),
        target: '<= 1.3',
      },
    };
  } finally {
    await dynamo.stop();
  }
}
