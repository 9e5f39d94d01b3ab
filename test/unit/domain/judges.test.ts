// The rules of a judge config (ADR 0036), from their definition: what a rubric prompt may name, what an output schema
// must require, and how an answer becomes the verdict of one llm-rubric assertion.
import { describe, expect, it } from 'vitest';
import { judgeConfigProblems, placeholdersOf, rubricVerdict } from '../../../functions/domain/judges.js';
import { DEFAULT_JUDGE_OUTPUT_SCHEMA, DEFAULT_RUBRIC_PROMPT } from '../../../functions/domain/types.js';

const rules = (fields: Partial<Parameters<typeof judgeConfigProblems>[0]> = {}) => ({
  rubricPrompt: DEFAULT_RUBRIC_PROMPT,
  outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA,
  passThreshold: null,
  ...fields,
});

const scoreOnly = {
  type: 'object',
  properties: { score: { type: 'number' } },
  required: ['score'],
};

describe('a judge config', () => {
  it('accepts the default rubric prompt and output schema', () => {
    // Act / Assess
    expect(judgeConfigProblems(rules())).toEqual([]);
    expect(placeholdersOf(DEFAULT_RUBRIC_PROMPT)).toEqual(['rubric', 'input', 'output']);
  });

  it.each([
    [
      'an unknown placeholder',
      'Grade {{output}} on {{rubric}} for {{customer}}',
      /unknown placeholder \{\{customer\}\}/,
    ],
    ['no {{output}}', 'Grade the answer on {{rubric}}', /must name \{\{output\}\}/],
    ['no {{rubric}} nor {{output}}', 'Grade it', /must name \{\{rubric\}\} and \{\{output\}\}/],
  ])('refuses a rubric prompt with %s, naming rubricPrompt', (_, rubricPrompt, message) => {
    // Act
    const problems = judgeConfigProblems(rules({ rubricPrompt }));

    // Assess
    expect(problems).toEqual([{ path: 'rubricPrompt', message: expect.stringMatching(message) }]);
  });

  it.each([
    [
      'requires neither pass nor score',
      { type: 'object', properties: { reason: { type: 'string' } } },
      'outputSchema.required',
    ],
    [
      'is not an object',
      { type: 'array', required: ['pass'], properties: { pass: { type: 'boolean' } } },
      'outputSchema.type',
    ],
    [
      'types pass as a string',
      { type: 'object', required: ['pass'], properties: { pass: { type: 'string' } } },
      'outputSchema.properties.pass',
    ],
    [
      'types score as a string',
      { type: 'object', required: ['score'], properties: { score: { type: 'string' } } },
      'outputSchema.properties.score',
    ],
    [
      'does not compile',
      { type: 'object', required: ['pass'], properties: { pass: { type: 'boolean', minimum: 'x' } } },
      'outputSchema',
    ],
  ])('refuses an output schema that %s, naming the field', (_, outputSchema, path) => {
    // Act
    const problems = judgeConfigProblems(rules({ outputSchema }));

    // Assess
    expect(problems.map((p) => p.path)).toEqual([path]);
  });

  it('refuses a pass threshold when the schema does not require a score', () => {
    // Prepare
    const passOnly = { type: 'object', required: ['pass'], properties: { pass: { type: 'boolean' } } };

    // Act / Assess
    expect(judgeConfigProblems(rules({ outputSchema: passOnly, passThreshold: 0.8 })).map((p) => p.path)).toEqual([
      'passThreshold',
    ]);
    expect(judgeConfigProblems(rules({ outputSchema: scoreOnly, passThreshold: 0.8 }))).toEqual([]);
  });
});

describe('the verdict of a judge’s answer', () => {
  const judge = { outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA, passThreshold: null };

  it('is the judge’s pass, score and reason when it answers in its schema', () => {
    // Act / Assess
    expect(rubricVerdict(judge, { pass: true, score: 0.9, reason: 'polite' })).toEqual({
      pass: true,
      score: 0.9,
      reason: 'polite',
    });
    expect(rubricVerdict(judge, { pass: false, score: 0.2, reason: 'rude' })).toEqual({
      pass: false,
      score: 0.2,
      reason: 'rude',
    });
  });

  it.each([
    ['no answer', null, 'the judge did not answer with a JSON object'],
    ['an answer missing a required member', { pass: true, score: 1 }, 'the judge answered outside its output schema'],
    [
      'an answer of the wrong type',
      { pass: 'yes', score: 1, reason: 'ok' },
      'the judge answered outside its output schema',
    ],
    ['a score above 1', { pass: true, score: 7, reason: 'ok' }, 'the judge answered outside its output schema'],
  ])('fails the case on %s, saying why', (_, answer, reason) => {
    // Act / Assess
    expect(rubricVerdict(judge, answer)).toEqual({ pass: false, score: 0, reason });
  });

  it('refuses a score outside [0, 1] even when the judge’s schema allows it', () => {
    // Act / Assess
    expect(rubricVerdict({ outputSchema: scoreOnly, passThreshold: null }, { score: -0.5 })).toEqual({
      pass: false,
      score: 0,
      reason: 'the judge answered a score of -0.5, outside [0, 1]',
    });
  });

  it('passes on the score against the threshold when the config sets one, whatever the judge’s pass', () => {
    // Prepare
    const strict = { outputSchema: DEFAULT_JUDGE_OUTPUT_SCHEMA, passThreshold: 0.8 };

    // Act / Assess
    expect(rubricVerdict(strict, { pass: true, score: 0.7, reason: 'close' })).toMatchObject({
      pass: false,
      score: 0.7,
    });
    expect(rubricVerdict(strict, { pass: false, score: 0.8, reason: 'at the bar' })).toMatchObject({ pass: true });
  });

  it('derives the missing half: a score of 1 or 0 from pass, a pass from a score of at least 0.5', () => {
    // Prepare
    const passOnly = { type: 'object', required: ['pass'], properties: { pass: { type: 'boolean' } } };

    // Act / Assess
    expect(rubricVerdict({ outputSchema: passOnly, passThreshold: null }, { pass: true })).toEqual({
      pass: true,
      score: 1,
      reason: 'the judge passed the output',
    });
    expect(rubricVerdict({ outputSchema: scoreOnly, passThreshold: null }, { score: 0.5 })).toMatchObject({
      pass: true,
      score: 0.5,
    });
    expect(rubricVerdict({ outputSchema: scoreOnly, passThreshold: null }, { score: 0.49 })).toMatchObject({
      pass: false,
    });
  });
});
