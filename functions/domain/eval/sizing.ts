// How an eval run is cut and paced: batch size, Map concurrency, per-batch timeout and the run's deadline, all
// sized from the run (its case count and executor) within the stage's ceilings. Pure: the Prepare step calls it.
import { ValidationError } from '../errors.js';
import { isSliceTag } from './metrics.js';

/**
 * Distinct slice tags a run may aggregate. A batch aggregate keeps counts per slice (about 60 bytes each, tags up
 * to 80 characters), and the run's item keeps the finished slices: 50 keeps both far below DynamoDB's 400 KB item.
 */
export const MAX_SLICES_PER_RUN = 50;

/**
 * Batches one inline Map may hold: each iteration writes about 8 events to the execution history, which Step
 * Functions caps at 25,000; 1,000 batches stay well inside.
 */
export const MAX_BATCHES_PER_RUN = 1000;

/** Cases a batch takes by executor, before a large run enlarges them to stay within MAX_BATCHES_PER_RUN. */
export const BASE_BATCH_SIZE = { simulated: 250, http: 50, submitted: 1000, provider: 50 } as const;

export type SizedExecutor = keyof typeof BASE_BATCH_SIZE;

/** The stage's ceilings (the state machine's MaxConcurrency and RunTimeoutSeconds settings). */
export interface SizingLimits {
  maxConcurrency: number;
  runTimeoutSeconds: number;
}

export interface RunSizing {
  batchSize: number;
  batchCount: number;
  /** Batches the Map state runs at once (MaxConcurrencyPath). */
  maxConcurrency: number;
  /** One batch task's timeout (TimeoutSecondsPath), within a batch function's 5 minutes. */
  batchTimeoutSeconds: number;
  /** The run's own time budget; the deadline is its start plus this. */
  runTimeoutSeconds: number;
}

const BATCH_FUNCTION_SECONDS = 300;

/**
 * Sizes a run: batches of the executor's size (larger when the run would exceed MAX_BATCHES_PER_RUN), as many at
 * once as there are batches up to the stage's ceiling, each batch's timeout from its work (an `http` batch from the
 * endpoint's timeout and fallbacks, 8 cases at a time), and the run's budget from the rounds of batches it needs,
 * each allowed its retries, within the stage's run timeout.
 */
export function sizeRun(
  run: {
    totalCases: number;
    executor: SizedExecutor;
    caseTimeoutMs?: number;
    attemptsPerCase?: number;
    /**
     * A `submitted` run whose batches grade model-graded assertions (llm-rubric, similar) through providers: its
     * batches are cut and timed as a `provider` run's (a judge call per case, 8 cases at a time), ADR 0050.
     */
    modelGraded?: boolean;
  },
  limits: SizingLimits,
  batchSizeOverride?: number,
): RunSizing {
  const total = Math.max(0, Math.floor(run.totalCases));
  const calls = run.executor === 'http' || run.executor === 'provider' || run.modelGraded === true;
  const base = batchSizeOverride ?? (run.modelGraded ? BASE_BATCH_SIZE.provider : BASE_BATCH_SIZE[run.executor]);
  const batchSize = Math.max(base, Math.ceil(total / MAX_BATCHES_PER_RUN));
  const batchCount = Math.ceil(total / batchSize);
  const maxConcurrency = Math.max(1, Math.min(Math.floor(limits.maxConcurrency), batchCount));
  let work: number;
  if (calls) {
    const perCase = ((run.caseTimeoutMs ?? 30_000) * Math.max(1, run.attemptsPerCase ?? 1)) / 1000;
    work = Math.ceil(batchSize / 8) * perCase;
  } else {
    // Scoring or reading a case takes well under a millisecond; a minute covers cold starts and throttling.
    work = 60 + batchSize / 100;
  }
  const batchTimeoutSeconds = Math.min(BATCH_FUNCTION_SECONDS, Math.ceil(work + 30));
  const rounds = Math.ceil(batchCount / maxConcurrency);
  // Each task may be retried 3 times (2 + 4 + 8 s apart) after a timeout: budget two attempts per round.
  const budget = 120 + rounds * 2 * batchTimeoutSeconds;
  const runTimeoutSeconds = Math.min(Math.floor(limits.runTimeoutSeconds), budget);
  return { batchSize, batchCount, maxConcurrency, batchTimeoutSeconds, runTimeoutSeconds };
}

/** The sorted distinct slice tags (`key:value`) of some cases' tags. */
export function sliceTagsOf(cases: readonly { tags: readonly string[] }[]): string[] {
  const tags = new Set<string>();
  for (const c of cases) for (const tag of c.tags) if (isSliceTag(tag)) tags.add(tag);
  return [...tags].sort();
}

/** Refuses more than MAX_SLICES_PER_RUN distinct slice tags, naming the field that carries them. */
export function assertSliceCap(sliceTags: readonly string[], field: string): void {
  if (sliceTags.length <= MAX_SLICES_PER_RUN) return;
  throw new ValidationError(
    `the cases carry ${sliceTags.length} distinct slice tags; a run aggregates at most ${MAX_SLICES_PER_RUN}`,
    { code: 'TOO_MANY_SLICES', field, limit: MAX_SLICES_PER_RUN, found: sliceTags.length },
  );
}
