import { canonicalJson } from '../hashing.js';
import type { Assertion, AssertionResult, AssertionType, JsonSchema } from '../types.js';
import {
  type AssertionInput,
  checkDatasetAssertions as checkAssertions,
  assertionProblem as checkedAssertionProblem,
} from './assertion-checks.js';
import { compiledRegex, MAX_REGEX_INPUT_CHARS } from './regex.js';
import { outputValidator, schemaCompileProblem } from './schema.js';

export type { AssertionInput } from './assertion-checks.js';

/** What the workflow lends the scorer for assertions that call a model. */
export interface AssertionServices {
  /** Cosine similarity of the embeddings of `a` and `b`, from `model` on the provider connection version. */
  similarity(req: {
    connection: { id: string; version: number };
    model: string;
    a: string;
    b: string;
  }): Promise<number>;
  /** The verdict of the judge config version `judge` on `output` against `rubric`. */
  rubric(req: {
    judge: string;
    rubric: string;
    input: unknown;
    output: string;
  }): Promise<{ pass: boolean; score: number; reason: string }>;
}

/** promptfoo's defaults: levenshtein at most 5 edits, similar at least 0.75. */
const DEFAULT_LEVENSHTEIN_DISTANCE = 5;
const DEFAULT_SIMILARITY = 0.75;
/** contains-json tries at most this many opening brackets, and scans at most this many characters in all. */
const MAX_JSON_CANDIDATES = 32;
const MAX_JSON_SCAN_CHARS = 4_194_304;

/** Assertions scored through AssertionServices rather than in the pure scorer. */
function isModelGraded(type: AssertionType): boolean {
  return type === 'similar' || type === 'llm-rubric';
}

/** The first problem of one assertion, its schema value compiled by ajv (./assertion-checks.ts has the rules). */
export function assertionProblem(a: AssertionInput): { field: string; message: string } | null {
  return checkedAssertionProblem(a, schemaCompileProblem);
}

/** Every assertion of a dataset checked as the datasets API checks them, schema values compiled by ajv. */
export function checkDatasetAssertions<C extends { caseId: string; assert?: readonly AssertionInput[] }>(input: {
  cases: readonly C[];
  defaultAssert?: readonly AssertionInput[];
}): void {
  checkAssertions(input, schemaCompileProblem);
}

/** What the scorer judges: the output as text (null: the case has no answer), how long it took, what it cost. */
export interface AssertionSubject {
  text: string | null;
  latencyMs: number;
  costUsd: number;
  input: Record<string, unknown>;
}

/** The text assertions judge: the model's text when the executor kept it, else the output object as JSON. */
export function outputTextOf(output: Record<string, unknown> | null, text?: string | null): string | null {
  if (typeof text === 'string') return text;
  return output === null ? null : JSON.stringify(output);
}

/** The assertions that apply to a case: its dataset's defaults, then its own. */
export function assertionsOf(
  defaults: readonly Assertion[] | undefined,
  evalCase: { assert?: readonly Assertion[] },
): readonly Assertion[] {
  if (!defaults?.length) return evalCase.assert ?? [];
  if (!evalCase.assert?.length) return defaults;
  return [...defaults, ...evalCase.assert];
}

function result(a: Assertion, pass: boolean, score: number, reason: string): AssertionResult {
  return a.name === undefined
    ? { type: a.type, pass, score, reason }
    : { type: a.type, name: a.name, pass, score, reason };
}

/** A value quoted in a reason: at most 60 characters, and well-formed (a lone surrogate becomes U+FFFD). */
function quote(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(wellFormed(cut));
}

/** The string with every lone surrogate replaced by U+FFFD, so a reason is valid UTF-8 wherever it is stored. */
export function wellFormed(value: string): string {
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function schemaVerdict(a: Assertion, value: unknown, what: string): AssertionResult {
  if (a.value === undefined) return result(a, true, 1, what);
  const valid = outputValidator(a.value as JsonSchema)(value);
  return valid
    ? result(a, true, 1, `${what} and matches the schema`)
    : result(a, false, 0, `${what} but does not match the schema`);
}

/** Scores one deterministic assertion (not similar or llm-rubric) on the subject. */
export function scoreDeterministic(a: Assertion, s: AssertionSubject): AssertionResult {
  if (a.type === 'latency') {
    const t = a.threshold as number;
    return s.latencyMs <= t
      ? result(a, true, 1, `latency ${s.latencyMs} ms within ${t} ms`)
      : result(a, false, 0, `latency ${s.latencyMs} ms above ${t} ms`);
  }
  if (a.type === 'cost') {
    const t = a.threshold as number;
    return s.costUsd <= t
      ? result(a, true, 1, `cost ${s.costUsd} USD within ${t} USD`)
      : result(a, false, 0, `cost ${s.costUsd} USD above ${t} USD`);
  }
  const text = s.text;
  if (text === null) return result(a, false, 0, 'the case has no output');
  switch (a.type) {
    case 'equals': {
      if (typeof a.value === 'string')
        return text === a.value
          ? result(a, true, 1, 'the output equals the value')
          : result(a, false, 0, `the output is not ${quote(a.value)}`);
      const parsed = parseJson(text);
      const same = parsed.ok && canonicalJson(parsed.value) === canonicalJson(a.value);
      return same
        ? result(a, true, 1, 'the output is JSON equal to the value')
        : result(a, false, 0, 'the output is not JSON equal to the value');
    }
    case 'contains':
    case 'not-contains': {
      const found = text.includes(a.value as string);
      const pass = a.type === 'contains' ? found : !found;
      return result(
        a,
        pass,
        pass ? 1 : 0,
        `the output ${found ? 'contains' : 'does not contain'} ${quote(a.value as string)}`,
      );
    }
    case 'icontains': {
      const found = text.toLowerCase().includes((a.value as string).toLowerCase());
      return result(
        a,
        found,
        found ? 1 : 0,
        `the output ${found ? 'contains' : 'does not contain'} ${quote(a.value as string)} (any case)`,
      );
    }
    case 'starts-with': {
      const pass = text.startsWith(a.value as string);
      return result(
        a,
        pass,
        pass ? 1 : 0,
        `the output ${pass ? 'starts' : 'does not start'} with ${quote(a.value as string)}`,
      );
    }
    case 'regex': {
      if (text.length > MAX_REGEX_INPUT_CHARS)
        return result(
          a,
          false,
          0,
          `the output is longer than ${MAX_REGEX_INPUT_CHARS} characters; the pattern was not run`,
        );
      const pass = compiledRegex(a.value as string).test(text);
      return result(
        a,
        pass,
        pass ? 1 : 0,
        `the output ${pass ? 'matches' : 'does not match'} /${wellFormed((a.value as string).slice(0, 60))}/`,
      );
    }
    case 'is-json': {
      const parsed = parseJson(text);
      if (!parsed.ok) return result(a, false, 0, 'the output is not JSON');
      return schemaVerdict(a, parsed.value, 'the output is JSON');
    }
    case 'contains-json': {
      const found = firstJsonIn(text, a.value === undefined ? null : outputValidator(a.value as JsonSchema));
      if (found === 'none') return result(a, false, 0, 'the output contains no JSON object or array');
      if (found === 'invalid') return result(a, false, 0, 'the output contains JSON but none matches the schema');
      return result(
        a,
        true,
        1,
        a.value === undefined ? 'the output contains JSON' : 'the output contains JSON matching the schema',
      );
    }
    case 'json-schema': {
      const parsed = parseJson(text);
      if (!parsed.ok) return result(a, false, 0, 'the output is not JSON');
      return schemaVerdict(a, parsed.value, 'the output is JSON');
    }
    case 'levenshtein': {
      const max = a.threshold ?? DEFAULT_LEVENSHTEIN_DISTANCE;
      const distance = levenshteinWithin(text, a.value as string, max);
      return distance === null
        ? result(a, false, 0, `edit distance above ${max}`)
        : result(a, true, 1, `edit distance ${distance} within ${max}`);
    }
    default:
      return result(a, false, 0, `${a.type} is scored through a service`);
  }
}

/**
 * Scores every assertion of a case, in order. Deterministic ones are pure; `similar` and `llm-rubric` call the
 * services, and a missing service, a thrown error or an answer out of range fails the assertion with the reason.
 */
export async function scoreAssertions(
  list: readonly Assertion[],
  s: AssertionSubject,
  services: Partial<AssertionServices> = {},
): Promise<AssertionResult[]> {
  const out = new Array<AssertionResult>(list.length);
  for (let i = 0; i < list.length; i++) {
    const a = list[i] as Assertion;
    out[i] = isModelGraded(a.type) ? await scoreModelGraded(a, s, services) : scoreDeterministic(a, s);
  }
  return out;
}

/** True when every assertion of the list is scored without a service (the pure path). */
export function allDeterministic(list: readonly Assertion[]): boolean {
  for (const a of list) if (isModelGraded(a.type)) return false;
  return true;
}

async function scoreModelGraded(
  a: Assertion,
  s: AssertionSubject,
  services: Partial<AssertionServices>,
): Promise<AssertionResult> {
  if (s.text === null) return result(a, false, 0, 'the case has no output');
  try {
    if (a.type === 'similar') {
      if (!services.similarity) return result(a, false, 0, 'no similarity service in this deployment');
      const min = a.threshold ?? DEFAULT_SIMILARITY;
      const cosine = await services.similarity({
        connection: a.connection as { id: string; version: number },
        model: a.model as string,
        a: s.text,
        b: a.value as string,
      });
      if (!Number.isFinite(cosine)) return result(a, false, 0, 'the similarity service answered no number');
      const score = Math.min(1, Math.max(0, cosine));
      return cosine >= min
        ? result(a, true, score, `similarity ${round4(cosine)} at least ${min}`)
        : result(a, false, score, `similarity ${round4(cosine)} below ${min}`);
    }
    if (!services.rubric) return result(a, false, 0, 'no judge service in this deployment');
    const verdict = await services.rubric({
      judge: a.judge as string,
      rubric: a.value as string,
      input: s.input,
      output: s.text,
    });
    if (
      typeof verdict?.pass !== 'boolean' ||
      typeof verdict.score !== 'number' ||
      !Number.isFinite(verdict.score) ||
      verdict.score < 0 ||
      verdict.score > 1
    )
      return result(a, false, 0, 'the judge answered outside its schema');
    const reason = typeof verdict.reason === 'string' ? wellFormed(verdict.reason.slice(0, 1000)) : '';
    const pass = a.threshold === undefined ? verdict.pass : verdict.score >= a.threshold;
    return result(
      a,
      pass,
      verdict.score,
      reason || (pass ? 'the judge passed the output' : 'the judge failed the output'),
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return result(
      a,
      false,
      0,
      `${a.type === 'similar' ? 'similarity' : 'judge'} service failed: ${wellFormed(message.slice(0, 300))}`,
    );
  }
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * The first JSON object or array inside the text (promptfoo's contains-json): `ok` when one parses (and satisfies
 * the schema, when given), `invalid` when some parse but none satisfies it, `none` when none parses. Bounded: at most
 * MAX_JSON_CANDIDATES opening brackets are tried and MAX_JSON_SCAN_CHARS characters scanned.
 */
function firstJsonIn(text: string, validate: ((value: unknown) => boolean) | null): 'ok' | 'invalid' | 'none' {
  let tried = 0;
  let scanned = 0;
  let sawJson = false;
  for (let start = 0; start < text.length && tried < MAX_JSON_CANDIDATES; start++) {
    const open = text.charCodeAt(start);
    if (open !== 123 && open !== 91) continue; // { [
    tried++;
    const end = matchingClose(text, start, MAX_JSON_SCAN_CHARS - scanned);
    scanned += (end === -1 ? text.length : end) - start;
    if (end !== -1) {
      const parsed = parseJson(text.slice(start, end + 1));
      if (parsed.ok) {
        sawJson = true;
        if (validate === null || validate(parsed.value)) return 'ok';
      }
    }
    if (scanned >= MAX_JSON_SCAN_CHARS) break;
  }
  return sawJson ? 'invalid' : 'none';
}

/** Index of the bracket closing the one at `start` (string-aware), or -1 within `budget` characters. */
function matchingClose(text: string, start: number, budget: number): number {
  let depth = 0;
  let inString = false;
  const last = Math.min(text.length, start + Math.max(0, budget));
  for (let i = start; i < last; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash escapes the next character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The Levenshtein distance of a and b in UTF-16 code units when it is at most `max`, else null. Banded (Ukkonen):
 * O(min(|a|, |b|) · max) time; lengths that differ by more than `max` answer null at once, so a 1 MB output against a
 * short reference costs nothing.
 */
export function levenshteinWithin(a: string, b: string, max: number): number | null {
  if (Math.abs(a.length - b.length) > max) return null;
  if (a.length < b.length) [a, b] = [b, a];
  const n = a.length;
  const m = b.length;
  if (m === 0) return n <= max ? n : null;
  const big = max + 1;
  let prev = new Int32Array(m + 2);
  let cur = new Int32Array(m + 2);
  for (let j = 0; j <= m + 1; j++) prev[j] = j <= max ? j : big;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - max);
    const hi = Math.min(m, i + max);
    cur[0] = i <= max ? i : big;
    if (lo > 1) cur[lo - 1] = big;
    let rowMin = lo === 1 ? (cur[0] as number) : big;
    const ca = a.charCodeAt(i - 1);
    for (let j = lo; j <= hi; j++) {
      let v = (prev[j - 1] as number) + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const del = (prev[j] as number) + 1;
      if (del < v) v = del;
      const ins = (cur[j - 1] as number) + 1;
      if (ins < v) v = ins;
      if (v > big) v = big;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    cur[hi + 1] = big;
    if (rowMin > max) return null;
    [prev, cur] = [cur, prev];
  }
  const d = prev[m] as number;
  return d <= max ? d : null;
}

/** The cosine similarity of two vectors of the same length (-1..1); 0 when either is all zeros or they differ. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
