// What the assertions of a dataset may be (issue 17, ADR 0035), checked when a dataset is uploaded, and which judges
// they name (ADR 0039). No JSON Schema compiler here: whether a schema value compiles is asked of the caller's
// `SchemaProblem` (ajv's, functions/domain/eval/schema.ts, lent by the datasets API), so the store, which runs these
// checks before it writes, never bundles ajv (ADR 0052). Scoring lives in ./assertions.ts.
import { ValidationError } from '../errors.js';
import { canonicalJson } from '../hashing.js';
import {
  ASSERTION_NAME_PATTERN,
  ASSERTION_PASS_RATE_METRIC,
  ASSERTION_TYPES,
  type Assertion,
  type AssertionType,
  type JsonSchema,
} from '../types.js';
import { regexProblem } from './regex.js';

/**
 * Why a JSON Schema value does not compile (the compiler's reason), or null when it does. Null in place of one: the
 * caller has checked the schema values already, or trusts them (the seed, benchmarks, tests).
 */
export type SchemaProblem = (schema: JsonSchema) => string | null;

/** An assertion as a request carries it: its type still unchecked. */
export type AssertionInput = Omit<Assertion, 'type'> & { type: string };

/** Most assertions a case, or a dataset's defaults, may carry. */
const MAX_ASSERTIONS_PER_CASE = 20;
/** Longest string value (contains, equals, a rubric ...) and longest JSON of an object value (a schema). */
const MAX_ASSERTION_VALUE_CHARS = 16_384;
/** Longest reference text of `levenshtein`, and its largest distance. */
const MAX_LEVENSHTEIN_VALUE_CHARS = 10_000;
const MAX_LEVENSHTEIN_DISTANCE = 1_000;
const MAX_LATENCY_MS = 3_600_000;
const MAX_COST_USD = 1_000;
const MAX_WEIGHT = 1_000;

type Rule = {
  value: 'string' | 'schema' | 'json' | 'none' | 'optional-schema';
  threshold?: { min: number; max: number; integer?: boolean; required?: boolean };
};

/** What each type takes: its value, and its threshold's range (absent: a threshold is refused). */
const RULES: Readonly<Record<AssertionType, Rule>> = {
  equals: { value: 'json' },
  contains: { value: 'string' },
  icontains: { value: 'string' },
  'not-contains': { value: 'string' },
  regex: { value: 'string' },
  'starts-with': { value: 'string' },
  'is-json': { value: 'optional-schema' },
  'contains-json': { value: 'optional-schema' },
  'json-schema': { value: 'schema' },
  levenshtein: { value: 'string', threshold: { min: 0, max: MAX_LEVENSHTEIN_DISTANCE, integer: true } },
  similar: { value: 'string', threshold: { min: 0, max: 1 } },
  'llm-rubric': { value: 'string', threshold: { min: 0, max: 1 } },
  latency: { value: 'none', threshold: { min: 1, max: MAX_LATENCY_MS, required: true } },
  cost: { value: 'none', threshold: { min: 0, max: MAX_COST_USD, required: true } },
};

/** The first problem of one assertion, as `{field, message}` with the field relative to the assertion. */
export function assertionProblem(
  a: AssertionInput,
  schemaProblem: SchemaProblem | null,
): { field: string; message: string } | null {
  if (!(ASSERTION_TYPES as readonly string[]).includes(a.type))
    return { field: 'type', message: `unknown assertion type ${JSON.stringify(a.type)}` };
  const type = a.type as AssertionType;
  const rule = RULES[type];
  if (a.name !== undefined) {
    if (!ASSERTION_NAME_PATTERN.test(a.name))
      return { field: 'name', message: 'a name is 1-64 letters, digits, - and _, starting with a letter or digit' };
    if (`assert.${a.name}` === ASSERTION_PASS_RATE_METRIC)
      return { field: 'name', message: `${a.name} is reserved for the metric ${ASSERTION_PASS_RATE_METRIC}` };
  }
  if (a.weight !== undefined && !(Number.isFinite(a.weight) && a.weight >= 0 && a.weight <= MAX_WEIGHT))
    return { field: 'weight', message: `weight must be from 0 to ${MAX_WEIGHT}` };
  const value = valueProblem(type, rule, a.value, schemaProblem);
  if (value) return { field: 'value', message: value };
  if (a.threshold !== undefined || rule.threshold?.required) {
    const range = rule.threshold;
    if (!range) return { field: 'threshold', message: `${type} takes no threshold` };
    const t = a.threshold;
    if (t === undefined) return { field: 'threshold', message: `${type} needs a threshold` };
    if (!Number.isFinite(t) || t < range.min || t > range.max || (range.integer && !Number.isInteger(t)))
      return {
        field: 'threshold',
        message: `threshold must be ${range.integer ? 'a whole number ' : ''}from ${range.min} to ${range.max}`,
      };
  }
  if (type === 'llm-rubric') {
    if (typeof a.judge !== 'string' || a.judge.length === 0)
      return { field: 'judge', message: 'llm-rubric needs judge: a judge config version id' };
  } else if (a.judge !== undefined) return { field: 'judge', message: `${type} takes no judge` };
  if (type === 'similar') {
    if (!a.connection) return { field: 'connection', message: 'similar needs connection: {id, version}' };
    if (typeof a.model !== 'string' || a.model.length === 0)
      return { field: 'model', message: 'similar needs model: the embeddings model' };
  } else {
    if (a.connection !== undefined) return { field: 'connection', message: `${type} takes no connection` };
    if (a.model !== undefined) return { field: 'model', message: `${type} takes no model` };
  }
  return null;
}

function valueProblem(
  type: AssertionType,
  rule: Rule,
  value: unknown,
  schemaProblem: SchemaProblem | null,
): string | null {
  if (rule.value === 'none') return value === undefined ? null : `${type} takes no value (its bound is threshold)`;
  if (rule.value === 'optional-schema' && value === undefined) return null;
  if (value === undefined || value === null) return `${type} needs a value`;
  if (rule.value === 'string') {
    if (typeof value !== 'string' || value.length === 0) return `${type} needs a non-empty string value`;
    const max = type === 'levenshtein' ? MAX_LEVENSHTEIN_VALUE_CHARS : MAX_ASSERTION_VALUE_CHARS;
    if (value.length > max) return `the value is longer than ${max} characters`;
    return type === 'regex' ? regexProblem(value) : null;
  }
  let json: string;
  try {
    json = canonicalJson(value);
  } catch {
    return 'the value is not JSON';
  }
  if (json.length > MAX_ASSERTION_VALUE_CHARS)
    return `the value is longer than ${MAX_ASSERTION_VALUE_CHARS} characters of JSON`;
  if (rule.value === 'json') return null;
  if (typeof value !== 'object' || Array.isArray(value)) return 'the value must be a JSON Schema object';
  const reason = schemaProblem === null ? null : schemaProblem(value as JsonSchema);
  return reason === null ? null : `the value is not a valid JSON Schema: ${reason}`;
}

/**
 * Checks every assertion of a dataset (its defaults and each case's); the first problem is a 400 naming the case
 * (caseId and index) and the field, before anything is written. Schema values are compiled by `schemaProblem`.
 */
export function checkDatasetAssertions<C extends { caseId: string; assert?: readonly AssertionInput[] }>(
  input: { cases: readonly C[]; defaultAssert?: readonly AssertionInput[] },
  schemaProblem: SchemaProblem | null,
): void {
  const check = (list: readonly AssertionInput[], at: string, where: Record<string, unknown>, label: string) => {
    if (list.length > MAX_ASSERTIONS_PER_CASE)
      throw new ValidationError(`${label}: at most ${MAX_ASSERTIONS_PER_CASE} assertions`, { field: at, ...where });
    list.forEach((a, j) => {
      const problem = assertionProblem(a, schemaProblem);
      if (problem)
        throw new ValidationError(`${label}: assert[${j}] (${a.type}): ${problem.message}`, {
          field: `${at}.${j}.${problem.field}`,
          ...where,
        });
    });
  };
  if (input.defaultAssert) check(input.defaultAssert, 'defaultAssert', {}, 'defaultAssert');
  input.cases.forEach((c, index) => {
    if (c.assert)
      check(c.assert, `cases.${index}.assert`, { caseId: c.caseId, index }, `case ${c.caseId} (index ${index})`);
  });
}

/**
 * The judge config versions the llm-rubric assertions of these cases and of their dataset's defaults name, sorted,
 * once each (ADR 0036's sketch; ADR 0039): what a dataset records, and what a candidate gating on it must pin.
 */
export function judgeIdsOfAssertions(
  cases: readonly { assert?: readonly { type: string; judge?: string | undefined }[] | undefined }[],
  defaults: readonly { type: string; judge?: string | undefined }[] = [],
): string[] {
  const ids = new Set<string>();
  for (const a of [...defaults, ...cases.flatMap((c) => c.assert ?? [])])
    if (a.type === 'llm-rubric' && typeof a.judge === 'string' && a.judge !== '') ids.add(a.judge);
  return [...ids].sort();
}
