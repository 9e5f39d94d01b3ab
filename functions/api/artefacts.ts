// Prompt versions and model config versions share their routes' shape: create, list, get, submit, approve, reject.
import type { z } from 'zod';
import { ARTEFACT_CONTRACTS, listArtefactsQuery, pageOf, reviewRequest } from '../contracts/index.js';
import { assertReviewerRole } from '../domain/authorization.js';
import type { ArtefactKind } from '../store/artefacts.js';
import { actorOf, childAccess, readable, systemFor } from './access.js';
import { type IdRequest, type Request, type Route, route } from './http.js';

export function artefactRoutes(
  kind: ArtefactKind,
  base: `/api/${string}`,
  label: string,
  create: z.ZodType,
  /** Checks a registration against other stored facts before anything is written (throws a ValidationError). */
  beforeCreate?: (req: Request<unknown, unknown>, body: unknown) => Promise<void>,
): Route[] {
  const artefactResponse = ARTEFACT_CONTRACTS[kind].response;
  const load = async (req: IdRequest) => {
    const artefact = await req.deps.store.artefacts.getArtefact(kind, req.params.id);
    await childAccess(req, artefact, label, 'read');
    return artefact;
  };
  const review = (to: 'approved' | 'rejected', verb: string) =>
    route({
      method: 'POST',
      path: `${base}/{id}/${verb}`,
      summary: `${verb === 'approve' ? 'Approve' : 'Reject'} a ${label} in review (technical reviewers; never its author)`,
      body: reviewRequest,
      response: { status: 200, body: artefactResponse },
      handle: async (req) => {
        await load(req);
        assertReviewerRole(req.principal, 'technical');
        const out = await req.deps.store.artefacts.transitionArtefact(
          actorOf(req.principal),
          kind,
          req.params.id,
          to,
          req.body.comment ?? null,
        );
        return { status: 200, body: out };
      },
    });
  return [
    route({
      method: 'POST',
      path: base,
      summary: `Register the next version of a ${label}`,
      body: create,
      maxBodyBytes: 1024 * 1024,
      response: { status: 201, body: artefactResponse },
      handle: async (req) => {
        const input = req.body as { systemId: string };
        await systemFor(req, input.systemId, 'write');
        await beforeCreate?.(req, req.body);
        const out = await req.deps.store.artefacts.createArtefact(
          actorOf(req.principal),
          kind,
          req.body as z.infer<(typeof ARTEFACT_CONTRACTS)[typeof kind]['create']>,
        );
        return { status: 201, body: out, headers: { location: `${base}/${out.id}` } };
      },
    }),
    route({
      method: 'GET',
      path: base,
      summary: `List ${label}s, optionally of one system and name`,
      query: listArtefactsQuery,
      response: { status: 200, body: pageOf(artefactResponse) },
      handle: async (req) => {
        if (req.query.systemId) await systemFor(req, req.query.systemId, 'read');
        const page = await req.deps.store.artefacts.listArtefacts(
          kind,
          { systemId: req.query.systemId, name: req.query.name },
          req.query,
        );
        return { status: 200, body: await readable(req, page) };
      },
    }),
    route({
      method: 'GET',
      path: `${base}/{id}`,
      summary: `One ${label}`,
      response: { status: 200, body: artefactResponse },
      handle: async (req) => ({ status: 200, body: await load(req) }),
    }),
    route({
      method: 'POST',
      path: `${base}/{id}/submit`,
      summary: `Submit a draft ${label} for review; it is immutable from then on (an optional comment is kept in the audit event)`,
      // The body is optional (none, or `{ "comment": ... }`): the comment is the audit event's reason.
      body: reviewRequest,
      response: { status: 200, body: artefactResponse },
      handle: async (req) => {
        const artefact = await load(req);
        await childAccess(req, artefact, label, 'write');
        const out = await req.deps.store.artefacts.transitionArtefact(
          actorOf(req.principal),
          kind,
          artefact.id,
          'in_review',
          req.body.comment ?? null,
        );
        return { status: 200, body: out };
      },
    }),
    review('approved', 'approve'),
    review('rejected', 'reject'),
  ];
}
