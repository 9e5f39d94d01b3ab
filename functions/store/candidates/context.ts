// A candidate with what a reviewer needs to decide on it, read in one request: the gate, the approval round, the
// candidate beside the active and the last-known-good release (their prompts, model configs, datasets and
// approval-time runs), and the rollback that ended it. Facts only: the comparison is the domain's.
import {
  type BaselineRole,
  compareReleaseMetrics,
  datasetDifference,
  type MetricComparison,
} from '../../domain/release-comparison.js';
import type {
  ApprovalRecord,
  EvalDataset,
  EvalRun,
  Incident,
  JudgeConfigVersion,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
  RollbackRecord,
} from '../../domain/types.js';
import { keys, queries, toEntity } from '../keys.js';
import { queryPage } from '../query.js';
import { batchGet, type Key, type StoreContext } from '../unit-of-work.js';
import { candidateGate, type GateView, readGateFacts } from './gate-facts.js';
import { promotionHistory } from './promotion.js';
import { rollbackHistory } from './rollback.js';

export type ContextRole = 'candidate' | BaselineRole;

/** One release of the comparison: what it is made of and the run it was (or is being) judged by. */
export interface ContextSide {
  role: ContextRole;
  candidate: ReleaseCandidate;
  prompt: PromptVersion | null;
  modelConfig: ModelConfigVersion | null;
  datasets: EvalDataset[];
  /** The judge config versions the release pins (ADR 0036, 0039): name and version for the reviewer; [] when none. */
  judgeConfigs: JudgeConfigVersion[];
  /** The candidate's latest passed gate run, else its latest run; a baseline's approval-time (latest) run. */
  run: EvalRun | null;
  /** A baseline's datasets the candidate is not judged on, and the candidate's it was not: empty when they match. */
  datasetDifference: { missing: string[]; added: string[] } | null;
}

export interface CandidateContext {
  candidate: ReleaseCandidate;
  gate: GateView;
  approvals: ApprovalRecord[];
  sides: ContextSide[];
  metrics: MetricComparison[];
  /** The rollback that took this candidate out of service, with its incident; null when it was never rolled back. */
  rollback: { record: RollbackRecord; target: ReleaseCandidate | null; incident: Incident | null } | null;
}

// How many of a candidate's runs are looked through for its latest passed gate run.
const RUNS_LOOKED_AT = 25;

/** The candidate's latest passed gate run (a monitoring or rollback-validation run never counts), else its latest. */
async function evidenceRun(ctx: StoreContext, candidate: ReleaseCandidate, latest: EvalRun | null) {
  if (latest === null || latest.status === 'passed') return latest;
  // The runs index directly (as listEvalRuns reads it): eval-runs.ts imports this module's barrel.
  const page = await queryPage<EvalRun>(ctx, {
    ...queries.runsOfCandidate(candidate.id),
    newestFirst: true,
    limit: RUNS_LOOKED_AT,
  });
  const passed = page.items.find((r) => r.status === 'passed' && (r.purpose ?? 'gate') === 'gate');
  return passed ?? latest;
}

/** The active release and the last-known-good release of the candidate's environment, other than the candidate. */
async function baselineIds(ctx: StoreContext, candidate: ReleaseCandidate, activeId: string | null) {
  const history = (await promotionHistory(ctx, candidate.systemId))
    .filter((h) => h.environment === candidate.environment)
    .reverse();
  const earlier = [...new Set(history.map((h) => h.candidateId))].filter((id) => id !== activeId);
  const loaded = await batchGet(ctx, earlier.map(keys.candidate));
  // The last-known-good release: the most recently active release that is superseded (as rollback picks it).
  const lastKnownGood = earlier.find((id) => loaded.get(`${keys.candidate(id).pk}|META`)?.status === 'superseded');
  const ids: [BaselineRole, string][] = [];
  if (activeId && activeId !== candidate.id) ids.push(['active', activeId]);
  if (lastKnownGood && lastKnownGood !== candidate.id) ids.push(['last_known_good', lastKnownGood]);
  return ids;
}

/** Everything the candidate page and the approval queue show about candidate `id`, from a handful of reads. */
export async function candidateContext(ctx: StoreContext, id: string): Promise<CandidateContext> {
  const [gate, facts] = await Promise.all([candidateGate(ctx, id), readGateFacts(ctx, id)]);
  const candidate = facts.candidate;
  const activeId = gate.system.activeReleases[candidate.environment];
  const baselines = await baselineIds(ctx, candidate, activeId);
  const rollbacks = candidate.status === 'rolled_back' ? await rollbackHistory(ctx, candidate.systemId) : [];
  const rollback = rollbacks.filter((r) => r.fromCandidateId === id).at(-1) ?? null;

  // The baselines' candidates, then everything they name, in two batch reads.
  const first = await batchGet(ctx, [
    ...baselines.map(([, bid]) => keys.candidate(bid)),
    ...(rollback ? [keys.candidate(rollback.toCandidateId)] : []),
    ...(rollback?.incidentId ? [keys.incident(rollback.incidentId)] : []),
  ]);
  const entity = <T>(map: Map<string, Record<string, unknown>>, key: Key) => {
    const item = map.get(`${key.pk}|${key.sk}`);
    return item ? toEntity<T>(item) : null;
  };
  const others = baselines.flatMap(([role, bid]) => {
    const c = entity<ReleaseCandidate>(first, keys.candidate(bid));
    return c ? [{ role, candidate: c }] : [];
  });
  const second = await batchGet(
    ctx,
    others.flatMap(({ candidate: c }) => [
      keys.prompt(c.promptVersionId),
      keys.modelConfig(c.modelConfigId),
      ...c.datasetIds.map(keys.dataset),
      ...(c.judgeConfigs ?? []).map((j) => keys.judgeConfig(j.id)),
      ...(c.latestEvalRunId ? [keys.evalRun(c.latestEvalRunId)] : []),
    ]),
  );

  const ours: ContextSide = {
    role: 'candidate',
    candidate,
    prompt: facts.prompt,
    modelConfig: facts.config,
    datasets: facts.datasets,
    judgeConfigs: facts.judges ?? [],
    run: await evidenceRun(ctx, candidate, facts.run),
    datasetDifference: null,
  };
  const sides: ContextSide[] = [
    ours,
    ...others.map(({ role, candidate: c }) => ({
      role,
      candidate: c,
      prompt: entity<PromptVersion>(second, keys.prompt(c.promptVersionId)),
      modelConfig: entity<ModelConfigVersion>(second, keys.modelConfig(c.modelConfigId)),
      datasets: c.datasetIds.flatMap((d) => entity<EvalDataset>(second, keys.dataset(d)) ?? []),
      judgeConfigs: (c.judgeConfigs ?? []).flatMap(
        (j) => entity<JudgeConfigVersion>(second, keys.judgeConfig(j.id)) ?? [],
      ),
      run: c.latestEvalRunId ? entity<EvalRun>(second, keys.evalRun(c.latestEvalRunId)) : null,
      datasetDifference: datasetDifference(candidate.datasetIds, c.datasetIds),
    })),
  ];
  const metrics = compareReleaseMetrics(
    ours.run?.metrics ?? null,
    sides.flatMap((s) => (s.role === 'candidate' ? [] : [{ role: s.role, metrics: s.run?.metrics ?? null }])),
    candidate.thresholds,
  );
  return {
    candidate,
    gate,
    approvals: facts.approvals,
    sides,
    metrics,
    rollback: rollback
      ? {
          record: rollback,
          target: entity<ReleaseCandidate>(first, keys.candidate(rollback.toCandidateId)),
          incident: rollback.incidentId ? entity<Incident>(first, keys.incident(rollback.incidentId)) : null,
        }
      : null,
  };
}

/** The names of candidates `ids` (one batch read), for lists that show releases by name; unknown ids are left out. */
export async function candidateNames(ctx: StoreContext, ids: readonly string[]): Promise<Map<string, string>> {
  const loaded = await batchGet(ctx, [...new Set(ids)].map(keys.candidate));
  return new Map([...loaded.values()].map((item) => [item.id as string, item.name as string]));
}
