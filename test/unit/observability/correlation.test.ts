import { describe, expect, it } from 'vitest';
import {
  eventBridgeCorrelationId,
  httpCorrelationId,
  recordsCorrelationId,
  workflowCorrelationId,
} from '../../../functions/observability/correlation.js';

describe('correlation ids', () => {
  it('an HTTP API request is correlated by its API Gateway request id', () => {
    expect(httpCorrelationId({ requestContext: { requestId: 'Abc123=' } })).toBe('Abc123=');
  });

  it('an event without a request id has no HTTP correlation id, so the invocation id is used', () => {
    expect(httpCorrelationId({})).toBeUndefined();
    expect(httpCorrelationId(undefined)).toBeUndefined();
    expect(httpCorrelationId({ requestContext: { requestId: 42 } })).toBeUndefined();
  });

  it('an eval task is correlated by its run id, the name of its execution', () => {
    expect(workflowCorrelationId({ runId: 'run_01J', batch: { batchIndex: 0 } })).toBe('run_01J');
  });

  it('a release-gate task is correlated by its candidate and round, the parts of its execution name', () => {
    expect(workflowCorrelationId({ candidateId: 'rc_1', roundId: 'round_2' })).toBe('rc_1-round_2');
    expect(workflowCorrelationId({ candidateId: 'rc_1' })).toBe('rc_1');
  });

  it('an explicit execution name wins over the ids of the payload', () => {
    expect(workflowCorrelationId({ executionName: 'exec-9', runId: 'run_01J' })).toBe('exec-9');
  });

  it('a stream batch is correlated by its first record id and an SQS batch by its first message id', () => {
    expect(recordsCorrelationId({ Records: [{ eventID: 'e-1' }, { eventID: 'e-2' }] })).toBe('e-1');
    expect(recordsCorrelationId({ Records: [{ messageId: 'm-1' }] })).toBe('m-1');
    expect(recordsCorrelationId({ Records: [] })).toBeUndefined();
  });

  it('a Step Functions status change is correlated by the execution name, a schedule by the event id', () => {
    expect(eventBridgeCorrelationId({ id: 'evt-1', detail: { name: 'run_01J' } })).toBe('run_01J');
    expect(eventBridgeCorrelationId({ id: 'evt-1', detail: {} })).toBe('evt-1');
  });
});
