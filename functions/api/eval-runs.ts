import {
  caseEvidencePageResponse,
  evalResultsAcceptedResponse,
  evalRunResponse,
  evalRunWithProgressResponse,
  listEvalRunsQuery,
  pageOf,
  pageQuery,
  submitResultsRequest,
} from '../contracts/index.js';
import { evidenceStoreFromEnv } from '../store/evidence-store.js';
import { listCaseEvidence, submitEvalResults } from '../workflows/eval-steps.js';
import { actorOf, childAccess, readable } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';

async function loadRun(req: IdRequest, access: 'read' | 'write') {
  const run = await req.deps.store.evalRuns.getEvalRun(req.params.id);
  await childAccess(req, run, 'eval run', access);
  return run;
}

const progress = (run: { casesDone: number; totalCases: number }) => ({
  casesDone: run.casesDone,
  totalCases: run.totalCases,
  percent: run.totalCases ? Math.floor((100 * run.casesDone) / run.totalCases) : 0,
});

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
    summary: 'Per-case evidence of a run, page by page',
    query: pageQuery,
    response: { status: 200, body: caseEvidencePageResponse },
    handle: async (req) => {
      const run = await loadRun(req, 'read');
      const { evidence } = req.deps;
      // A composition fault, not the caller's: logged and answered as a generic 500 by the error middleware.
      if (!evidence) throw new Error('this function was composed without an evidence store (Deps.evidence)');
      return { status: 200, body: await listCaseEvidence(req.deps.store, run, req.query, { evidence }) };
    },
  }),
  route({
    method: 'POST',
    path: '/api/eval-runs/{id}/results',
    summary: 'Post outputs the pipeline produced for a submitted run; the run is gated when every case has one',
    body: submitResultsRequest,
    maxBodyBytes: 5 * 1024 * 1024,
    response: { status: 200, body: evalResultsAcceptedResponse },
    handle: async (req) => {
      await loadRun(req, 'write');
      const out = await submitEvalResults(req.deps.store, actorOf(req.principal), req.params.id, req.body.results);
      return { status: 200, body: { ...out.run, accepted: out.accepted, progress: progress(out.run) } };
    },
  }),
];

/** The composition root of the eval-runs function: the API's deps and the evidence store of EVIDENCE_BUCKET. */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => ({ ...base, evidence: evidenceStoreFromEnv(env) })),
);
