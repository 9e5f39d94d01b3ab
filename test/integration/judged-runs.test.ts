// Eval runs graded by governed judges, on DynamoDB Local against the local model server (issue 17, ADR 0039): the
// llm-rubric assertions of a candidate's datasets name judge config versions, the candidate pins them at creation,
// and its gate run, its release's monitoring run and a submitted run call them through the provider runtime. A judge
// that answers outside its schema fails the case with the reason, never the run; a newer version of the judge, once
// approved, does not grade the release that pinned the older one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../functions/domain/errors.js';
import { type ApprovalPolicy, DEFAULT_POLICY } from '../../functions/domain/policy.js';
import {
  type AiSystem,
  type Assertion,
  DEFAULT_JUDGE_OUTPUT_SCHEMA,
  DEFAULT_RUBRIC_PROMPT,
  type EvalRun,
  type JudgeConfigVersion,
  type ModelConfigVersion,
  type Threshold,
} from '../../functions/domain/types.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { MONITOR_ACTOR } from '../../functions/workflows/check-run.js';
import { createInProcessEvalRunner } from '../../functions/workflows/eval-runner.js';
import { submitEvalResults } from '../../functions/workflows/eval-steps.js';
import { createProviderRuntime } from '../../functions/workflows/providers/runtime.js';
import { localSecretResolver } from '../../functions/workflows/providers/secrets.js';
import { scoreSampleWindowRun } from '../../functions/workflows/sample-monitoring.js';
import { type ModelServer, startModelServer } from '../../local/model-server.js';
import { cases, modelConfigInput } from '../support/fixtures.js';
import {
  approveAll,
  approveArtefact,
  type GovernedSystem,
  governedSystem,
  owner,
  people,
  testEvidence,
} from '../support/lifecycle.js';
import { actorOf, createTestStore, principal } from '../support/store.js';

const SECRET = 'sk-local-judged-runs-7c1d';
let store: GovernanceStore;
let drop: () => Promise<void>;
let server: ModelServer;
const providers = () =>
  createProviderRuntime({
    resolveSecret: localSecretResolver({ env: { JUDGE_KEY: SECRET }, dataDir: '/nonexistent' }),
    allowedHosts: ['127.0.0.1:*'],
    sleep: async () => {},
  });

beforeAll(async () => {
  ({ store, drop } = await createTestStore());
  server = await startModelServer({ apiKey: SECRET });
});
afterAll(async () => {
  await server?.stop();
  await drop?.();
});

/** The criterion the local model server grades: an output passes iff it contains none of the quoted words. */
const NO_LEGAL_ADVICE = 'The answer gives no legal advice: it never says "lawyer" or "sue".';
/** A criterion every simulated output fails: each is JSON with a "label" member. */
const NO_LABEL = 'The answer never says "label".';

/** A model config of the system on the local model server, approved: what a judge calls. */
async function judgeModel(system: AiSystem): Promise<ModelConfigVersion> {
  const connection = await store.providerConnections.registerConnection(actorOf(people.owner), {
    name: `local model server ${system.id}`,
    provider: 'openai',
    baseUrl: server.baseUrl('openai'),
    region: null,
    secretRef: 'env:JUDGE_KEY',
    concurrencyLimit: 4,
    changeSummary: 'the local model server',
  });
  const config = await store.artefacts.createModelConfig(
    owner,
    modelConfigInput(system.id, {
      name: 'judge-model',
      parameters: { temperature: 0, maxTokens: 200, topP: 1 },
      routingPolicy: {
        strategy: 'single',
        routes: [{ target: 'local', weight: 1, connection: { id: connection.id, version: connection.version } }],
      },
      fallbackPolicy: { enabled: false, fallbackModel: null, maxRetries: 0 },
    }),
  );
  await approveArtefact(store, 'model_config', config.id);
  return config;
}

/** A judge config of the system calling `model`; approved unless told otherwise. */
async function judge(
  base: GovernedSystem,
  model: ModelConfigVersion,
  options: { outputSchema?: Record<string, unknown>; approve?: boolean } = {},
): Promise<JudgeConfigVersion> {
  const created = await store.artefacts.createArtefact(owner, 'judge_config', {
    systemId: base.system.id,
    name: 'no-legal-advice',
    modelConfigId: model.id,
    rubricPrompt: DEFAULT_RUBRIC_PROMPT,
    outputSchema: options.outputSchema ?? DEFAULT_JUDGE_OUTPUT_SCHEMA,
    passThreshold: null,
    changeSummary: 'the legal-advice judge',
  });
  if (options.approve === false) return created as JudgeConfigVersion;
  return (await approveArtefact(store, 'judge_config', created.id)) as JudgeConfigVersion;
}

/** A dataset whose cases each carry an llm-rubric assertion named `name`, graded by `judgeId`, and a JSON check. */
function judgedDataset(base: GovernedSystem, judgeId: string, rubric = NO_LEGAL_ADVICE, name = 'judged') {
  const assert: Assertion[] = [{ type: 'llm-rubric', value: rubric, judge: judgeId, name: 'no-legal-advice' }];
  return store.datasets.createDataset(owner, {
    systemId: base.system.id,
    name,
    kind: 'regression',
    description: 'judged by a governed judge',
    defaultAssert: [{ type: 'is-json', name: 'json' }],
    cases: cases(4).map((c) => ({ ...c, assert })),
  });
}

const THRESHOLDS: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
  { metric: 'assert.no-legal-advice', direction: 'min', value: 1, regressionTolerance: null },
];

/** A submitted candidate of the system gating on `datasetIds`, its judges derived from them. */
async function candidateOn(base: GovernedSystem, datasetIds: string[], environment: 'production' | 'staging') {
  const candidate = await store.candidates.createCandidate(owner, {
    systemId: base.system.id,
    name: 'judged',
    environment,
    promptVersionId: base.prompt.id,
    modelConfigId: base.config.id,
    datasetIds,
    thresholds: THRESHOLDS,
    notes: '',
  });
  return store.candidates.submitCandidate(owner, candidate.id);
}

/** Runs an eval run to its end in this process with the provider runtime, as the eval state machine would. */
async function runToEnd(runId: string): Promise<EvalRun> {
  const runner = createInProcessEvalRunner(store, { evidence: testEvidence, providers: providers() });
  runner.start(runId);
  await runner.idle();
  return store.evalRuns.getEvalRun(runId);
}

/** The llm-rubric verdicts of a run's evidence, case by case. */
async function rubricVerdicts(runId: string) {
  const page = await testEvidence.readPage(runId, { limit: 100, cursor: null });
  return page.records.map((r) => r.assertions?.find((a) => a.type === 'llm-rubric'));
}

describe('eval runs graded by governed judges', () => {
  it('pins the judge a dataset names and passes a generative candidate its judge grades through the model server', async () => {
    // Prepare
    const base = await governedSystem(store);
    const jc = await judge(base, await judgeModel(base.system));
    const dataset = await judgedDataset(base, jc.id);
    const candidate = await candidateOn(base, [base.dataset.id, dataset.id], 'production');

    // Act
    const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'simulated');
    const done = await runToEnd(run.id);

    // Assess
    expect(candidate.judgeConfigs).toEqual([
      { id: jc.id, contentHash: jc.contentHash, modelConfigId: jc.modelConfigId },
    ]);
    expect(done.status).toBe('passed');
    expect(done.metrics).toMatchObject({ 'assert.no-legal-advice': 1, 'assert.json': 1 });
    const verdicts = await rubricVerdicts(run.id);
    expect(verdicts.filter(Boolean)).toHaveLength(4);
    expect(verdicts.filter(Boolean).every((v) => v?.pass === true)).toBe(true);
  });

  it('fails the cases, not the run, when the judge answers outside its output schema, saying why', async () => {
    // Prepare: the model server's reasons are short; this judge's schema asks for a long one
    const base = await governedSystem(store);
    const strict = {
      ...DEFAULT_JUDGE_OUTPUT_SCHEMA,
      properties: { ...DEFAULT_JUDGE_OUTPUT_SCHEMA.properties, reason: { type: 'string', minLength: 500 } },
    };
    const jc = await judge(base, await judgeModel(base.system), { outputSchema: strict });
    const dataset = await judgedDataset(base, jc.id);
    const candidate = await candidateOn(base, [dataset.id], 'production');

    // Act
    const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'simulated');
    const done = await runToEnd(run.id);

    // Assess
    expect(done.status).toBe('failed');
    expect(done.metrics?.['assert.no-legal-advice']).toBe(0);
    expect(done.failureReasons.join(' ')).toContain('assert.no-legal-advice');
    expect(await rubricVerdicts(run.id)).toEqual(
      Array(4).fill(expect.objectContaining({ pass: false, reason: 'the judge answered outside its output schema' })),
    );
  });

  it('refuses a candidate whose dataset names a judge that is not approved or not of its system, writing nothing', async () => {
    // Prepare
    const base = await governedSystem(store);
    const other = await governedSystem(store);
    const draft = await judge(base, await judgeModel(base.system), { approve: false });
    const foreign = await judge(other, await judgeModel(other.system));
    const unapprovedSet = await judgedDataset(base, draft.id, NO_LEGAL_ADVICE, 'draft-judge');
    const foreignSet = await judgedDataset(base, foreign.id, NO_LEGAL_ADVICE, 'foreign-judge');

    // Act
    const unapproved = await candidateOn(base, [unapprovedSet.id], 'production').catch((e: unknown) => e);
    const elsewhere = await candidateOn(base, [foreignSet.id], 'production').catch((e: unknown) => e);

    // Assess
    expect(unapproved).toBeInstanceOf(ConflictError);
    expect(unapproved).toMatchObject({ detail: { code: 'SNAPSHOT_INELIGIBLE', field: 'judgeConfigIds' } });
    expect((unapproved as Error).message).toContain(`${draft.id} (named by an llm-rubric assertion of dataset`);
    expect(elsewhere).toBeInstanceOf(ValidationError);
    expect((elsewhere as Error).message).toContain(foreign.id);
    const written = await store.candidates.listCandidates({ systemId: base.system.id }, { limit: 10 });
    expect(written.items).toEqual([]);
  });

  it('keeps grading a release with the judge it pinned after a newer version of the judge is approved', async () => {
    // Prepare: a staging release pinned judge v1; v2 of the same judge fails everything (a stricter schema)
    const base = await governedSystem(store);
    const model = await judgeModel(base.system);
    const v1 = await judge(base, model);
    const dataset = await judgedDataset(base, v1.id);
    const candidate = await candidateOn(base, [dataset.id], 'staging');
    const { run: gateRun } = await store.evalRuns.createEvalRun(owner, candidate.id, 'simulated');
    expect((await runToEnd(gateRun.id)).status).toBe('passed');
    const { approvals } = await store.candidates.requestApproval(owner, candidate.id);
    await approveAll(store, approvals);
    await store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null });
    const v2 = await judge(base, model, {
      outputSchema: {
        ...DEFAULT_JUDGE_OUTPUT_SCHEMA,
        properties: { ...DEFAULT_JUDGE_OUTPUT_SCHEMA.properties, reason: { type: 'string', minLength: 500 } },
      },
    });
    const v2Set = await judgedDataset(base, v2.id, NO_LABEL, 'judged-by-v2');

    // Act: the release's monitoring runs on its own dataset, and on one whose assertion names v2
    const own = await store.monitoring.startCheckRun(MONITOR_ACTOR, {
      candidateId: candidate.id,
      purpose: 'monitoring',
      datasetIds: [dataset.id],
      executor: 'simulated',
    });
    const ownDone = await runToEnd(own.id);
    const newer = await store.monitoring.startCheckRun(MONITOR_ACTOR, {
      candidateId: candidate.id,
      purpose: 'monitoring',
      datasetIds: [v2Set.id],
      executor: 'simulated',
    });
    const newerDone = await runToEnd(newer.id);

    // Assess: v1 grades as at approval; v2 grades nothing of the release
    expect(v2.version).toBe(2);
    expect(v2.status).toBe('approved');
    expect((await store.candidates.getCandidate(candidate.id)).judgeConfigs?.map((j) => j.id)).toEqual([v1.id]);
    expect(ownDone.metrics?.['assert.no-legal-advice']).toBe(1);
    expect(await rubricVerdicts(own.id)).toEqual(await rubricVerdicts(gateRun.id));
    expect(newerDone.metrics?.['assert.no-legal-advice']).toBe(0);
    expect((await rubricVerdicts(newer.id))[0]?.reason).toContain(`${v2.id} is not pinned in the candidate's snapshot`);
  });

  it("grades a submitted run's posted text with the candidate's pinned judge once every case is posted, keeping a recorded verdict", async () => {
    // Prepare
    const base = await governedSystem(store);
    const jc = await judge(base, await judgeModel(base.system));
    const dataset = await judgedDataset(base, jc.id);
    const candidate = await candidateOn(base, [dataset.id], 'production');
    const { run } = await store.evalRuns.createEvalRun(owner, candidate.id, 'submitted');
    const posted = cases(4).map((c, i) => ({
      caseId: c.caseId,
      output: { label: c.expectedLabel },
      outputText: i === 3 ? 'You should ask a lawyer.' : '{"label":"billing"}',
      latencyMs: 10,
      costUsd: 0,
    }));

    // Act: three cases first (recorded, waiting), then the last, whose post aggregates and grades in this process
    const first = await submitEvalResults(store, owner, run.id, posted.slice(0, 3), { evidence: testEvidence });
    const waiting = await store.evalRuns.listCaseResults(run.id, { limit: 10 });
    const { run: done } = await submitEvalResults(store, owner, run.id, posted.slice(3), {
      evidence: testEvidence,
      providers: providers(),
    });
    const results = await store.evalRuns.listCaseResults(run.id, { limit: 10 });
    const retried = await store.evalRuns.recordGradedResults(run.id, [{ index: 3, assertions: [] }]);

    // Assess
    expect(first.run).toMatchObject({ status: 'running', casesToGrade: 3 });
    expect(waiting.items.map((r) => r.assertions)).toEqual([undefined, undefined, undefined]);
    expect(waiting.items.every((r) => !('texts' in r) && !('awaitingGrading' in r))).toBe(true);
    expect(done.status).toBe('failed');
    expect(done.casesToGrade).toBe(4);
    expect(done.metrics?.['assert.no-legal-advice']).toBe(0.75);
    const failed = results.items.find((r) => r.caseId === 'case-3')?.assertions?.find((a) => a.type === 'llm-rubric');
    expect(failed).toMatchObject({ pass: false, reason: 'the output contains "lawyer"' });
    expect(retried.gradedBefore).toEqual([3]);
    const kept = (await store.evalRuns.caseResultsInRange(run.id, 3, 4))[0];
    expect(kept?.assertions?.find((a) => a.type === 'llm-rubric')).toEqual(failed);
  });
});

describe('policy floors and drift tolerances on assertions', () => {
  /** DEFAULT_POLICY as a draft document, with `change` applied. */
  function draftDocument(change: (doc: ApprovalPolicy) => void): Record<string, unknown> {
    const doc = structuredClone(DEFAULT_POLICY);
    change(doc);
    const { version: _v, effectiveFrom: _e, ...rest } = doc;
    return rest as unknown as Record<string, unknown>;
  }
  const greta = actorOf(principal('greta.governance', ['reviewer:governance']));

  it('accepts a floor on an assertion a dataset of that tier defines and refuses one no dataset of the tier defines, naming it', async () => {
    // Prepare: a critical-tier system defines assertion `cites-<n>`, a high-tier one `polite-<n>`
    const suffix = Date.now().toString(36);
    for (const [tier, name] of [
      ['critical', `cites-${suffix}`],
      ['high', `polite-${suffix}`],
    ] as const) {
      const base = await governedSystem(store, { system: { riskTier: tier } });
      await store.datasets.createDataset(owner, {
        systemId: base.system.id,
        name: 'asserted',
        kind: 'regression',
        description: '',
        cases: cases(2).map((c) => ({ ...c, assert: [{ type: 'contains', value: 'ticket', name }] })),
      });
    }
    const floor = (name: string) => (doc: ApprovalPolicy) => {
      doc.promotionRules.production.critical.thresholdFloors.push({ metric: `assert.${name}`, floor: 0.9 });
    };
    const drift = (doc: ApprovalPolicy) => {
      doc.monitoring.driftThresholds.push({
        metric: `assert.nowhere-${suffix}`,
        direction: 'min',
        tolerance: 0.1,
        relative: false,
      });
    };

    // Act
    const accepted = await store.policies.createPolicyDraft(greta, {
      document: draftDocument(floor(`cites-${suffix}`)),
      reason: 'ok',
    });
    const wrongTier = await store.policies
      .createPolicyDraft(greta, { document: draftDocument(floor(`polite-${suffix}`)), reason: 'low' })
      .catch((e: unknown) => e);
    const undefinedDrift = await store.policies
      .updatePolicyDraft(greta, accepted.version, { document: draftDocument(drift), reason: 'drift' })
      .catch((e: unknown) => e);

    // Assess
    expect(accepted.status).toBe('draft');
    expect(wrongTier).toBeInstanceOf(ValidationError);
    expect(wrongTier).toMatchObject({
      detail: { field: 'document.promotionRules.production.critical.thresholdFloors[0].metric' },
    });
    expect((wrongTier as Error).message).toContain(
      `assert.polite-${suffix}, which no dataset of a critical-tier system defines`,
    );
    expect(undefinedDrift).toBeInstanceOf(ValidationError);
    expect((undefinedDrift as Error).message).toContain(
      `assert.nowhere-${suffix}, which no dataset of any system defines`,
    );
    const drafts = await store.policies.listPolicies({ limit: 50 });
    expect(drafts.items.filter((p) => p.reason === 'low')).toEqual([]);
    expect((await store.policies.getPolicy(accepted.version)).reason).toBe('ok');
  });

  it("grades production samples with the release's pinned judge in the monitoring pass (ADR 0039, 0042)", async () => {
    // Prepare: a staging release whose dataset applies the llm-rubric to every case (and so to every sample)
    const base = await governedSystem(store);
    const jc = await judge(base, await judgeModel(base.system));
    const dataset = await store.datasets.createDataset(owner, {
      systemId: base.system.id,
      name: 'judged-defaults',
      kind: 'regression',
      description: 'every case judged by the governed judge',
      defaultAssert: [{ type: 'llm-rubric', value: NO_LEGAL_ADVICE, judge: jc.id, name: 'no-legal-advice' }],
      cases: cases(4),
    });
    const candidate = await candidateOn(base, [dataset.id], 'staging');
    const { run: gateRun } = await store.evalRuns.createEvalRun(owner, candidate.id, 'simulated');
    expect((await runToEnd(gateRun.id)).status).toBe('passed');
    const { approvals } = await store.candidates.requestApproval(owner, candidate.id);
    await approveAll(store, approvals);
    await store.candidates.promoteCandidate(owner, candidate.id, { expectedActiveCandidateId: null });
    // 50 samples (the default minimum), one in five advising to sue
    const samples = Array.from({ length: 50 }, (_, i) => ({
      input: `question ${i}`,
      output: i % 5 === 0 ? 'You should sue them.' : 'Here is how the refund policy works.',
    }));
    for (const batch of [samples.slice(0, 25), samples.slice(25)])
      await store.samples.postSamples(owner, base.system.id, { environment: 'staging', samples: batch });

    // Act
    const withJudge = await scoreSampleWindowRun(store, {
      systemId: base.system.id,
      releaseId: candidate.id,
      services: {},
      providers: providers(),
    });
    const withoutRuntime = await scoreSampleWindowRun(store, {
      systemId: base.system.id,
      releaseId: candidate.id,
      services: {},
    });

    // Assess: graded by the pinned judge through the model server; without a runtime the pass says it could not
    expect(withJudge?.status).toBe('scored');
    expect(withJudge?.status === 'scored' && withJudge.outcome.metrics['assert.no-legal-advice']).toBe(0.8);
    expect(withoutRuntime).toMatchObject({ status: 'skipped' });
    expect(withoutRuntime?.status === 'skipped' && withoutRuntime.note).toContain('no judge service in this pass');
  });
});
