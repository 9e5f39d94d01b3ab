import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import { parseSubmission, type Submission, scoreSubmittedCase } from '../../../functions/domain/eval/index.js';
import type { EvalCase } from '../../../functions/domain/types.js';

const prompt = {
  outputContract: {
    type: 'object',
    required: ['label', 'confidence'],
    properties: { label: { type: 'string' }, confidence: { type: 'number' } },
  },
};

const labelled: EvalCase = {
  caseId: 'c1',
  input: { text: 'refund please' },
  expectedLabel: 'billing',
  expectedOutput: null,
  tags: ['lang:en'],
};

function submission(overrides: Partial<Submission> = {}): Submission {
  return { caseId: 'c1', output: { label: 'billing', confidence: 0.9 }, latencyMs: 420, ...overrides };
}

describe('submitted executor', () => {
  it('scores a valid, correct output with its latency and cost', () => {
    // Prepare
    const input = { evalCase: labelled, prompt, submission: submission({ costUsd: 0.002 }) };
    // Act
    const result = scoreSubmittedCase(input);
    // Assess
    expect(result).toEqual({
      caseId: 'c1',
      tags: ['lang:en'],
      expectedLabel: 'billing',
      predictedLabel: 'billing',
      output: { label: 'billing', confidence: 0.9 },
      correct: true,
      schemaValid: true,
      latencyMs: 420,
      costUsd: 0.002,
      timedOut: false,
      fallbackUsed: false,
      fallbackSucceeded: false,
      error: null,
    });
  });

  it('detects an output that breaks the contract and a label of the wrong type', () => {
    // Prepare
    const bad = submission({ output: { label: 7, confidence: 'high' } });
    // Act
    const result = scoreSubmittedCase({ evalCase: labelled, prompt, submission: bad });
    // Assess
    expect(result).toMatchObject({ schemaValid: false, predictedLabel: null, correct: false });
  });

  it('scores a case without output as invalid and wrong, keeping the reported timeout and fallback', () => {
    // Prepare
    const failed = submission({
      output: null,
      timedOut: true,
      fallbackUsed: true,
      fallbackSucceeded: false,
      error: 'upstream 504',
    });
    // Act
    const result = scoreSubmittedCase({ evalCase: labelled, prompt, submission: failed });
    // Assess
    expect(result).toMatchObject({
      output: null,
      schemaValid: false,
      correct: false,
      timedOut: true,
      fallbackUsed: true,
      fallbackSucceeded: false,
      error: 'upstream 504',
      costUsd: 0,
    });
  });

  it('does not count a fallback success when no fallback was used', () => {
    // Prepare
    const odd = submission({ fallbackSucceeded: true });
    // Act
    const result = scoreSubmittedCase({ evalCase: labelled, prompt, submission: odd });
    // Assess
    expect(result.fallbackSucceeded).toBe(false);
  });

  it('judges a generative case by validity and the expected output label', () => {
    // Prepare
    const generative: EvalCase = { ...labelled, expectedLabel: null, expectedOutput: { label: 'billing' } };
    const free: EvalCase = { ...labelled, expectedLabel: null, expectedOutput: { summary: 'anything' } };
    // Act
    const matching = scoreSubmittedCase({ evalCase: generative, prompt, submission: submission() });
    const other = scoreSubmittedCase({
      evalCase: generative,
      prompt,
      submission: submission({ output: { label: 'technical', confidence: 0.5 } }),
    });
    const invalid = scoreSubmittedCase({ evalCase: free, prompt, submission: submission({ output: { label: 'x' } }) });
    const valid = scoreSubmittedCase({ evalCase: free, prompt, submission: submission() });
    // Assess
    expect([matching.correct, other.correct, invalid.correct, valid.correct]).toEqual([true, false, false, true]);
  });

  it('refuses a submission scored against another case', () => {
    // Prepare
    const input = { evalCase: labelled, prompt, submission: submission({ caseId: 'c2' }) };
    // Act
    const act = () => scoreSubmittedCase(input);
    // Assess
    expect(act).toThrow(ValidationError);
  });

  it('parses a well-formed submission keeping only its known members', () => {
    // Prepare
    const raw = { ...submission({ costUsd: 0.1, timedOut: false, fallbackUsed: true, fallbackSucceeded: true }) };
    const withExtras = { ...raw, error: null, admin: true };
    // Act
    const parsed = parseSubmission(withExtras);
    const minimal = parseSubmission({ caseId: 'c9', output: null, latencyMs: 0 });
    // Assess
    expect(parsed).toEqual({ ...raw, error: null });
    expect(minimal).toEqual({ caseId: 'c9', output: null, latencyMs: 0 });
  });

  it('lists every problem of a malformed submission', () => {
    // Prepare
    const raw = {
      caseId: '',
      output: [1],
      latencyMs: -1,
      costUsd: Number.NaN,
      timedOut: 'yes',
      fallbackUsed: 1,
      fallbackSucceeded: null,
      error: 5,
    };
    // Act
    let caught: unknown;
    try {
      parseSubmission(raw);
    } catch (error) {
      caught = error;
    }
    // Assess
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).detail.problems).toEqual([
      'caseId must be a non-empty string',
      'output must be an object or null',
      'latencyMs must be a finite number >= 0',
      'costUsd must be a finite number >= 0',
      'timedOut must be a boolean',
      'fallbackUsed must be a boolean',
      'fallbackSucceeded must be a boolean',
      'error must be a string',
    ]);
    expect(() => parseSubmission('nope')).toThrow('a submission must be an object');
  });
});
