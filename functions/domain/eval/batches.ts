// Splitting a run into batches for the eval-run state machine's Map state, and scoring one batch.
import { ValidationError } from '../errors.js';
import type { CaseResult, EvalCase } from '../types.js';
import { addResult, type EvalAggregate, emptyAggregate } from './metrics.js';
import { type SimulatedModelConfig, type SimulatedPrompt, simulateCase } from './simulated-executor.js';
import { type ScoreSubmittedCaseInput, type Submission, scoreSubmittedCase } from './submitted-executor.js';

export interface BatchDescriptor {
  batchIndex: number;
  /** Index of the batch's first case. */
  start: number;
  /** Index one past the batch's last case (exclusive), so `cases.slice(start, end)` is the batch. */
  end: number;
}

interface SimulatedBatchInput {
  executor: 'simulated';
  snapshotHash: string;
  cases: readonly EvalCase[];
  labels: readonly string[];
  prompt: SimulatedPrompt;
  modelConfig: SimulatedModelConfig;
}

interface SubmittedBatchInput {
  executor: 'submitted';
  cases: readonly EvalCase[];
  prompt: ScoreSubmittedCaseInput['prompt'];
  /** One submission per case, in any order. */
  submissions: readonly Submission[];
}

export type ScoreBatchInput = SimulatedBatchInput | SubmittedBatchInput;

export interface BatchScore {
  aggregate: EvalAggregate;
  results: CaseResult[];
}

/** Descriptors of consecutive batches of at most batchSize cases covering totalCases cases. */
export function planBatches(totalCases: number, batchSize: number): BatchDescriptor[] {
  if (!Number.isSafeInteger(totalCases) || totalCases < 0) {
    throw new RangeError(`totalCases must be a non-negative integer, got ${totalCases}`);
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const batches: BatchDescriptor[] = [];
  for (let start = 0, batchIndex = 0; start < totalCases; start += batchSize, batchIndex++) {
    batches.push({ batchIndex, start, end: Math.min(start + batchSize, totalCases) });
  }
  return batches;
}

/** Scores every case of a batch with the chosen executor and aggregates the results. */
export function scoreBatch(input: ScoreBatchInput): BatchScore {
  const aggregate = emptyAggregate();
  const results: CaseResult[] = new Array(input.cases.length);
  if (input.executor === 'simulated') {
    const { snapshotHash, labels, prompt, modelConfig } = input;
    input.cases.forEach((evalCase, i) => {
      const result = simulateCase({ snapshotHash, evalCase, labels, prompt, modelConfig });
      results[i] = result;
      addResult(aggregate, result);
    });
    return { aggregate, results };
  }
  const byCase = submissionsByCase(input.cases, input.submissions);
  input.cases.forEach((evalCase, i) => {
    const submission = byCase.get(evalCase.caseId) as Submission;
    const result = scoreSubmittedCase({ evalCase, prompt: input.prompt, submission });
    results[i] = result;
    addResult(aggregate, result);
  });
  return { aggregate, results };
}

function submissionsByCase(cases: readonly EvalCase[], submissions: readonly Submission[]): Map<string, Submission> {
  const byCase = new Map<string, Submission>();
  const duplicates: string[] = [];
  for (const s of submissions) {
    if (byCase.has(s.caseId)) duplicates.push(s.caseId);
    byCase.set(s.caseId, s);
  }
  // Every case must be answered, even if only with output null and an error: a silently skipped case would
  // flatter every rate.
  const missing = cases.filter((c) => !byCase.has(c.caseId)).map((c) => c.caseId);
  const known = new Set(cases.map((c) => c.caseId));
  const unknown = submissions.filter((s) => !known.has(s.caseId)).map((s) => s.caseId);
  if (missing.length > 0 || duplicates.length > 0 || unknown.length > 0) {
    throw new ValidationError('submissions do not match the batch one to one', {
      missing: missing.slice(0, 20),
      duplicates: duplicates.slice(0, 20),
      unknown: unknown.slice(0, 20),
    });
  }
  return byCase;
}
