// promptfoo's results file as submitted outputs (issue 17, ADR 0041, docs/promptfoo.md): each result row is matched
// to a case by `metadata.caseId` or `vars.caseId`; its output becomes the submission this product scores with its
// own assertions, and promptfoo's grading is kept beside them as evidence, never gated.
import { ValidationError } from '../errors.js';
import { PROMPTFOO_RESULTS_VERSION, promptfooRepeatProblem, promptfooRowCase } from '../promptfoo-tests.js';
import type { PromptfooGrading } from '../types.js';
import { wellFormed } from './assertions.js';
import type { Submission } from './submitted-executor.js';

/** What this product reads of one row of promptfoo's `results.results` (the contract lets other members pass). */
export interface PromptfooResultRow {
  vars?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  testCase?: { vars?: Record<string, unknown>; metadata?: Record<string, unknown> };
  response?: { output?: unknown; error?: string | null; cost?: number } | null;
  latencyMs?: number;
  cost?: number;
  success: boolean;
  score: number;
  error?: string | null;
  /** promptfoo's ResultFailureReason: 0 none, 1 an assertion failed, 2 the call failed. */
  failureReason?: number;
  gradingResult?: {
    pass: boolean;
    score: number;
    reason?: string;
    componentResults?: { pass: boolean; score: number; reason?: string; assertion?: { type?: string } | null }[];
  } | null;
}

/** What this product reads of the file `promptfoo eval -o results.json` writes. */
export interface PromptfooResultsFile {
  evalId?: string;
  results: { version: number; results: PromptfooResultRow[] };
}

const PROVIDER_ERROR = 2;
const MAX_REASON_CHARS = 500;
const MAX_COMPONENTS = 20;
const MAX_ERROR_CHARS = 2000;
/** Largest parsed output kept as the case's `output` (it is stored with the case's evidence item). */
const MAX_OUTPUT_JSON_CHARS = 256 * 1024;

const cut = (text: string, max: number) => wellFormed(text.length > max ? `${text.slice(0, max)}…` : text);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The case id a row names (promptfooRowCase), or a 400 naming the row. */
function caseIdOf(row: PromptfooResultRow, field: string): string {
  const named = promptfooRowCase(row, field);
  if ('problem' in named) throw new ValidationError(named.problem, { field });
  return named.caseId;
}

/** The output as this product reads it: text for assertions, and the JSON object for labels and the contract. */
function outputOf(raw: unknown, field: string): { output: Record<string, unknown> | null; outputText: string | null } {
  if (raw === undefined || raw === null) return { output: null, outputText: null };
  const outputText = typeof raw === 'string' ? raw : JSON.stringify(raw);
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
  }
  if (!isRecord(parsed)) return { output: null, outputText };
  if ((typeof raw === 'string' ? raw.length : outputText.length) > MAX_OUTPUT_JSON_CHARS)
    throw new ValidationError(`${field}.response.output is a JSON object over 256 KiB, too large to keep`, { field });
  return { output: parsed, outputText };
}

function gradingOf(row: PromptfooResultRow, evalId: string | undefined): PromptfooGrading {
  const g = row.gradingResult ?? null;
  return {
    ...(evalId ? { evalId: cut(evalId, 200) } : {}),
    pass: g?.pass ?? row.success,
    score: g?.score ?? row.score,
    reason: cut(g?.reason ?? row.error ?? '', MAX_REASON_CHARS),
    assertions: (g?.componentResults ?? []).slice(0, MAX_COMPONENTS).map((c) => ({
      type: cut(c.assertion?.type ?? 'unknown', 64),
      pass: c.pass,
      score: c.score,
      reason: cut(c.reason ?? '', MAX_REASON_CHARS),
    })),
  };
}

/**
 * The submissions of a promptfoo results file, one per row, with promptfoo's grading; throws a ValidationError naming
 * the field when the version is not the one pinned, a row names no case, or two rows name the same case (promptfoo
 * ran several prompts, providers or repeats: a candidate is one prompt on one model config).
 */
export function submissionsFromPromptfoo(file: PromptfooResultsFile): Submission[] {
  if (file.results.version !== PROMPTFOO_RESULTS_VERSION)
    throw new ValidationError(
      `promptfoo results version ${String(file.results.version)} is not supported: this product reads version ${PROMPTFOO_RESULTS_VERSION}`,
      { field: 'results.version' },
    );
  const firstRow = new Map<string, number>();
  return file.results.results.map((row, i) => {
    const field = `results.results.${i}`;
    const caseId = caseIdOf(row, field);
    const earlier = firstRow.get(caseId);
    if (earlier !== undefined)
      throw new ValidationError(promptfooRepeatProblem(`results.results.${earlier}`, field, caseId), { field, caseId });
    firstRow.set(caseId, i);
    const providerFailed = row.failureReason === PROVIDER_ERROR || Boolean(row.response?.error);
    const { output, outputText } = providerFailed
      ? { output: null, outputText: null }
      : outputOf(row.response?.output, field);
    const error = providerFailed
      ? cut(row.response?.error ?? row.error ?? 'the provider call failed', MAX_ERROR_CHARS)
      : null;
    const submission: Submission = {
      caseId,
      output,
      outputText,
      latencyMs: row.latencyMs ?? 0,
      costUsd: row.cost ?? row.response?.cost ?? 0,
      error,
      promptfoo: gradingOf(row, file.evalId),
    };
    return submission;
  });
}
