// Policy dry runs (issue 15, item 3; ADR 0027): what a policy document would block across the organisation, before
// anyone approves it. The POST records the job and starts it in the background (202); the GET pages through its
// result while it runs and after. Admins and governance reviewers only: the job reads every system.
import { policyDryRunQuery, policyDryRunResponse, startPolicyDryRunRequest } from '../contracts/policy-dry-runs.js';
import { newId } from '../domain/ids.js';
import { assertCanDryRunPolicy, dryRunPolicy } from '../domain/policy-dry-run.js';
import { eventBridgeDryRunEmitter } from '../workflows/policy-dry-run.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Request, type Route, route } from './http.js';

/** The document a dry run judges by: the body's, or that of the stored version it names (a 404 when unknown). */
async function documentToJudge(req: Request<{ document?: Record<string, unknown>; draftVersion?: number }, unknown>) {
  const { document, draftVersion } = req.body;
  if (draftVersion === undefined) return document;
  return (await req.deps.store.policies.getPolicy(draftVersion)).document;
}

export const routes: Route[] = [
  route({
    method: 'POST',
    path: '/api/policy-dry-runs',
    summary:
      'Start a dry run of a policy document or a stored version: which open candidates and active releases it ' +
      'would block, and by which reason, judged in the background over every system',
    body: startPolicyDryRunRequest,
    response: { status: 202, body: policyDryRunResponse },
    handle: async (req) => {
      assertCanDryRunPolicy(req.principal);
      // Compared with the version in force for the organisation: the ACTIVE pointer's document.
      const current = await req.deps.store.policies.policyInForce();
      const policy = dryRunPolicy(await documentToJudge(req), current, req.deps.store.ctx.now().toISOString());
      const start = req.deps.startPolicyDryRun;
      if (!start) throw new Error('no policy dry run job is configured (startPolicyDryRun)');
      const { store } = req.deps;
      const dryRun = await store.policyDryRuns.createPolicyDryRun({
        id: newId('pdr'),
        policy,
        currentPolicy: current,
        requestedBy: { userId: req.principal.userId, name: req.principal.name },
      });
      try {
        await start({ dryRunId: dryRun.id, cursor: null, invocation: 1 });
      } catch (error) {
        // The job never started: the record says so rather than stay running until it expires.
        await store.policyDryRuns.failPolicyDryRun(dryRun.id, 'the dry run job could not be started; start it again');
        throw error;
      }
      return {
        status: 202,
        body: { ...dryRun, items: [], nextCursor: null },
        headers: { location: `/api/policy-dry-runs/${dryRun.id}` },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/api/policy-dry-runs/{id}',
    summary: "A policy dry run's status, progress and summary, with one page of what it found blocked",
    query: policyDryRunQuery,
    response: { status: 200, body: policyDryRunResponse },
    handle: async (req) => {
      assertCanDryRunPolicy(req.principal);
      return { status: 200, body: await req.deps.store.policyDryRuns.getPolicyDryRun(req.params.id, req.query) };
    },
  }),
];

export const handler = createHttpHandler(
  routes,
  lambdaDeps(async (base, env) => ({
    ...base,
    startPolicyDryRun: eventBridgeDryRunEmitter(env.POLICY_DRY_RUN_BUS ?? 'default'),
  })),
);
