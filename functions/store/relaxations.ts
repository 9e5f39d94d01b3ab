// Relaxation requests (docs/architecture/relaxations.md): a change that loosens a rule for one system is written as
// a request, and applied only when a second person approves it, in the same transaction as the decision and
// conditioned on the value the request was bound to. The rules are the domain's (functions/domain/relaxation.ts);
// each request and decision is an event of the system's audit chain.
import type { BlockReasonCode } from '../domain/errors.js';
import { NotFoundError, ValidationError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import {
  assertMayDecide,
  assertMayWithdraw,
  assertOpen,
  checkWaiverCodes,
  deciderRoleOf,
  type IncidentChange,
  incidentChangeRelaxation,
  type Relaxation,
  type RelaxationActor,
  type RelaxationRequest,
  type RelaxationStatus,
  relaxationAt,
  requestExpiry,
  sampleSettingsRelaxation,
  supersededBecause,
  supersededError,
  systemPatchRelaxation,
  waiverExpiry,
} from '../domain/relaxation.js';
import { checkSampleSettings, defaultSampleSettings, type SampleSettings } from '../domain/samples.js';
import type { Actor, AiSystem, Incident, ReleaseCandidate } from '../domain/types.js';
import type { Condition } from './expressions.js';
import { getIncident, type IncidentPatch, patchOutcome, resolveOutcome, writeIncidentChange } from './incidents.js';
import { keys, queries, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { policyOfMeta, samePolicyCopy } from './policy-in-force.js';
import { getItem, type PageRequest, queryPage } from './query.js';
import { settingsOf, writeSampleSettings } from './samples.js';
import { applySystemPatch, type SystemPatch } from './systems.js';
import { type Key, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

/** Candidate statuses a waiver can no longer help: the candidate will never be promoted again. */
const CLOSED_CANDIDATE_STATUSES = ['active', 'superseded', 'rolled_back', 'rejected'];

function relaxationItem(request: RelaxationRequest) {
  return {
    ...keys.relaxation(request.id),
    ...keys.relaxationIndexes(request.systemId, request.status, request.requestedAt, request.id),
    itemType: 'relaxation',
    ...request,
  };
}

const person = (actor: Actor) => ({ userId: actor.userId, name: actor.name });

/** What an audit event of a request says about it (before/after). */
const auditView = (r: RelaxationRequest) => ({
  status: r.status,
  kind: r.kind,
  from: r.from,
  to: r.to,
  subject: r.subject,
  expiresAt: r.expiresAt,
  ...(r.codes ? { codes: r.codes } : {}),
  ...(r.loosens ? { loosens: r.loosens } : {}),
});

/** Writes a new request into the unit of work, with its `relaxation.requested` event. */
function openRequest(
  tx: SystemTx,
  system: AiSystem,
  subject: RelaxationRequest['subject'],
  relaxation: Relaxation | { kind: 'waiver'; from: string; to: string },
  reason: string,
  extra: Partial<Pick<RelaxationRequest, 'codes' | 'snapshotHash' | 'resolution' | 'sampleSettings' | 'loosens'>> & {
    expiresAt?: string;
  } = {},
): RelaxationRequest {
  const { expiresAt, ...fields } = extra;
  const request: RelaxationRequest = {
    id: newId('rlx'),
    kind: relaxation.kind,
    systemId: system.id,
    systemName: system.name,
    subject,
    from: relaxation.from,
    to: relaxation.to,
    reason,
    requestedBy: person(tx.actor),
    requestedAt: tx.now,
    expiresAt: requestExpiry(tx.now, relaxation.kind, expiresAt),
    status: 'open',
    deciderRole: deciderRoleOf(relaxation.kind),
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    ...fields,
    version: 1,
  };
  tx.put(relaxationItem(request));
  tx.audit({
    action: 'relaxation.requested',
    entityType: 'relaxation',
    entityId: request.id,
    after: auditView(request),
    reason,
  });
  return request;
}

/** A reason for a request made by a patch that carries none. */
const patchReason = (r: Relaxation) => `${r.kind} from ${r.from} to ${r.to}`;

/**
 * Applies a system patch, or, when it lowers the risk tier or EU AI Act category, writes a request for a second
 * person instead (nothing changes). Decided on the META read in the unit of work, so a concurrent change of the tier
 * cannot turn a raise into a lowering unnoticed. A patch that mixes a lowering with other changes is a 400.
 */
export async function patchSystem(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  patch: SystemPatch & { reason?: string },
): Promise<{ system: AiSystem } | { request: RelaxationRequest }> {
  const { reason, ...fields } = patch;
  const { result } = await runUnitOfWork(ctx, id, actor, [], (tx) => {
    const current = toEntity<AiSystem>(tx.meta);
    const relaxation =
      current.status === 'retired' ? null : systemPatchRelaxation(current, fields as Record<string, unknown>);
    if (!relaxation) return { system: applySystemPatch(tx, id, fields) };
    return {
      request: openRequest(tx, current, { type: 'system', id }, relaxation, reason ?? patchReason(relaxation)),
    };
  });
  return result;
}

/**
 * Changes an incident (a patch or its resolution), or, when the change resolves or downgrades an unresolved
 * incident of a severity that blocks the system's promotions, writes a request for a second person instead.
 */
export async function changeIncidentOrRequest(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  change: { type: 'patch'; patch: IncidentPatch & { reason?: string } } | { type: 'resolve'; resolution: string },
): Promise<{ incident: Incident } | { request: RelaxationRequest }> {
  const first = await getIncident(ctx, id);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.incident(id)], (tx) => {
    const item = tx.get(keys.incident(id));
    if (!item) throw new NotFoundError(`incident ${id} not found`, { id });
    const incident = toEntity<Incident>(item);
    const system = toEntity<AiSystem>(tx.meta);
    const { reason, ...patch } = change.type === 'patch' ? change.patch : { reason: undefined };
    const domainChange: IncidentChange =
      change.type === 'patch' ? { type: 'patch', patch } : { type: 'resolve', resolution: change.resolution };
    // Judged under the system's copy of the policy in force (ADR 0023); an activation copied meanwhile makes the
    // unit of work retry under the newer version, so a change never commits under the looser of the two.
    const relaxation = incidentChangeRelaxation(system, incident, domainChange, policyOfMeta(tx.meta));
    tx.metaSpec.conditions.push(samePolicyCopy(tx.meta.policyVersion as number | undefined));
    if (!relaxation) {
      const outcome =
        change.type === 'patch'
          ? patchOutcome(incident, patch, tx.now)
          : resolveOutcome(incident, change.resolution, tx.now);
      return { incident: writeIncidentChange(tx, incident, outcome) };
    }
    // The incident may not be resolved now (a resolved one never is a relaxation): refuse what the change would.
    const because = change.type === 'resolve' ? change.resolution : (reason ?? patchReason(relaxation));
    return {
      request: openRequest(
        tx,
        system,
        { type: 'incident', id },
        relaxation,
        because,
        change.type === 'resolve' ? { resolution: change.resolution } : {},
      ),
    };
  });
  return result;
}

/**
 * Replaces a system's sample settings (checked by the domain: a 400 names the field), or, when they loosen the
 * redaction or lengthen retention, writes a request for a second person instead (ADR 0051; nothing changes). Decided
 * on the settings read in the unit of work, whose audit-head condition orders it with any other change of them.
 * Settings that loosen one field and tighten another are a 400: send the tightening alone first.
 */
export async function putSampleSettingsOrRequest(
  ctx: StoreContext,
  actor: Actor,
  systemId: string,
  input: SampleSettings & { reason?: string },
): Promise<{ settings: SampleSettings } | { request: RelaxationRequest }> {
  const { reason, ...asked } = input;
  const settings = checkSampleSettings(asked);
  const key = keys.sampleSettings(systemId);
  const { result } = await runUnitOfWork(ctx, systemId, actor, [key], (tx) => {
    const stored = tx.get(key);
    const relaxation = sampleSettingsRelaxation(stored ? settingsOf(stored) : defaultSampleSettings(), settings);
    if (!relaxation) return { settings: writeSampleSettings(tx, systemId, stored, settings) };
    const { loosens, ...bound } = relaxation;
    const because = reason ?? `loosen the sample settings: ${loosens.map((c) => c.field).join(', ')}`;
    return {
      request: openRequest(tx, toEntity<AiSystem>(tx.meta), { type: 'system', id: systemId }, bound, because, {
        sampleSettings: settings,
        loosens,
      }),
    };
  });
  return result;
}

/** Asks for a waiver of gate reasons for one candidate, bound to its snapshot hash (a 400 for codes never waived). */
export async function requestWaiver(
  ctx: StoreContext,
  actor: Actor,
  candidateId: string,
  input: { codes: BlockReasonCode[]; reason: string; expiresAt?: string | null },
): Promise<RelaxationRequest> {
  const codes = checkWaiverCodes(input.codes);
  const item = await getItem(ctx, keys.candidate(candidateId));
  if (!item) throw new NotFoundError(`release candidate ${candidateId} not found`, { id: candidateId });
  const first = toEntity<ReleaseCandidate>(item);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.candidate(candidateId)], (tx) => {
    const loaded = tx.get(keys.candidate(candidateId));
    if (!loaded) throw new NotFoundError(`release candidate ${candidateId} not found`, { id: candidateId });
    const candidate = toEntity<ReleaseCandidate>(loaded);
    if (CLOSED_CANDIDATE_STATUSES.includes(candidate.status)) {
      throw new ValidationError(`a waiver cannot help a ${candidate.status} candidate`, { field: 'candidateId' });
    }
    const expiresAt = waiverExpiry(tx.now, input.expiresAt);
    // The candidate's snapshot cannot change under the request: its version is the condition.
    tx.check(keys.candidate(candidateId), [{ path: 'snapshotHash', op: '=', value: candidate.snapshotHash }]);
    return openRequest(
      tx,
      toEntity<AiSystem>(tx.meta),
      { type: 'candidate', id: candidateId },
      { kind: 'waiver', from: candidate.snapshotHash, to: codes.join(',') },
      input.reason,
      { codes, snapshotHash: candidate.snapshotHash, expiresAt },
    );
  });
  return result;
}

/** One request as it stands now, or a 404. */
export async function getRelaxation(ctx: StoreContext, id: string): Promise<RelaxationRequest> {
  const item = await getItem(ctx, keys.relaxation(id));
  if (!item) throw new NotFoundError(`relaxation request ${id} not found`, { id });
  return relaxationAt(toEntity<RelaxationRequest>(item), ctx.now().toISOString());
}

/** The stored status and filter of a listed status (an expired request is stored open, past its expiry). */
function statusFilter(status: RelaxationStatus, now: string): { stored: string; filters: Condition[] } {
  if (status === 'open') return { stored: 'open', filters: [{ path: 'expiresAt', op: '>', value: now }] };
  if (status === 'expired') return { stored: 'open', filters: [{ path: 'expiresAt', op: '<=', value: now }] };
  return { stored: status, filters: [] };
}

/**
 * Requests of one system (newest first), or of one status across the organisation (oldest first); `open` by default
 * for the latter. The status is a filter, so a page may hold fewer items than `limit`.
 */
export async function listRelaxations(
  ctx: StoreContext,
  filter: { systemId?: string; status?: RelaxationStatus },
  page: PageRequest,
): Promise<Page<RelaxationRequest>> {
  const now = ctx.now().toISOString();
  let out: Page<RelaxationRequest>;
  if (filter.systemId) {
    const { stored, filters } = filter.status ? statusFilter(filter.status, now) : { stored: null, filters: [] };
    out = await queryPage<RelaxationRequest>(ctx, {
      ...queries.relaxationsOfSystem(filter.systemId),
      newestFirst: true,
      filters: stored ? [{ path: 'status', op: '=', value: stored }, ...filters] : filters,
      ...page,
    });
  } else {
    const { stored, filters } = statusFilter(filter.status ?? 'open', now);
    out = await queryPage<RelaxationRequest>(ctx, {
      ...queries.relaxationsByStatus(stored),
      ...(filters.length ? { filters } : {}),
      ...page,
    });
  }
  return { items: out.items.map((r) => relaxationAt(r, now)), nextCursor: out.nextCursor };
}

/** The keys a decision reads besides the request: what the request is bound to. */
async function requestAndSubject(ctx: StoreContext, id: string): Promise<{ request: RelaxationRequest; keys: Key[] }> {
  const item = await getItem(ctx, keys.relaxation(id));
  if (!item) throw new NotFoundError(`relaxation request ${id} not found`, { id });
  const request = toEntity<RelaxationRequest>(item);
  const subject =
    request.subject.type === 'incident'
      ? [keys.incident(request.subject.id)]
      : request.subject.type === 'candidate'
        ? [keys.candidate(request.subject.id)]
        : request.kind === 'sample-settings'
          ? [keys.sampleSettings(request.systemId)]
          : [];
  return { request, keys: [keys.relaxation(id), ...subject] };
}

/** Replaces the request item with its next state, conditioned on the state it was read in. */
function closeRequest(tx: SystemTx, request: RelaxationRequest, next: RelaxationRequest) {
  tx.put(relaxationItem(next), [
    { path: 'status', op: '=', value: request.status },
    { path: 'version', op: '=', value: request.version },
  ]);
}

/**
 * Approves or rejects a request. An approval applies the change in the same transaction: the tier or category on
 * META (conditioned on the value the request was bound to), the incident (conditioned on its version), or a waiver
 * beside its candidate (conditioned on the snapshot hash). When the bound value changed, the request is recorded as
 * superseded and the decision answers 409 `RELAXATION_SUPERSEDED`.
 */
export async function decideRelaxation(
  ctx: StoreContext,
  decider: Actor & { teams: readonly string[] },
  id: string,
  decision: 'approve' | 'reject',
  reason: string,
): Promise<RelaxationRequest> {
  const { request: first, keys: preload } = await requestAndSubject(ctx, id);
  const { teams, ...actor } = decider;
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, preload, (tx) => {
    const item = tx.get(keys.relaxation(id));
    if (!item) throw new NotFoundError(`relaxation request ${id} not found`, { id });
    const request = toEntity<RelaxationRequest>(item);
    const system = toEntity<AiSystem>(tx.meta);
    assertOpen(request, tx.now);
    const who: RelaxationActor = { ...person(actor), roles: actor.roles, teams };
    assertMayDecide(request, who, system.ownerTeam);
    const decided = { decidedBy: person(actor), decidedAt: tx.now, decisionReason: reason };
    if (decision === 'reject') {
      const next: RelaxationRequest = { ...request, ...decided, status: 'rejected', version: request.version + 1 };
      closeRequest(tx, request, next);
      tx.audit({
        action: 'relaxation.rejected',
        entityType: 'relaxation',
        entityId: id,
        before: { status: 'open' },
        after: auditView(next),
        reason,
      });
      return { request: next };
    }
    const incidentItem = request.subject.type === 'incident' ? tx.get(keys.incident(request.subject.id)) : undefined;
    const incident = incidentItem ? toEntity<Incident>(incidentItem) : null;
    const candidateItem = request.subject.type === 'candidate' ? tx.get(keys.candidate(request.subject.id)) : undefined;
    const candidate = candidateItem ? toEntity<ReleaseCandidate>(candidateItem) : null;
    const settingsItem = request.kind === 'sample-settings' ? tx.get(keys.sampleSettings(system.id)) : undefined;
    const sampleSettings = settingsItem ? settingsOf(settingsItem) : null;
    const why = supersededBecause(request, { system, incident, candidate, sampleSettings });
    if (why) {
      const next: RelaxationRequest = { ...request, ...decided, status: 'superseded', version: request.version + 1 };
      closeRequest(tx, request, next);
      tx.audit({
        action: 'relaxation.superseded',
        entityType: 'relaxation',
        entityId: id,
        before: { status: 'open' },
        after: { ...auditView(next), why },
        reason,
      });
      return { request: next, superseded: why };
    }
    const next: RelaxationRequest = { ...request, ...decided, status: 'approved', version: request.version + 1 };
    closeRequest(tx, request, next);
    tx.audit({
      action: 'relaxation.approved',
      entityType: 'relaxation',
      entityId: id,
      before: { status: 'open' },
      after: auditView(next),
      reason,
    });
    applyApproved(tx, next, system, incident, reason, settingsItem);
    return { request: next };
  });
  if ('superseded' in result && result.superseded) throw supersededError(result.request, result.superseded);
  return result.request;
}

/** Writes the change an approved request asks for, each under the condition that the bound value still holds. */
function applyApproved(
  tx: SystemTx,
  request: RelaxationRequest,
  system: AiSystem,
  incident: Incident | null,
  reason: string,
  settingsItem: Record<string, unknown> | undefined,
) {
  const because = `${reason} (relaxation request ${request.id}, asked by ${request.requestedBy.userId}: ${request.reason})`;
  switch (request.kind) {
    case 'risk-tier':
    case 'eu-ai-act-category': {
      const field = request.kind === 'risk-tier' ? 'riskTier' : 'euAiActCategory';
      tx.metaSpec.set[field] = request.to;
      tx.metaSpec.conditions.push({ path: field, op: '=', value: request.from });
      tx.audit({
        action: field === 'riskTier' ? 'system.risk_tier_changed' : 'system.updated',
        entityType: 'system',
        entityId: system.id,
        before: { [field]: request.from },
        after: { [field]: request.to },
        reason: because,
      });
      return;
    }
    case 'incident-severity':
    case 'incident-resolution': {
      if (!incident) throw new NotFoundError(`incident ${request.subject.id} not found`);
      const outcome =
        request.kind === 'incident-resolution'
          ? { ...resolveOutcome(incident, request.resolution ?? request.reason, tx.now), reason: because }
          : {
              next: { ...incident, severity: request.to as Incident['severity'] },
              action: 'incident.updated',
              reason: because,
            };
      writeIncidentChange(tx, incident, outcome);
      return;
    }
    case 'waiver': {
      tx.check(keys.candidate(request.subject.id), [{ path: 'snapshotHash', op: '=', value: request.snapshotHash }]);
      tx.put({
        ...keys.waiver(request.subject.id, request.id),
        itemType: 'waiver',
        requestId: request.id,
        codes: request.codes ?? [],
        snapshotHash: request.snapshotHash,
        expiresAt: request.expiresAt,
      });
      return;
    }
    case 'sample-settings': {
      // Conditioned on the settings item read (its hash was the binding): none, or the one last written.
      if (!request.sampleSettings) throw new NotFoundError(`relaxation request ${request.id} holds no sample settings`);
      writeSampleSettings(tx, system.id, settingsItem, request.sampleSettings, because);
      return;
    }
  }
}

/** Withdraws an open request (its requester, or an admin); nothing it asked for changes. */
export async function withdrawRelaxation(ctx: StoreContext, actor: Actor, id: string): Promise<RelaxationRequest> {
  const { request: first } = await requestAndSubject(ctx, id);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.relaxation(id)], (tx) => {
    const item = tx.get(keys.relaxation(id));
    if (!item) throw new NotFoundError(`relaxation request ${id} not found`, { id });
    const request = toEntity<RelaxationRequest>(item);
    assertMayWithdraw(request, actor);
    assertOpen(request, tx.now);
    const next: RelaxationRequest = {
      ...request,
      status: 'withdrawn',
      decidedBy: person(actor),
      decidedAt: tx.now,
      decisionReason: null,
      version: request.version + 1,
    };
    closeRequest(tx, request, next);
    tx.audit({
      action: 'relaxation.withdrawn',
      entityType: 'relaxation',
      entityId: id,
      before: { status: 'open' },
      after: auditView(next),
    });
    return next;
  });
  return result;
}
