// The governance policy as a governed, versioned document (docs/architecture/policy.md): the version in force and
// the history for everyone signed in; drafts, submission, approval and activation for admins and governance
// reviewers, each an audited transition of the organisation chain; that chain for those who see every chain.
import {
  auditEventResponse,
  listPoliciesQuery,
  pageOf,
  policyAuditQuery,
  policyDecisionRequest,
  policyDraftRequest,
  policyListResponse,
  policyVersionParams,
  policyVersionResponse,
} from '../contracts/index.js';
import { ForbiddenError } from '../domain/errors.js';
import { actorOf, seesEverything } from './access.js';
import { lambdaDeps } from './deps.js';
import { createHttpHandler, type Route, route } from './http.js';

const versionOf = (params: { version: string }) => Number(params.version);

export const routes: Route[] = [
  route({
    method: 'GET',
    path: '/api/policies',
    summary: 'The governance policy version in force and every version, newest first',
    query: listPoliciesQuery,
    response: { status: 200, body: policyListResponse },
    handle: async (req) => ({ status: 200, body: await req.deps.store.policies.listPolicies(req.query) }),
  }),
  route({
    method: 'POST',
    path: '/api/policies',
    summary: 'Draft a new policy version based on the one in force (admins and governance reviewers)',
    body: policyDraftRequest,
    response: { status: 201, body: policyVersionResponse },
    handle: async (req) => {
      const version = await req.deps.store.policies.createPolicyDraft(actorOf(req.principal), req.body);
      return { status: 201, body: version, headers: { location: `/api/policies/${version.version}` } };
    },
  }),
  route({
    method: 'GET',
    path: '/api/policies/audit',
    summary: 'The organisation audit chain: every policy transition (admins, auditors and reviewers)',
    query: policyAuditQuery,
    response: { status: 200, body: pageOf(auditEventResponse) },
    handle: async (req) => {
      if (!seesEverything(req.principal))
        throw new ForbiddenError('only admins, auditors and reviewers read the organisation chain');
      const page = await req.deps.store.policies.listOrganisationEvents(req.query.order ?? 'desc', req.query);
      return { status: 200, body: page };
    },
  }),
  route({
    method: 'GET',
    path: '/api/policies/{version}',
    summary: 'One policy version',
    params: policyVersionParams,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({ status: 200, body: await req.deps.store.policies.getPolicy(versionOf(req.params)) }),
  }),
  route({
    method: 'PATCH',
    path: '/api/policies/{version}',
    summary: 'Replace the document of a draft (its author, while it is a draft)',
    params: policyVersionParams,
    body: policyDraftRequest,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.policies.updatePolicyDraft(actorOf(req.principal), versionOf(req.params), req.body),
    }),
  }),
  route({
    method: 'POST',
    path: '/api/policies/{version}/submit',
    summary: 'Submit a draft for approval by governance reviewers (its author)',
    params: policyVersionParams,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.policies.submitPolicy(actorOf(req.principal), versionOf(req.params)),
    }),
  }),
  route({
    method: 'POST',
    path: '/api/policies/{version}/approve',
    summary: 'Approve a submitted version (a governance reviewer who is not its author, once)',
    params: policyVersionParams,
    body: policyDecisionRequest,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.policies.approvePolicy(
        actorOf(req.principal),
        versionOf(req.params),
        req.body.reason ?? null,
      ),
    }),
  }),
  route({
    method: 'POST',
    path: '/api/policies/{version}/activate',
    summary:
      "Put a submitted version in force (admins and governance reviewers): needs the larger of the active version's " +
      'and its own quorum of approvals, and its base still in force; copies it onto every system',
    params: policyVersionParams,
    body: policyDecisionRequest,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.policies.activatePolicy(
        actorOf(req.principal),
        versionOf(req.params),
        req.body.reason ?? null,
      ),
    }),
  }),
  route({
    method: 'POST',
    path: '/api/policies/{version}/withdraw',
    summary: 'Withdraw a draft or a submitted version (its author or an admin)',
    params: policyVersionParams,
    response: { status: 200, body: policyVersionResponse },
    handle: async (req) => ({
      status: 200,
      body: await req.deps.store.policies.withdrawPolicy(actorOf(req.principal), versionOf(req.params)),
    }),
  }),
];

export const handler = createHttpHandler(routes, lambdaDeps());
