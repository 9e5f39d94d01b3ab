// The steps of an eval run, written as plain async functions of (store, input) → output so that the in-process
// runner calls them today and the eval-run state machine's tasks call them unchanged: prepare, execute-and-score a
// batch (Map state), aggregate-and-gate, and fail. Inputs and outputs stay small JSON: evidence lives in the store.
import { randomUUID } from 'node:crypto';
import { ConflictError, ValidationError } from '../domain/errors.js';
import {
  type AssertionServices,
  allDeterministic,
  assertionsOf,
  outputTextOf,
  scoreAssertions,
  scoreDeterministic,
} from '../domain/eval/assertions.js';
import {
  addResult,
  applyThresholds,
  BASE_BATCH_SIZE,
  type BatchDescriptor,
  ceilingMessage,
  ceilingReached,
  compareWithBaseline,
  type EvalAggregate,
  emptyAggregate,
  evalVerdict,
  finishMetrics,
  labelsOf,
  mergeAggregates,
  planBatches,
  type RunSizing,
  type SizingLimits,
  type Submission,
  scoreBatch,
  sizeRun,
} from '../domain/eval/index.js';
import { connectionEndpoint, type ProviderConnectionVersion } from '../domain/provider-connections.js';
import type {
  Actor,
  CaseResult,
  EvalCase,
  EvalRun,
  ModelConfigVersion,
  PromptVersion,
  ReleaseCandidate,
} from '../domain/types.js';
import type { CaseResultItem, PostedResult, RunDatasetSpan } from '../store/eval-runs.js';
import type { EvidenceRecord, EvidenceStore } from '../store/evidence-store.js';
import type { GovernanceStore } from '../store/index.js';
import { checkTarget } from './allowed-hosts.js';
import { assertionServicesFor } from './assertion-services.js';
import { isCheckRun } from './check-run.js';
import {
  type CheckRunContinuationDeps,
  continueFailedCheckRun,
  continueScoredCheckRun,
} from './check-run-continuation.js';
import { executeHttpCase, policyTargets } from './http-executor.js';
import { connectionLabel, executeProviderCase, NOT_EXECUTED, type ProviderRuntime } from './providers/executor.js';
import { createSpendGuard, type SpendGuard } from './run-cost.js';

/** The evaluation service acts under its own identity in the audit trail. */
export const EVAL_SERVICE_ACTOR: Actor = { userId: 'svc:eval-runner', name: 'Eval runner', roles: [] };

/**
 * The stage's ceilings when the caller names none (the in-process runner): the state machine passes its own
 * (MaxConcurrency and RunTimeoutSeconds of lib/constructs/eval-state-machine.ts). Batch sizes are the executor's
 * (functions/domain/eval/sizing.ts): `http` batches are smaller, their wall time bounded by the endpoint's timeouts.
 */
/** Cases a batch of a simulated run takes (the others: functions/domain/eval/sizing.ts). */
export const DEFAULT_BATCH_SIZE = BASE_BATCH_SIZE.simulated;

const DEFAULT_SIZING_LIMITS: SizingLimits = { maxConcurrency: 4, runTimeoutSeconds: 3600 };
/** Cases of one batch an `http` run calls at the same time. */
const HTTP_CASE_CONCURRENCY = 8;
/**
 * Cases of one batch a `provider` run has in flight: the connections' own limits (shared by every batch of the
 * process) set the pace, not the batch.
 */
const PROVIDER_CASE_CONCURRENCY = 64;

/** Which hosts the `http` executor may call, and how. */
export interface EvalStepOptions {
  /** `host`, `host:port` or `host:*` entries; default none, so an `http` run fails until hosts are configured. */
  allowedHosts?: readonly string[];
  fetchImpl?: typeof fetch;
  /**
   * The `provider` executor's clients, secrets and shared limits (providers/runtime.ts), built once per process by
   * the composition root; absent, a `provider` run fails at Prepare.
   */
  providers?: ProviderRuntime & { check?: (connections: Iterable<ProviderConnectionVersion>) => Promise<void> };
  /**
   * What `similar` and `llm-rubric` assertions call: `rubric` comes from the judge configs' composition; `similarity`
   * defaults to the provider runtime's connections (assertion-services.ts). A missing one fails those assertions.
   */
  assertionServices?: Partial<AssertionServices>;
}

/**
 * Where the per-case evidence of runs goes and is read from: passed in by the composition root (the S3 bucket of
 * EVIDENCE_BUCKET in AWS, the S3 stand-in locally, the in-memory double in tests). There is no default.
 */
export interface EvidenceOptions {
  evidence: EvidenceStore;
}

const CHARS_PER_TOKEN = 4;

/** What scoring a run's batches needs besides the batch's own cases (which each batch reads by key range). */
export interface RunMaterial {
  run: EvalRun;
  candidate: ReleaseCandidate;
  prompt: PromptVersion;
  modelConfig: ModelConfigVersion;
  /** Where each dataset's cases sit in the run's case order. */
  spans: RunDatasetSpan[];
  /** The run's label set (the simulated executor predicts among them). */
  labels: string[];
  /** The connection versions the model config's routes pin, by `<id>#<version>` (`provider` runs). */
  connections: Map<string, ProviderConnectionVersion>;
  /** The run's cost ceiling as this process sees it (runs started with a `maxCost`, ADR 0031). */
  spend?: SpendGuard;
  /** The assertion services of the run in this process: its judges are those its candidate pins, read once. */
  assertionServices?: Partial<AssertionServices>;
}

/**
 * Loads what scoring needs, not the cases; `cache` lets one process reuse it across batches of the same run. The
 * label set comes from the datasets' recorded facts; only a dataset written before those is read whole, once.
 */
export async function loadRunMaterial(
  store: GovernanceStore,
  runId: string,
  cache?: Map<string, RunMaterial>,
): Promise<RunMaterial> {
  const hit = cache?.get(runId);
  if (hit) return hit;
  const run = await store.evalRuns.getEvalRun(runId);
  const candidate = await store.candidates.getCandidate(run.candidateId);
  // A check run (monitoring, rollback validation) judges its own datasets; a gate run its candidate's.
  const datasetIds = run.datasetIds ?? candidate.datasetIds;
  const [prompt, modelConfig, spans] = await Promise.all([
    store.artefacts.getPrompt(candidate.promptVersionId),
    store.artefacts.getModelConfig(candidate.modelConfigId),
    store.evalRuns.runDatasetSpans(datasetIds),
  ]);
  let labels: string[] = [];
  if (run.executor === 'simulated') {
    const facts = await store.evalRuns.runDatasetFacts(datasetIds);
    if (facts) labels = facts.labels;
    else {
      const cases: EvalCase[] = [];
      for (const datasetId of datasetIds) cases.push(...(await store.datasets.allDatasetCases(datasetId)));
      labels = labelsOf(cases);
    }
  }
  const connections =
    run.executor === 'provider'
      ? await pinnedConnectionVersions(store, modelConfig)
      : new Map<string, ProviderConnectionVersion>();
  const material: RunMaterial = { run, candidate, prompt, modelConfig, spans, labels, connections };
  if (run.maxCost !== undefined) material.spend = createSpendGuard(store, run.id, run.maxCost, run.spentUsd ?? 0);
  cache?.set(runId, material);
  return material;
}

/** The batch plan of a run and how the state machine paces it (MaxConcurrencyPath, TimeoutSecondsPath, deadline). */
export interface EvalRunPlan extends RunSizing {
  runId: string;
  executor: EvalRun['executor'];
  totalCases: number;
  batches: BatchDescriptor[];
  /** When the run's time budget ends (ISO 8601): a batch that starts later fails the run instead of scoring. */
  deadline: string;
}

/**
 * Step 1: marks the run running and plans its batches. An `http` run whose routing or fallback policy names a host
 * that is not allowed fails here, before any call, with the refused targets as the reason (a ValidationError: the
 * Catch records it on the run, no retry).
 */
export async function prepareEvalRun(
  store: GovernanceStore,
  input: { runId: string; batchSize?: number; limits?: SizingLimits },
  options: EvalStepOptions & { now?: () => Date } = {},
): Promise<EvalRunPlan> {
  let run = await store.evalRuns.getEvalRun(input.runId);
  let caseTimeoutMs: number | undefined;
  let attemptsPerCase: number | undefined;
  if (run.executor === 'http') {
    const candidate = await store.candidates.getCandidate(run.candidateId);
    const modelConfig = await store.artefacts.getModelConfig(candidate.modelConfigId);
    assertTargetsAllowed(modelConfig, options.allowedHosts ?? []);
    caseTimeoutMs = modelConfig.timeoutMs;
    attemptsPerCase = 1 + (modelConfig.fallbackPolicy.enabled ? 1 + modelConfig.fallbackPolicy.maxRetries : 0);
  }
  if (run.executor === 'provider') {
    const candidate = await store.candidates.getCandidate(run.candidateId);
    const modelConfig = await store.artefacts.getModelConfig(candidate.modelConfigId);
    await assertProvidersCallable(store, modelConfig, options);
    caseTimeoutMs = modelConfig.timeoutMs;
    // Each route may be tried 1 + RETRIES_PER_ROUTE times, with waits between; a fallback model adds a route.
    const routes =
      modelConfig.routingPolicy.strategy === 'fallback_chain' ? modelConfig.routingPolicy.routes.length : 1;
    attemptsPerCase = 3 * (routes + (modelConfig.fallbackPolicy.enabled ? 1 : 0));
  }
  if (run.executor === 'submitted') {
    // A submitted run is aggregated once every case is posted (beginAggregation); until then it has nothing to do.
    if (run.status !== 'aggregating')
      throw new ConflictError(`eval run ${run.id} is ${run.status}; it is aggregated once every case is posted`);
  } else {
    if (run.status === 'queued') run = await store.evalRuns.startEvalRun(EVAL_SERVICE_ACTOR, run.id);
    if (run.status !== 'running') throw new ConflictError(`eval run ${run.id} is ${run.status}, not running`);
  }
  const sizing = sizeRun(
    {
      totalCases: run.totalCases,
      executor: run.executor,
      ...(caseTimeoutMs !== undefined ? { caseTimeoutMs } : {}),
      ...(attemptsPerCase !== undefined ? { attemptsPerCase } : {}),
      ...((run.casesToGrade ?? 0) > 0 ? { modelGraded: true } : {}),
    },
    input.limits ?? DEFAULT_SIZING_LIMITS,
    input.batchSize,
  );
  const now = options.now?.() ?? new Date();
  return {
    runId: run.id,
    executor: run.executor,
    totalCases: run.totalCases,
    batches: planBatches(run.totalCases, sizing.batchSize),
    ...sizing,
    deadline: new Date(now.getTime() + sizing.runTimeoutSeconds * 1000).toISOString(),
  };
}

/** The connection versions a model config's routes pin, read in one request; a missing one is a 400. */
async function pinnedConnectionVersions(
  store: GovernanceStore,
  modelConfig: ModelConfigVersion,
): Promise<Map<string, ProviderConnectionVersion>> {
  const pins = modelConfig.routingPolicy.routes.flatMap((r) => (r.connection ? [r.connection] : []));
  const { found, missing } = await store.providerConnections.connectionVersions(pins);
  if (missing.length > 0)
    throw new ValidationError(
      `provider executor refused: no provider connection version ${missing.map((m) => `${m.id} v${m.version}`).join(', ')}`,
      { field: 'routingPolicy' },
    );
  return found;
}

/**
 * Refuses, before any call, a `provider` run that cannot be executed: a route without a connection version, an
 * endpoint outside the allow-list, a secret that cannot be read (named by its connection, never shown).
 */
async function assertProvidersCallable(
  store: GovernanceStore,
  modelConfig: ModelConfigVersion,
  options: EvalStepOptions,
): Promise<void> {
  if (!options.providers) throw new ValidationError('the provider executor is not configured in this deployment');
  const unpinned = modelConfig.routingPolicy.routes.filter((r) => !r.connection).map((r) => r.target);
  if (unpinned.length > 0)
    throw new ValidationError(
      `provider executor refused: route ${unpinned.join(', ')} names no provider connection version`,
      { field: 'routingPolicy' },
    );
  const connections = await pinnedConnectionVersions(store, modelConfig);
  const allowedHosts = options.providers.allowedHosts;
  for (const connection of connections.values()) {
    const check = checkTarget(connectionEndpoint(connection), allowedHosts);
    if (!check.ok)
      throw new ValidationError(
        `provider executor refused: provider connection ${connectionLabel(connection)}: ${check.reason} (allowed hosts: ${allowedHosts.length ? allowedHosts.join(', ') : 'none configured'})`,
        { field: 'routingPolicy' },
      );
  }
  await options.providers.check?.(connections.values());
}

/** Refuses a model config whose policies could call a host outside `allowedHosts`. */
function assertTargetsAllowed(modelConfig: ModelConfigVersion, allowedHosts: readonly string[]): void {
  const targets = policyTargets(modelConfig);
  if (targets.length === 0) throw new ValidationError('the routing policy names no endpoint for the http executor');
  const refused = targets
    .map((target) => ({ target, check: checkTarget(target, allowedHosts) }))
    .filter((t) => !t.check.ok)
    .map((t) => (t.check.ok ? '' : t.check.reason));
  if (refused.length > 0) {
    throw new ValidationError(
      `http executor refused: ${refused.join('; ')} (allowed hosts: ${allowedHosts.length ? allowedHosts.join(', ') : 'none configured'})`,
      { field: 'routingPolicy' },
    );
  }
}

/**
 * Step 2 (one Map iteration): executes and scores one batch, writes its evidence (results and execution records)
 * to the evidence store as one JSONL object, then records its aggregate and progress in DynamoDB. Idempotent: a
 * batch whose aggregate is recorded is not executed again; a batch whose object exists (a retry after the put) is
 * aggregated from the stored object, so the evidence and the aggregate always agree, even for `http` answers that
 * would differ on a second call.
 */
export async function executeEvalBatch(
  store: GovernanceStore,
  input: { runId: string; batch: BatchDescriptor; deadline?: string },
  cache: Map<string, RunMaterial> | undefined,
  options: EvalStepOptions & EvidenceOptions & { now?: () => Date },
): Promise<{ runId: string; batchIndex: number; cases: number }> {
  const { runId, batch } = input;
  const out = { runId, batchIndex: batch.batchIndex, cases: batch.end - batch.start };
  if (input.deadline && (options.now?.() ?? new Date()).toISOString() > input.deadline) {
    throw new ConflictError(
      `eval run ${runId} passed its deadline (${input.deadline}) before batch ${batch.batchIndex}`,
    );
  }
  if (await store.evalRuns.batchRecorded(runId, batch.batchIndex)) return out;
  const m = await loadRunMaterial(store, runId, cache);
  if (m.run.executor === 'submitted') {
    // The posted results of this batch's key range, aggregated; their evidence is the table's case items.
    let results = await store.evalRuns.caseResultsInRange(runId, batch.start, batch.end);
    if (results.length !== batch.end - batch.start)
      throw new ConflictError(
        `eval run ${runId} has ${results.length} of the ${out.cases} results of batch ${batch.batchIndex}`,
      );
    const waiting = results.filter((r) => r.awaitingGrading);
    if (waiting.length > 0) {
      // Their model-graded assertions are graded here, by the candidate's pinned judges, in the worker that holds the
      // provider runtime (ADR 0050); a verdict another attempt recorded first is kept.
      m.assertionServices ??= assertionServicesFor(store, options.assertionServices, options.providers, m.candidate);
      const { gradedBefore } = await gradeWaitingResults(store, m, batch, waiting, options.evidence);
      if (gradedBefore > 0) results = await store.evalRuns.caseResultsInRange(runId, batch.start, batch.end);
    }
    const aggregate = emptyAggregate();
    for (const result of results) addResult(aggregate, result);
    await store.evalRuns.recordBatch(
      runId,
      { batchIndex: batch.batchIndex, count: results.length, aggregate },
      { advanceProgress: false },
    );
    return { ...out, cases: results.length };
  }
  const cases = await store.evalRuns.runCasesInRange(m.spans, batch.start, batch.end);
  const { spend } = m;
  // A batch that starts after another process reached the ceiling calls nothing.
  await spend?.refresh();
  let records: EvidenceRecord[];
  if (m.run.executor === 'simulated') {
    const { results } = scoreBatch({
      executor: 'simulated',
      snapshotHash: m.run.snapshotHash,
      cases,
      labels: m.labels,
      prompt: m.prompt,
      modelConfig: m.modelConfig,
    });
    // Simulated costs are known at once: the batch keeps the cases that fit under the ceiling, one ADD for them all.
    let billed = 0;
    records = results.map((result, i) => {
      const index = batch.start + i;
      if (spend && ceilingReached(spend.spent() + billed, spend.maxCost))
        return notExecutedRecord(index, cases[i] as EvalCase);
      billed += result.costUsd;
      return { index, ...result, execution: simulatedExecution(m, cases[i] as EvalCase, result) };
    });
    await spend?.record(billed);
  } else if (m.run.executor === 'http') {
    const allowedHosts = options.allowedHosts ?? [];
    records = await mapLimit(cases, HTTP_CASE_CONCURRENCY, async (evalCase, i) => {
      // An http case's attempts are the endpoint's business: the ceiling is asked per case, its cost added after.
      if (spend && !spend.mayCall()) return notExecutedRecord(batch.start + i, evalCase);
      const result = await executeHttpCase({
        evalCase,
        prompt: m.prompt,
        modelConfig: m.modelConfig,
        allowedHosts,
        ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      });
      await spend?.record(result.costUsd);
      return { index: batch.start + i, ...result };
    });
  } else if (m.run.executor === 'provider') {
    const runtime = options.providers;
    if (!runtime) throw new ValidationError('the provider executor is not configured in this deployment');
    records = await mapLimit(cases, PROVIDER_CASE_CONCURRENCY, async (evalCase, i) => ({
      index: batch.start + i,
      ...(await executeProviderCase({
        evalCase,
        prompt: m.prompt,
        modelConfig: m.modelConfig,
        connections: m.connections,
        runtime,
        ...(spend ? { spend } : {}),
      })),
    }));
  } else {
    throw new ConflictError(`eval run ${runId} takes submitted results; it has no batches to execute`);
  }
  // Assertions are scored before the evidence is written, so the stored object carries their verdicts. A check run's
  // candidate is its release: monitoring and rollback validation are graded by the judges the release pinned.
  m.assertionServices ??= assertionServicesFor(store, options.assertionServices, options.providers, m.candidate);
  await scoreCaseAssertions(records, cases, m.spans, (i) => batch.start + i, m.assertionServices);
  const { evidence } = options;
  const put = await evidence.putBatch(runId, batch.batchIndex, records);
  if (!put.written) records = (await evidence.readBatch(runId, batch.batchIndex)) ?? records;
  const aggregate = emptyAggregate();
  for (const record of records) addResult(aggregate, record);
  const notExecuted = records.filter((r) => r.execution.notExecuted === true).length;
  await store.evalRuns.recordBatch(runId, {
    batchIndex: batch.batchIndex,
    count: records.length,
    aggregate,
    ...(notExecuted > 0 ? { notExecuted } : {}),
  });
  return { ...out, cases: records.length };
}

/**
 * Grades the waiting results of a submitted run's batch, in place: every assertion of each case (its dataset's
 * defaults, then its own) on the text that was posted (kept in the evidence store until now) or else the output
 * object, through the run's services; then records the verdicts on the case items.
 */
async function gradeWaitingResults(
  store: GovernanceStore,
  m: RunMaterial,
  batch: BatchDescriptor,
  waiting: CaseResultItem[],
  evidence: EvidenceStore,
): Promise<{ gradedBefore: number }> {
  const cases = await store.evalRuns.runCasesInRange(m.spans, batch.start, batch.end);
  const kept = new Map<string, Record<string, string>>();
  for (const name of new Set(waiting.flatMap((r) => (r.texts ? [r.texts] : [])))) {
    const texts = await evidence.readTexts(m.run.id, name);
    // Written before the results that name it: a missing object is not something a retry can fix.
    if (!texts) throw new ConflictError(`eval run ${m.run.id} lost the posted texts ${name} its cases wait on`);
    kept.set(name, texts);
  }
  const texts = waiting.map((r) => {
    if (!r.texts) return undefined;
    const text = kept.get(r.texts)?.[String(r.index)];
    if (text === undefined)
      throw new ConflictError(`eval run ${m.run.id} lost the posted text of case ${r.caseId} (index ${r.index})`);
    return text;
  });
  const waitingCases = waiting.map((r) => cases[r.index - batch.start] as EvalCase);
  await scoreCaseAssertions(
    waiting,
    waitingCases,
    m.spans,
    (i) => (waiting[i] as CaseResultItem).index,
    m.assertionServices ?? {},
    texts,
  );
  const { gradedBefore } = await store.evalRuns.recordGradedResults(
    m.run.id,
    waiting.map((r) => ({ index: r.index, assertions: r.assertions ?? [] })),
  );
  return { gradedBefore: gradedBefore.length };
}

/** A case the run's cost ceiling kept from being called: recorded as not executed, not as a model failure. */
function notExecutedRecord(index: number, evalCase: EvalCase): EvidenceRecord {
  return {
    index,
    caseId: evalCase.caseId,
    tags: evalCase.tags,
    expectedLabel: evalCase.expectedLabel,
    predictedLabel: null,
    output: null,
    correct: false,
    schemaValid: false,
    latencyMs: 0,
    costUsd: 0,
    timedOut: false,
    fallbackUsed: false,
    fallbackSucceeded: false,
    error: NOT_EXECUTED,
    execution: { route: '', attempts: 0, tokensIn: 0, tokensOut: 0, error: NOT_EXECUTED, notExecuted: true },
  };
}

/**
 * The execution record of a simulated case, consistent with its cost: the simulator bills ⌈(template + input JSON
 * characters) / 4⌉ input tokens per call and its output tokens (30..120, at most maxTokens) on the answering call.
 * The calls (attempts) are 1 without a fallback; with one they are recovered from the cost, as are the output tokens.
 */
export function simulatedExecution(
  m: Pick<RunMaterial, 'prompt' | 'modelConfig'>,
  evalCase: EvalCase,
  result: CaseResult,
): EvidenceRecord['execution'] {
  const { model, fallbackPolicy, costRates, parameters } = m.modelConfig;
  const perCall = Math.ceil((m.prompt.template.length + JSON.stringify(evalCase.input).length) / CHARS_PER_TOKEN);
  const route = `simulated:${result.fallbackUsed ? (fallbackPolicy.fallbackModel ?? model) : model}`;
  const answered = result.output !== null;
  const milli = result.costUsd * 1000;
  const outputOf = (calls: number) =>
    costRates.outputPer1k > 0 ? (milli - calls * perCall * costRates.inputPer1k) / costRates.outputPer1k : 0;
  const fits = (calls: number) => {
    const out = outputOf(calls);
    if (!answered) return Math.abs(milli - calls * perCall * costRates.inputPer1k) < 1e-5;
    return Math.abs(out - Math.round(out)) < 0.01 && Math.round(out) >= Math.min(30, parameters.maxTokens) - 0.01;
  };
  let calls = 1;
  if (result.fallbackUsed) {
    calls = 2;
    while (calls < 12 && !fits(calls)) calls++;
  }
  return {
    route,
    attempts: calls,
    tokensIn: calls * perCall,
    tokensOut: answered ? Math.max(0, Math.round(outputOf(calls))) : 0,
    error: result.error,
  };
}

/** Cases of a batch whose model-graded assertions (similar, llm-rubric) are scored at the same time. */
const ASSERTION_CASE_CONCURRENCY = 8;

/** The default assertions of the dataset that holds the run's case at `index`. */
function defaultsAt(spans: readonly RunDatasetSpan[], index: number): RunDatasetSpan['defaultAssert'] {
  for (const span of spans) if (index >= span.offset && index < span.offset + span.count) return span.defaultAssert;
  return undefined;
}

/**
 * Adds each case's assertion verdicts (its dataset's defaults, then its own) to its record, in place. Deterministic
 * lists are scored synchronously; a list with `similar` or `llm-rubric` goes through the services, a few cases at a
 * time. A case without assertions is left as it was (no `assertions` member).
 */
async function scoreCaseAssertions(
  records: (CaseResult & { execution?: EvidenceRecord['execution'] })[],
  cases: readonly EvalCase[],
  spans: readonly RunDatasetSpan[],
  indexOf: (i: number) => number,
  services: Partial<AssertionServices>,
  texts?: readonly (string | null | undefined)[],
): Promise<void> {
  const pending: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as CaseResult & { execution?: EvidenceRecord['execution'] };
    const evalCase = cases[i] as EvalCase;
    const list = assertionsOf(defaultsAt(spans, indexOf(i)), evalCase);
    if (list.length === 0) continue;
    if (!allDeterministic(list)) {
      pending.push(i);
      continue;
    }
    const subject = {
      text: outputTextOf(record.output, texts?.[i] ?? record.execution?.outputText),
      latencyMs: record.latencyMs,
      costUsd: record.costUsd,
      input: evalCase.input,
    };
    record.assertions = list.map((a) => scoreDeterministic(a, subject));
  }
  await mapLimit(pending, ASSERTION_CASE_CONCURRENCY, async (i) => {
    const record = records[i] as CaseResult & { execution?: EvidenceRecord['execution'] };
    const evalCase = cases[i] as EvalCase;
    record.assertions = await scoreAssertions(
      assertionsOf(defaultsAt(spans, indexOf(i)), evalCase),
      {
        text: outputTextOf(record.output, texts?.[i] ?? record.execution?.outputText),
        latencyMs: record.latencyMs,
        costUsd: record.costUsd,
        input: evalCase.input,
      },
      services,
    );
  });
}

/** Runs `fn` over `items`, at most `limit` at a time, results in item order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A page of a run's per-case evidence in case order: the evidence store's JSONL objects for `simulated` and `http`
 * runs, the table's case items for `submitted` runs (their outputs arrive case by case from the pipeline).
 */
export async function listCaseEvidence(
  store: GovernanceStore,
  run: Pick<EvalRun, 'id' | 'executor'>,
  page: { limit?: number; cursor?: string | null },
  options: EvidenceOptions,
): Promise<{
  items: (CaseResult & { index: number; execution?: EvidenceRecord['execution'] })[];
  nextCursor: string | null;
}> {
  if (run.executor === 'submitted') return store.evalRuns.listCaseResults(run.id, page);
  const out = await options.evidence.readPage(run.id, {
    limit: page.limit ?? 25,
    cursor: page.cursor === undefined || page.cursor === '' ? null : page.cursor,
  });
  return { items: out.records, nextCursor: out.nextCursor };
}

/**
 * Step 3: merges the batch aggregates (a submitted run's as the simulated and http runs': one per key range of its
 * posted results), applies thresholds and baseline comparisons, and records the verdict.
 */
export async function aggregateEvalRun(
  store: GovernanceStore,
  input: { runId: string },
  continuation: CheckRunContinuationDeps = {},
): Promise<{ runId: string; status: EvalRun['status']; failureReasons: string[] }> {
  const run = await store.evalRuns.getEvalRun(input.runId);
  if (isCheckRun(run) && run.status !== 'running') {
    // A retried step: the verdict is recorded; the continuation is idempotent and finishes what it had not.
    await continueFailedCheckRun(store, run, continuation);
    return { runId: run.id, status: run.status, failureReasons: run.failureReasons };
  }
  // A run its ceiling stopped has no verdict: its cases were not all executed. It ends in error (the candidate can be
  // evaluated again with a higher ceiling), not failed, which would judge the model on cases it never saw.
  if (run.maxCost !== undefined && (run.casesNotExecuted ?? 0) > 0) {
    const message = ceilingMessage(run.maxCost, run.spentUsd ?? 0, run.casesNotExecuted ?? 0);
    const done = await store.evalRuns.failEvalRun(EVAL_SERVICE_ACTOR, run.id, message, 'COST_CEILING_REACHED');
    return { runId: run.id, status: done.status, failureReasons: [] };
  }
  const candidate = await store.candidates.getCandidate(run.candidateId);
  const aggregate = (await store.evalRuns.batchAggregates(run.id)).reduce<EvalAggregate>(
    (acc, a) => mergeAggregates(acc, a as EvalAggregate),
    emptyAggregate(),
  );
  if (aggregate.cases !== run.totalCases) {
    throw new ConflictError(`eval run ${run.id} scored ${aggregate.cases} of ${run.totalCases} cases`);
  }
  const { metrics, slices } = finishMetrics(aggregate);
  const thresholdVerdicts = applyThresholds(metrics, candidate.thresholds);
  if (isCheckRun(run)) {
    // A check run is judged by the release's own thresholds only (monitoring adds its drift rule); its continuation
    // records the verdict and acts on it (ADR 0032).
    const verdict = evalVerdict(thresholdVerdicts, []);
    const outcome = {
      passed: verdict.passed,
      metrics,
      slices,
      thresholdVerdicts,
      failureReasons: verdict.failureReasons,
    };
    await continueScoredCheckRun(store, run, outcome, continuation);
    return { runId: run.id, status: verdict.passed ? 'passed' : 'failed', failureReasons: verdict.failureReasons };
  }
  const baselines = await store.evalRuns.baselinesFor(candidate.systemId, candidate.environment, candidate.id);
  const comparisons = baselines
    .filter((b) => b.run.metrics)
    .map((b) =>
      compareWithBaseline({
        baseline: b.kind,
        candidateId: b.candidateId,
        evalRunId: b.run.id,
        baselineMetrics: b.run.metrics as NonNullable<EvalRun['metrics']>,
        metrics,
        thresholds: candidate.thresholds,
      }),
    );
  const verdict = evalVerdict(thresholdVerdicts, comparisons);
  const done = await store.evalRuns.completeEvalRun(EVAL_SERVICE_ACTOR, run.id, {
    passed: verdict.passed,
    metrics,
    slices,
    thresholdVerdicts,
    comparisons,
    failureReasons: verdict.failureReasons,
  });
  return { runId: run.id, status: done.status, failureReasons: verdict.failureReasons };
}

/** The Catch step: records an executor or infrastructure failure on the run. */
export async function failEvalRunStep(
  store: GovernanceStore,
  input: { runId: string; error: string },
  continuation: CheckRunContinuationDeps = {},
): Promise<{ runId: string; status: 'error' }> {
  const run = await store.evalRuns.getEvalRun(input.runId);
  if (isCheckRun(run)) {
    // A check run moves no candidate: its own error transition, then its continuation (a rollback settles as error).
    if (run.status === 'running')
      await store.monitoring.failCheckRun(EVAL_SERVICE_ACTOR, run.id, input.error.slice(0, 1000));
    await continueFailedCheckRun(store, await store.evalRuns.getEvalRun(run.id), continuation);
    return { runId: run.id, status: 'error' };
  }
  if (run.status === 'queued' || run.status === 'running' || run.status === 'aggregating')
    await store.evalRuns.failEvalRun(EVAL_SERVICE_ACTOR, run.id, input.error.slice(0, 1000));
  return { runId: run.id, status: 'error' };
}

/**
 * Aggregates a submitted run in this process, as the state machine would (prepare, each batch, aggregate): what
 * submitEvalResults does when no runner is given (store-level callers and tests).
 */
export async function aggregateSubmittedRunInProcess(
  store: GovernanceStore,
  runId: string,
  options: Pick<EvalStepOptions, 'providers' | 'assertionServices'> & Partial<EvidenceOptions> = {},
): Promise<void> {
  try {
    const plan = await prepareEvalRun(store, { runId });
    const stepOptions = { ...NO_EVIDENCE, ...options };
    for (const batch of plan.batches) await executeEvalBatch(store, { runId, batch }, undefined, stepOptions);
    await aggregateEvalRun(store, { runId });
  } catch (error) {
    await failEvalRunStep(store, { runId, error: (error as Error).message ?? String(error) });
  }
}

/**
 * A submitted run's batches write no evidence objects: its evidence is the table's case items (the texts its
 * model-graded assertions judge are read from the evidence store the posts kept them in, when given).
 */
const NO_EVIDENCE: EvidenceOptions = {
  evidence: new Proxy({} as EvidenceStore, {
    get: () => () => Promise.reject(new Error('a submitted run writes no evidence objects')),
  }),
};

export interface SubmittedResults {
  run: EvalRun;
  /** Results in the post. */
  accepted: number;
  /** Results new to the run (counted); the others had a result already, which is kept. */
  recorded: number;
  alreadyPosted: number;
}

/**
 * Takes outputs a pipeline produced for a `submitted` run. Cases may arrive over several posts, in any order and
 * concurrently: each post reads only the cases it names, records their results and counts them with an atomic
 * counter in the same transactions. Deterministic assertions are scored here; a case with a model-graded one
 * (llm-rubric, similar) is recorded as waiting, its posted text kept in the evidence store, and graded by the eval
 * worker once every case is posted (ADR 0050): this function calls no provider. The post that completes the run
 * moves it to `aggregating` and hands it to `startAggregation` (the eval runner: the state machine in AWS, the local
 * runner locally); without one, it is aggregated (and graded, through `providers`) before this returns.
 */
export async function submitEvalResults(
  store: GovernanceStore,
  actor: Actor,
  runId: string,
  submissions: Submission[],
  options: {
    startAggregation?: (runId: string) => void | Promise<void>;
    /** Where the posted texts that model-graded assertions judge wait for the worker (the run's evidence store). */
    evidence?: EvidenceStore;
    /**
     * Without `startAggregation`: what the in-process aggregation grades model-graded assertions with; absent,
     * `similarity` and the candidate's pinned judges through `providers` when given, else they fail with the reason.
     */
    assertionServices?: Partial<AssertionServices>;
    /** Without `startAggregation`: the provider runtime the in-process aggregation calls judges through. */
    providers?: ProviderRuntime;
  } = {},
): Promise<SubmittedResults> {
  let run = await store.evalRuns.getEvalRun(runId);
  if (run.executor !== 'submitted')
    throw new ConflictError('this run is executed by the control plane; it takes no submitted results', {
      code: 'INVALID_STATE',
    });
  if (run.status !== 'queued' && run.status !== 'running')
    throw new ConflictError(`eval run ${run.id} is ${run.status}`, { code: 'INVALID_STATE' });
  const seen = new Set<string>();
  for (const s of submissions) {
    if (seen.has(s.caseId)) throw new ValidationError(`case ${s.caseId} is submitted twice`, { field: 'results' });
    seen.add(s.caseId);
  }
  const candidate = await store.candidates.getCandidate(run.candidateId);
  const [prompt, spans] = await Promise.all([
    store.artefacts.getPrompt(candidate.promptVersionId),
    store.evalRuns.runDatasetSpans(candidate.datasetIds),
  ]);
  const posted = await store.evalRuns.findPostedCases(spans, [...seen]);
  if (run.status === 'queued') {
    // Racing first pages: one starts the run, the others find it running.
    run = await store.evalRuns.startEvalRun(actor, run.id).catch(async (error: unknown) => {
      const fresh = await store.evalRuns.getEvalRun(runId);
      if (fresh.status === 'queued') throw error;
      return fresh;
    });
  }
  // Each posted result is judged by its case's assertions (on its text when posted) before it is kept: deterministic
  // ones now; a list with a model-graded one waits for the worker, whole, and the text it judges is kept until then.
  const name = randomUUID();
  const texts: Record<string, string> = {};
  const results: PostedResult[] = [];
  for (const s of submissions) {
    const { index, evalCase } = posted.get(s.caseId) as { index: number; evalCase: EvalCase };
    const scored = scoreBatch({ executor: 'submitted', cases: [evalCase], prompt, submissions: [s] });
    const result = scored.results[0] as CaseResult;
    const list = assertionsOf(defaultsAt(spans, index), evalCase);
    if (list.length > 0 && !allDeterministic(list)) {
      if (typeof s.outputText === 'string') texts[String(index)] = s.outputText;
      results.push({ index, result, grading: { texts: typeof s.outputText === 'string' ? name : null } });
      continue;
    }
    await scoreCaseAssertions([result], [evalCase], spans, () => index, {}, [s.outputText]);
    results.push({ index, result });
  }
  if (Object.keys(texts).length > 0) {
    // A composition fault, not the caller's: the function that takes posts keeps texts in the run's evidence store.
    if (!options.evidence) throw new Error('posted texts wait for grading in an evidence store; none was given');
    await options.evidence.putTexts(run.id, name, texts);
  }
  results.sort((a, b) => a.index - b.index);
  const { recorded, alreadyPosted } = await store.evalRuns.recordPostedResults(run.id, results);
  run = await store.evalRuns.getEvalRun(run.id);
  if (run.status === 'running' && run.casesDone >= run.totalCases) {
    const { started } = await store.evalRuns.beginAggregation(actor, run.id);
    if (started) {
      if (options.startAggregation) await options.startAggregation(run.id);
      else
        await aggregateSubmittedRunInProcess(store, run.id, {
          ...(options.evidence ? { evidence: options.evidence } : {}),
          ...(options.providers ? { providers: options.providers } : {}),
          ...(options.assertionServices ? { assertionServices: options.assertionServices } : {}),
        });
    }
    run = await store.evalRuns.getEvalRun(run.id);
  }
  return { run, accepted: submissions.length, recorded, alreadyPosted };
}
