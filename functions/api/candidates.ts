import {
  candidateContextResponse,
  createCandidateRequest,
  evalRunResponse,
  gateQuery,
  gateResponse,
  listCandidatesQuery,
  pageOf,
  promoteRequest,
  promoteResponse,
  releaseCandidateResponse,
  requestApprovalResponse,
  rollbackRequest,
  rollbackRequestResponse,
  rollbackResponse,
  runEstimateResponse,
  runEvalsRequest,
} from '../contracts/index.js';
import { UnprocessableError, ValidationError } from '../domain/errors.js';
import { type CostEstimate, estimateOverCeiling } from '../domain/eval/cost-estimate.js';
import type { ExecutorKind } from '../domain/types.js';
import type { GateView } from '../store/candidates/gate-facts.js';
import type { Env } from '../store/config.js';
import { evidenceStoreFromEnv } from '../store/evidence-store.js';
import type { GovernanceStore } from '../store/index.js';
import { createInProcessEvalRunner, type EvalRunner } from '../workflows/eval-runner.js';
import type { GateRunner } from '../workflows/gate-runner.js';
import { requestRollback } from '../workflows/rollback-validation.js';
import { estimateEvalRun } from '../workflows/run-cost.js';
import { actorOf, childAccess, readable, systemFor } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type IdRequest, type Route, route } from './http.js';
import { apiObservability, measuredTransition } from './observability.js';
import { recordingRefusals } from './refusals.js';

const { logger, meter } = apiObservability;

const base = '/api/release-candidates';

/**
 * The candidates function's runner of simulated evals: in AWS (EVAL_STATE_MACHINE_ARN set) an execution of the
 * eval-run state machine per run, loaded here so no other bundle carries the Step Functions client; otherwise
 * in-process, with its evidence in the bucket EVIDENCE_BUCKET names.
 */
async function evalRunnerFromEnv(store: GovernanceStore, env: Env): Promise<EvalRunner> {
  const stateMachineArn = env.EVAL_STATE_MACHINE_ARN;
  if (!stateMachineArn) return createInProcessEvalRunner(store, { evidence: evidenceStoreFromEnv(env) });
  const { createStepFunctionsEvalRunner } = await import('../workflows/sfn-eval-runner.js');
  return createStepFunctionsEvalRunner(store, { stateMachineArn });
}

/**
 * The candidates function's release gate runner: in AWS (RELEASE_GATE_STATE_MACHINE_ARN set) an execution of
 * the release-gate state machine per approval round; otherwise none.
 */
async function gateRunnerFromEnv(env: Env): Promise<GateRunner | undefined> {
  const stateMachineArn = env.RELEASE_GATE_STATE_MACHINE_ARN;
  if (!stateMachineArn) return undefined;
  const { createStepFunctionsGateRunner } = await import('../workflows/gate-sfn.js');
  return createStepFunctionsGateRunner({ stateMachineArn });
}

/**
 * The estimate a run is queued with (ADR 0031): none for a submitted run, whose costs are the pipeline's, which
 * therefore takes no ceiling (a 400 on maxCost).
 */
async function runCostCheck(
  store: GovernanceStore,
  candidateId: string,
  body: { executor: ExecutorKind; maxCost?: number | undefined },
): Promise<CostEstimate | undefined> {
  if (body.executor === 'submitted') {
    if (body.maxCost !== undefined)
      throw new ValidationError("maxCost: a submitted run reports the pipeline's costs; it takes no ceiling", {
        field: 'maxCost',
      });
    return undefined;
  }
  return estimateEvalRun(store, candidateId, body.executor);
}

/** The gate's answer as GET .../gate and GET .../context give it. */
function gateAnswer(gate: GateView) {
  return {
    candidateId: gate.candidate.id,
    environment: gate.environment,
    status: gate.candidate.status,
    activeCandidateId: gate.system.activeReleases[gate.environment],
    requiredRoles: gate.requiredRoles,
    promotable: gate.promotable,
    reasons: gate.reasons,
    waived: gate.waived,
    pendingRelaxations: gate.pendingRelaxations,
  };
}

async function loadCandidate(req: IdRequest, access: 'read' | 'write' | 'promote') {
  const candidate = await req.deps.store.candidates.getCandidate(req.params.id);
  await childAccess(req, candidate, 'release candidate', access);
  return candidate;
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: base,
    summary: 'Build a draft release candidate: a snapshot of exact versions, datasets and thresholds',
    body: createCandidateRequest,
    response: { status: 201, body: releaseCandidateResponse },
    handle: async (req) => {
      await systemFor(req, req.body.systemId, 'write');
      const candidate = await req.deps.store.candidates.createCandidate(actorOf(req.principal), req.body);
      return { status: 201, body: candidate, headers: { location: `${base}/${candidate.id}` } };
    },
  }),
  route({
    method: 'GET',
    path: base,
    summary: 'List release candidates (newest first), optionally of one system and status',
    query: listCandidatesQuery,
    response: { status: 200, body: pageOf(releaseCandidateResponse) },
    handle: async (req) => {
      if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
      const page = await req.deps.store.candidates.listCandidates(
        { systemId: req.query.systemId, status: req.query.status },
        req.query,
      );
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'GET',
    path: `${base}/{id}`,
    summary: 'One release candidate',
    response: { status: 200, body: releaseCandidateResponse },
    handle: async (req) => ({ status: 200, body: await loadCandidate(req, 'read') }),
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/submit`,
    summary: 'Freeze a draft candidate',
    response: { status: 200, body: releaseCandidateResponse },
    handle: async (req) => {
      await loadCandidate(req, 'write');
      return {
        status: 200,
        body: await req.deps.store.candidates.submitCandidate(actorOf(req.principal), req.params.id),
      };
    },
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/run-evals`,
    summary: 'Queue an eval run of the candidate; answers 202 with the run, which proceeds in the background',
    body: runEvalsRequest,
    response: { status: 202, body: evalRunResponse },
    handle: async (req) => {
      await loadCandidate(req, 'write');
      const { executor, maxCost, ifEstimateExceeds } = req.body;
      const costEstimate = await runCostCheck(req.deps.store, req.params.id, req.body);
      if (costEstimate && ifEstimateExceeds === 'refuse') {
        const refusal = estimateOverCeiling(costEstimate, maxCost);
        if (refusal)
          throw new UnprocessableError(refusal, {
            code: 'COST_ESTIMATE_OVER_CEILING',
            field: 'maxCost',
            estimatedCost: costEstimate.cost,
            maxCost,
          });
      }
      const { run } = await req.deps.store.evalRuns.createEvalRun(actorOf(req.principal), req.params.id, executor, {
        ...(costEstimate ? { costEstimate } : {}),
        ...(maxCost !== undefined ? { maxCost } : {}),
      });
      // simulated and http runs are executed by the control plane; submitted runs wait for the pipeline's outputs.
      if (run.executor !== 'submitted') {
        if (!req.deps.evalRunner) throw new Error('no eval runner was composed for this handler');
        await req.deps.evalRunner.start(run.id);
      }
      return { status: 202, body: run, headers: { location: `/api/eval-runs/${run.id}` } };
    },
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/run-evals/estimate`,
    summary:
      'What an eval run of the candidate would cost (an upper bound, with its basis) and whether a start with the same body would be refused for it; writes nothing',
    body: runEvalsRequest,
    response: { status: 200, body: runEstimateResponse },
    handle: async (req) => {
      await loadCandidate(req, 'read');
      const { executor, maxCost, ifEstimateExceeds } = req.body;
      const estimate =
        (await runCostCheck(req.deps.store, req.params.id, req.body)) ??
        (await estimateEvalRun(req.deps.store, req.params.id, executor));
      const reason = ifEstimateExceeds === 'refuse' ? estimateOverCeiling(estimate, maxCost) : null;
      return {
        status: 200,
        body: { candidateId: req.params.id, estimate, maxCost: maxCost ?? null, startable: reason === null, reason },
      };
    },
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/request-approval`,
    summary: 'Open the approval round the risk-tier policy requires',
    response: { status: 200, body: requestApprovalResponse },
    handle: async (req) => {
      await loadCandidate(req, 'write');
      const out = await req.deps.store.candidates.requestApproval(actorOf(req.principal), req.params.id);
      // The round is committed: its gate (expiry, and the wait for each decision) starts now. A gate that cannot
      // start does not undo the round: decisions still move the candidate, and the round's gate is resumed later.
      const roundId = out.candidate.approvalIds[0];
      if (req.deps.gateRunner && roundId) {
        try {
          await req.deps.gateRunner.start(out.candidate.id, roundId);
        } catch (error) {
          logger.warn('release gate not started', { candidateId: out.candidate.id, error: error as Error });
        }
      }
      return { status: 200, body: out };
    },
  }),
  route({
    method: 'GET',
    path: `${base}/{id}/gate`,
    summary: 'Every reason that blocks promotion now',
    query: gateQuery,
    response: { status: 200, body: gateResponse },
    handle: async (req) => {
      await loadCandidate(req, 'read');
      const gate = await req.deps.store.candidates.candidateGate(req.params.id, req.query.environment);
      meter.gateDecided(gate.promotable);
      return { status: 200, body: gateAnswer(gate) };
    },
  }),
  route({
    method: 'GET',
    path: `${base}/{id}/context`,
    summary:
      'What a reviewer decides with: the gate, the approvals, and the candidate beside the active and last-known-good releases (metrics with deltas and verdicts, prompts, model configs, datasets), and its rollback',
    response: { status: 200, body: candidateContextResponse },
    handle: async (req) => {
      await loadCandidate(req, 'read');
      const context = await req.deps.store.candidates.candidateContext(req.params.id);
      const { system } = context.gate;
      return {
        status: 200,
        body: {
          ...context,
          system: { id: system.id, name: system.name, ownerTeam: system.ownerTeam, riskTier: system.riskTier },
          gate: gateAnswer(context.gate),
        },
      };
    },
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/promote`,
    summary: 'Make the candidate the active release; names the active release it expects to replace',
    body: promoteRequest,
    response: { status: 200, body: promoteResponse },
    handle: async (req) => {
      const candidate = await loadCandidate(req, 'promote');
      const environment = req.body.environment ?? candidate.environment;
      const out = await measuredTransition(
        meter,
        'promote',
        () =>
          recordingRefusals(req, { candidate, environment, kind: 'promote' }, () =>
            req.deps.store.candidates.promoteCandidate(actorOf(req.principal), req.params.id, req.body),
          ),
        (promoted) => promoted.promotion.environment,
      );
      return { status: 200, body: out };
    },
  }),
  route({
    method: 'POST',
    path: `${base}/{id}/rollback`,
    summary:
      'Ask to roll this active release back to an earlier approved release (last-known-good by default); answers 202 while the target’s rollback_validation run runs, and the rollback commits when it passes (ADR 0032)',
    body: rollbackRequest,
    response: { status: 202, body: rollbackResponse },
    handle: async (req) => {
      const candidate = await loadCandidate(req, 'promote');
      if (!req.deps.evalRunner) throw new Error('no eval runner was composed for this handler');
      const runner = req.deps.evalRunner;
      const opened = await measuredTransition(
        meter,
        'rollback',
        () =>
          recordingRefusals(req, { candidate, environment: candidate.environment, kind: 'rollback' }, () =>
            requestRollback(req.deps.store, runner, actorOf(req.principal), req.params.id, req.body),
          ),
        (out) => out.request.environment,
      );
      const { request } = opened;
      const self = `${base}/${req.params.id}/rollback`;
      return {
        status: 202,
        body: {
          rollbackRequest: request,
          validationRunId: request.validationRunId,
          status: request.status,
          links: {
            self,
            validationRun: request.validationRunId ? `/api/eval-runs/${request.validationRunId}` : null,
          },
        },
        headers: { location: self },
      };
    },
  }),
  route({
    method: 'GET',
    path: `${base}/{id}/rollback`,
    summary: 'The latest rollback request of this release: validating, or how it settled (poll it after a 202)',
    response: { status: 200, body: rollbackRequestResponse },
    handle: async (req) => {
      await loadCandidate(req, 'read');
      return { status: 200, body: await req.deps.store.rollbackRequests.latestRollbackRequest(req.params.id) };
    },
  }),
];

/** The composition root of the candidates function: the API's deps, its eval runner and its release gate runner. */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => {
    const gateRunner = await gateRunnerFromEnv(env);
    return { ...base, evalRunner: await evalRunnerFromEnv(base.store, env), ...(gateRunner ? { gateRunner } : {}) };
  }),
);
