// Builders of governed state for store tests: a system with approved artefacts and a dataset, and candidates
// taken quickly to a given point of their lifecycle (submitted, evaluated, awaiting approval, approved, active).
import {
  type AiSystem,
  type ApprovalRecord,
  type Environment,
  type EvalDataset,
  METRIC_NAMES,
  type Metrics,
  type ModelConfigVersion,
  type Principal,
  type PromptVersion,
  type ReleaseCandidate,
  type ReviewerRole,
  type Threshold,
} from '../../functions/domain/types.js';
import type { EvalOutcome } from '../../functions/store/eval-runs.js';
import type { GovernanceStore } from '../../functions/store/index.js';
import { createMemoryEvidenceStore } from '../../functions/store/memory-evidence-store.js';
import type { SystemInput } from '../../functions/store/systems.js';
import { createInProcessEvalRunner } from '../../functions/workflows/eval-runner.js';
import { EVAL_SERVICE_ACTOR } from '../../functions/workflows/eval-steps.js';
import { cases, modelConfigInput, promptInput, systemInput } from './fixtures.js';
import { actorOf, principal } from './store.js';

/** The people of the store tests: an owner who authors everything, and one distinct reviewer per role. */
export const people = {
  owner: principal('omar.owner', ['model_owner'], { teams: ['support-ai'] }),
  technical: principal('tessa.technical', ['reviewer:technical']),
  product: principal('priya.product', ['reviewer:product']),
  risk: principal('rita.risk', ['reviewer:risk']),
  governance: principal('gus.governance', ['reviewer:governance']),
} as const;

export const reviewerFor: Record<ReviewerRole, Principal> = {
  technical: people.technical,
  product: people.product,
  risk: people.risk,
  governance: people.governance,
};

export const owner = actorOf(people.owner);

/** Thresholds every simulated run passes, whatever the seed (the snapshot hash varies with the system id). */
export const PASSING_THRESHOLDS: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 0, regressionTolerance: null },
];

/** Thresholds no run can pass: accuracy is at most 1. */
export const FAILING_THRESHOLDS: Threshold[] = [
  { metric: 'accuracy', direction: 'min', value: 1.5, regressionTolerance: null },
];

export interface GovernedSystem {
  system: AiSystem;
  prompt: PromptVersion;
  config: ModelConfigVersion;
  dataset: EvalDataset;
}

/** Submits an artefact for review and has the technical reviewer approve it. */
export async function approveArtefact(
  store: GovernanceStore,
  kind: 'prompt' | 'model_config' | 'judge_config',
  id: string,
) {
  await store.artefacts.transitionArtefact(owner, kind, id, 'in_review', null);
  return store.artefacts.transitionArtefact(actorOf(people.technical), kind, id, 'approved', 'ok');
}

/** A registered system with an approved prompt, an approved model config and a small baseline dataset. */
export async function governedSystem(
  store: GovernanceStore,
  options: { system?: Partial<SystemInput>; cases?: number } = {},
): Promise<GovernedSystem> {
  const { system } = await store.systems.createSystem(owner, systemInput(options.system));
  const prompt = await store.artefacts.createPrompt(owner, promptInput(system.id));
  const config = await store.artefacts.createModelConfig(owner, modelConfigInput(system.id));
  await approveArtefact(store, 'prompt', prompt.id);
  await approveArtefact(store, 'model_config', config.id);
  const dataset = await store.datasets.createDataset(owner, {
    systemId: system.id,
    name: 'baseline',
    kind: 'baseline',
    description: 'a few cases',
    cases: cases(options.cases ?? 4),
  });
  return {
    system,
    prompt: await store.artefacts.getPrompt(prompt.id),
    config: await store.artefacts.getModelConfig(config.id),
    dataset,
  };
}

export interface CandidateOptions {
  name?: string;
  environment?: Environment;
  thresholds?: Threshold[];
  promptVersionId?: string;
  modelConfigId?: string;
  datasetIds?: string[];
  /** The judge config versions the candidate pins (ADR 0036); absent, none. */
  judgeConfigIds?: string[];
  /**
   * How the candidate is evaluated: `simulated` runs the in-process eval runner (per-case evidence, real metrics);
   * `recorded` queues, starts and completes the run with a passing verdict directly in the store, in three
   * transactions, for tests that need many evaluated candidates and not their evidence.
   */
  evaluation?: 'simulated' | 'recorded';
}

/** A draft candidate of the governed system's artefacts. */
export function draftCandidate(
  store: GovernanceStore,
  base: GovernedSystem,
  options: CandidateOptions = {},
): Promise<ReleaseCandidate> {
  return store.candidates.createCandidate(owner, {
    systemId: base.system.id,
    name: options.name ?? 'rc',
    environment: options.environment ?? 'production',
    promptVersionId: options.promptVersionId ?? base.prompt.id,
    modelConfigId: options.modelConfigId ?? base.config.id,
    ...(options.judgeConfigIds ? { judgeConfigIds: options.judgeConfigIds } : {}),
    datasetIds: options.datasetIds ?? [base.dataset.id],
    thresholds: options.thresholds ?? PASSING_THRESHOLDS,
    notes: '',
  });
}

/** The in-memory evidence store the helpers' simulated runs write to; tests read a run's evidence back from it. */
export const testEvidence = createMemoryEvidenceStore();

/** Runs a simulated eval of the candidate to its verdict in this process; the candidate must be submitted. */
export async function runSimulatedEval(store: GovernanceStore, candidateId: string): Promise<ReleaseCandidate> {
  const { run } = await store.evalRuns.createEvalRun(owner, candidateId, 'simulated');
  const runner = createInProcessEvalRunner(store, { batchSize: 50, evidence: testEvidence });
  runner.start(run.id);
  await runner.idle();
  const done = await store.evalRuns.getEvalRun(run.id);
  if (done.status !== 'passed' && done.status !== 'failed') {
    throw new Error(`eval run ${run.id} ended ${done.status}: ${done.error}`);
  }
  return store.candidates.getCandidate(candidateId);
}

/** A passing verdict, as an eval run's last step would record it. */
export function passingOutcome(): EvalOutcome {
  const metrics = Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics;
  metrics.accuracy = 1;
  return {
    passed: true,
    metrics,
    slices: [],
    thresholdVerdicts: [{ metric: 'accuracy', direction: 'min', threshold: 0, actual: 1, passed: true }],
    comparisons: [],
    failureReasons: [],
  };
}

/** Queues, starts and completes an eval run of a submitted candidate with `outcome`, without executing cases. */
export async function recordEval(
  store: GovernanceStore,
  candidateId: string,
  outcome: EvalOutcome = passingOutcome(),
): Promise<ReleaseCandidate> {
  const { run } = await store.evalRuns.createEvalRun(owner, candidateId, 'simulated');
  await store.evalRuns.startEvalRun(EVAL_SERVICE_ACTOR, run.id);
  await store.evalRuns.completeEvalRun(EVAL_SERVICE_ACTOR, run.id, outcome);
  return store.candidates.getCandidate(candidateId);
}

/** A submitted candidate with a finished eval run (passed with the default thresholds). */
export async function evaluatedCandidate(
  store: GovernanceStore,
  base: GovernedSystem,
  options: CandidateOptions = {},
): Promise<ReleaseCandidate> {
  const draft = await draftCandidate(store, base, options);
  await store.candidates.submitCandidate(owner, draft.id);
  return options.evaluation === 'recorded' ? recordEval(store, draft.id) : runSimulatedEval(store, draft.id);
}

/** An evaluated candidate whose approval round is open. */
export async function candidateAwaitingApproval(
  store: GovernanceStore,
  base: GovernedSystem,
  options: CandidateOptions = {},
): Promise<{ candidate: ReleaseCandidate; approvals: ApprovalRecord[] }> {
  const evaluated = await evaluatedCandidate(store, base, options);
  return store.candidates.requestApproval(owner, evaluated.id);
}

/** Approves every open approval of a round, each role by its own reviewer. */
export async function approveAll(store: GovernanceStore, approvals: ApprovalRecord[]): Promise<void> {
  for (const a of approvals) await store.approvals.decideApproval(reviewerFor[a.role], a.id, 'approved', 'fine');
}

/** A candidate taken through eval and every approval its system's risk tier requires. */
export async function approvedCandidate(
  store: GovernanceStore,
  base: GovernedSystem,
  options: CandidateOptions = {},
): Promise<ReleaseCandidate> {
  const { candidate, approvals } = await candidateAwaitingApproval(store, base, options);
  await approveAll(store, approvals);
  return store.candidates.getCandidate(candidate.id);
}

/** An approved candidate promoted over whatever is active in its environment now. */
export async function activeCandidate(
  store: GovernanceStore,
  base: GovernedSystem,
  options: CandidateOptions = {},
): Promise<ReleaseCandidate> {
  const approved = await approvedCandidate(store, base, options);
  const system = await store.systems.getSystem(base.system.id);
  const { candidate } = await store.candidates.promoteCandidate(owner, approved.id, {
    expectedActiveCandidateId: system.activeReleases[approved.environment],
  });
  return candidate;
}
