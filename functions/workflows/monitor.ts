// Post-market monitoring, once over every system: each active release (per environment) runs its system's regression
// datasets, is judged against its approval-time run and its own thresholds, and leaves a clean result or an incident
// (docs/architecture/monitoring.md). Called by `npm run monitor` locally and by the scheduled Lambda (monitor-task.ts).
import { GateBlockedError, GovernanceError } from '../domain/errors.js';
import {
  judgeMonitoringRun,
  type MonitoringRollbackPlan,
  type MonitoringVerdict,
  monitoringFailureAction,
  monitoringSeverity,
} from '../domain/monitoring.js';
import type { ApprovalPolicy } from '../domain/policy.js';
import {
  type AiSystem,
  ENVIRONMENTS,
  type Environment,
  type Metrics,
  type MonitoringCause,
  type MonitoringFailureAction,
} from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import { allPages } from '../store/pagination.js';
import { executeCheckRun, MONITOR_ACTOR } from './check-run.js';
import { validateRollbackTarget } from './rollback-validation.js';
import { reserveMonitoringBudget } from './run-cost.js';

interface ReleaseMonitoring {
  systemId: string;
  systemName: string;
  environment: Environment;
  releaseId: string;
  /** clean / failed: a run was judged; skipped: nothing to run; error: the run could not complete. */
  status: 'clean' | 'failed' | 'skipped' | 'error';
  runId: string | null;
  baselineRunId: string | null;
  cases: number;
  driftJudged: boolean;
  causes: MonitoringCause[];
  reasons: string[];
  incidentsOpened: string[];
  incidentsExisting: string[];
  /** What the run did besides its incidents (policy `monitoring.onFailure`); `none` when it opened none. */
  action: MonitoringFailureAction | 'none';
  rollbackRequested: boolean;
  /** The automatic rollback this run made, and the release it restored. */
  rollbackId: string | null;
  rolledBackTo: string | null;
  /** Why the policy's rollback did not happen and a request stands in for it. */
  fallbackReason: string | null;
  note: string | null;
}

export interface MonitoringSummary {
  startedAt: string;
  finishedAt: string;
  releases: ReleaseMonitoring[];
  counts: Record<ReleaseMonitoring['status'], number>;
}

export interface MonitorOptions {
  /** Judge every system under this policy; by default each system's policy in force (its META's copy, ADR 0023). */
  policy?: ApprovalPolicy;
  /** Progress lines, one or two per system. */
  log?: (line: string) => void;
  /** Only these systems (default: every system). */
  systemIds?: readonly string[];
}

/** Monitors every active release once; a failure of one release is recorded and the others still run. */
export async function runMonitoring(store: GovernanceStore, options: MonitorOptions = {}): Promise<MonitoringSummary> {
  const log = options.log ?? (() => undefined);
  const startedAt = store.ctx.now().toISOString();
  const only = options.systemIds ? new Set(options.systemIds) : null;
  const systems = (await allPages((p) => store.systems.listSystems(p))).filter((s) => !only || only.has(s.id));
  const releases: ReleaseMonitoring[] = [];
  for (const [i, system] of systems.entries()) {
    const prefix = `[${i + 1}/${systems.length}] ${system.name}`;
    if (system.status === 'retired') {
      log(`${prefix}: retired, not monitored`);
      continue;
    }
    const active = ENVIRONMENTS.filter((env) => system.activeReleases[env]);
    if (active.length === 0) {
      log(`${prefix}: no active release`);
      continue;
    }
    const datasets = await store.monitoring.latestDatasetsOfKind(system.id, 'regression');
    for (const environment of active) {
      const releaseId = system.activeReleases[environment] as string;
      const base = blank(system, environment, releaseId);
      if (datasets.length === 0) {
        const result = { ...base, status: 'skipped' as const, note: 'no regression dataset' };
        releases.push(result);
        log(`${prefix} (${environment}): skipped, the system has no regression dataset`);
        continue;
      }
      log(`${prefix} (${environment}): running ${datasets.map((d) => `${d.name} v${d.version}`).join(', ')} …`);
      try {
        const policy = options.policy ?? (await store.policies.systemPolicy(system.id));
        // The policy's daily budget (ADR 0031): the run's estimate is reserved first, or the release waits a day.
        const overBudget = await reserveMonitoringBudget(
          store,
          policy,
          releaseId,
          datasets.map((d) => d.id),
        );
        if (overBudget) {
          releases.push({ ...base, status: 'skipped', note: overBudget });
          log(`${prefix} (${environment}): skipped, ${overBudget}`);
          continue;
        }
        const result = await monitorRelease(
          store,
          policy,
          system,
          environment,
          releaseId,
          datasets.map((d) => d.id),
        );
        releases.push(result);
        log(`${prefix} (${environment}): ${describe(result)}`);
      } catch (error) {
        const note = (error as Error).message ?? String(error);
        releases.push({ ...base, status: 'error', note });
        log(`${prefix} (${environment}): error: ${note}`);
      }
    }
  }
  const counts = { clean: 0, failed: 0, skipped: 0, error: 0 };
  for (const r of releases) counts[r.status]++;
  return { startedAt, finishedAt: store.ctx.now().toISOString(), releases, counts };
}

function blank(system: AiSystem, environment: Environment, releaseId: string): ReleaseMonitoring {
  return {
    systemId: system.id,
    systemName: system.name,
    environment,
    releaseId,
    status: 'skipped',
    runId: null,
    baselineRunId: null,
    cases: 0,
    driftJudged: false,
    causes: [],
    reasons: [],
    incidentsOpened: [],
    incidentsExisting: [],
    action: 'none',
    rollbackRequested: false,
    rollbackId: null,
    rolledBackTo: null,
    fallbackReason: null,
    note: null,
  };
}

async function monitorRelease(
  store: GovernanceStore,
  policy: ApprovalPolicy,
  system: AiSystem,
  environment: Environment,
  releaseId: string,
  datasetIds: string[],
): Promise<ReleaseMonitoring> {
  const release = await store.candidates.getCandidate(releaseId);
  // The approval-time run: the gate run that passed the release. A released candidate cannot be re-evaluated,
  // so its latest run is that run.
  const approvalRun = release.latestEvalRunId
    ? await store.evalRuns.getEvalRun(release.latestEvalRunId).catch(() => null)
    : null;
  const baseline = approvalRun?.status === 'passed' && approvalRun.metrics ? approvalRun : null;
  const { run, outcome } = await executeCheckRun(store, MONITOR_ACTOR, {
    candidateId: releaseId,
    purpose: 'monitoring',
    datasetIds,
  });
  const verdict = judgeMonitoringRun({
    metrics: outcome.metrics,
    cases: run.totalCases,
    thresholdVerdicts: outcome.thresholdVerdicts,
    baselineMetrics: (baseline?.metrics as Metrics | undefined) ?? null,
    policy: policy.monitoring,
  });
  const action = monitoringFailureAction(system.riskTier, policy.monitoring);
  const rollbackPlan = action === 'rollback' ? await planRollback(store, policy, system, releaseId, verdict) : null;
  const record = await store.monitoring.recordMonitoringResult(MONITOR_ACTOR, {
    runId: run.id,
    environment,
    outcome,
    verdict,
    severity: monitoringSeverity(system.riskTier, policy.monitoring),
    action,
    rollbackPlan,
    baselineRunId: baseline?.id ?? null,
  });
  const response = record.response;
  let note: string | null = null;
  if (!baseline) note = 'no passed approval-time run to measure drift against';
  else if (!verdict.driftJudged)
    note = `drift not judged: ${run.totalCases} cases, fewer than the ${policy.monitoring.minCasesForDrift} the policy needs`;
  return {
    ...blank(system, environment, releaseId),
    status: verdict.clean ? 'clean' : 'failed',
    runId: run.id,
    baselineRunId: baseline?.id ?? null,
    cases: run.totalCases,
    driftJudged: verdict.driftJudged,
    causes: verdict.causes,
    reasons: [...verdict.reasons.drift, ...verdict.reasons.threshold],
    incidentsOpened: record.opened.map((i) => i.id),
    incidentsExisting: record.existing.map((e) => e.incidentId),
    action: response.kind,
    rollbackRequested: record.rollbackRequested,
    rollbackId: record.rollback?.id ?? null,
    rolledBackTo: record.rollback?.toCandidateId ?? null,
    fallbackReason: response.kind === 'request-rollback' ? response.fallbackReason : null,
    note,
  };
}

/**
 * For the policy's automatic rollback: the last-known-good release and its rollback validation, run before the
 * monitoring run's transaction exactly as a person's rollback runs it (a failure warns or blocks by the tier's
 * `rollbackValidation`). Nothing to prepare when the run is clean or every cause already has an unresolved incident
 * (that incident was acted upon); the transaction decides again. Refusals become the reason for the fallback.
 */
async function planRollback(
  store: GovernanceStore,
  policy: ApprovalPolicy,
  system: AiSystem,
  releaseId: string,
  verdict: MonitoringVerdict,
): Promise<MonitoringRollbackPlan | null> {
  if (verdict.clean) return null;
  if (await store.monitoring.causesCovered(system.id, releaseId, verdict.causes)) return null;
  try {
    const target = await store.candidates.rollbackTarget(releaseId);
    const validation = await validateRollbackTarget(store, MONITOR_ACTOR, target, policy);
    return { targetId: target.id, validation };
  } catch (error) {
    // No eligible release (ROLLBACK_TARGET_INELIGIBLE), a release no longer active, a validation that could not
    // run: the run still records its incident, and the request says why nothing was rolled back.
    return { unavailable: refusal(error) };
  }
}

function refusal(error: unknown): string {
  if (error instanceof GateBlockedError) return error.reasons.map((r) => r.message).join('; ');
  if (error instanceof GovernanceError) return error.message;
  return `the rollback could not be prepared: ${(error as Error)?.message ?? String(error)}`;
}

function describe(r: ReleaseMonitoring): string {
  const head = `${r.status} (run ${r.runId}, ${r.cases} cases${r.note ? `; ${r.note}` : ''})`;
  if (r.status === 'clean') return head;
  const incidents = [
    ...r.incidentsOpened.map((id) => `opened ${id}`),
    ...r.incidentsExisting.map((id) => `already open ${id}`),
  ].join(', ');
  const acted = r.rollbackId
    ? `; rolled back to ${r.rolledBackTo} (${r.rollbackId})`
    : r.rollbackRequested
      ? `; rollback requested${r.fallbackReason ? ` (${r.fallbackReason})` : ''}`
      : '';
  return `${head}: ${r.reasons.join('; ')} → ${incidents}${acted}`;
}
