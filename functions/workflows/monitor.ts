// Post-market monitoring, once over every system: each active release (per environment) runs its system's regression
// datasets through the eval state machine on the executor it was gated with (ADR 0032); when a run ends its
// continuation judges it against the approval-time run and the release's own thresholds and leaves a clean result
// or an incident (docs/architecture/monitoring.md). Started by `npm run monitor` locally (which waits for the runs)
// and by the scheduled Lambda (monitor-task.ts, which does not).
import { GateBlockedError, GovernanceError } from '../domain/errors.js';
import type { AssertionServices } from '../domain/eval/assertions.js';
import {
  judgeMonitoringRun,
  type MonitoringRollbackPlan,
  type MonitoringVerdict,
  monitoringFailureAction,
  monitoringSeverity,
} from '../domain/monitoring.js';
import type { ApprovalPolicy, MonitoringPolicy } from '../domain/policy.js';
import { rollbackValidationDecision } from '../domain/rollback.js';
import {
  type AiSystem,
  ENVIRONMENTS,
  type Environment,
  type EvalRun,
  type Metrics,
  type MonitoringCause,
  type MonitoringFailureAction,
} from '../domain/types.js';
import type { GovernanceStore } from '../store/index.js';
import type { CheckRunOutcome, MonitoringRecord } from '../store/monitoring.js';
import { allPages } from '../store/pagination.js';
import type { RequestValidation } from '../store/rollback-requests.js';
import { executorFor, MONITOR_ACTOR, type RunStarter, startCheckRun } from './check-run.js';
import type { ProviderRuntime } from './providers/executor.js';
import { reserveMonitoringBudget } from './run-cost.js';
import { scoreSampleWindowRun } from './sample-monitoring.js';

export interface ReleaseMonitoring {
  systemId: string;
  systemName: string;
  environment: Environment;
  releaseId: string;
  /**
   * clean / failed: a run was judged; skipped: nothing to run; error: the run could not complete; started: the run
   * was started and its continuation judges it (a pass that does not wait for its runs).
   */
  status: 'clean' | 'failed' | 'skipped' | 'error' | 'started';
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
  /** The rollback request the run opened: the policy rolls back once the target's validation run passes. */
  rollbackRequestId: string | null;
  /** Why the policy's rollback did not happen and a request stands in for it. */
  fallbackReason: string | null;
  note: string | null;
  /** `samples`: the run scored a window of production samples (ADR 0042); absent: the regression datasets. */
  source?: 'samples';
}

export interface MonitoringSummary {
  startedAt: string;
  finishedAt: string;
  releases: ReleaseMonitoring[];
  counts: Record<ReleaseMonitoring['status'], number>;
}

export interface MonitorOptions {
  /** Starts each run's execution (the eval state machine). */
  runner: RunStarter;
  /**
   * Waits for every run started to end and answers their judged results by run id (the continuation's, reported
   * through CheckRunContinuationDeps.onMonitored); without it the summary says `started`.
   */
  wait?: () => Promise<ReadonlyMap<string, ReleaseMonitoring>>;
  /** Progress lines, one or two per system. */
  log?: (line: string) => void;
  /** Only these systems (default: every system). */
  systemIds?: readonly string[];
  /** What scores llm-rubric on production samples, when the composition root gives it; else the release's pinned judges. */
  assertionServices?: Partial<AssertionServices>;
  /** The provider runtime the release's pinned judges are called through on production samples (ADR 0039, 0042). */
  providers?: ProviderRuntime;
}

/** Monitors every active release once; a failure of one release is recorded and the others still run. */
export async function runMonitoring(store: GovernanceStore, options: MonitorOptions): Promise<MonitoringSummary> {
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
      // Production samples are judged beside the regression run, in this pass (ADR 0042).
      const sampled = await monitorSamples(store, base, options);
      if (sampled) {
        releases.push(sampled);
        log(`${prefix} (${environment}, samples): ${describe(sampled)}`);
      }
      if (datasets.length === 0) {
        const result = { ...base, status: 'skipped' as const, note: 'no regression dataset' };
        releases.push(result);
        log(`${prefix} (${environment}): skipped, the system has no regression dataset`);
        continue;
      }
      log(`${prefix} (${environment}): running ${datasets.map((d) => `${d.name} v${d.version}`).join(', ')} …`);
      try {
        const policy = await store.policies.systemPolicy(system.id);
        // The policy's daily budget (ADR 0031): the run's estimate, on the executor the release's run will use, is
        // reserved first, or the release waits a day.
        const release = await store.candidates.getCandidate(releaseId);
        const { executor } = await executorFor(store, release);
        const overBudget = await reserveMonitoringBudget(
          store,
          policy,
          releaseId,
          datasets.map((d) => d.id),
          executor,
        );
        if (overBudget) {
          releases.push({ ...base, status: 'skipped', note: overBudget });
          log(`${prefix} (${environment}): skipped, ${overBudget}`);
          continue;
        }
        const run = await startCheckRun(store, options.runner, MONITOR_ACTOR, {
          candidateId: releaseId,
          purpose: 'monitoring',
          datasetIds: datasets.map((d) => d.id),
        });
        const result = {
          ...base,
          status: 'started' as const,
          runId: run.id,
          cases: run.totalCases,
          note: run.executorNote ?? null,
        };
        releases.push(result);
        log(
          `${prefix} (${environment}): started run ${run.id} on the ${run.executor} executor (${run.totalCases} cases)`,
        );
      } catch (error) {
        const note = (error as Error).message ?? String(error);
        releases.push({ ...base, status: 'error', note });
        log(`${prefix} (${environment}): error: ${note}`);
      }
    }
  }
  if (options.wait) {
    const judged = await options.wait();
    for (const [i, r] of releases.entries()) {
      if (r.status !== 'started' || !r.runId) continue;
      const done = judged.get(r.runId) ?? { ...r, status: 'error' as const, note: 'the run ended without a verdict' };
      releases[i] = done;
      log(`${r.systemName} (${r.environment}): ${describe(done)}`);
    }
  }
  const counts = { clean: 0, failed: 0, skipped: 0, error: 0, started: 0 };
  for (const r of releases) counts[r.status]++;
  return { startedAt, finishedAt: store.ctx.now().toISOString(), releases, counts };
}

/**
 * The release's window of production samples, scored in this pass and judged by the continuation every monitoring
 * run has, under the sample policy (ADR 0042); null when the release has no sample in the window.
 */
async function monitorSamples(
  store: GovernanceStore,
  base: ReleaseMonitoring,
  options: MonitorOptions,
): Promise<ReleaseMonitoring | null> {
  const source = 'samples' as const;
  try {
    const window = await scoreSampleWindowRun(store, {
      ...base,
      services: options.assertionServices ?? {},
      ...(options.providers ? { providers: options.providers } : {}),
    });
    if (!window) return null;
    if (window.status === 'skipped') return { ...base, source, cases: window.samples, note: window.note };
    const judged = await recordMonitoringRun(store, window.run, window.outcome, {
      startRun: (id) => options.runner.start(id),
      judgePolicy: window.judgePolicy,
    });
    return judged && { ...judged, source, note: [window.note, judged.note].filter(Boolean).join('; ') };
  } catch (error) {
    return { ...base, source, status: 'error', note: (error as Error).message ?? String(error) };
  }
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
    rollbackRequestId: null,
    fallbackReason: null,
    note: null,
  };
}

/** What a monitoring run's continuation may do besides recording: start the validation run of the rollback it asks. */
export interface MonitoringContinuationDeps {
  startRun?: (runId: string) => void | Promise<void>;
  /** The policy a run is judged under, from the one in force (a window of samples: sample-monitoring.ts). */
  judgePolicy?: (policy: MonitoringPolicy) => MonitoringPolicy;
}

/**
 * The continuation of a scored monitoring run: judges it against the release's approval-time run and thresholds
 * under the policy in force, and records the result in one transaction (monitoring.recordMonitoringResult: the run's
 * finish, its incidents, and what the policy's `monitoring.onFailure` does). The automatic rollback never waits here:
 * a target with rollback_validation datasets gets a rollback request whose validation run starts after this
 * transaction, and that run's own continuation rolls back (ADR 0032). Null when the run was recorded already (a
 * retried step).
 */
export async function recordMonitoringRun(
  store: GovernanceStore,
  scored: EvalRun,
  outcome: CheckRunOutcome,
  deps: MonitoringContinuationDeps = {},
): Promise<ReleaseMonitoring | null> {
  const run = await store.evalRuns.getEvalRun(scored.id);
  if (run.status !== 'running') return null;
  const [system, release, policy] = await Promise.all([
    store.systems.getSystem(run.systemId),
    store.candidates.getCandidate(run.candidateId),
    store.policies.systemPolicy(run.systemId),
  ]);
  const environment = release.environment;
  // The approval-time run: the gate run that passed the release. A released candidate cannot be re-evaluated,
  // so its latest run is that run.
  const approvalRun = release.latestEvalRunId
    ? await store.evalRuns.getEvalRun(release.latestEvalRunId).catch(() => null)
    : null;
  const baseline = approvalRun?.status === 'passed' && approvalRun.metrics ? approvalRun : null;
  const verdict = judgeMonitoringRun({
    metrics: outcome.metrics,
    cases: run.totalCases,
    thresholdVerdicts: outcome.thresholdVerdicts,
    baselineMetrics: (baseline?.metrics as Metrics | undefined) ?? null,
    policy: deps.judgePolicy?.(policy.monitoring) ?? policy.monitoring,
  });
  const action = monitoringFailureAction(system.riskTier, policy.monitoring);
  const prepared = action === 'rollback' ? await planRollback(store, policy, system, release.id, verdict) : null;
  const record = await store.monitoring.recordMonitoringResult(MONITOR_ACTOR, {
    runId: run.id,
    environment,
    outcome,
    verdict,
    severity: monitoringSeverity(system.riskTier, policy.monitoring),
    action,
    rollbackPlan: prepared?.plan ?? null,
    rollbackValidation: prepared?.validation ?? null,
    baselineRunId: baseline?.id ?? null,
  });
  await startRequestedValidation(store, record, deps);
  const response = record.response;
  let note: string | null = run.executorNote ?? null;
  if (!baseline) note = 'no passed approval-time run to measure drift against';
  else if (!verdict.driftJudged)
    note = `drift not judged: ${run.totalCases} cases, fewer than the ${policy.monitoring.minCasesForDrift} the policy needs`;
  return {
    ...blank(system, environment, release.id),
    status: verdict.clean ? 'clean' : 'failed',
    runId: run.id,
    baselineRunId: baseline?.id ?? null,
    cases: run.totalCases,
    driftJudged: verdict.driftJudged,
    causes: verdict.causes,
    reasons: [...verdict.reasons.drift, ...verdict.reasons.threshold],
    incidentsOpened: record.opened.map((i) => i.id),
    incidentsExisting: record.existing.map((e) => e.incidentId),
    action: response.kind === 'rollback-validating' ? 'rollback' : response.kind,
    rollbackRequested: record.rollbackRequested,
    rollbackId: record.rollback?.id ?? null,
    rolledBackTo: record.rollback?.toCandidateId ?? null,
    rollbackRequestId: record.rollbackRequest?.request.id ?? null,
    fallbackReason: response.kind === 'request-rollback' ? response.fallbackReason : null,
    note,
  };
}

/** A monitoring run that ended in error, as the summary shows it. */
export async function monitoringRunFailed(store: GovernanceStore, run: EvalRun): Promise<ReleaseMonitoring> {
  const [system, release] = await Promise.all([
    store.systems.getSystem(run.systemId),
    store.candidates.getCandidate(run.candidateId),
  ]);
  return {
    ...blank(system, release.environment, release.id),
    status: 'error',
    runId: run.id,
    cases: run.totalCases,
    note: run.error ?? 'the monitoring run could not complete',
  };
}

/**
 * Starts the validation run of the rollback request a monitoring run opened. Without a way to start it (a caller
 * that composed none), or when the start fails, the request is settled as error so that it does not stay pending.
 */
async function startRequestedValidation(
  store: GovernanceStore,
  record: MonitoringRecord,
  deps: MonitoringContinuationDeps,
): Promise<void> {
  const opened = record.rollbackRequest;
  if (!opened) return;
  try {
    if (!deps.startRun) throw new Error('no eval runner is composed here to start the validation run');
    await deps.startRun(opened.run.id);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    await store.monitoring.failCheckRun(MONITOR_ACTOR, opened.run.id, message).catch(() => undefined);
    await store.rollbackRequests.settleRollbackRequest(opened.request.id, { kind: 'error', message });
  }
}

/**
 * For the policy's automatic rollback: the last-known-good release, and either its validation outcome (`skipped`
 * when the system has no rollback_validation dataset: the rollback commits with the run) or the datasets and
 * executor of its validation run (ADR 0032). Nothing to prepare when the run is clean or every cause already has an
 * unresolved incident (that incident was acted upon); the transaction decides again. Refusals become the reason for
 * the fallback.
 */
async function planRollback(
  store: GovernanceStore,
  policy: ApprovalPolicy,
  system: AiSystem,
  releaseId: string,
  verdict: MonitoringVerdict,
): Promise<{ plan: MonitoringRollbackPlan; validation: RequestValidation | null } | null> {
  if (verdict.clean) return null;
  if (await store.monitoring.causesCovered(system.id, releaseId, verdict.causes)) return null;
  try {
    const target = await store.candidates.rollbackTarget(releaseId);
    const datasets = await store.monitoring.latestDatasetsOfKind(system.id, 'rollback_validation');
    if (datasets.length === 0) {
      const validation = rollbackValidationDecision({
        riskTier: system.riskTier,
        evalRunId: null,
        passed: null,
        policy,
      });
      return { plan: { targetId: target.id, validation }, validation: null };
    }
    const { executor, note } = await executorFor(store, target);
    return {
      plan: { targetId: target.id, validating: true },
      validation: { datasets, executor, executorNote: note },
    };
  } catch (error) {
    // No eligible release (ROLLBACK_TARGET_INELIGIBLE), a release no longer active: the run still records its
    // incident, and the request says why nothing was rolled back.
    return { plan: { unavailable: refusal(error) }, validation: null };
  }
}

function refusal(error: unknown): string {
  if (error instanceof GateBlockedError) return error.reasons.map((r) => r.message).join('; ');
  if (error instanceof GovernanceError) return error.message;
  return `the rollback could not be prepared: ${(error as Error)?.message ?? String(error)}`;
}

function describe(r: ReleaseMonitoring): string {
  const head = `${r.status} (run ${r.runId}, ${r.cases} cases${r.note ? `; ${r.note}` : ''})`;
  if (r.status === 'clean' || r.status === 'error' || r.status === 'started') return head;
  const incidents = [
    ...r.incidentsOpened.map((id) => `opened ${id}`),
    ...r.incidentsExisting.map((id) => `already open ${id}`),
  ].join(', ');
  const acted = r.rollbackId
    ? `; rolled back to ${r.rolledBackTo} (${r.rollbackId})`
    : r.rollbackRequestId
      ? `; rollback validating (${r.rollbackRequestId})`
      : r.rollbackRequested
        ? `; rollback requested${r.fallbackReason ? ` (${r.fallbackReason})` : ''}`
        : '';
  return `${head}: ${r.reasons.join('; ')} → ${incidents}${acted}`;
}
