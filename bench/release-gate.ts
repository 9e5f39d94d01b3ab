// Release gates through the local release-gate state machine (statemachines/release-gate.asl.json in
// aws-local-stepfunctions, with the local task-token registry) against DynamoDB Local: state transitions per gate
// (the cost driver of Standard workflows) by risk tier and outcome, and how long a gate takes to close after the
// last decision, with many gates open at once.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { METRIC_NAMES, type Metrics, type ReviewerRole, type RiskTier } from '../functions/domain/types.js';
import type { Decision } from '../functions/store/approvals.js';
import { createDocumentClient } from '../functions/store/client.js';
import { createStore, type GovernanceStore } from '../functions/store/index.js';
import { createTableInput } from '../functions/store/table-definition.js';
import { EVAL_SERVICE_ACTOR } from '../functions/workflows/eval-steps.js';
import { notifyGate } from '../functions/workflows/gate-runner.js';
import { startDynamoDbLocal } from '../local/dynamodb.js';
import { createLocalGateRunner, type GateReport } from '../local/gate-runner.js';
import { cases, LENIENT_THRESHOLDS, modelConfigInput, promptInput, systemInput } from '../test/support/fixtures.js';

const owner = { userId: 'omar.owner', name: 'Omar', roles: ['model_owner' as const] };
const reviewers: Record<ReviewerRole, { userId: string; name: string; roles: never[]; teams: []; systems: [] }> = {
  technical: { userId: 'tessa', name: 'Tessa', roles: ['reviewer:technical'] as never[], teams: [], systems: [] },
  product: { userId: 'priya', name: 'Priya', roles: ['reviewer:product'] as never[], teams: [], systems: [] },
  risk: { userId: 'rahul', name: 'Rahul', roles: ['reviewer:risk'] as never[], teams: [], systems: [] },
  governance: { userId: 'greta', name: 'Greta', roles: ['reviewer:governance'] as never[], teams: [], systems: [] },
};
const GATES_AT_ONCE = 20;

/** A system of `tier` with approved artefacts and a one-case dataset. */
async function governed(store: GovernanceStore, tier: RiskTier) {
  const { system } = await store.systems.createSystem(owner, systemInput({ riskTier: tier }));
  const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
  const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
  for (const [kind, id] of [
    ['prompt', prompt.id],
    ['model_config', config.id],
  ] as const) {
    await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
    await store.artefacts.transitionArtefact(reviewers.technical, kind, id, 'approved', 'ok');
  }
  const dataset = await store.datasets.createDataset(owner, {
    systemId: system.id,
    name: 'baseline',
    kind: 'baseline',
    description: 'one case',
    cases: cases(1),
  });
  return { system, prompt, config, dataset };
}

/** A candidate of the system with a recorded passing eval, its approval round open. */
async function awaiting(store: GovernanceStore, base: Awaited<ReturnType<typeof governed>>) {
  const rc = await store.candidates.createCandidate(owner, {
    systemId: base.system.id,
    name: 'rc',
    environment: 'production',
    promptVersionId: base.prompt.id,
    modelConfigId: base.config.id,
    datasetIds: [base.dataset.id],
    thresholds: LENIENT_THRESHOLDS,
    notes: '',
  });
  await store.candidates.submitCandidate(owner, rc.id);
  const { run } = await store.evalRuns.createEvalRun(owner, rc.id, 'simulated');
  await store.evalRuns.startEvalRun(EVAL_SERVICE_ACTOR, run.id);
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics;
  metrics.accuracy = 1;
  await store.evalRuns.completeEvalRun(EVAL_SERVICE_ACTOR, run.id, {
    passed: true,
    metrics,
    slices: [],
    thresholdVerdicts: [],
    comparisons: [],
    failureReasons: [],
  });
  return store.candidates.requestApproval(owner, rc.id);
}

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('a gate did not reach the expected point in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function benchReleaseGate(): Promise<Record<string, unknown>> {
  const dynamo = await startDynamoDbLocal({ heapMb: 512 });
  try {
    const doc = createDocumentClient({ endpoint: dynamo.endpoint });
    await doc.send(new CreateTableCommand(createTableInput('bench-gate')));
    const store = createStore({ doc, tableName: 'bench-gate' });
    const reports: GateReport[] = [];
    const runner = createLocalGateRunner(store, { retryIntervalMs: 5, onFinished: (r) => reports.push(r) });
    const reportOf = async (candidateId: string) => {
      await until(() => reports.some((r) => r.candidateId === candidateId));
      return reports.find((r) => r.candidateId === candidateId) as GateReport;
    };
    const decide = async (approval: { id: string; role: ReviewerRole }, decision: Decision) => {
      await store.approvals.decideApproval(reviewers[approval.role], approval.id, decision, decision);
      await notifyGate(store, runner.callbacks, approval.id, decision);
    };
    const open = async (base: Awaited<ReturnType<typeof governed>>) => {
      const round = await awaiting(store, base);
      runner.start(round.candidate.id, round.approvals[0]?.id as string);
      await until(async () => (await store.approvals.taskTokenOf(round.approvals.at(-1)?.id as string)) !== null);
      return round;
    };

    // Transitions per gate by tier (all approved) and by outcome (high tier).
    const transitionsByTier: Record<string, number> = {};
    const systems: Record<string, Awaited<ReturnType<typeof governed>>> = {};
    for (const tier of ['low', 'medium', 'high', 'critical'] as const) {
      systems[tier] = await governed(store, tier);
      const round = await open(systems[tier]);
      for (const a of round.approvals) await decide(a, 'approved');
      const report = await reportOf(round.candidate.id);
      transitionsByTier[`${tier} (${round.approvals.length} approvals)`] = report.transitions;
    }
    const high = systems.high as Awaited<ReturnType<typeof governed>>;
    const rejectedRound = await open(high);
    await decide(rejectedRound.approvals[0] as { id: string; role: ReviewerRole }, 'rejected');
    const changesRound = await open(high);
    await decide(changesRound.approvals[1] as { id: string; role: ReviewerRole }, 'changes_requested');
    const transitionsByOutcome = {
      approved: transitionsByTier['high (3 approvals)'],
      rejected: (await reportOf(rejectedRound.candidate.id)).transitions,
      changesRequested: (await reportOf(changesRound.candidate.id)).transitions,
    };
    const expiring = createLocalGateRunner(store, {
      retryIntervalMs: 5,
      approvalTimeoutSeconds: 1,
      onFinished: (r) => reports.push(r),
    });
    const expiredRound = await awaiting(store, high);
    expiring.start(expiredRound.candidate.id, expiredRound.approvals[0]?.id as string);
    const expired = await reportOf(expiredRound.candidate.id);

    // Many gates open at once: every decision goes through its gate; latency from the last decision to the close.
    const rounds = [];
    for (let i = 0; i < GATES_AT_ONCE; i++) rounds.push(await open(high));
    const started = performance.now();
    const closeLatencies: number[] = [];
    await Promise.all(
      rounds.map(async (round) => {
        for (const a of round.approvals) await decide(a, 'approved');
        const decided = performance.now();
        await reportOf(round.candidate.id);
        closeLatencies.push(performance.now() - decided);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const decisions = rounds.reduce((n, r) => n + r.approvals.length, 0);
    closeLatencies.sort((a, b) => a - b);
    const p = (q: number) =>
      Math.round(closeLatencies[Math.min(closeLatencies.length - 1, Math.floor(q * closeLatencies.length))] ?? 0);
    await runner.stop();
    await expiring.stop();
    return {
      transitionsPerGateByTier: transitionsByTier,
      transitionsPerGateHighTierByOutcome: { ...transitionsByOutcome, expired: expired.transitions },
      expiredOutcome: expired.end,
      gatesAtOnce: GATES_AT_ONCE,
      decisionsThroughGates: decisions,
      decisionsPerSecond: Math.round((decisions / seconds) * 10) / 10,
      closeAfterLastDecisionMs: { p50: p(0.5), p95: p(0.95) },
      note: 'transitions = states entered (OpenRound, IsRoundOpen, AwaitDecisions, one AwaitDecision per required approval, Settle or Expire, the end state): 5 + required roles, whatever the outcome: every wait is entered when the round opens, and the outcome only chooses Settle or Expire',
    };
  } finally {
    await dynamo.stop();
  }
}
