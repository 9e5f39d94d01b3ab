import {
  caseEvidencePageResponse,
  evalResultsAcceptedResponse,
  evalRunResponse,
  evalRunWithProgressResponse,
  listEvalRunsQuery,
  pageOf,
  pageQuery,
  promptfooResultsRequest,
  submitResultsRequest,
} from '../contracts/index.js';
import { type Submission, submissionsFromPromptfoo } from '../domain/eval/index.js';
import type { EvalRun } from '../domain/types.js';
import type { Env } from '../store/config.js';
import { evidenceStoreFromEnv } from '../store/evidence-store.js';
import type { GovernanceStore } from '../store/index.js';
import { explainedCaseEvidence } from '../workflows/case-evidence.js';
import type { EvalRunner } from '../workflows/eval-runner.js';
import { submitEvalResults } from '../workflows/eval-steps.js';
import { actorOf, childAccess, readable } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';

async function loadRun(req: IdRequest, access: 'read' | 'write') {
  const run = await req.deps.store.evalRuns.getEvalRun(req.params.id);
  await childAccess(req, run, 'eval run', access);
  return run;
}

const progress = (run: { casesDone: number; totalCases: number; status: EvalRun['status'] }) => ({
  casesDone: run.casesDone,
  totalCases: run.totalCases,
  percent: run.totalCases ? Math.floor((100 * run.casesDone) / run.totalCases) : 0,
  phase:
    run.status === 'aggregating'
      ? ('aggregating' as const)
      : run.status === 'queued' || run.status === 'running'
        ? ('cases' as const)
        : ('finished' as const),
});

/**
 * Records a post's submissions on the run (the last one hands the run to the runner), answering its progress. The
 * submissions are read from the body once the run is found and the caller may write it: a 404 or 403 comes first.
 */
async function acceptSubmissions(req: IdRequest, submissionsOf: () => Submission[]) {
  await loadRun(req, 'write');
  const submissions = submissionsOf();
  const { evalRunner, evidence } = req.deps;
  // Composition faults, not the caller's: the post that completes a run must hand it to a runner, and the texts that
  // model-graded assertions judge wait for the eval worker in the evidence store (ADR 0050). This function calls
  // no provider: it holds no provider secret.
  if (!evalRunner) throw new Error('this function was composed without an eval runner (Deps.evalRunner)');
  if (!evidence) throw new Error('this function was composed without an evidence store (Deps.evidence)');
  const out = await submitEvalResults(req.deps.store, actorOf(req.principal), req.params.id, submissions, {
    startAggregation: (runId) => evalRunner.start(runId),
    evidence,
  });
  const { run, accepted, recorded, alreadyPosted } = out;
  return {
    body: { ...run, accepted, recorded, alreadyPosted, progress: progress(run) },
    headers: { location: `/api/eval-runs/${run.id}` },
  };
}

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/eval-runs',
    summary: 'List eval runs (newest first), optionally of one candidate',
    query: listEvalRunsQuery,
    response: { status: 200, body: pageOf(evalRunResponse) },
    handle: async (req) => {
      if (req.query.candidateId) {
        const candidate = await req.deps.store.candidates.getCandidate(req.query.candidateId);
        await childAccess(req, candidate, 'release candidate', 'read');
      }
      const page = await req.deps.store.evalRuns.listEvalRuns({ candidateId: req.query.candidateId }, req.query);
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/eval-runs/{id}',
    summary: 'One eval run with its progress, metrics, verdicts and comparisons',
    response: { status: 200, body: evalRunWithProgressResponse },
    handle: async (req) => {
      const run = await loadRun(req, 'read');
      return { status: 200, body: { ...run, progress: progress(run) } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/eval-runs/{id}/cases',
    summary: 'Per-case evidence of a run, page by page, with the reason of each output-contract failure',
    query: pageQuery,
    response: { status: 200, body: caseEvidencePageResponse },
    handle: async (req) => {
      const run = await loadRun(req, 'read');
      const { evidence } = req.deps;
      // A composition fault, not the caller's: logged and answered as a generic 500 by the error middleware.
      if (!evidence) throw new Error('this function was composed without an evidence store (Deps.evidence)');
      return { status: 200, body: await explainedCaseEvidence(req.deps.store, run, req.query, { evidence }) };
    },
  }),
  route({
    method: 'POST',
    path: '/api/eval-runs/{id}/results',
    summary:
      'Post outputs the pipeline produced for a submitted run; answers 202 with its progress, and once every case has one the run is aggregated and gated in the background, where the eval worker grades its llm-rubric and similar assertions (ADR 0050)',
    body: submitResultsRequest,
    maxBodyBytes: 5 * 1024 * 1024,
    response: { status: 202, body: evalResultsAcceptedResponse },
    handle: async (req) => ({ status: 202, ...(await acceptSubmissions(req, () => req.body.results)) }),
  }),
  route({
    method: 'POST',
    path: '/api/eval-runs/{id}/promptfoo-results',
    summary:
      "Post promptfoo's results file (`promptfoo eval -o results.json`, results version 3) for a submitted run: rows are matched to cases by metadata.caseId or vars.caseId, re-scored with the cases' assertions, and promptfoo's own grading is kept beside them; answers 202 as /results does",
    body: promptfooResultsRequest,
    maxBodyBytes: 5 * 1024 * 1024,
    response: { status: 202, body: evalResultsAcceptedResponse },
    handle: async (req) => ({
      status: 202,
      ...(await acceptSubmissions(req, () => submissionsFromPromptfoo(req.body))),
    }),
  }),
];

/**
 * The eval-runs function's runner of aggregations: in AWS (EVAL_STATE_MACHINE_ARN set) an execution of the eval-run
 * state machine, loaded here only then; otherwise in-process.
 */
async function evalRunnerFromEnv(store: GovernanceStore, env: Env): Promise<EvalRunner> {
  const stateMachineArn = env.EVAL_STATE_MACHINE_ARN;
  if (!stateMachineArn) {
    const { createInProcessEvalRunner } = await import('../workflows/eval-runner.js');
    return createInProcessEvalRunner(store, { evidence: evidenceStoreFromEnv(env) });
  }
  const { createStepFunctionsEvalRunner } = await import('../workflows/sfn-eval-runner.js');
  return createStepFunctionsEvalRunner(store, { stateMachineArn });
}

/**
 * The composition root of the eval-runs function: the API's deps, the evidence store of EVIDENCE_BUCKET, and the
 * runner that aggregates a submitted run once its last case is posted.
 */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => ({
    ...base,
    evidence: evidenceStoreFromEnv(env),
    evalRunner: await evalRunnerFromEnv(base.store, env),
  })),
);
