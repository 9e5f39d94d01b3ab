// Every assertion type judged from its own definition (docs/assertions.md), on ordinary, empty, huge (1 MiB) and
// ill-formed UTF-16 outputs; the upload checks; the port for model-graded assertions; the metrics they yield.
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  checkDatasetAssertions as checkWith,
  judgeIdsOfAssertions,
} from '../../../functions/domain/eval/assertion-checks.js';
import {
  type AssertionInput,
  type AssertionServices,
  assertionProblem,
  checkDatasetAssertions,
  cosineSimilarity,
  levenshteinWithin,
  scoreAssertions,
  scoreDeterministic,
  wellFormed,
} from '../../../functions/domain/eval/assertions.js';
import { datasetContentHash } from '../../../functions/domain/eval/dataset-hash.js';
import { addResult, emptyAggregate, finishMetrics, mergeAggregates } from '../../../functions/domain/eval/metrics.js';
import { schemaCompileProblem } from '../../../functions/domain/eval/schema.js';
import { applyThresholds } from '../../../functions/domain/eval/verdict.js';
import type { Assertion, AssertionResult, CaseResult } from '../../../functions/domain/types.js';

const subject = (text: string | null, extra: { latencyMs?: number; costUsd?: number } = {}) => ({
  text,
  latencyMs: extra.latencyMs ?? 100,
  costUsd: extra.costUsd ?? 0.001,
  input: { question: 'q' },
});
const judge = (a: Assertion, text: string | null, extra = {}) => scoreDeterministic(a, subject(text, extra));

const HUGE = `${'x'.repeat(1_048_570)}needle`;
const LONE_SURROGATE = `abc\uD800def`;
const REPLACEMENT = 'abc\uFFFDdef';

describe('deterministic assertions, each from its definition', () => {
  it('equals passes only on the exact string, and on JSON equal to a non-string value whatever the key order', () => {
    // Prepare
    const text: Assertion = { type: 'equals', value: 'yes' };
    const json: Assertion = { type: 'equals', value: { a: 1, b: [true] } };
    // Act / Assess
    expect(judge(text, 'yes').pass).toBe(true);
    expect(judge(text, 'yes ').pass).toBe(false);
    expect(judge(text, '').pass).toBe(false);
    expect(judge(json, '{"b":[true],"a":1}').pass).toBe(true);
    expect(judge(json, '{"a":1}').pass).toBe(false);
    expect(judge(json, 'not json').pass).toBe(false);
  });

  it('contains, icontains and not-contains look for the value anywhere, icontains in any case', () => {
    expect(judge({ type: 'contains', value: 'Refund' }, 'a Refund is due').pass).toBe(true);
    expect(judge({ type: 'contains', value: 'Refund' }, 'a refund is due').pass).toBe(false);
    expect(judge({ type: 'icontains', value: 'Refund' }, 'a REFUND is due').pass).toBe(true);
    expect(judge({ type: 'not-contains', value: 'legal advice' }, 'see a lawyer').pass).toBe(true);
    expect(judge({ type: 'not-contains', value: 'legal advice' }, 'this is legal advice').pass).toBe(false);
  });

  it('starts-with checks the beginning only', () => {
    expect(judge({ type: 'starts-with', value: 'Summary:' }, 'Summary: ok').pass).toBe(true);
    expect(judge({ type: 'starts-with', value: 'Summary:' }, ' Summary: ok').pass).toBe(false);
  });

  it('regex passes when the pattern matches anywhere in the output', () => {
    expect(judge({ type: 'regex', value: '^\\d{3}-\\d{4}$' }, '555-1234').pass).toBe(true);
    expect(judge({ type: 'regex', value: '^\\d{3}-\\d{4}$' }, 'call 555-1234').pass).toBe(false);
    expect(judge({ type: 'regex', value: 'policy \\d+' }, 'see policy 42 now').pass).toBe(true);
  });

  it('regex runs a backtracking-prone pattern on a long output in bounded time', () => {
    // Prepare: (a+)+$ backtracks exponentially on a run of a's followed by another character.
    const a: Assertion = { type: 'regex', value: '(a+)+$' };
    const started = Date.now();
    // Act
    const verdict = judge(a, `${'a'.repeat(5_000)}b`);
    // Assess: V8's linear engine took over; the backtracking engine alone would not finish.
    expect(verdict.pass).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('is-json passes on any JSON document and, with a schema value, only on one that satisfies it', () => {
    expect(judge({ type: 'is-json' }, '[1, 2]').pass).toBe(true);
    expect(judge({ type: 'is-json' }, '{"a": }').pass).toBe(false);
    const schema = { type: 'object', required: ['label'], properties: { label: { type: 'string' } } };
    expect(judge({ type: 'is-json', value: schema }, '{"label": "x"}').pass).toBe(true);
    expect(judge({ type: 'is-json', value: schema }, '{"label": 3}').pass).toBe(false);
  });

  it('contains-json finds an object or array inside prose, and with a schema one that satisfies it', () => {
    const schema = { type: 'object', required: ['ok'] };
    expect(judge({ type: 'contains-json' }, 'Here: {"a": "}"} done').pass).toBe(true);
    expect(judge({ type: 'contains-json' }, 'no json {here').pass).toBe(false);
    expect(judge({ type: 'contains-json', value: schema }, 'x {"no": 1} then {"ok": true}').pass).toBe(true);
    const none = judge({ type: 'contains-json', value: schema }, 'x {"no": 1}');
    expect(none).toMatchObject({ pass: false, reason: 'the output contains JSON but none matches the schema' });
  });

  it('json-schema passes when the output is JSON satisfying the schema value', () => {
    const a: Assertion = { type: 'json-schema', value: { type: 'object', required: ['summary'] } };
    expect(judge(a, '{"summary": "s"}').pass).toBe(true);
    expect(judge(a, '{"other": 1}').pass).toBe(false);
    expect(judge(a, 'summary').pass).toBe(false);
  });

  it('levenshtein passes when at most threshold edits turn the output into the value (default 5)', () => {
    expect(judge({ type: 'levenshtein', value: 'kitten', threshold: 3 }, 'sitting')).toMatchObject({
      pass: true,
      reason: 'edit distance 3 within 3',
    });
    expect(judge({ type: 'levenshtein', value: 'kitten', threshold: 2 }, 'sitting').pass).toBe(false);
    expect(judge({ type: 'levenshtein', value: 'abcdef' }, 'abcdefghijk').pass).toBe(true);
    expect(judge({ type: 'levenshtein', value: 'abcdef' }, 'abcdefghijkl').pass).toBe(false);
  });

  it('levenshteinWithin agrees with the full dynamic programme on small strings', () => {
    // Prepare
    const full = (a: string, b: string) => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
      for (let j = 0; j <= b.length; j++) (d[0] as number[])[j] = j;
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          const row = d[i] as number[];
          const up = d[i - 1] as number[];
          row[j] = Math.min(
            (up[j] as number) + 1,
            (row[j - 1] as number) + 1,
            (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
          );
        }
      return (d[a.length] as number[])[b.length] as number;
    };
    const words = ['', 'a', 'ab', 'abc', 'flaw', 'lawn', 'kitten', 'sitting', 'intention', 'execution', 'aaaa', 'baab'];
    // Act / Assess
    for (const a of words)
      for (const b of words)
        for (const max of [0, 1, 2, 3, 5, 10]) {
          const d = full(a, b);
          expect(levenshteinWithin(a, b, max)).toBe(d <= max ? d : null);
        }
  });

  it('latency and cost pass when the case took at most threshold milliseconds or USD', () => {
    expect(judge({ type: 'latency', threshold: 500 }, 'x', { latencyMs: 500 }).pass).toBe(true);
    expect(judge({ type: 'latency', threshold: 500 }, 'x', { latencyMs: 501 }).pass).toBe(false);
    expect(judge({ type: 'cost', threshold: 0.01 }, 'x', { costUsd: 0.01 }).pass).toBe(true);
    expect(judge({ type: 'cost', threshold: 0.01 }, 'x', { costUsd: 0.02 }).pass).toBe(false);
    // A case without an answer still took its time and cost.
    expect(judge({ type: 'latency', threshold: 500 }, null, { latencyMs: 10 }).pass).toBe(true);
  });

  it('every verdict keeps the type and name and scores 1 on a pass and 0 on a failure', () => {
    const verdict = judge({ type: 'contains', value: 'a', name: 'has-a' }, 'a');
    expect(verdict).toEqual({
      type: 'contains',
      name: 'has-a',
      pass: true,
      score: 1,
      reason: 'the output contains "a"',
    });
    expect(judge({ type: 'contains', value: 'a' }, 'b')).toEqual({
      type: 'contains',
      pass: false,
      score: 0,
      reason: 'the output does not contain "a"',
    });
  });
});

describe('edge outputs', () => {
  it('an empty output is judged as the empty string, and a case with no output fails every text assertion', () => {
    expect(judge({ type: 'equals', value: 'x' }, '').pass).toBe(false);
    expect(judge({ type: 'not-contains', value: 'x' }, '').pass).toBe(true);
    expect(judge({ type: 'is-json' }, '').pass).toBe(false);
    expect(judge({ type: 'levenshtein', value: 'abc', threshold: 3 }, '').pass).toBe(true);
    expect(judge({ type: 'not-contains', value: 'x' }, null)).toMatchObject({
      pass: false,
      reason: 'the case has no output',
    });
  });

  it('a 1 MiB output is judged by every text assertion without trouble', () => {
    // Prepare
    const started = Date.now();
    // Act / Assess
    expect(judge({ type: 'contains', value: 'needle' }, HUGE).pass).toBe(true);
    expect(judge({ type: 'icontains', value: 'NEEDLE' }, HUGE).pass).toBe(true);
    expect(judge({ type: 'not-contains', value: 'hay' }, HUGE).pass).toBe(true);
    expect(judge({ type: 'starts-with', value: 'xxx' }, HUGE).pass).toBe(true);
    expect(judge({ type: 'regex', value: 'needle$' }, HUGE).pass).toBe(true);
    expect(judge({ type: 'equals', value: 'x' }, HUGE).pass).toBe(false);
    expect(judge({ type: 'is-json' }, HUGE).pass).toBe(false);
    expect(judge({ type: 'contains-json' }, `{${HUGE}`).pass).toBe(false);
    expect(judge({ type: 'json-schema', value: { type: 'object' } }, HUGE).pass).toBe(false);
    expect(judge({ type: 'levenshtein', value: 'needle', threshold: 5 }, HUGE).pass).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a regex is not run on an output longer than 1 MiB: the assertion fails and says why', () => {
    const verdict = judge({ type: 'regex', value: 'x' }, `${HUGE}${'y'.repeat(100)}`);
    expect(verdict.pass).toBe(false);
    expect(verdict.reason).toContain('the pattern was not run');
  });

  it('outputs with a lone surrogate or a replacement character are judged, and reasons stay well-formed', () => {
    expect(judge({ type: 'contains', value: 'def' }, LONE_SURROGATE).pass).toBe(true);
    expect(judge({ type: 'contains', value: '\uFFFD' }, REPLACEMENT).pass).toBe(true);
    expect(judge({ type: 'contains', value: '\uFFFD' }, LONE_SURROGATE).pass).toBe(false);
    expect(judge({ type: 'regex', value: 'abc.def' }, LONE_SURROGATE).pass).toBe(true);
    expect(judge({ type: 'levenshtein', value: 'abcdef', threshold: 1 }, LONE_SURROGATE).pass).toBe(true);
    expect(judge({ type: 'is-json' }, `"${LONE_SURROGATE}"`).pass).toBe(true);
    const reason = judge({ type: 'contains', value: `x\uDC00` }, LONE_SURROGATE).reason;
    expect(reason).toBe(wellFormed(reason));
    expect(reason).toContain('\uFFFD');
  });
});

describe('upload checks', () => {
  const problem = (a: AssertionInput) => assertionProblem(a);

  it('accepts a well-formed assertion of every type', () => {
    const ok: AssertionInput[] = [
      { type: 'equals', value: { a: 1 } },
      { type: 'contains', value: 'x', name: 'has-x', weight: 2 },
      { type: 'icontains', value: 'x' },
      { type: 'not-contains', value: 'x' },
      { type: 'regex', value: '^a+b?$' },
      { type: 'starts-with', value: 'x' },
      { type: 'is-json' },
      { type: 'contains-json', value: { type: 'object' } },
      { type: 'json-schema', value: { type: 'object' } },
      { type: 'levenshtein', value: 'x', threshold: 3 },
      { type: 'similar', value: 'x', threshold: 0.8, connection: { id: 'pc_1', version: 1 }, model: 'embed' },
      { type: 'llm-rubric', value: 'is polite', judge: 'jv_1' },
      { type: 'latency', threshold: 2000 },
      { type: 'cost', threshold: 0.05 },
    ];
    for (const a of ok) expect(problem(a), a.type).toBeNull();
  });

  it('names the field of each problem', () => {
    expect(problem({ type: 'fuzzy', value: 'x' })?.field).toBe('type');
    expect(problem({ type: 'contains' })?.field).toBe('value');
    expect(problem({ type: 'contains', value: '' })?.field).toBe('value');
    expect(problem({ type: 'regex', value: '(unclosed' })).toMatchObject({ field: 'value' });
    expect(problem({ type: 'regex', value: '(a)\\1' })?.message).toContain('backreference');
    expect(problem({ type: 'regex', value: 'a'.repeat(513) })?.field).toBe('value');
    expect(problem({ type: 'json-schema', value: { type: 'no-such-type' } })?.message).toContain(
      'not a valid JSON Schema',
    );
    expect(problem({ type: 'json-schema', value: [1] })?.field).toBe('value');
    expect(problem({ type: 'levenshtein', value: 'x', threshold: 1.5 })?.field).toBe('threshold');
    expect(
      problem({ type: 'similar', value: 'x', threshold: 2, connection: { id: 'c', version: 1 }, model: 'm' })?.field,
    ).toBe('threshold');
    expect(problem({ type: 'latency' })?.field).toBe('threshold');
    expect(problem({ type: 'latency', threshold: 0 })?.field).toBe('threshold');
    expect(problem({ type: 'cost', threshold: -1 })?.field).toBe('threshold');
    expect(problem({ type: 'contains', value: 'x', threshold: 1 })?.field).toBe('threshold');
    expect(problem({ type: 'llm-rubric', value: 'polite' })?.field).toBe('judge');
    expect(problem({ type: 'similar', value: 'x', model: 'm' })?.field).toBe('connection');
    expect(problem({ type: 'contains', value: 'x', name: 'pass_rate' })?.field).toBe('name');
    expect(problem({ type: 'contains', value: 'x', name: 'no spaces' })?.field).toBe('name');
    expect(problem({ type: 'contains', value: 'x', weight: -1 })?.field).toBe('weight');
  });

  it('a dataset with a bad assertion is refused naming the case by id and index and the field', () => {
    // Prepare
    const cases = [
      { caseId: 'ok-1', assert: [{ type: 'contains', value: 'a' }] },
      {
        caseId: 'bad-2',
        assert: [
          { type: 'contains', value: 'a' },
          { type: 'regex', value: '[' },
        ],
      },
    ];
    // Act
    const refusal = (() => {
      try {
        checkDatasetAssertions({ cases });
        return null;
      } catch (error) {
        return error;
      }
    })();
    // Assess
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).detail).toMatchObject({
      field: 'cases.1.assert.1.value',
      caseId: 'bad-2',
      index: 1,
    });
    expect((refusal as ValidationError).message).toContain('case bad-2 (index 1)');
  });

  it('the store checks every rule but schema compilation, which the caller lends (ADR 0052)', () => {
    // Prepare
    const uncompilable = { cases: [{ caseId: 'c', assert: [{ type: 'json-schema', value: { type: 'nope' } }] }] };
    const badRegex = { cases: [{ caseId: 'c', assert: [{ type: 'regex', value: '(' }] }] };
    // Act
    const withoutCompiler = () => checkWith(uncompilable, null);
    const withAjv = () => checkWith(uncompilable, schemaCompileProblem);
    // Assess
    expect(withoutCompiler).not.toThrow();
    expect(withAjv).toThrow(/case c \(index 0\): assert\[0\] \(json-schema\): the value is not a valid JSON Schema/);
    expect(() => checkWith(badRegex, null)).toThrow(ValidationError);
    expect(() => checkWith({ cases: [{ caseId: 'c', assert: [{ type: 'json-schema', value: [1] }] }] }, null)).toThrow(
      /must be a JSON Schema object/,
    );
  });

  it('names the judges of the llm-rubric assertions once each, sorted', () => {
    const cases = [{ assert: [{ type: 'llm-rubric', judge: 'jv_b' }, { type: 'contains' }] }, { assert: undefined }];
    expect(
      judgeIdsOfAssertions(cases, [
        { type: 'llm-rubric', judge: 'jv_a' },
        { type: 'llm-rubric', judge: 'jv_b' },
      ]),
    ).toEqual(['jv_a', 'jv_b']);
  });

  it('a bad default assertion is refused naming defaultAssert', () => {
    expect(() =>
      checkDatasetAssertions({ cases: [{ caseId: 'c' }], defaultAssert: [{ type: 'llm-rubric', value: 'x' }] }),
    ).toThrow(expect.objectContaining({ detail: expect.objectContaining({ field: 'defaultAssert.0.judge' }) }));
  });
});

describe('model-graded assertions through the services port', () => {
  const similar: Assertion = {
    type: 'similar',
    value: 'the refund is approved',
    threshold: 0.8,
    connection: { id: 'pc_1', version: 2 },
    model: 'embed-small',
  };
  const rubric: Assertion = { type: 'llm-rubric', value: 'is polite', judge: 'jv_1', name: 'polite' };

  it('similar passes when the cosine is at least the threshold, and its score is the cosine', async () => {
    // Prepare
    const seen: unknown[] = [];
    const services: Partial<AssertionServices> = {
      similarity: async (req) => {
        seen.push(req);
        return 0.9;
      },
    };
    // Act
    const [verdict] = await scoreAssertions([similar], subject('refund approved'), services);
    // Assess
    expect(verdict).toMatchObject({ pass: true, score: 0.9 });
    expect(seen).toEqual([
      {
        connection: { id: 'pc_1', version: 2 },
        model: 'embed-small',
        a: 'refund approved',
        b: 'the refund is approved',
      },
    ]);
    const [low] = await scoreAssertions([similar], subject('x'), { similarity: async () => 0.5 });
    expect(low).toMatchObject({ pass: false, score: 0.5 });
  });

  it('llm-rubric takes the judge verdict, or its score against a threshold', async () => {
    const services = { rubric: async () => ({ pass: false, score: 0.7, reason: 'curt' }) };
    const [plain] = await scoreAssertions([rubric], subject('ok'), services);
    expect(plain).toEqual({ type: 'llm-rubric', name: 'polite', pass: false, score: 0.7, reason: 'curt' });
    const [bounded] = await scoreAssertions([{ ...rubric, threshold: 0.6 }], subject('ok'), services);
    expect(bounded?.pass).toBe(true);
  });

  it('a missing service, a thrown error or a judge answering outside its schema fails the assertion with the reason', async () => {
    const [noService] = await scoreAssertions([similar, rubric], subject('x'), {});
    expect(noService?.reason).toBe('no similarity service in this deployment');
    const out = await scoreAssertions([similar, rubric], subject('x'), {
      similarity: async () => {
        throw new Error('connection refused');
      },
      rubric: async () => ({ pass: true, score: 7, reason: 'great' }),
    });
    expect(out).toEqual([
      expect.objectContaining({ pass: false, reason: 'similarity service failed: connection refused' }),
      expect.objectContaining({ pass: false, reason: 'the judge answered outside its schema' }),
    ]);
  });

  it('cosineSimilarity is 1 for parallel vectors, 0 for orthogonal or empty ones', () => {
    expect(cosineSimilarity([1, 2], [2, 4])).toBeCloseTo(1, 12);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([], [])).toBe(0);
    expect(cosineSimilarity([0, 0], [1, 1])).toBe(0);
  });
});

describe('assertion metrics', () => {
  const result = (caseId: string, assertions?: AssertionResult[]): CaseResult => ({
    caseId,
    tags: [],
    expectedLabel: null,
    predictedLabel: null,
    output: {},
    correct: true,
    schemaValid: true,
    latencyMs: 1,
    costUsd: 0,
    timedOut: false,
    fallbackUsed: false,
    fallbackSucceeded: false,
    error: null,
    ...(assertions ? { assertions } : {}),
  });
  const v = (pass: boolean, name?: string): AssertionResult => ({
    type: 'contains',
    ...(name ? { name } : {}),
    pass,
    score: pass ? 1 : 0,
    reason: '',
  });

  it('each name yields assert.<name> over the cases carrying it, and assert.pass_rate counts cases passing every one', () => {
    // Prepare
    const results = [
      result('a', [v(true, 'no-legal-advice'), v(true)]),
      result('b', [v(false, 'no-legal-advice'), v(true)]),
      result('c', [v(true), v(false)]),
      result('d', [v(true, 'cites'), v(false, 'cites')]),
      result('e'),
    ];
    // Act
    const agg = emptyAggregate();
    for (const r of results) addResult(agg, r);
    const { metrics } = finishMetrics(agg);
    // Assess
    expect(metrics['assert.no-legal-advice']).toBe(0.5);
    expect(metrics['assert.cites']).toBe(0);
    expect(metrics['assert.pass_rate']).toBe(1 / 4);
  });

  it('runs without assertions have exactly the nine core metrics, and split batches merge to the same metrics', () => {
    // Prepare
    const plain = emptyAggregate();
    addResult(plain, result('a'));
    const one = emptyAggregate();
    const two = emptyAggregate();
    addResult(one, result('a', [v(true, 'x')]));
    addResult(two, result('b', [v(false, 'x')]));
    const whole = emptyAggregate();
    addResult(whole, result('a', [v(true, 'x')]));
    addResult(whole, result('b', [v(false, 'x')]));
    // Act / Assess
    expect(Object.keys(finishMetrics(plain).metrics)).toHaveLength(9);
    expect(finishMetrics(mergeAggregates(one, two)).metrics).toEqual(finishMetrics(whole).metrics);
  });

  it('a threshold on assert.<name> gates like any metric, and one on an assertion the run lacks has no data', () => {
    // Prepare
    const agg = emptyAggregate();
    addResult(agg, result('a', [v(false, 'polite')]));
    const { metrics } = finishMetrics(agg);
    // Act
    const verdicts = applyThresholds(metrics, [
      { metric: 'assert.polite', direction: 'min', value: 0.9, regressionTolerance: null },
      { metric: 'assert.missing', direction: 'min', value: 0.9, regressionTolerance: null },
    ]);
    // Assess
    expect(verdicts.map((x) => [x.metric, x.actual, x.passed])).toEqual([
      ['assert.polite', 0, false],
      ['assert.missing', null, false],
    ]);
  });
});

describe('dataset content hash', () => {
  const cases = [
    {
      caseId: 'c-1',
      input: { ticket: 'refund please' },
      expectedLabel: 'billing',
      expectedOutput: null,
      tags: ['lang:en'],
    },
    {
      caseId: 'c-2',
      input: { ticket: 'Passwort vergessen' },
      expectedLabel: 'account',
      expectedOutput: null,
      tags: [],
    },
  ];

  it('a dataset without assertions keeps the hash it had before assertions existed (golden)', () => {
    // The value computed by the store's formula before this change: contentHash({name, kind, cases}).
    const golden = 'sha256:50b64acb3df830e36515f9f6670dd1acb92cca1d0281302690c39603ab3f68f2';
    expect(datasetContentHash({ name: 'triage-baseline', kind: 'baseline', cases })).toBe(golden);
    expect(
      datasetContentHash({
        name: 'triage-baseline',
        kind: 'baseline',
        cases: cases.map((c) => ({ ...c, assert: [] })),
        defaultAssert: [],
      }),
    ).toBe(golden);
  });

  it('assertions on a case, or as defaults, change the hash', () => {
    const plain = datasetContentHash({ name: 'd', kind: 'baseline', cases });
    const withCase = datasetContentHash({
      name: 'd',
      kind: 'baseline',
      cases: [
        { ...(cases[0] as (typeof cases)[number]), assert: [{ type: 'contains', value: 'x' }] },
        cases[1] as (typeof cases)[number],
      ],
    });
    const withDefaults = datasetContentHash({
      name: 'd',
      kind: 'baseline',
      cases,
      defaultAssert: [{ type: 'is-json' }],
    });
    expect(new Set([plain, withCase, withDefaults]).size).toBe(3);
  });
});
