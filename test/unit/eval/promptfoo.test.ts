// promptfoo interop (docs/promptfoo.md, ADR 0041): cases exported as promptfoo tests, and promptfoo's results file
// (results version 3, as 0.121.20 writes it; test/fixtures/promptfoo/results.json is the real thing) read back as
// submissions that keep promptfoo's grading beside them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { promptfooResultsRequest } from '../../../functions/contracts/promptfoo.js';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  type PromptfooResultRow,
  type PromptfooResultsFile,
  submissionsFromPromptfoo,
} from '../../../functions/domain/eval/promptfoo-results.js';
import { PROMPTFOO_RESULTS_VERSION, promptfooTestsOf } from '../../../functions/domain/promptfoo-tests.js';
import type { Assertion, EvalCase } from '../../../functions/domain/types.js';

const fixture = (name: string) => new URL(`../../fixtures/promptfoo/${name}`, import.meta.url);
const readJson = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8'));

const row = (over: Partial<PromptfooResultRow> = {}): PromptfooResultRow => ({
  vars: { caseId: 'c1', ticket: 't' },
  metadata: { caseId: 'c1' },
  response: { output: '{"label":"billing","confidence":0.9}' },
  latencyMs: 12,
  cost: 0.002,
  success: true,
  score: 1,
  gradingResult: { pass: true, score: 1, reason: 'All assertions passed', componentResults: [] },
  ...over,
});
const file = (rows: PromptfooResultRow[], version = PROMPTFOO_RESULTS_VERSION): PromptfooResultsFile => ({
  evalId: 'eval-abc',
  results: { version, results: rows },
});
const thrown = (fn: () => unknown): ValidationError => {
  try {
    fn();
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
};

describe('cases exported as promptfoo tests', () => {
  const evalCase = (assert?: Assertion[]): EvalCase => ({
    caseId: 'c1',
    input: { ticket: 'charged twice', caseId: 'an input field of the same name' },
    expectedLabel: 'billing',
    expectedOutput: null,
    tags: ['lang:en'],
    ...(assert ? { assert } : {}),
  });

  it('carries the case id in vars and metadata, over an input field of the same name', () => {
    // Prepare
    const cases = [evalCase()];

    // Act
    const { tests } = promptfooTestsOf({}, cases);

    // Assess
    expect(tests).toEqual([
      {
        description: 'c1',
        vars: { ticket: 'charged twice', caseId: 'c1' },
        metadata: { caseId: 'c1', tags: ['lang:en'] },
      },
    ]);
  });

  it("puts the dataset's defaults first, names as metrics, and json-schema as is-json with the schema", () => {
    // Prepare
    const schema = { type: 'object', required: ['label'] };
    const defaults: Assertion[] = [{ type: 'is-json', name: 'json' }];
    const own: Assertion[] = [
      { type: 'json-schema', value: schema },
      { type: 'levenshtein', value: 'billing', threshold: 2, weight: 3 },
      { type: 'latency', threshold: 500 },
    ];

    // Act
    const { tests, untranslated } = promptfooTestsOf({ defaultAssert: defaults }, [evalCase(own)]);

    // Assess
    expect(untranslated).toEqual([]);
    expect(tests[0]?.assert).toEqual([
      { type: 'is-json', metric: 'json' },
      { type: 'is-json', value: schema },
      { type: 'levenshtein', value: 'billing', threshold: 2, weight: 3 },
      { type: 'latency', threshold: 500 },
    ]);
  });

  it('leaves out similar, llm-rubric and values promptfoo would render as templates, and says why', () => {
    // Prepare
    const own: Assertion[] = [
      { type: 'similar', value: 'x', connection: { id: 'pc_1', version: 1 }, model: 'm' },
      { type: 'llm-rubric', value: 'is polite', judge: 'jc_1', name: 'polite' },
      { type: 'contains', value: 'Dear {{ name }}' },
      { type: 'contains', value: 'Dear' },
    ];

    // Act
    const { tests, untranslated } = promptfooTestsOf({}, [evalCase(own)]);

    // Assess
    expect(tests[0]?.assert).toEqual([{ type: 'contains', value: 'Dear' }]);
    expect(untranslated.map((u) => [u.caseId, u.type, u.name])).toEqual([
      ['c1', 'similar', undefined],
      ['c1', 'llm-rubric', 'polite'],
      ['c1', 'contains', undefined],
    ]);
    expect(untranslated[2]?.why).toMatch(/template syntax/);
  });

  it('writes for the committed fixture dataset exactly the tests promptfoo ran (tests.json)', () => {
    // Prepare
    const dataset = readJson('dataset.json');

    // Act
    const { tests } = promptfooTestsOf(dataset, dataset.cases);

    // Assess
    expect(tests).toEqual(readJson('tests.json'));
  });
});

describe("promptfoo's results file read as submissions", () => {
  it('reads the file promptfoo 0.121.20 wrote: one submission per case, with its grading beside it', () => {
    // Prepare
    const body = promptfooResultsRequest.parse(readJson('results.json'));

    // Act
    const submissions = submissionsFromPromptfoo(body);

    // Assess
    expect(submissions.map((s) => s.caseId).sort()).toEqual(
      readJson('dataset.json')
        .cases.map((c: { caseId: string }) => c.caseId)
        .sort(),
    );
    for (const s of submissions) {
      expect(s.output).toMatchObject({ label: expect.any(String), confidence: 0.8 });
      expect(s.outputText).toBe(JSON.stringify(s.output));
      expect(s.promptfoo).toMatchObject({ evalId: body.evalId, pass: expect.any(Boolean), score: expect.any(Number) });
      expect(s.promptfoo?.assertions.length).toBeGreaterThan(0);
    }
  });

  it('matches by metadata.caseId, else vars.caseId, else those of the test case', () => {
    // Prepare
    const rows = [
      row({ metadata: { caseId: 'm' }, vars: {} }),
      row({ metadata: {}, vars: { caseId: 'v' } }),
      row({ metadata: {}, vars: {}, testCase: { metadata: { caseId: 't' } } }),
    ];

    // Act
    const ids = submissionsFromPromptfoo(file(rows)).map((s) => s.caseId);

    // Assess
    expect(ids).toEqual(['m', 'v', 't']);
  });

  it('refuses a row that names no case, naming the row', () => {
    // Act
    const error = thrown(() => submissionsFromPromptfoo(file([row(), row({ metadata: {}, vars: { ticket: 'x' } })])));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.detail).toMatchObject({ field: 'results.results.1' });
  });

  it('refuses two rows for one case (several prompts, providers or repeats), naming both', () => {
    // Act
    const error = thrown(() => submissionsFromPromptfoo(file([row(), row()])));

    // Assess
    expect(error.message).toMatch(/results\.results\.0 and results\.results\.1 both answer case c1/);
  });

  it('refuses metadata and vars that name different cases', () => {
    // Act
    const error = thrown(() => submissionsFromPromptfoo(file([row({ vars: { caseId: 'other' } })])));

    // Assess
    expect(error.message).toMatch(/metadata.caseId c1 but vars.caseId other/);
  });

  it('refuses another results version, naming it', () => {
    // Act
    const error = thrown(() => submissionsFromPromptfoo(file([row()], 2)));
    const contract = promptfooResultsRequest.safeParse({ results: { version: 4, results: [row()] } });

    // Assess
    expect(error.message).toMatch(/version 2 is not supported: this product reads version 3/);
    expect(contract.error?.issues[0]).toMatchObject({ path: ['results', 'version'] });
    expect(contract.error?.issues[0]?.message).toMatch(/version 4 is not supported.*promptfoo 0\.121\.20/);
  });

  it('keeps text that is not JSON for the assertions, with no output object', () => {
    // Act
    const [s] = submissionsFromPromptfoo(file([row({ response: { output: 'plain words' } })]));

    // Assess
    expect(s).toMatchObject({ output: null, outputText: 'plain words', latencyMs: 12, costUsd: 0.002, error: null });
  });

  it('reads a structured output as the object and its JSON as the text', () => {
    // Act
    const [s] = submissionsFromPromptfoo(file([row({ response: { output: { label: 'account' } } })]));

    // Assess
    expect(s).toMatchObject({ output: { label: 'account' }, outputText: '{"label":"account"}' });
  });

  it('records a failed provider call as an error without an output, and an assertion failure as no error', () => {
    // Prepare
    const failedCall = row({ failureReason: 2, error: 'connect ECONNREFUSED', response: { output: null } });
    const failedAssertion = row({
      metadata: { caseId: 'c2' },
      vars: { caseId: 'c2' },
      failureReason: 1,
      error: 'Expected output to contain "x"',
      success: false,
    });

    // Act
    const [call, assertion] = submissionsFromPromptfoo(file([failedCall, failedAssertion]));

    // Assess
    expect(call).toMatchObject({ output: null, outputText: null, error: 'connect ECONNREFUSED' });
    expect(assertion).toMatchObject({ error: null, output: { label: 'billing' } });
  });

  it("cuts promptfoo's reasons to 500 characters and keeps at most 20 of its assertion results", () => {
    // Prepare
    const long = 'r'.repeat(5000);
    const components = Array.from({ length: 30 }, () => ({
      pass: false,
      score: 0,
      reason: long,
      assertion: { type: 'contains' },
    }));

    // Act
    const [s] = submissionsFromPromptfoo(
      file([row({ gradingResult: { pass: false, score: 0, reason: long, componentResults: components } })]),
    );

    // Assess
    expect(s?.promptfoo?.reason.length).toBe(501);
    expect(s?.promptfoo?.assertions).toHaveLength(20);
    expect(s?.promptfoo?.assertions[0]?.reason.length).toBe(501);
  });

  it('refuses an output object over 256 KiB rather than failing to store it', () => {
    // Prepare
    const big = JSON.stringify({ label: 'billing', rationale: 'x'.repeat(300_000) });

    // Act
    const error = thrown(() => submissionsFromPromptfoo(file([row({ response: { output: big } })])));

    // Assess
    expect(error.detail).toMatchObject({ field: 'results.results.0' });
  });
});
