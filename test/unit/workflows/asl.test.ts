// Every ASL file of statemachines/ validates with asl-validator once its placeholders are substituted as at deploy
// time, and the eval-run definition keeps to what both AWS and the local interpreter run.
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { PERMANENT_ERRORS } from '../../../functions/workflows/eval-tasks.js';
import {
  readDefinition,
  STATEMACHINES_DIR,
  substituteDefinition,
  taskResources,
} from '../../../local/step-functions.js';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const ARN = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

/** Sample deploy-time values for every placeholder any definition uses. */
function sampleSubstitutions(text: string): Record<string, string | number> {
  const names = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string));
  return Object.fromEntries([...names].map((name) => [name, name.endsWith('Arn') ? ARN(name.replace(/Arn$/, '')) : 4]));
}

const files = readdirSync(STATEMACHINES_DIR).filter((f) => f.endsWith('.asl.json'));

describe('the ASL definitions', () => {
  it('include the eval-run state machine', () => {
    expect(files).toContain('eval-run.asl.json');
  });

  for (const file of files) {
    it(`${file} validates with asl-validator once substituted`, () => {
      const text = readDefinition(file);
      const definition = JSON.parse(substituteDefinition(text, sampleSubstitutions(text)));
      const result = aslValidator(definition, { checkPaths: true, checkArn: true });
      expect(result.errorsText('\n')).toBe('');
      expect(result.isValid).toBe(true);
    });
  }
});

describe('asl-validator', () => {
  it('refuses the eval-run file before substitution: its numbers are placeholders until deploy time', () => {
    const raw = JSON.parse(readDefinition('eval-run.asl.json'));
    const result = aslValidator(raw, { checkPaths: true, checkArn: true });
    expect(result.isValid).toBe(false);
    expect(result.errorsText()).toMatch(/IntervalSeconds|MaxConcurrency|TimeoutSeconds/);
  });
});

describe('the eval-run definition', () => {
  const text = readDefinition('eval-run.asl.json');
  const definition = JSON.parse(substituteDefinition(text, sampleSubstitutions(text))) as {
    QueryLanguage: string;
    TimeoutSeconds: number;
    States: Record<string, Record<string, unknown>>;
  };
  const states = definition.States;

  it('uses JSONPath, a run-level timeout and an inline Map only', () => {
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(definition.TimeoutSeconds).toBe(4);
    expect(text).not.toMatch(/ItemReader|ItemBatcher|ResultWriter|DISTRIBUTED|JSONata|HeartbeatSeconds/);
    const map = states.ExecuteBatches as { ItemProcessor: { ProcessorConfig: { Mode: string } }; ResultPath: unknown };
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('INLINE');
    // The batch results are not carried on: the evidence is in the store.
    expect(map.ResultPath).toBeNull();
  });

  it('catches every error of every Task but the failure recorder, and sends it to RecordFailure', () => {
    const tasks = [...taskResources(definition).keys()];
    expect(tasks.sort()).toEqual(['Aggregate', 'ExecuteBatch', 'Prepare', 'RecordFailure']);
    for (const name of ['Prepare', 'ExecuteBatches', 'Aggregate']) {
      expect(states[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
      ]);
    }
    expect(states.RecordFailure?.Next).toBe('Failed');
    expect(states.Failed?.Type).toBe('Fail');
  });

  it('retries task failures with exponential backoff, but not errors that a retry cannot fix', () => {
    const retry = states.Prepare?.Retry as { ErrorEquals: string[]; MaxAttempts: number; BackoffRate?: number }[];
    expect(retry[0]).toEqual({ ErrorEquals: PERMANENT_ERRORS.map(([, name]) => name), MaxAttempts: 0 });
    expect(retry[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], BackoffRate: 2, MaxAttempts: 3 });
  });

  it('substitutes numbers whole and ARNs inside strings, and refuses an unknown placeholder', () => {
    const ph = (name: string) => `\${${name}}`;
    expect(substituteDefinition(`{"a": "${ph('N')}", "b": "x:${ph('S')}"}`, { N: 3, S: 'y' })).toBe(
      '{"a": 3, "b": "x:y"}',
    );
    expect(() => substituteDefinition(`{"a": "${ph('Missing')}"}`, {})).toThrow(/Missing/);
  });
});

describe('the release-gate definition', () => {
  const text = readDefinition('release-gate.asl.json');
  const definition = JSON.parse(substituteDefinition(text, sampleSubstitutions(text))) as {
    QueryLanguage: string;
    States: Record<string, Record<string, unknown>>;
  };
  const states = definition.States;
  const map = states.AwaitDecisions as {
    ItemProcessor: { ProcessorConfig: { Mode: string }; States: Record<string, Record<string, unknown>> };
    Catch: { ErrorEquals: string[]; Next: string }[];
  };
  const wait = map.ItemProcessor.States.AwaitDecision as Record<string, unknown> & {
    Parameters: { FunctionName: string; Payload: Record<string, string> };
  };

  it('waits for each approval with a task token in an inline Map, in JSONPath', () => {
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('INLINE');
    expect(text).not.toMatch(/ItemReader|ItemBatcher|ResultWriter|DISTRIBUTED|JSONata|HeartbeatSeconds/);
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters.FunctionName).toMatch(/^arn:aws:lambda:.*AwaitDecisionFunction$/);
    expect(wait.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
    expect(wait.Parameters.Payload['approvalId.$']).toBe('$.Payload.approvalId');
  });

  it('reads the timeout from a path that the raw and the effective input of the wait both hold', () => {
    expect(wait.TimeoutSecondsPath).toBe('$.Payload.timeoutSeconds');
    expect(wait.Parameters.Payload['timeoutSeconds.$']).toBe('$.Payload.timeoutSeconds');
    const selector = (states.AwaitDecisions as { ItemSelector: { Payload: Record<string, string> } }).ItemSelector;
    expect(selector.Payload['timeoutSeconds.$']).toBe('$.round.timeoutSeconds');
  });

  it('sends decisions other than approval to Settle, a timeout to Expire and anything else to RecordFailure', () => {
    expect(map.Catch.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['ApprovalRejected', 'ApprovalChangesRequested', 'ApprovalExpired', 'ApprovalRoundClosed'], 'Settle'],
      [['States.Timeout'], 'Expire'],
      [['States.ALL'], 'RecordFailure'],
    ]);
    expect(states.AwaitDecisions?.Next).toBe('Settle');
    expect(states.Expire?.Next).toBe('GateExpired');
    expect(states.RecordFailure?.Next).toBe('GateFailed');
    expect(states.GateFailed?.Type).toBe('Fail');
  });

  it('never retries a decision, and retries transient task failures with backoff', () => {
    const retry = wait.Retry as { ErrorEquals: string[]; MaxAttempts: number; BackoffRate?: number }[];
    expect(retry[0]?.MaxAttempts).toBe(0);
    expect(retry[0]?.ErrorEquals).toEqual(expect.arrayContaining(['ApprovalRejected', 'ApprovalChangesRequested']));
    expect(retry[1]).toMatchObject({ ErrorEquals: ['States.TaskFailed'], BackoffRate: 2, MaxAttempts: 3 });
    for (const name of ['OpenRound', 'Settle', 'Expire']) {
      const r = states[name]?.Retry as { ErrorEquals: string[]; MaxAttempts: number }[];
      expect(r[0]).toEqual({ ErrorEquals: PERMANENT_ERRORS.map(([, n]) => n), MaxAttempts: 0 });
      expect(states[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
      ]);
    }
  });
});
