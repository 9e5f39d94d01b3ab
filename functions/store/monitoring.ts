// Eval runs that judge a release without moving its lifecycle (monitoring and rollback validation), and what a
// monitoring run leaves behind: a clean result, or an incident per cause linked to the release, opened at most once
// while it is unresolved. Every write commits with its audit event in the system's unit of work.
import { GateBlockedError, NotFoundError } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import {
  decideMonitoringResponse,
  type MonitoringResponse,
  type MonitoringRollbackPlan,
  type MonitoringVerdict,
  monitoringIncidentTitle,
} from '../domain/monitoring.js';
import type {
  Actor,
  AiSystem,
  DatasetKind,
  Environment,
  EvalDataset,
  EvalRun,
  Incident,
  Metrics,
  MonitoringCause,
  MonitoringFailureAction,
  ReleaseCandidate,
  RollbackRecord,
  RollbackRequest,
  Severity,
  SliceMetric,
  ThresholdVerdict,
} from '../domain/types.js';
import { selectTarget, writeRollback } from './candidates/rollback.js';
import { type CheckRunSpec, writeCheckRun } from './check-runs.js';
import { countIncidentChange, incidentItem } from './incidents.js';
import { keys, queries, toEntity } from './keys.js';
import { getItem, queryAll } from './query.js';
import { type RequestValidation, writeRollbackRequest } from './rollback-requests.js';
import { type Key, runUnitOfWork, type StoreContext } from './unit-of-work.js';

/** The newest version of each of a system's datasets of `kind`, ordered by name. */
export async function latestDatasetsOfKind(
  ctx: StoreContext,
  systemId: string,
  kind: DatasetKind,
): Promise<EvalDataset[]> {
  const all = await queryAll<EvalDataset>(ctx, queries.versionsOfSystem(systemId, 'DS'));
  const newest = new Map<string, EvalDataset>();
  for (const d of all) {
    if (d.kind !== kind) continue;
    const seen = newest.get(d.name);
    if (!seen || d.version > seen.version) newest.set(d.name, d);
  }
  return [...newest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Starts a monitoring or rollback-validation run of a release's snapshot over `datasetIds` on `executor`: recorded
 * as an eval run (status running) of the release, audited, while the release itself does not change. The eval state
 * machine scores it; its continuation judges it (functions/workflows/check-run-continuation.ts).
 */
export async function startCheckRun(
  ctx: StoreContext,
  actor: Actor,
  input: { candidateId: string; datasetIds: string[] } & CheckRunSpec,
): Promise<EvalRun> {
  const candidateItem = await getItem(ctx, keys.candidate(input.candidateId));
  if (!candidateItem) throw new NotFoundError(`release candidate ${input.candidateId} not found`);
  const first = toEntity<ReleaseCandidate>(candidateItem);
  const datasetIds = [...new Set(input.datasetIds)];
  const preload = [keys.candidate(input.candidateId), ...datasetIds.map(keys.dataset)];
  const { datasetIds: _ids, candidateId: _id, ...spec } = input;
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, preload, (tx) => {
    const candidate = toEntity<ReleaseCandidate>(tx.get(keys.candidate(input.candidateId)) ?? {});
    const datasets = datasetIds.map((id) => tx.get<EvalDataset>(keys.dataset(id)));
    return writeCheckRun(tx, candidate, datasets, spec);
  });
  return result;
}

export interface CheckRunOutcome {
  passed: boolean;
  metrics: Metrics;
  slices: SliceMetric[];
  thresholdVerdicts: ThresholdVerdict[];
  failureReasons: string[];
}

function finishRunWrites(run: EvalRun, outcome: CheckRunOutcome, now: string) {
  const status = outcome.passed ? ('passed' as const) : ('failed' as const);
  assertTransition('eval_run', run.status, status);
  const set = {
    status,
    casesDone: run.totalCases,
    metrics: outcome.metrics,
    slices: outcome.slices,
    thresholdVerdicts: outcome.thresholdVerdicts,
    failureReasons: outcome.failureReasons,
    finishedAt: now,
  };
  return { status, set, finished: { ...run, ...set } as EvalRun };
}

/** running → passed | failed for a rollback-validation run; the release does not change. */
export async function completeCheckRun(
  ctx: StoreContext,
  actor: Actor,
  runId: string,
  outcome: CheckRunOutcome,
): Promise<EvalRun> {
  const first = toEntity<EvalRun>((await getItem(ctx, keys.evalRun(runId))) ?? {});
  if (!first.id) throw new NotFoundError(`eval run ${runId} not found`);
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, [keys.evalRun(runId)], (tx) => {
    const run = toEntity<EvalRun>(tx.get(keys.evalRun(runId)) ?? {});
    const { status, set, finished } = finishRunWrites(run, outcome, tx.now);
    tx.update(keys.evalRun(runId), { set, conditions: [{ path: 'status', op: '=', value: 'running' }] });
    tx.audit({
      action: `eval_run.${status}`,
      entityType: 'eval_run',
      entityId: runId,
      before: { status: run.status },
      after: { status, purpose: run.purpose, metrics: outcome.metrics, failureReasons: outcome.failureReasons },
    });
    return finished;
  });
  return result;
}

/** Marks a check run as error (an executor failure); the release does not change. */
export async function failCheckRun(ctx: StoreContext, actor: Actor, runId: string, error: string): Promise<void> {
  const first = toEntity<EvalRun>((await getItem(ctx, keys.evalRun(runId))) ?? {});
  if (!first.id) return;
  await runUnitOfWork(ctx, first.systemId, actor, [keys.evalRun(runId)], (tx) => {
    const run = toEntity<EvalRun>(tx.get(keys.evalRun(runId)) ?? {});
    assertTransition('eval_run', run.status, 'error');
    tx.update(keys.evalRun(runId), {
      set: { status: 'error', error, finishedAt: tx.now },
      conditions: [{ path: 'status', op: '=', value: run.status }],
    });
    tx.audit({
      action: 'eval_run.error',
      entityType: 'eval_run',
      entityId: runId,
      before: { status: run.status },
      after: { status: 'error', purpose: run.purpose },
      reason: error,
    });
  });
}

export interface MonitoringRecord {
  run: EvalRun;
  clean: boolean;
  /** Incidents opened by this run, one per new cause. */
  opened: Incident[];
  /** Unresolved incidents of earlier runs that already cover a cause of this one (no duplicate is opened). */
  existing: { cause: MonitoringCause; incidentId: string }[];
  /** What the run did besides its incidents, by the policy's `monitoring.onFailure` (domain/monitoring.ts). */
  response: MonitoringResponse;
  rollbackRequested: boolean;
  /** The rollback this run made (response `rollback`), else null. */
  rollback: RollbackRecord | null;
  /** The rollback request this run opened (response `rollback-validating`): its validation run is to be started. */
  rollbackRequest: { request: RollbackRequest; run: EvalRun } | null;
}

/**
 * Whether every one of `causes` of the release is covered by an unresolved incident of monitoring: then a failing
 * run opens nothing and acts on nothing, so the caller need not prepare a rollback. A plain read to save work;
 * the transaction of recordMonitoringResult decides again from a consistent read.
 */
export async function causesCovered(
  ctx: StoreContext,
  systemId: string,
  candidateId: string,
  causes: readonly MonitoringCause[],
): Promise<boolean> {
  for (const cause of causes) {
    const guard = await getItem(ctx, keys.monitoringIncidentGuard(systemId, candidateId, cause));
    if (!guard) return false;
    const incident = await getItem(ctx, keys.incident(guard.incidentId as string));
    if (!incident || incident.status === 'resolved') return false;
  }
  return true;
}

/**
 * Finishes a monitoring run and records what it found, in one transaction: a clean result (audited), or per cause
 * an incident linked to the release, unless an unresolved incident of monitoring for the same release and cause
 * exists (a guard item names it, so the check is a consistent read and a condition, not a GSI lookup). When it opens
 * an incident, the same transaction does what the policy says (`action`): nothing more, a rollback request, or the
 * rollback of the release to the target prepared in `rollbackPlan`, linked to the incident. The rollback is
 * conditioned on the release still being active, so a second run can never roll it back again; if the history
 * changed since the plan, the run falls back to the request.
 */
export async function recordMonitoringResult(
  ctx: StoreContext,
  actor: Actor,
  input: {
    runId: string;
    environment: Environment;
    outcome: CheckRunOutcome;
    verdict: MonitoringVerdict;
    severity: Severity;
    action: MonitoringFailureAction;
    /** For the action `rollback`: the validated last-known-good release, or why there is none. */
    rollbackPlan?: MonitoringRollbackPlan | null;
    /** The approval-time run the drift was measured against. */
    baselineRunId: string | null;
    /** For a plan that validates first: the target's rollback_validation datasets and executor (ADR 0032). */
    rollbackValidation?: RequestValidation | null;
  },
): Promise<MonitoringRecord> {
  const first = toEntity<EvalRun>((await getItem(ctx, keys.evalRun(input.runId))) ?? {});
  if (!first.id) throw new NotFoundError(`eval run ${input.runId} not found`);
  const { systemId, candidateId } = first;
  const guards = input.verdict.causes.map((cause) => ({
    cause,
    key: keys.monitoringIncidentGuard(systemId, candidateId, cause),
  }));
  const plan = input.rollbackPlan ?? null;
  const targetId = plan && 'targetId' in plan ? plan.targetId : null;
  // The target is read by selectTarget inside the attempt, with the history it is judged by.
  const preload = [keys.evalRun(input.runId), keys.candidate(candidateId), ...guards.map((g) => g.key)];
  const { result } = await runUnitOfWork(ctx, systemId, actor, preload, async (tx) => {
    const system = toEntity<AiSystem>(tx.meta);
    const run = toEntity<EvalRun>(tx.get(keys.evalRun(input.runId)) ?? {});
    const release = toEntity<ReleaseCandidate>(tx.get(keys.candidate(candidateId)) ?? {});
    const { status, set, finished } = finishRunWrites(run, input.outcome, tx.now);
    tx.update(keys.evalRun(run.id), { set, conditions: [{ path: 'status', op: '=', value: 'running' }] });
    tx.audit({
      action: `eval_run.${status}`,
      entityType: 'eval_run',
      entityId: run.id,
      before: { status: run.status },
      after: { status, purpose: 'monitoring', metrics: input.outcome.metrics },
    });
    const existing: MonitoringRecord['existing'] = [];
    const toOpen: { cause: MonitoringCause; key: Key; replaces: string | null; id: string }[] = [];
    for (const { cause, key } of guards) {
      const guard = tx.get<{ incidentId: string }>(key);
      if (guard) {
        // Read inside the unit of work: a concurrent resolution changes the system's audit head, so this
        // transaction would fail its head condition and run again with a fresh read.
        const item = await getItem(ctx, keys.incident(guard.incidentId));
        if (item && item.status !== 'resolved') {
          existing.push({ cause, incidentId: guard.incidentId });
          continue;
        }
      }
      toOpen.push({ cause, key, replaces: guard?.incidentId ?? null, id: newId('inc') });
    }

    // The rollback's preconditions, read in this attempt: the release is still the active one, and the prepared
    // target is still eligible (a rollback or promotion since the plan changes both, and the audit head with them).
    let blocked: string | null = null;
    let target: ReleaseCandidate | null = null;
    const wantsRollback =
      input.action === 'rollback' && toOpen.length > 0 && targetId !== null && plan !== null && 'targetId' in plan;
    if (wantsRollback && ('validating' in plan || plan.validation.decision !== 'block')) {
      if (system.activeReleases[input.environment] !== candidateId) {
        blocked = `${candidateId} is no longer the active ${input.environment} release`;
      } else {
        try {
          target = await selectTarget(ctx, release, targetId);
        } catch (error) {
          if (!(error instanceof GateBlockedError)) throw error;
          blocked = error.reasons.map((r) => r.message).join('; ');
        }
      }
    }
    const response = decideMonitoringResponse({
      action: input.action,
      incidentsOpened: toOpen.length,
      plan,
      blocked,
    });
    const rollbackId = response.kind === 'rollback' ? newId('rb') : null;
    const rollbackRequestId = response.kind === 'rollback-validating' ? newId('rrq') : null;
    const rollbackRequested = response.kind === 'request-rollback';

    const opened: Incident[] = [];
    for (const { cause, key, replaces, id } of toOpen) {
      const incident: Incident = {
        id,
        systemId,
        candidateId,
        title: monitoringIncidentTitle(cause, release.name),
        description: `Monitoring run ${run.id} of the active ${input.environment} release: ${input.verdict.reasons[cause].join('; ')}.`,
        severity: input.severity,
        status: 'open',
        resolution: null,
        createdAt: tx.now,
        createdBy: actor.userId,
        updatedAt: tx.now,
        resolvedAt: null,
        version: 1,
        monitoring: {
          cause,
          environment: input.environment,
          evalRunId: run.id,
          reasons: input.verdict.reasons[cause],
          rollbackRequested,
          action:
            response.kind === 'none'
              ? 'incident'
              : response.kind === 'rollback-validating'
                ? 'rollback'
                : response.kind,
          ...(rollbackId ? { rollbackId } : {}),
          ...(rollbackRequestId ? { rollbackRequestId } : {}),
        },
      };
      tx.put(incidentItem(incident));
      tx.put(
        { ...key, itemType: 'monitoring_guard', incidentId: incident.id, candidateId, cause },
        replaces ? [{ path: 'incidentId', op: '=', value: replaces }] : [{ path: 'pk', op: 'not_exists' }],
      );
      // The same counters as incidents.ts, so that resolving the incident lowers the counter it raised.
      countIncidentChange(tx, null, incident);
      tx.audit({
        action: 'incident.opened',
        entityType: 'incident',
        entityId: incident.id,
        after: {
          severity: incident.severity,
          status: 'open',
          candidateId,
          title: incident.title,
          source: 'monitoring',
          cause,
          evalRunId: run.id,
          ...(rollbackId ? { rollbackId } : {}),
          ...(rollbackRequestId ? { rollbackRequestId } : {}),
        },
      });
      opened.push(incident);
    }
    const clean = input.verdict.clean;
    const fallbackReason = response.kind === 'request-rollback' ? response.fallbackReason : null;
    tx.audit({
      action: clean ? 'release.monitoring_clean' : 'release.monitoring_failed',
      entityType: 'candidate',
      entityId: candidateId,
      after: {
        environment: input.environment,
        activeRelease: system.activeReleases[input.environment] === candidateId,
        evalRunId: run.id,
        baselineRunId: input.baselineRunId,
        driftJudged: input.verdict.driftJudged,
        causes: input.verdict.causes,
        reasons: [...input.verdict.reasons.drift, ...input.verdict.reasons.threshold],
        incidentsOpened: opened.map((i) => i.id),
        incidentsExisting: existing.map((e) => e.incidentId),
        ...(clean
          ? {}
          : {
              action: response.kind,
              rollbackId,
              ...(rollbackRequestId ? { rollbackRequestId } : {}),
              ...(fallbackReason ? { fallbackReason } : {}),
            }),
      },
    });
    let rollback: RollbackRecord | null = null;
    const [incident] = opened;
    if (response.kind === 'rollback' && target && rollbackId && incident) {
      // The policy's automatic rollback: the same writes, conditions and audit events as a person's rollback, by
      // the monitor, naming the incident and the run (docs/architecture/rollback.md).
      rollback = writeRollback(tx, system, release, target, {
        reason: `post-market monitoring run ${run.id} failed (${input.verdict.causes.join(', ')}); the ${system.riskTier}-tier policy rolls back to the last-known-good release`,
        incidentId: incident.id,
        validation: response.validation,
        monitoringRunId: run.id,
        rollbackId,
      }).rollback;
    }
    let rollbackRequest: MonitoringRecord['rollbackRequest'] = null;
    if (
      response.kind === 'rollback-validating' &&
      target &&
      rollbackRequestId &&
      incident &&
      input.rollbackValidation
    ) {
      // The policy's automatic rollback once the target's validation run passes (ADR 0032): the request and its run
      // commit with the incident; the run's continuation rolls back, never this run waiting on it.
      rollbackRequest = writeRollbackRequest(tx, release, target, {
        id: rollbackRequestId,
        reason: `post-market monitoring run ${run.id} failed (${input.verdict.causes.join(', ')}); the ${system.riskTier}-tier policy rolls back to the last-known-good release once it passes its rollback validation`,
        incidentId: incident.id,
        monitoringRunId: run.id,
        validation: input.rollbackValidation,
      });
    }
    if (rollbackRequested) {
      // A request for a person to act on (docs/architecture/monitoring.md).
      tx.audit({
        action: 'release.rollback_requested',
        entityType: 'candidate',
        entityId: candidateId,
        after: {
          environment: input.environment,
          incidentIds: opened.map((i) => i.id),
          evalRunId: run.id,
          ...(fallbackReason ? { fallbackReason } : {}),
        },
        reason: fallbackReason
          ? `monitoring failure; the policy rolls back, but ${fallbackReason}`
          : 'monitoring failure; the policy asks for a rollback',
      });
    }
    return { run: finished, clean, opened, existing, response, rollbackRequested, rollback, rollbackRequest };
  });
  return result;
}
