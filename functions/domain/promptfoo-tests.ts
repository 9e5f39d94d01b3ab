// A dataset as promptfoo tests (`govern datasets export --format promptfoo`, docs/promptfoo.md, ADR 0041): each case
// becomes one test carrying its id in `vars.caseId` and `metadata.caseId`, so promptfoo's results file can be matched
// back to the cases, and the assertions promptfoo scores the same way are translated. Pure and import-free (types
// only), so the CLI can share it.
import type { Assertion, EvalCase } from './types.js';

/** The promptfoo release whose results file this product reads (`results.version` below). */
export const PROMPTFOO_VERSION = '0.121.20';
/** The `results.version` that promptfoo 0.121.20 writes with `promptfoo eval -o results.json`. */
export const PROMPTFOO_RESULTS_VERSION = 3;

/** The longest case id a results row may name. */
const MAX_CASE_ID_CHARS = 80;

/** What matching a row of promptfoo's `results.results` to a case reads of it. */
interface PromptfooRowIds {
  vars?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  testCase?: { vars?: Record<string, unknown>; metadata?: Record<string, unknown> };
}

/**
 * The case a row of promptfoo's results answers: `metadata.caseId`, else `vars.caseId` (the row's own, else its test
 * case's); or why it names none, with `field` naming the row. Shared by the API (functions/domain/eval/
 * promptfoo-results.ts) and the CLI, which checks a whole file before it posts the first of its parts.
 */
export function promptfooRowCase(row: PromptfooRowIds, field: string): { caseId: string } | { problem: string } {
  const fromMetadata = row.metadata?.caseId ?? row.testCase?.metadata?.caseId;
  const fromVars = row.vars?.caseId ?? row.testCase?.vars?.caseId;
  const id = fromMetadata ?? fromVars;
  if (id === undefined) return { problem: `${field} names no case: give each test metadata.caseId or vars.caseId` };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_CASE_ID_CHARS)
    return { problem: `${field} names its case with a caseId that is not a string of 1 to 80 characters` };
  if (fromMetadata !== undefined && fromVars !== undefined && fromMetadata !== fromVars)
    return { problem: `${field} has metadata.caseId ${String(fromMetadata)} but vars.caseId ${String(fromVars)}` };
  return { caseId: id };
}

/** Why two rows answer one case: promptfoo ran several prompts, providers or repeats, and a candidate is one of each. */
export function promptfooRepeatProblem(earlierField: string, field: string, caseId: string): string {
  return `${earlierField} and ${field} both answer case ${caseId}: export one prompt on one provider, without repeats`;
}

/** One assertion as promptfoo's `assert` takes it. */
interface PromptfooAssertion {
  type: string;
  value?: unknown;
  threshold?: number;
  /** promptfoo's named score: this product's assertion name. */
  metric?: string;
  weight?: number;
}

/** One promptfoo test case (an element of `tests:`). */
interface PromptfooTest {
  description: string;
  vars: Record<string, unknown>;
  metadata: { caseId: string; tags?: string[] };
  assert?: PromptfooAssertion[];
}

/** An assertion left out of the export, and why. */
interface UntranslatedAssertion {
  caseId: string;
  type: string;
  name?: string;
  why: string;
}

/** The tests of a dataset's cases, and the assertions promptfoo cannot score as this product does. */
export interface PromptfooExport {
  tests: PromptfooTest[];
  untranslated: UntranslatedAssertion[];
}

/** promptfoo renders assertion values as Nunjucks templates: a value with template syntax would not mean the same. */
const TEMPLATE_SYNTAX = /\{\{|\{%|\{#/;

/** Why an assertion cannot go to promptfoo as it is scored here, or null when it translates. */
function untranslatable(a: Assertion): string | null {
  if (a.type === 'similar') return 'similar embeds through a provider connection of this product';
  if (a.type === 'llm-rubric') return 'llm-rubric is graded by a governed judge config of this product';
  const text = a.value === undefined ? '' : typeof a.value === 'string' ? a.value : JSON.stringify(a.value);
  if (TEMPLATE_SYNTAX.test(text))
    return 'the value contains template syntax ({{, {% or {#) that promptfoo would render';
  return null;
}

/** The promptfoo assertion of one of this product's assertions (which untranslatable() accepted). */
function translate(a: Assertion): PromptfooAssertion {
  // promptfoo has no json-schema type: is-json with a schema value is the same check.
  const type = a.type === 'json-schema' ? 'is-json' : a.type;
  const out: PromptfooAssertion = { type };
  if (a.value !== undefined) out.value = a.value;
  if (a.threshold !== undefined) out.threshold = a.threshold;
  if (a.name !== undefined) out.metric = a.name;
  if (a.weight !== undefined) out.weight = a.weight;
  return out;
}

/** One case as a promptfoo test: its input as vars, its id in vars and metadata, its translatable assertions. */
function promptfooTestOf(
  evalCase: Pick<EvalCase, 'caseId' | 'input' | 'tags' | 'assert'>,
  defaults: readonly Assertion[] = [],
): { test: PromptfooTest; untranslated: UntranslatedAssertion[] } {
  const untranslated: UntranslatedAssertion[] = [];
  const assert: PromptfooAssertion[] = [];
  // The dataset's defaults go first, as this product applies them (promptfoo's defaultTest.assert).
  for (const a of [...defaults, ...(evalCase.assert ?? [])]) {
    const why = untranslatable(a);
    if (why === null) assert.push(translate(a));
    else untranslated.push({ caseId: evalCase.caseId, type: a.type, ...(a.name ? { name: a.name } : {}), why });
  }
  const test: PromptfooTest = {
    description: evalCase.caseId,
    // The case's id wins over an input field of the same name: it is what matches the results back.
    vars: { ...evalCase.input, caseId: evalCase.caseId },
    metadata: { caseId: evalCase.caseId, ...(evalCase.tags.length ? { tags: [...evalCase.tags] } : {}) },
  };
  if (assert.length) test.assert = assert;
  return { test, untranslated };
}

/** A dataset's cases as promptfoo tests (a file promptfoo reads as `tests: file://tests.json`). */
export function promptfooTestsOf(
  dataset: { defaultAssert?: readonly Assertion[] },
  cases: readonly Pick<EvalCase, 'caseId' | 'input' | 'tags' | 'assert'>[],
): PromptfooExport {
  const tests: PromptfooTest[] = [];
  const untranslated: UntranslatedAssertion[] = [];
  for (const c of cases) {
    const one = promptfooTestOf(c, dataset.defaultAssert ?? []);
    tests.push(one.test);
    untranslated.push(...one.untranslated);
  }
  return { tests, untranslated };
}
