// The local Step Functions runner holds StartExecution's name rule, as AWS does. AWS Step Functions API Reference,
// StartExecution (docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html), parameter `name`:
// "This name must be unique for your AWS account and region for 90 days. ... When the original execution is open and
// the execution input from the new call is different, the ExecutionAlreadyExists message is returned. When the
// original execution is open and the execution input from the new call is identical, the Success message is
// returned. When the original execution is closed, the ExecutionAlreadyExists message is returned regardless of
// input." Length constraints 1 to 80; a name must not contain whitespace, brackets, wildcards, the listed special
// characters or control characters.
import { describe, expect, it } from 'vitest';
import {
  createExecutionNames,
  EXECUTION_NAME_RETENTION_MS,
  ExecutionAlreadyExistsError,
} from '../../../local/step-functions.js';

const INPUT = JSON.stringify({ candidateId: 'rc_1', roundId: 'apr_1' });

describe('the local execution names', () => {
  it('answers a repeated start of an open execution with the same input as the running execution', () => {
    const names = createExecutionNames();
    expect(names.start('rc_1-apr_1', INPUT)).toBe('started');
    expect(names.start('rc_1-apr_1', INPUT)).toBe('running');
    expect(names.status('rc_1-apr_1')).toBe('RUNNING');
  });

  it('refuses a start of an open execution with another input with ExecutionAlreadyExists', () => {
    const names = createExecutionNames();
    names.start('rc_1-apr_1', INPUT);
    expect(() => names.start('rc_1-apr_1', '{}')).toThrow(ExecutionAlreadyExistsError);
  });

  it.each(['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'] as const)(
    'refuses the name of an execution that closed %s, whatever the input',
    (status) => {
      const names = createExecutionNames();
      names.start('rc_1-apr_1', INPUT);
      names.close('rc_1-apr_1', status);

      let refusal: unknown;
      try {
        names.start('rc_1-apr_1', INPUT);
      } catch (error) {
        refusal = error;
      }
      expect((refusal as Error).name).toBe('ExecutionAlreadyExists');
      expect(names.status('rc_1-apr_1')).toBe(status);
    },
  );

  it('keeps a closed name for 90 days and frees it afterwards', () => {
    let now = 1_000_000;
    const names = createExecutionNames(() => now);
    names.start('run-1', INPUT);
    names.close('run-1', 'FAILED');

    now += EXECUTION_NAME_RETENTION_MS - 1;
    expect(() => names.start('run-1', INPUT)).toThrow(ExecutionAlreadyExistsError);
    now += 1;
    expect(names.start('run-1', INPUT)).toBe('started');
  });

  it.each(['', 'x'.repeat(81), 'has space', 'a:b', 'a/b', 'a{b}', 'a*', 'tab\there', 'nul\u0000'])(
    'refuses the name %j with InvalidName',
    (name) => {
      const names = createExecutionNames();
      expect(() => names.start(name, INPUT)).toThrow(expect.objectContaining({ name: 'InvalidName' }));
    },
  );

  it('accepts an 80-character name of letters, digits, dashes and underscores', () => {
    expect(createExecutionNames().start(`${'a_-9'.repeat(20)}`, INPUT)).toBe('started');
  });
});
