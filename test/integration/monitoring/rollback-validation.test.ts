// Rollback validation on DynamoDB Local, asynchronous since ADR 0032: a rollback is a request whose target runs the
// system's rollback_validation datasets through the eval-run state machine (the local interpreter) on the executor
// it was gated with; the run's continuation rolls back when the validation passes or the tier warns, records the
// request blocked when the tier blocks, and refused when the active release changed meanwhile.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toProblem } from '../../../functions/api/problem.js';
import { ConflictError } from '../../../functions/domain/errors.js';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../../functions/domain/policy.js';
import type { EvalCase, RiskTier, Threshold } from '../../../functions/domain/types.js';
import type { GovernanceStore } from '../../../functions/store/index.js';
import { allPages } from '../../../functions/store/pagination.js';
import { copyToSystem } from '../../../functions/store/policies.js';
import { createProviderRuntime } from '../../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../../functions/workflows/providers/secrets.js';
import { requestRollback } from '../../../functions/workflows/rollback-validation.js';
import { type ModelServer, startModelServer } from '../../../local/model-server.js';
import { createSfnEvalRunner } from '../../../local/sfn-eval-runner.js';
import { rollbackAndWait } from '../../support/check-runs.js';
import { cases, modelConfigInput } from '../../support/fixtures.js';
import {
  activeCandidate,
  approveAll,
  approveArtefact,
  draftCandidate,
  governedSystem,
  owner,
  testEvidence,
} from '../../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../../support/store.js';
import { snapshotTable, type TableSnapshot } from '../../support/table-snapshot.js';

// Short tickets cost about 0.00005 USD a case with the fixture's model config; 40,000-character ones about 0.0016.
const COST_CEILING: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
  { metric: 'costMeanUsd', direction: 'max', value: 0.001, regressionTolerance: null },
];

function longTickets(n: number): EvalCase[] {
  return cases(n).map((c) => ({ ...c, caseId: `long-${c.caseId}`, input: { ticket: 'quoted mail '.repeat(3400) } }));
}

type TwoReleases = Awaited<ReturnType<typeof buildTwoReleases>>;

/** A system of `riskTier` with release 1 superseded by the active release 2, and optionally a validation set. */
async function buildTwoReleases(store: GovernanceStore, riskTier: RiskTier, validation: EvalCase[] | null) {
  const base = await governedSystem(store, { system: { riskTier }, cases: 4 });
  const first = await activeCandidate(store, base, { name: 'release 1', thresholds: COST_CEILING });
  const second = await activeCandidate(store, base, { name: 'release 2', thresholds: COST_CEILING });
  if (validation) {
    await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'rollback-smoke',
      kind: 'rollback_validation',
      description: 'smoke set',
      cases: validation,
    });
  }
  return { base, first, second };
}

describe('rollback validation', { timeout: 90_000 }, () => {
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  // The systems the cases start from, built once and put back before each case (a table snapshot that follows the
  // writes: every write of these cases goes through the store's client): each case still finds its system as built,
  // whatever ran before, and the file builds four systems of two releases, not seven.
  let systems: Record<'highLong' | 'mediumLong' | 'critical' | 'criticalBare', TwoReleases>;
  let fixture: TableSnapshot;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    systems = {
      highLong: await buildTwoReleases(store, 'high', longTickets(3)),
      mediumLong: await buildTwoReleases(store, 'medium', longTickets(3)),
      critical: await buildTwoReleases(store, 'critical', cases(3)),
      criticalBare: await buildTwoReleases(store, 'critical', null),
    };
    fixture = await snapshotTable(store.ctx.doc, store.ctx.tableName, { trackWrites: true });
  });
  beforeEach(async () => fixture.restore());
  afterAll(async () => drop());

  it('records the rollback of a high-tier system whose target fails validation as blocked, and rolls nothing back', async () => {
    // Prepare
    const { base, first, second } = systems.highLong;

    // Act
    const { opened, settled } = await rollbackAndWait(store, owner, second.id, { reason: 'latency spike' });

    // Assess: the request validated first, then settled blocked with the typed code; nothing moved
    expect(opened.request).toMatchObject({ status: 'validating', targetCandidateId: first.id });
    expect(settled).toMatchObject({
      status: 'blocked',
      problem: { code: 'ROLLBACK_VALIDATION_FAILED' },
      validation: { status: 'failed', decision: 'block', mode: 'block' },
      rollbackId: null,
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second.id);
    expect((await store.candidates.getCandidate(first.id)).status).toBe('superseded');
    expect(await store.candidates.rollbackHistory(base.system.id)).toEqual([]);
    const run = await store.evalRuns.getEvalRun(opened.request.validationRunId as string);
    expect(run).toMatchObject({
      purpose: 'rollback_validation',
      candidateId: first.id,
      status: 'failed',
      executor: 'simulated',
      rollbackRequestId: opened.request.id,
    });
    expect(run.failureReasons[0]).toMatch(/^costMeanUsd .* above maximum 0.001$/);
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    expect(audit.find((e) => e.action === 'release.rollback_blocked')?.after).toMatchObject({
      rollbackRequestId: opened.request.id,
      status: 'blocked',
      code: 'ROLLBACK_VALIDATION_FAILED',
    });
  });

  it('lets the rollback of a medium-tier system proceed with a warning in the response, the record and the audit', async () => {
    // Prepare
    const { base, first, second } = systems.mediumLong;

    // Act
    const { settled } = await rollbackAndWait(store, owner, second.id, { reason: 'latency spike' });

    // Assess
    expect(settled).toMatchObject({ status: 'rolled_back', targetCandidateId: first.id });
    expect(settled.validation).toMatchObject({ status: 'failed', decision: 'warn', mode: 'warn' });
    expect(settled.validation?.message).toMatch(/lets the rollback proceed/);
    const [rollback] = await store.candidates.rollbackHistory(base.system.id);
    expect(rollback).toMatchObject({ id: settled.rollbackId, actor: owner.userId });
    expect(rollback?.validation).toMatchObject({ decision: 'warn', evalRunId: settled.validationRunId });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(first.id);
    const audit = await allPages((p) => store.audit.listAuditEvents({ systemId: base.system.id }, p));
    const rolledBack = audit.find((e) => e.action === 'release.rolled_back');
    expect(rolledBack?.after).toMatchObject({ validation: { status: 'failed', decision: 'warn' } });
  });

  it('blocks the rollback of a medium-tier system when the version in force on its META says block', async () => {
    // Prepare: DEFAULT_POLICY warns for medium (the test above); version 2, copied onto the META, blocks
    const { base, first, second } = systems.mediumLong;
    const strict: ApprovalPolicy = {
      ...DEFAULT_POLICY,
      version: 2,
      rollbackValidation: { ...DEFAULT_POLICY.rollbackValidation, medium: 'block' },
    };
    await copyToSystem(store.ctx, base.system.id, strict.version, strict);

    // Act
    const { settled } = await rollbackAndWait(store, owner, second.id, { reason: 'latency spike' });

    // Assess
    expect(settled).toMatchObject({
      status: 'blocked',
      targetCandidateId: first.id,
      problem: { code: 'ROLLBACK_VALIDATION_FAILED' },
      validation: { status: 'failed', decision: 'block', mode: 'block' },
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second.id);
  });

  it('proceeds when the target passes its validation', async () => {
    // Prepare
    const { first, second } = systems.critical;

    // Act
    const { settled } = await rollbackAndWait(store, owner, second.id, { reason: 'incident' });

    // Assess: committed by the run's continuation
    expect(settled).toMatchObject({ status: 'rolled_back', targetCandidateId: first.id, problem: null });
    expect(settled.validation).toMatchObject({ status: 'passed', decision: 'proceed' });
    const run = await store.evalRuns.getEvalRun(settled.validationRunId as string);
    expect(run).toMatchObject({ purpose: 'rollback_validation', status: 'passed', totalCases: 3 });
    expect((await store.candidates.getCandidate(first.id)).status).toBe('active');
    expect((await store.candidates.getCandidate(second.id)).status).toBe('rolled_back');
  });

  it('proceeds and says so when the system has no rollback_validation dataset', async () => {
    // Prepare
    const { first, second } = systems.criticalBare;

    // Act
    const { opened } = await rollbackAndWait(store, owner, second.id, { reason: 'incident' });

    // Assess: the same answer shape, already rolled back, with no run to wait for
    expect(opened.run).toBeNull();
    expect(opened.request).toMatchObject({ status: 'rolled_back', targetCandidateId: first.id, validationRunId: null });
    expect(opened.request.validation).toMatchObject({ status: 'skipped', decision: 'proceed', evalRunId: null });
    expect(opened.request.validation?.message).toMatch(/no rollback_validation dataset/);
    expect(opened.rollback?.toCandidateId).toBe(first.id);
  });

  it('refuses a second rollback request of the release while the first validates (ROLLBACK_PENDING)', async () => {
    // Prepare: a request whose validation run has not started yet
    const { base, second } = systems.critical;
    const started: string[] = [];
    const first = await requestRollback(store, { start: (id) => void started.push(id) }, owner, second.id, {
      reason: 'incident',
    });

    // Act
    const error = await requestRollback(store, { start: () => undefined }, owner, second.id, {
      reason: 'again',
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(toProblem(error)).toMatchObject({
      status: 409,
      code: 'ROLLBACK_PENDING',
      rollbackRequestId: first.request.id,
    });
    expect(started).toEqual([first.request.validationRunId]);
    expect(await store.rollbackRequests.latestRollbackRequest(second.id)).toMatchObject({
      id: first.request.id,
      status: 'validating',
    });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(second.id);
  });

  it('ends refused with ACTIVE_RELEASE_CHANGED when a promotion lands while the validation runs', async () => {
    // Prepare: the request is recorded, its run held back; release 3 is promoted meanwhile
    const { base, first, second } = systems.critical;
    const held: string[] = [];
    const opened = await requestRollback(store, { start: (id) => void held.push(id) }, owner, second.id, {
      reason: 'incident',
    });
    const third = await activeCandidate(store, base, { name: 'release 3', thresholds: COST_CEILING });

    // Act: the validation run goes through the state machine now, and its continuation settles the request
    const runner = createSfnEvalRunner(store, { evidence: testEvidence, retryIntervalMs: 1 });
    for (const id of held) runner.start(id);
    await runner.idle();

    // Assess
    const settled = await store.rollbackRequests.getRollbackRequest(opened.request.id);
    expect(settled).toMatchObject({ status: 'refused', problem: { code: 'ACTIVE_RELEASE_CHANGED' }, rollbackId: null });
    expect(settled.validation).toMatchObject({ status: 'passed' });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(third.id);
    expect((await store.candidates.getCandidate(first.id)).status).toBe('superseded');
    expect(await store.candidates.rollbackHistory(base.system.id)).toEqual([]);
  });
});

describe('rollback validation on the provider executor', { timeout: 120_000 }, () => {
  const SECRET = 'sk-local-rollback-7e3a1c';
  const admin = actorOf(principal('usr_admin', ['admin']));
  let store: GovernanceStore;
  let drop: () => Promise<void>;
  let server: ModelServer;

  beforeAll(async () => {
    ({ store, drop } = await createTestStore());
    server = await startModelServer({ apiKey: SECRET });
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  const runnerOptions = () => ({
    evidence: testEvidence,
    retryIntervalMs: 1,
    allowedHosts: ['127.0.0.1:*'],
    providers: createProviderRuntime({
      resolveSecret: localSecretResolver({ env: { ROLLBACK_KEY: SECRET }, dataDir: '/nonexistent' }),
      allowedHosts: ['127.0.0.1:*'],
    }),
  });

  it('re-runs the target on the provider executor it was gated with, against the local model server', async () => {
    // Prepare: release 1 gated by a provider run through the OpenAI SDK, then superseded by release 2
    const connection = await store.providerConnections.registerConnection(admin, {
      name: 'local-openai',
      provider: 'openai',
      baseUrl: server.baseUrl('openai'),
      region: null,
      secretRef: 'env:ROLLBACK_KEY',
      concurrencyLimit: 4,
      changeSummary: 'the local model server',
    });
    const base = await governedSystem(store, { system: { riskTier: 'high' }, cases: 4 });
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
    const open = [{ metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null }] as Threshold[];
    const draft = await draftCandidate(store, base, { modelConfigId: config.id, name: 'release 1', thresholds: open });
    await store.candidates.submitCandidate(owner, draft.id);
    const { run: gateRun } = await store.evalRuns.createEvalRun(owner, draft.id, 'provider');
    const gate = createSfnEvalRunner(store, runnerOptions());
    gate.start(gateRun.id);
    await gate.idle();
    expect((await store.evalRuns.getEvalRun(gateRun.id)).status).toBe('passed');
    const { approvals } = await store.candidates.requestApproval(owner, draft.id);
    await approveAll(store, approvals);
    await store.candidates.promoteCandidate(owner, draft.id, { expectedActiveCandidateId: null });
    const second = await activeCandidate(store, base, { name: 'release 2', thresholds: open });
    await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'rollback-smoke',
      kind: 'rollback_validation',
      description: 'smoke set',
      cases: cases(3),
    });
    const callsBefore = server.calls();

    // Act
    const { settled } = await rollbackAndWait(store, owner, second.id, { reason: 'incident' }, runnerOptions());

    // Assess: validated by three calls to the model server, then rolled back
    const run = await store.evalRuns.getEvalRun(settled.validationRunId as string);
    expect(run).toMatchObject({
      executor: 'provider',
      purpose: 'rollback_validation',
      status: 'passed',
      totalCases: 3,
    });
    expect(run.executorNote).toBeUndefined();
    expect(server.calls() - callsBefore).toBe(3);
    expect(settled).toMatchObject({ status: 'rolled_back', targetCandidateId: draft.id });
    expect((await store.systems.getSystem(base.system.id)).activeReleases.production).toBe(draft.id);
  });
});
