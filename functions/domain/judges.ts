// Judge configs (issue 17, ADR 0036): the rules of a governed LLM judge, pure. What a rubric prompt may name, what
// an output schema must require, and how a judge's answer becomes a verdict of one llm-rubric assertion. The
// workflow that calls the judge (functions/workflows/judges.ts) renders, calls and hands the answer here.
import { ValidationError } from './errors.js';
import { outputValidator } from './eval/schema.js';
import type { JsonSchema, JudgeConfigVersion } from './types.js';

/** The placeholders a rubric prompt may use: the assertion's criterion, the output judged, the case's input. */
const RUBRIC_PLACEHOLDERS = ['rubric', 'output', 'input'] as const;

/** The placeholders every rubric prompt must use: a judge that never sees the criterion or the output judges nothing. */
const REQUIRED_RUBRIC_PLACEHOLDERS = ['rubric', 'output'] as const;

/** The verdict of one llm-rubric assertion on one case. */
export interface RubricVerdict {
  pass: boolean;
  /** In [0, 1]. */
  score: number;
  reason: string;
}

/** The placeholders a template names (`{{ name }}`, as the executors render them), once each, in order. */
export function placeholdersOf(template: string): string[] {
  const names = [...template.matchAll(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g)].map((m) => m[1] ?? '');
  return [...new Set(names)];
}

export interface JudgeConfigProblem {
  path: string;
  message: string;
}

type JudgeRules = Pick<JudgeConfigVersion, 'rubricPrompt' | 'outputSchema' | 'passThreshold'>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of a schema's object that it requires. */
function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : [];
}

/**
 * Every reason a judge config cannot be registered, by field: unknown or missing placeholders, an output schema
 * that is not an object schema requiring `pass` (boolean) or `score` (number) or that does not compile, and a pass
 * threshold without a required score.
 */
export function judgeConfigProblems(config: JudgeRules): JudgeConfigProblem[] {
  const problems: JudgeConfigProblem[] = [];
  const named = placeholdersOf(config.rubricPrompt);
  const unknown = named.filter((n) => !(RUBRIC_PLACEHOLDERS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    problems.push({
      path: 'rubricPrompt',
      message: `unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')}: a rubric prompt may name only ${RUBRIC_PLACEHOLDERS.map((n) => `{{${n}}}`).join(', ')}`,
    });
  }
  const missing = REQUIRED_RUBRIC_PLACEHOLDERS.filter((n) => !named.includes(n));
  if (missing.length > 0) {
    problems.push({
      path: 'rubricPrompt',
      message: `a rubric prompt must name ${missing.map((n) => `{{${n}}}`).join(' and ')}`,
    });
  }
  const schema = config.outputSchema;
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const required = requiredOf(schema);
  if (schema.type !== 'object') {
    problems.push({ path: 'outputSchema.type', message: 'a judge answers in an object: the type must be "object"' });
  }
  if (!required.includes('pass') && !required.includes('score')) {
    problems.push({ path: 'outputSchema.required', message: 'the schema must require "pass" or "score" (or both)' });
  }
  const typeOf = (name: string) => (isRecord(properties[name]) ? properties[name].type : undefined);
  if (required.includes('pass') && typeOf('pass') !== 'boolean') {
    problems.push({ path: 'outputSchema.properties.pass', message: '"pass" must be of type "boolean"' });
  }
  if (required.includes('score') && typeOf('score') !== 'number') {
    problems.push({ path: 'outputSchema.properties.score', message: '"score" must be of type "number"' });
  }
  if (config.passThreshold !== null && !required.includes('score')) {
    problems.push({ path: 'passThreshold', message: 'a pass threshold needs the schema to require "score"' });
  }
  try {
    outputValidator(schema);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    problems.push({ path: 'outputSchema', message: 'not a valid JSON Schema' });
  }
  return problems;
}

/** A failed verdict with its reason: what a judge that cannot answer yields for the case, never a thrown error. */
export function failedVerdict(reason: string): RubricVerdict {
  return { pass: false, score: 0, reason };
}

const REASON_MAX = 2000;

/**
 * The verdict a judge's answer gives. An answer that is missing, outside the judge's schema or with a score outside
 * [0, 1] fails the case, saying why. The score is the answer's `score`, else 1 for a pass and 0 for a fail. The
 * verdict is `score >= passThreshold` when the config sets a threshold, else the answer's `pass`, else a score of
 * at least 0.5.
 */
export function rubricVerdict(
  config: Pick<JudgeConfigVersion, 'outputSchema' | 'passThreshold'>,
  answer: Record<string, unknown> | null,
): RubricVerdict {
  if (answer === null) return failedVerdict('the judge did not answer with a JSON object');
  if (!outputValidator(config.outputSchema)(answer)) {
    return failedVerdict('the judge answered outside its output schema');
  }
  const pass = typeof answer.pass === 'boolean' ? answer.pass : null;
  const given = typeof answer.score === 'number' && Number.isFinite(answer.score) ? answer.score : null;
  if (given !== null && (given < 0 || given > 1)) {
    return failedVerdict(`the judge answered a score of ${given}, outside [0, 1]`);
  }
  if (pass === null && given === null) return failedVerdict('the judge answered neither pass nor score');
  const score = given ?? (pass ? 1 : 0);
  const verdict = config.passThreshold !== null ? score >= config.passThreshold : (pass ?? score >= 0.5);
  const said = typeof answer.reason === 'string' && answer.reason.trim() !== '' ? answer.reason.trim() : null;
  const reason = (said ?? (verdict ? 'the judge passed the output' : 'the judge failed the output')).slice(
    0,
    REASON_MAX,
  );
  return { pass: verdict, score, reason };
}

/**
 * Why the judge config version `judge` may not grade a run of a candidate with this snapshot (null: it may): only a
 * judge the snapshot pins, with the content it had when pinned, grades (ADR 0039). A newer version of the same judge
 * is another id, so it is never pinned by an approved release that did not name it.
 */
export function unpinnedJudgeReason(
  pinned: readonly { id: string; contentHash: string }[] | undefined,
  judge: { id: string; contentHash?: string },
): string | null {
  const entry = (pinned ?? []).find((p) => p.id === judge.id);
  if (!entry) return `judge config ${judge.id} is not pinned in the candidate's snapshot: it cannot grade this run`;
  if (judge.contentHash !== undefined && judge.contentHash !== entry.contentHash)
    return `judge config ${judge.id} does not have the content hash its candidate pinned: it cannot grade this run`;
  return null;
}
