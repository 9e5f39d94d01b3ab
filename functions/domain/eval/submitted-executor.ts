// The `submitted` executor: the pipeline ran the model itself and posts what it got; we only score it.
import { ValidationError } from '../errors.js';
import type { CaseResult, EvalCase, PromptfooGrading, PromptVersion } from '../types.js';
import { isCorrect, predictedLabelOf } from './outcome.js';
import { isSchemaValid } from './schema.js';

/** One case's outcome as a pipeline submits it. */
export interface Submission {
  caseId: string;
  /** The parsed model output; null when the call produced none. */
  output: Record<string, unknown> | null;
  /** The answer as text, which assertions judge (default: `output` as JSON); scored, never stored. */
  outputText?: string | null;
  latencyMs: number;
  costUsd?: number;
  timedOut?: boolean;
  fallbackUsed?: boolean;
  fallbackSucceeded?: boolean;
  error?: string | null;
  /** promptfoo's grading, when the output came from its results file: kept as evidence, not scored. */
  promptfoo?: PromptfooGrading;
}

export interface ScoreSubmittedCaseInput {
  evalCase: EvalCase;
  prompt: Pick<PromptVersion, 'outputContract'>;
  submission: Submission;
}

/** Scores a submitted output against the case and the prompt's output contract. */
export function scoreSubmittedCase({ evalCase, prompt, submission }: ScoreSubmittedCaseInput): CaseResult {
  if (submission.caseId !== evalCase.caseId) {
    throw new ValidationError(`submission for case ${submission.caseId} scored against case ${evalCase.caseId}`, {
      caseId: evalCase.caseId,
      submittedCaseId: submission.caseId,
    });
  }
  const output = submission.output;
  const schemaValid = isSchemaValid(prompt.outputContract, output);
  const predictedLabel = predictedLabelOf(output);
  const fallbackUsed = submission.fallbackUsed ?? false;
  return {
    caseId: evalCase.caseId,
    tags: evalCase.tags,
    expectedLabel: evalCase.expectedLabel,
    predictedLabel,
    output,
    correct: isCorrect(evalCase, predictedLabel, schemaValid),
    schemaValid,
    latencyMs: submission.latencyMs,
    costUsd: submission.costUsd ?? 0,
    timedOut: submission.timedOut ?? false,
    fallbackUsed,
    // A fallback that was never used cannot have succeeded, whatever the payload says.
    fallbackSucceeded: fallbackUsed && (submission.fallbackSucceeded ?? false),
    error: submission.error ?? null,
    ...(submission.promptfoo ? { promptfoo: submission.promptfoo } : {}),
  };
}

/** Checks the runtime shape of an untrusted submission and returns its known members, or throws a ValidationError. */
export function parseSubmission(value: unknown): Submission {
  const problems: string[] = [];
  if (!isRecord(value)) throw new ValidationError('a submission must be an object', { problems: ['not an object'] });
  const { caseId, output, outputText, latencyMs, costUsd, timedOut, fallbackUsed, fallbackSucceeded, error } = value;
  if (typeof caseId !== 'string' || caseId.length === 0) problems.push('caseId must be a non-empty string');
  if (output !== null && !isRecord(output)) problems.push('output must be an object or null');
  if (outputText !== undefined && outputText !== null && typeof outputText !== 'string')
    problems.push('outputText must be a string');
  if (!isNonNegativeNumber(latencyMs)) problems.push('latencyMs must be a finite number >= 0');
  if (costUsd !== undefined && !isNonNegativeNumber(costUsd)) problems.push('costUsd must be a finite number >= 0');
  for (const [name, flag] of [
    ['timedOut', timedOut],
    ['fallbackUsed', fallbackUsed],
    ['fallbackSucceeded', fallbackSucceeded],
  ] as const) {
    if (flag !== undefined && typeof flag !== 'boolean') problems.push(`${name} must be a boolean`);
  }
  if (error !== undefined && error !== null && typeof error !== 'string') problems.push('error must be a string');
  if (problems.length > 0) {
    throw new ValidationError('invalid submission', { caseId: typeof caseId === 'string' ? caseId : null, problems });
  }
  // Only the known members are kept: anything else a pipeline sends is not ours to store.
  const submission: Submission = {
    caseId: caseId as string,
    output: output as Record<string, unknown> | null,
    latencyMs: latencyMs as number,
  };
  if (typeof outputText === 'string') submission.outputText = outputText;
  if (costUsd !== undefined) submission.costUsd = costUsd as number;
  if (timedOut !== undefined) submission.timedOut = timedOut as boolean;
  if (fallbackUsed !== undefined) submission.fallbackUsed = fallbackUsed as boolean;
  if (fallbackSucceeded !== undefined) submission.fallbackSucceeded = fallbackSucceeded as boolean;
  if (error !== undefined) submission.error = error as string | null;
  return submission;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
