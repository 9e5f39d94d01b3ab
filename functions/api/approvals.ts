import {
  approvalRecordResponse,
  decisionRequest,
  decisionResponse,
  listApprovalsQuery,
  pageOf,
  reasonedDecisionRequest,
} from '../contracts/index.js';
import { warnLines } from '../observability/index.js';
import type { Decision } from '../store/approvals.js';
import type { Env } from '../store/config.js';
import type { GateCallbacks } from '../workflows/gate-runner.js';
import { notifyGate } from '../workflows/gate-runner.js';
import { childAccess, readable } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';
import { apiObservability } from './observability.js';

/** SendTaskSuccess / SendTaskFailure in AWS (RELEASE_GATE_STATE_MACHINE_ARN set), loaded only there. */
async function gateCallbacksFromEnv(env: Env): Promise<GateCallbacks | undefined> {
  if (!env.RELEASE_GATE_STATE_MACHINE_ARN) return undefined;
  const { createStepFunctionsGateCallbacks } = await import('../workflows/gate-sfn.js');
  return createStepFunctionsGateCallbacks();
}

const decide = (verb: string, decision: Decision, reasoned: boolean) =>
  route({
    method: 'POST',
    path: `/api/approvals/{id}/${verb}`,
    summary: `Record a reviewer's decision: ${decision.replace('_', ' ')}${reasoned ? ' (a comment is required)' : ''}`,
    body: reasoned ? reasonedDecisionRequest : decisionRequest,
    response: { status: 200, body: decisionResponse },
    handle: async (req) => {
      const approval = await req.deps.store.approvals.getApproval(req.params.id);
      await childAccess(req, approval, 'approval', 'read');
      const out = await req.deps.store.approvals.decideApproval(
        req.principal,
        approval.id,
        decision,
        req.body.comment ?? null,
      );
      // After the commit: complete the release gate's wait on this approval. A failed send leaves the decision
      // standing; the gate finds it when it waits again.
      await notifyGate(
        req.deps.store,
        req.deps.gateCallbacks,
        approval.id,
        out.approval.status,
        warnLines(apiObservability.logger),
      );
      return { status: 200, body: out };
    },
  });

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/approvals',
    summary: 'The approval queue: records of one status (pending by default), optionally of one reviewer role',
    query: listApprovalsQuery,
    response: { status: 200, body: pageOf(approvalRecordResponse) },
    handle: async (req) => {
      const page = await req.deps.store.approvals.listApprovals(
        { status: req.query.status, role: req.query.role },
        req.query,
      );
      return { status: 200, body: await readable(req, page) };
    },
  }),
  route({
    method: 'GET',
    path: '/api/approvals/{id}',
    summary: 'One approval record',
    response: { status: 200, body: approvalRecordResponse },
    handle: async (req) => {
      const approval = await req.deps.store.approvals.getApproval(req.params.id);
      await childAccess(req, approval, 'approval', 'read');
      return { status: 200, body: approval };
    },
  }),
  decide('approve', 'approved', false),
  decide('reject', 'rejected', true),
  decide('request-changes', 'changes_requested', true),
];

/** The composition root of the approvals function: the API's deps and the release gate's callbacks. */
export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => {
    const gateCallbacks = await gateCallbacksFromEnv(env);
    return gateCallbacks ? { ...base, gateCallbacks } : base;
  }),
);
