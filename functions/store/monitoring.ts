// Eval runs that judge a release without moving its lifecycle (monitoring and rollback validation), and what a
// monitoring run leaves behind: a clean result, or an incident per cause linked to the release, opened at most once
// while it is unresolved. Every write commits with its audit event in the system's unit of work.
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors.js';
import { newEvalRun } from '../domain/eval-run.js';
import { newId } from '../domain/ids.js';
import { assertTransition } from '../domain/lifecycle.js';
import { type MonitoringVerdict, monitoringIncidentTitle } from '../domain/monitoring.js';
import type {
  Actor,
  AiSystem,
  DatasetKind,
  Environment,
  EvalDataset,
  EvalRun,
  EvalRunPurpose,
  Incident,
  Metrics,
  MonitoringCause,
  ReleaseCandidate,
  Severity,
  SliceMetric,
  ThresholdVerdict,
} from '../domain/types.js';
import { countIncidentChange, incidentItem } from './incidents.js';
import { keys, queries, toEntity } from './keys.js';
import { getItem, queryAll } from './query.js';
import { runUnitOfWork, type StoreContext } from './unit-of-work.js';

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
 * Starts a monitoring or rollback-validation run of a release's snapshot over `datasetIds`: recorded as an eval
 * run (status running) of the release, audited, while the release itself does not change.
 */
export async function startCheckRun(
  ctx: StoreContext,
  actor: Actor,
  input: { candidateId: string; purpose: Exclude<EvalRunPurpose, 'gate'>; datasetIds: string[] },
): Promise<EvalRun> {
  const candidateItem = await getItem(ctx, keys.candidate(input.candidateId));
  if (!candidateItem) throw new NotFoundError(`release candidate ${input.candidateId} not found`);
  const first = toEntity<ReleaseCandidate>(candidateItem);
  const datasetIds = [...new Set(input.datasetIds)];
  if (datasetIds.length === 0) throw new ValidationError('a check run needs at least one dataset');
  const preload = [keys.candidate(input.candidateId), ...datasetIds.map(keys.dataset)];
  const { result } = await runUnitOfWork(ctx, first.systemId, actor, preload, (tx) => {
    const candidate = toEntity<ReleaseCandidate>(tx.get(keys.candidate(input.candidateId)) ?? {});
    const datasets = datasetIds.map((id) => tx.get<EvalDataset>(keys.dataset(id)));
    if (datasets.some((d) => !d || d.systemId !== candidate.systemId))
      throw new ValidationError('a dataset does not belong to the release’s system', { field: 'datasetIds' });
    const totalCases = datasets.reduce((n, d) => n + (d?.caseCount ?? 0), 0);
    if (totalCases === 0) throw new ConflictError('the datasets hold no cases', { code: 'EVAL_MISSING' });
    const run = newEvalRun(candidate, actor, tx.now, {
      executor: 'simulated',
      status: 'running',
      totalCases,
      startedAt: tx.now,
      purpose: input.purpose,
      datasetIds,
    });
    tx.put({ ...keys.evalRun(run.id), ...keys.evalRunIndexes(candidate.id, run.id), itemType: 'eval_run', ...run });
    tx.audit({
      action: 'eval_run.started',
      entityType: 'eval_run',
      entityId: run.id,
      after: {
        status: 'running',
        purpose: input.purpose,
        candidateId: candidate.id,
        candidateStatus: candidate.status,
        datasetIds,
        totalCases,
        snapshotHash: candidate.snapshotHash,
      },
    });
    return run;
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
  rollbackRequested: boolean;
}

/**
 * Finishes a monitoring run and records what it found, in one transaction: a clean result (audited), or per cause
 * an incident linked to the release, unless an unresolved incident of monitoring for the same release and cause
 * exists (a guard item names it, so the check is a consistent read and a condition, not a GSI lookup).
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
    requestRollback: boolean;
    /** The approval-time run the drift was measured against. */
    baselineRunId: string | null;
  },
): Promise<MonitoringRecord> {
  const first = toEntity<EvalRun>((await getItem(ctx, keys.evalRun(input.runId))) ?? {});
  if (!first.id) throw new NotFoundError(`eval run ${input.runId} not found`);
  const { systemId, candidateId } = first;
  const guards = input.verdict.causes.map((cause) => ({
    cause,
    key: keys.monitoringIncidentGuard(systemId, candidateId, cause),
  }));
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
    const opened: Incident[] = [];
    const existing: MonitoringRecord['existing'] = [];
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
      const incident: Incident = {
        id: newId('inc'),
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
          rollbackRequested: input.requestRollback,
        },
      };
      tx.put(incidentItem(incident));
      tx.put(
        { ...key, itemType: 'monitoring_guard', incidentId: incident.id, candidateId, cause },
        guard ? [{ path: 'incidentId', op: '=', value: guard.incidentId }] : [{ path: 'pk', op: 'not_exists' }],
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
        },
      });
      opened.push(incident);
    }
    const clean = input.verdict.clean;
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
      },
    });
    const rollbackRequested = input.requestRollback && opened.length > 0;
    if (rollbackRequested) {
      // A request for a person to act on, never an automatic rollback (docs/architecture/monitoring.md).
      tx.audit({
        action: 'release.rollback_requested',
        entityType: 'candidate',
        entityId: candidateId,
        after: { environment: input.environment, incidentIds: opened.map((i) => i.id), evalRunId: run.id },
        reason: 'monitoring failure; the policy asks for a rollback',
      });
    }
    return { run: finished, clean, opened, existing, rollbackRequested };
  });
  return result;
}
