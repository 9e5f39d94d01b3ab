// Release candidates: immutable snapshots of exact versions, judged by evals and approvals, promoted and rolled back.

import type { BlockReason } from '../domain/errors.js';
import {
  ActiveReleaseChangedError,
  ConflictError,
  GateBlockedError,
  NotFoundError,
  ValidationError,
} from '../domain/errors.js';
import { BLOCK_REASON_ORDER, blockedReasons } from '../domain/gate.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import { blockingCardGaps, buildModelCard } from '../domain/model-card.js';
import { DEFAULT_POLICY, requiredApprovals, requiresModelCard } from '../domain/policy.js';
import { type RollbackValidationOutcome, selectRollbackTarget } from '../domain/rollback.js';
import { snapshotHash } from '../domain/snapshot.js';
import type {
  Actor,
  AiSystem,
  ApprovalRecord,
  CandidateStatus,
  Environment,
  EvalDataset,
  EvalRun,
  ModelConfigVersion,
  PromotionEvent,
  PromptVersion,
  ReleaseCandidate,
  RollbackRecord,
  Threshold,
} from '../domain/types.js';
import type { Condition } from './expressions.js';
import { keys, toEntity } from './keys.js';
import type { Page } from './pagination.js';
import { getItem, type PageRequest, queryAll, queryPage } from './query.js';
import { batchGet, type Item, runUnitOfWork, type StoreContext, type SystemTx } from './unit-of-work.js';

export interface CandidateInput {
  systemId: string;
  name: string;
  environment: Environment;
  promptVersionId: string;
  modelConfigId: string;
  datasetIds: string[];
  thresholds: Threshold[];
  notes: string;
}

/** Creates a draft candidate: a snapshot of exact versions with their hashes, the datasets and the thresholds. */
export async function createCandidate(
  ctx: StoreContext,
  actor: Actor,
  input: CandidateInput,
): Promise<ReleaseCandidate> {
  const datasetIds = [...new Set(input.datasetIds)].sort();
  const preload = [
    keys.prompt(input.promptVersionId),
    keys.modelConfig(input.modelConfigId),
    ...datasetIds.map(keys.dataset),
  ];
  const { result } = await runUnitOfWork(ctx, input.systemId, actor, preload, (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    if (system.status === 'retired') throw new ConflictError('the system is retired', { code: 'SYSTEM_RETIRED' });
    const prompt = belonging<PromptVersion>(tx, keys.prompt(input.promptVersionId), input.systemId, 'promptVersionId');
    const config = belonging<ModelConfigVersion>(
      tx,
      keys.modelConfig(input.modelConfigId),
      input.systemId,
      'modelConfigId',
    );
    for (const id of datasetIds) belonging<EvalDataset>(tx, keys.dataset(id), input.systemId, 'datasetIds');
    for (const [field, artefact] of [
      ['promptVersionId', prompt],
      ['modelConfigId', config],
    ] as const) {
      if (artefact.status === 'rejected') {
        throw new ConflictError(`${field} ${artefact.id} was rejected and cannot be released`, {
          code: 'SNAPSHOT_INELIGIBLE',
          field,
        });
      }
    }
    const id = newId('rc');
    const candidate: ReleaseCandidate = {
      id,
      systemId: input.systemId,
      name: input.name,
      environment: input.environment,
      promptVersionId: prompt.id,
      promptContentHash: prompt.contentHash,
      modelConfigId: config.id,
      modelConfigContentHash: config.contentHash,
      datasetIds,
      thresholds: input.thresholds,
      snapshotHash: snapshotHash({
        systemId: input.systemId,
        environment: input.environment,
        promptVersionId: prompt.id,
        promptContentHash: prompt.contentHash,
        modelConfigId: config.id,
        modelConfigContentHash: config.contentHash,
        datasetIds,
        thresholds: input.thresholds,
      }),
      status: 'draft',
      latestEvalRunId: null,
      latestEvalStatus: null,
      requiredRoles: [],
      approvalIds: [],
      policyVersion: null,
      notes: input.notes,
      createdAt: tx.now,
      createdBy: actor.userId,
      submittedAt: null,
      activatedAt: null,
      deactivatedAt: null,
      version: 1,
    };
    tx.put({
      ...keys.candidate(id),
      ...keys.candidateIndexes(input.systemId, id),
      itemType: 'candidate',
      ...candidate,
    });
    tx.audit({
      action: 'candidate.created',
      entityType: 'candidate',
      entityId: id,
      after: { status: 'draft', snapshotHash: candidate.snapshotHash, environment: input.environment },
    });
    return candidate;
  });
  return result;
}

function belonging<T extends { systemId: string; id: string }>(
  tx: SystemTx,
  key: { pk: string; sk: string },
  systemId: string,
  field: string,
): T {
  const item = tx.get(key);
  if (!item || item.systemId !== systemId) {
    throw new ValidationError(`${field} does not name an artefact of this system`, { field });
  }
  return toEntity<T>(item);
}

/** One candidate, or a 404. */
export async function getCandidate(ctx: StoreContext, id: string): Promise<ReleaseCandidate> {
  const item = await getItem(ctx, keys.candidate(id));
  if (!item) throw new NotFoundError(`release candidate ${id} not found`, { id });
  return toEntity<ReleaseCandidate>(item);
}

/** Candidates of a system (newest first), or of every system; optionally of one status. */
export function listCandidates(
  ctx: StoreContext,
  filter: { systemId?: string; status?: CandidateStatus },
  page: PageRequest,
): Promise<Page<ReleaseCandidate>> {
  const filters: Condition[] = filter.status ? [{ path: 'status', op: '=', value: filter.status }] : [];
  if (filter.systemId) {
    return queryPage(ctx, {
      index: 'gsi1',
      partition: `SYS#${filter.systemId}#RC`,
      newestFirst: true,
      filters,
      ...page,
    });
  }
  return queryPage(ctx, { index: 'gsi2', partition: 'RC', newestFirst: true, filters, ...page });
}

/** Freezes a draft candidate; its prompt and model config must be submitted (frozen) themselves. */
export async function submitCandidate(ctx: StoreContext, actor: Actor, id: string): Promise<ReleaseCandidate> {
  const current = await getCandidate(ctx, id);
  const preload = [keys.candidate(id), keys.prompt(current.promptVersionId), keys.modelConfig(current.modelConfigId)];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, (tx) => {
    const candidate = loadCandidate(tx, id);
    assertTransition('candidate', candidate.status, 'submitted');
    const reasons: BlockReason[] = [];
    for (const [label, key] of [
      ['prompt version', keys.prompt(candidate.promptVersionId)],
      ['model config', keys.modelConfig(candidate.modelConfigId)],
    ] as const) {
      const status = tx.get(key)?.status;
      if (status !== 'in_review' && status !== 'approved') {
        reasons.push({ code: 'SNAPSHOT_INELIGIBLE', message: `the ${label} is ${status}; submit it for review first` });
      }
    }
    if (reasons.length) throw new GateBlockedError(reasons);
    setCandidate(tx, candidate, { status: 'submitted', submittedAt: tx.now });
    tx.audit({
      action: 'candidate.submitted',
      entityType: 'candidate',
      entityId: id,
      before: { status: candidate.status },
      after: { status: 'submitted', snapshotHash: candidate.snapshotHash },
    });
    return { ...candidate, status: 'submitted' as const, submittedAt: tx.now, version: candidate.version + 1 };
  });
  return result;
}

export function loadCandidate(tx: SystemTx, id: string): ReleaseCandidate {
  const item = tx.get(keys.candidate(id));
  if (!item) throw new NotFoundError(`release candidate ${id} not found`, { id });
  return toEntity<ReleaseCandidate>(item);
}

/** Updates a candidate under optimistic locking on its version, its status and its snapshot hash. */
export function setCandidate(tx: SystemTx, candidate: ReleaseCandidate, set: Partial<ReleaseCandidate>) {
  tx.update(keys.candidate(candidate.id), {
    set: { ...set },
    add: { version: 1 },
    conditions: [
      { path: 'version', op: '=', value: candidate.version },
      { path: 'status', op: '=', value: candidate.status },
      { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
    ],
  });
}

/** Opens the approval round: one pending approval per role the risk-tier policy requires for the environment. */
export async function requestApproval(
  ctx: StoreContext,
  actor: Actor,
  id: string,
): Promise<{ candidate: ReleaseCandidate; approvals: ApprovalRecord[] }> {
  const current = await getCandidate(ctx, id);
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, [keys.candidate(id)], (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const candidate = loadCandidate(tx, id);
    assertTransition('candidate', candidate.status, 'awaiting_approval');
    const roles = requiredApprovals(system.riskTier, candidate.environment, DEFAULT_POLICY);
    const approvals: ApprovalRecord[] = roles.map((role) => ({
      id: newId('apr'),
      systemId: system.id,
      candidateId: id,
      snapshotHash: candidate.snapshotHash,
      role,
      status: 'pending',
      reviewerId: null,
      reviewerName: null,
      comment: null,
      requestedAt: tx.now,
      requestedBy: actor.userId,
      decidedAt: null,
    }));
    const ids = approvals.map((a) => a.id);
    for (const approval of approvals) {
      tx.put({
        ...keys.approval(approval.id),
        ...keys.approvalIndexes('pending', approval.role, tx.now, approval.id),
        itemType: 'approval',
        ...approval,
        siblingIds: ids,
      });
    }
    const set = {
      status: 'awaiting_approval' as const,
      requiredRoles: roles,
      approvalIds: ids,
      policyVersion: DEFAULT_POLICY.version,
    };
    setCandidate(tx, candidate, set);
    tx.audit({
      action: 'candidate.approval_requested',
      entityType: 'candidate',
      entityId: id,
      before: { status: candidate.status },
      after: {
        status: 'awaiting_approval',
        requiredRoles: roles,
        approvalIds: ids,
        policyVersion: DEFAULT_POLICY.version,
      },
    });
    return { candidate: { ...candidate, ...set, version: candidate.version + 1 }, approvals };
  });
  return result;
}

export interface GateView {
  candidate: ReleaseCandidate;
  system: AiSystem;
  environment: Environment;
  requiredRoles: string[];
  promotable: boolean;
  reasons: BlockReason[];
}

interface GateInputs {
  system: AiSystem;
  candidate: ReleaseCandidate;
  run: EvalRun | null;
  approvals: ApprovalRecord[];
  prompt: PromptVersion | null;
  config: ModelConfigVersion | null;
  /** The candidate's datasets (immutable), for its model card. */
  datasets: EvalDataset[];
}

function gateKeys(candidate: ReleaseCandidate) {
  return [
    keys.candidate(candidate.id),
    keys.prompt(candidate.promptVersionId),
    keys.modelConfig(candidate.modelConfigId),
    ...(candidate.latestEvalRunId ? [keys.evalRun(candidate.latestEvalRunId)] : []),
    ...candidate.approvalIds.map(keys.approval),
    ...candidate.datasetIds.map(keys.dataset),
  ];
}

function gateInputs(
  loaded: (key: { pk: string; sk: string }) => Item | undefined,
  system: AiSystem,
  candidateId: string,
): GateInputs {
  const candidateItem = loaded(keys.candidate(candidateId));
  if (!candidateItem) throw new NotFoundError(`release candidate ${candidateId} not found`, { id: candidateId });
  const candidate = toEntity<ReleaseCandidate>(candidateItem);
  const entity = <T>(key: { pk: string; sk: string }) => {
    const item = loaded(key);
    return item ? toEntity<T>(item) : null;
  };
  return {
    system,
    candidate,
    run: candidate.latestEvalRunId ? entity<EvalRun>(keys.evalRun(candidate.latestEvalRunId)) : null,
    approvals: candidate.approvalIds
      .map((a) => entity<ApprovalRecord>(keys.approval(a)))
      .filter((a): a is ApprovalRecord => a !== null),
    prompt: entity<PromptVersion>(keys.prompt(candidate.promptVersionId)),
    config: entity<ModelConfigVersion>(keys.modelConfig(candidate.modelConfigId)),
    datasets: candidate.datasetIds
      .map((d) => entity<EvalDataset>(keys.dataset(d)))
      .filter((d): d is EvalDataset => d !== null),
  };
}

/**
 * The empty required sections of the release's model card when the policy requires a complete card for this
 * promotion (production, by risk tier). The card is built from the facts the gate read: the system's META (whose
 * audit head the promote transaction conditions on, so an edit of the card in between cancels it) and immutable
 * or condition-checked items. Without its prompt or model config there is no card; SNAPSHOT_INELIGIBLE says why.
 */
function cardGaps(i: GateInputs, environment: Environment): string[] {
  if (!i.prompt || !i.config || !requiresModelCard(i.system.riskTier, environment, DEFAULT_POLICY)) return [];
  const card = buildModelCard({
    system: i.system,
    candidate: i.candidate,
    prompt: i.prompt,
    modelConfig: i.config,
    datasets: i.datasets,
    evalRun: i.run,
    approvals: i.approvals,
    releaseHistory: [],
    generatedAt: i.candidate.createdAt,
  });
  return blockingCardGaps(card, environment, DEFAULT_POLICY);
}

/** Reasons of the snapshot's own artefacts: both must be approved and still carry the hashes the snapshot names. */
function artefactReasons(i: GateInputs): BlockReason[] {
  const reasons: BlockReason[] = [];
  for (const [label, artefact, hash] of [
    ['prompt version', i.prompt, i.candidate.promptContentHash],
    ['model config', i.config, i.candidate.modelConfigContentHash],
  ] as const) {
    if (!artefact || artefact.contentHash !== hash) {
      reasons.push({ code: 'SNAPSHOT_INELIGIBLE', message: `the ${label} no longer matches the snapshot` });
    } else if (artefact.status !== 'approved') {
      reasons.push({
        code: 'SNAPSHOT_INELIGIBLE',
        message: `the ${label} ${artefact.id} is ${artefact.status}, not approved`,
      });
    }
  }
  return reasons;
}

function reasonsFor(i: GateInputs, environment: Environment, expectedActiveCandidateId?: string | null) {
  // The roles of the approval round and those the current risk tier asks for: raising a system's tier after
  // approval adds roles (the candidate must be rebuilt and approved again); lowering it never removes any.
  const requiredRoles = [
    ...new Set([...requiredApprovals(i.system.riskTier, environment, DEFAULT_POLICY), ...i.candidate.requiredRoles]),
  ];
  const input = {
    system: i.system,
    candidate: i.candidate,
    environment,
    latestEvalRun: i.run,
    approvals: i.approvals,
    requiredRoles,
    ...(expectedActiveCandidateId !== undefined ? { expectedActiveCandidateId } : {}),
    modelCardGaps: cardGaps(i, environment),
  };
  const reasons = [...blockedReasons(input), ...artefactReasons(i)];
  // One stable order for pipelines, the CLI and the dashboard (Array.prototype.sort is stable).
  reasons.sort((a, b) => BLOCK_REASON_ORDER.indexOf(a.code) - BLOCK_REASON_ORDER.indexOf(b.code));
  return { input, requiredRoles, reasons };
}

/** A lone ACTIVE_RELEASE_CHANGED is its own 409 (never retried); any other mix is a gate block listing them all. */
function throwIfBlocked(reasons: BlockReason[], expected: string | null, actual: string | null) {
  if (reasons.length === 0) return;
  if (reasons.length === 1 && reasons[0]?.code === 'ACTIVE_RELEASE_CHANGED')
    throw new ActiveReleaseChangedError(expected, actual);
  throw new GateBlockedError(reasons);
}

/** Every reason that blocks the candidate's promotion now, as the promote transaction would judge it. */
export async function candidateGate(ctx: StoreContext, id: string, environment?: Environment): Promise<GateView> {
  const candidate = await getCandidate(ctx, id);
  const loaded = await batchGet(ctx, [keys.system(candidate.systemId), ...gateKeys(candidate)]);
  const systemItem = loaded.get(`${keys.system(candidate.systemId).pk}|META`);
  if (!systemItem) throw new NotFoundError(`system ${candidate.systemId} not found`);
  const inputs = gateInputs((k) => loaded.get(`${k.pk}|${k.sk}`), toEntity<AiSystem>(systemItem), id);
  const env = environment ?? inputs.candidate.environment;
  const { reasons, requiredRoles } = reasonsFor(inputs, env);
  return {
    candidate: inputs.candidate,
    system: inputs.system,
    environment: env,
    requiredRoles,
    promotable: reasons.length === 0,
    reasons,
  };
}

/**
 * Makes the candidate the active release of its environment. One transaction: the system's META (the expected
 * active release, no blocking incident, not retired), the candidate, the previous release, the evaluated run, every
 * required approval and both artefacts as conditions; the promotion event and the audit events as puts.
 */
export async function promoteCandidate(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: { environment?: Environment; expectedActiveCandidateId: string | null; reason?: string | null },
): Promise<{ candidate: ReleaseCandidate; promotion: PromotionEvent }> {
  const current = await getCandidate(ctx, id);
  const environment = input.environment ?? current.environment;
  const expected = input.expectedActiveCandidateId;
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, gateKeys(current), (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const inputs = gateInputs((k) => tx.get(k), system, id);
    const { reasons } = reasonsFor(inputs, environment, expected);
    if (
      inputs.candidate.approvalIds.join() !== current.approvalIds.join() ||
      inputs.candidate.latestEvalRunId !== current.latestEvalRunId
    ) {
      throw new ConflictError('the candidate changed while it was being promoted; try again', {
        code: 'INVALID_STATE',
      });
    }
    throwIfBlocked(reasons, expected, system.activeReleases[environment]);
    const candidate = inputs.candidate;
    const run = inputs.run as EvalRun;
    const previous = system.activeReleases[environment];
    tx.metaSpec.set[`activeReleases.${environment}`] = id;
    if (system.status === 'draft') tx.metaSpec.set.status = 'active';
    tx.metaSpec.conditions.push(
      { path: `activeReleases.${environment}`, op: '=', value: expected },
      { path: 'openBlockingIncidents', op: '=', value: 0 },
      { path: 'status', op: '<>', value: 'retired' },
    );
    tx.metaConflict = (now) => {
      const actual = ((now.activeReleases ?? {}) as Record<string, string | null>)[environment] ?? null;
      if (actual !== expected) return new ActiveReleaseChangedError(expected, actual);
      return undefined;
    };
    setCandidate(tx, candidate, { status: 'active', activatedAt: tx.now });
    tx.check(keys.evalRun(run.id), [
      { path: 'status', op: '=', value: 'passed' },
      { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
    ]);
    for (const approval of inputs.approvals.filter((a) => a.status === 'approved')) {
      tx.check(keys.approval(approval.id), [
        { path: 'status', op: '=', value: 'approved' },
        { path: 'snapshotHash', op: '=', value: candidate.snapshotHash },
      ]);
    }
    tx.check(keys.prompt(candidate.promptVersionId), [
      { path: 'status', op: '=', value: 'approved' },
      { path: 'contentHash', op: '=', value: candidate.promptContentHash },
    ]);
    tx.check(keys.modelConfig(candidate.modelConfigId), [
      { path: 'status', op: '=', value: 'approved' },
      { path: 'contentHash', op: '=', value: candidate.modelConfigContentHash },
    ]);
    if (previous) {
      tx.update(keys.candidate(previous), {
        set: { status: 'superseded', deactivatedAt: tx.now },
        add: { version: 1 },
        conditions: [{ path: 'status', op: '=', value: 'active' }],
      });
    }
    const promotion: PromotionEvent = {
      id: newId('prm'),
      systemId: system.id,
      environment,
      kind: 'promote',
      candidateId: id,
      previousCandidateId: previous,
      actor: actor.userId,
      reason: input.reason ?? null,
      at: tx.now,
    };
    tx.put({ ...keys.promotion(system.id, promotion.id), itemType: 'promotion', ...promotion });
    if (previous) {
      tx.audit({
        action: 'candidate.superseded',
        entityType: 'candidate',
        entityId: previous,
        before: { status: 'active' },
        after: { status: 'superseded', supersededBy: id },
      });
    }
    tx.audit({
      action: 'release.promoted',
      entityType: 'candidate',
      entityId: id,
      before: { status: candidate.status, activeRelease: previous },
      after: {
        status: 'active',
        activeRelease: id,
        environment,
        promotionId: promotion.id,
        snapshotHash: candidate.snapshotHash,
        ...(system.status === 'draft' ? { systemStatus: 'active' } : {}),
      },
      reason: input.reason ?? null,
    });
    return {
      candidate: { ...candidate, status: 'active' as const, activatedAt: tx.now, version: candidate.version + 1 },
      promotion,
    };
  });
  return result;
}

/** The promotion and rollback history of a system, oldest first. */
export function promotionHistory(ctx: StoreContext, systemId: string): Promise<PromotionEvent[]> {
  const p = keys.promotionPrefix(systemId);
  return queryAll<PromotionEvent>(ctx, { partition: p.pk, prefix: p.skPrefix });
}

/** The rollback records of a system, oldest first. */
export function rollbackHistory(ctx: StoreContext, systemId: string): Promise<RollbackRecord[]> {
  const p = keys.rollbackPrefix(systemId);
  return queryAll<RollbackRecord>(ctx, { partition: p.pk, prefix: p.skPrefix });
}

/** Selects the rollback target from the system's promotion history and the current status of each release in it. */
async function selectTarget(
  ctx: StoreContext,
  from: ReleaseCandidate,
  requestedTargetId: string | null | undefined,
): Promise<ReleaseCandidate> {
  const history = await promotionHistory(ctx, from.systemId);
  const ids = [...new Set(history.map((h) => h.candidateId))];
  const loaded = await batchGet(ctx, ids.map(keys.candidate));
  const statuses: Record<string, CandidateStatus> = {};
  for (const item of loaded.values()) statuses[item.id as string] = item.status as CandidateStatus;
  const { targetId } = selectRollbackTarget({
    history,
    candidateStatuses: statuses,
    environment: from.environment,
    fromCandidateId: from.id,
    ...(requestedTargetId ? { requestedTargetId } : {}),
  });
  const targetItem = loaded.get(`${keys.candidate(targetId).pk}|META`);
  if (!targetItem) throw new NotFoundError(`release candidate ${targetId} not found`);
  return toEntity<ReleaseCandidate>(targetItem);
}

/**
 * The release a rollback of the active release `id` would restore now, by the same rule as rollbackRelease, without
 * changing anything (rollback validation runs against it first). ACTIVE_RELEASE_CHANGED when `id` is not active.
 */
export async function rollbackTarget(
  ctx: StoreContext,
  id: string,
  requestedTargetId?: string | null,
): Promise<ReleaseCandidate> {
  const from = await getCandidate(ctx, id);
  const systemItem = await getItem(ctx, keys.system(from.systemId));
  const active = systemItem ? toEntity<AiSystem>(systemItem).activeReleases[from.environment] : null;
  if (active !== id) throw new ActiveReleaseChangedError(id, active ?? null);
  return selectTarget(ctx, from, requestedTargetId);
}

/**
 * Rolls the active release `id` back to an earlier release that was approved and active in the same environment:
 * the last-known-good one unless the caller names another eligible target. Naming `id` is the precondition: when it
 * is no longer the active release, the answer is ACTIVE_RELEASE_CHANGED.
 */
export async function rollbackRelease(
  ctx: StoreContext,
  actor: Actor,
  id: string,
  input: {
    reason: string;
    incidentId?: string | null;
    targetCandidateId?: string | null;
    /** The rollback validation that ran against the target first; recorded with the rollback and its audit event. */
    validation?: RollbackValidationOutcome | null;
  },
): Promise<{ candidate: ReleaseCandidate; target: ReleaseCandidate; rollback: RollbackRecord }> {
  const current = await getCandidate(ctx, id);
  const environment = current.environment;
  const preload = [keys.candidate(id), ...(input.incidentId ? [keys.incident(input.incidentId)] : [])];
  const { result } = await runUnitOfWork(ctx, current.systemId, actor, preload, async (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const from = loadCandidate(tx, id);
    const active = system.activeReleases[environment];
    if (active !== id) throw new ActiveReleaseChangedError(id, active);
    if (input.incidentId) {
      const incident = tx.get(keys.incident(input.incidentId));
      if (!incident || incident.systemId !== system.id) {
        throw new ValidationError('incidentId does not name an incident of this system', { field: 'incidentId' });
      }
    }
    const target = await selectTarget(ctx, from, input.targetCandidateId);
    const targetId = target.id;
    assertTransition('candidate', from.status, 'rolled_back');
    assertTransition('candidate', target.status, 'active');
    tx.metaSpec.set[`activeReleases.${environment}`] = targetId;
    tx.metaSpec.conditions.push({ path: `activeReleases.${environment}`, op: '=', value: id });
    tx.metaConflict = (now) => {
      const actual = ((now.activeReleases ?? {}) as Record<string, string | null>)[environment] ?? null;
      return actual !== id ? new ActiveReleaseChangedError(id, actual) : undefined;
    };
    setCandidate(tx, from, { status: 'rolled_back', deactivatedAt: tx.now });
    setCandidate(tx, target, { status: 'active', activatedAt: tx.now });
    const promotion: PromotionEvent = {
      id: newId('prm'),
      systemId: system.id,
      environment,
      kind: 'rollback',
      candidateId: targetId,
      previousCandidateId: id,
      actor: actor.userId,
      reason: input.reason,
      at: tx.now,
    };
    const rollback: RollbackRecord = {
      id: newId('rb'),
      systemId: system.id,
      environment,
      fromCandidateId: id,
      toCandidateId: targetId,
      reason: input.reason,
      incidentId: input.incidentId ?? null,
      actor: actor.userId,
      at: tx.now,
      ...(input.validation ? { validation: input.validation } : {}),
    };
    tx.put({ ...keys.promotion(system.id, promotion.id), itemType: 'promotion', ...promotion });
    tx.put({ ...keys.rollback(system.id, rollback.id), itemType: 'rollback', ...rollback });
    tx.audit({
      action: 'release.rolled_back',
      entityType: 'candidate',
      entityId: id,
      before: { status: 'active', activeRelease: id },
      after: {
        status: 'rolled_back',
        activeRelease: targetId,
        environment,
        rollbackId: rollback.id,
        incidentId: rollback.incidentId,
        ...(input.validation
          ? {
              validation: {
                status: input.validation.status,
                decision: input.validation.decision,
                evalRunId: input.validation.evalRunId,
                reasons: input.validation.reasons,
              },
            }
          : {}),
      },
      reason: input.reason,
    });
    tx.audit({
      action: 'release.reactivated',
      entityType: 'candidate',
      entityId: targetId,
      before: { status: target.status },
      after: { status: 'active', environment, rollbackId: rollback.id },
      reason: input.reason,
    });
    return {
      candidate: { ...from, status: 'rolled_back' as const, deactivatedAt: tx.now, version: from.version + 1 },
      target: { ...target, status: 'active' as const, activatedAt: tx.now, version: target.version + 1 },
      rollback,
    };
  });
  return result;
}
