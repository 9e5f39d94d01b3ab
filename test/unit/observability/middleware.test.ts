import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createObservability, httpCorrelationId, METRIC, observed } from '../../../functions/observability/index.js';
import { type Captured, captureOutput, emfMetrics } from './output-capture.js';

const context = (awsRequestId: string) =>
  ({
    awsRequestId,
    functionName: 'governance-api-candidates',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-central-1:123456789012:function:governance-api-candidates',
    memoryLimitInMB: '512',
  }) as Context;

let captured: Captured | undefined;
afterEach(() => captured?.restore());

describe('the observe middleware', () => {
  it('writes the handler’s log lines as JSON carrying the correlation id of the event and the service', async () => {
    const { logger, metrics } = createObservability('obs-test');
    const handler = observed(
      async (_event: { requestContext: { requestId: string } }) => {
        logger.info('working on it', { candidateId: 'rc_1' });
        return 'done';
      },
      { logger, metrics, correlationId: httpCorrelationId },
    );
    captured = captureOutput();

    const result = await handler({ requestContext: { requestId: 'req-1' } }, context('aws-1'));

    captured.restore();
    expect(result).toBe('done');
    const line = captured.lines.find((l) => l.message === 'working on it');
    expect(line).toMatchObject({
      level: 'INFO',
      service: 'obs-test',
      correlation_id: 'req-1',
      candidateId: 'rc_1',
      function_request_id: 'aws-1',
    });
    expect(typeof line?.cold_start).toBe('boolean');
  });

  it('falls back to the invocation’s request id when the event names no correlation id', async () => {
    const { logger, metrics } = createObservability('obs-test');
    const handler = observed(
      async (_event: object) => {
        logger.info('no id in the event');
      },
      { logger, metrics, correlationId: httpCorrelationId },
    );
    captured = captureOutput();

    await handler({}, context('aws-2'));

    captured.restore();
    expect(captured.lines.find((l) => l.message === 'no id in the event')?.correlation_id).toBe('aws-2');
  });

  it('gives a correlation id even when called without a Lambda context, as the local stack does', async () => {
    const { logger, metrics } = createObservability('obs-test');
    const handler = observed(
      async (_event: object | undefined) => {
        logger.info('called locally');
      },
      { logger, metrics, correlationId: httpCorrelationId },
    );
    captured = captureOutput();

    await handler();

    captured.restore();
    const id = captured.lines.find((l) => l.message === 'called locally')?.correlation_id;
    expect(typeof id).toBe('string');
    expect(id).not.toBe('');
  });

  it('flushes the metrics of an invocation once, so the next invocation starts from an empty buffer', async () => {
    const { logger, metrics, meter } = createObservability('obs-test');
    const handler = observed(
      async (event: { cases: number }) => {
        meter.evalCasesScored(event.cases);
      },
      { logger, metrics, correlationId: () => undefined },
    );
    captured = captureOutput();

    await handler({ cases: 3 }, context('aws-3'));
    await handler({ cases: 5 }, context('aws-4'));

    captured.restore();
    const scored = emfMetrics(captured.lines).filter((m) => m.name === METRIC.evalCasesScored);
    expect(scored.map((m) => m.value)).toEqual([3, 5]);
    expect(scored[0]?.line).toMatchObject({ service: 'obs-test' });
  });

  it('logs an error that leaves the handler as JSON with the correlation id, flushes metrics and rethrows', async () => {
    const { logger, metrics, meter } = createObservability('obs-test');
    const handler = observed(
      async (_event: object) => {
        meter.contentionRetried();
        throw new Error('the table is unreachable');
      },
      { logger, metrics, correlationId: () => 'corr-9' },
    );
    captured = captureOutput();

    await expect(handler({}, context('aws-5'))).rejects.toThrow('the table is unreachable');

    captured.restore();
    const failed = captured.lines.find((l) => l.message === 'invocation failed');
    expect(failed).toMatchObject({ level: 'ERROR', correlation_id: 'corr-9' });
    expect(JSON.stringify(failed?.error)).toContain('the table is unreachable');
    expect(emfMetrics(captured.lines).map((m) => m.name)).toContain(METRIC.contentionRetries);
  });

  it('writes no warning about empty metrics when an invocation measured nothing', async () => {
    const { logger, metrics } = createObservability('obs-test');
    const handler = observed(async (_event: object) => 'quiet', { logger, metrics, correlationId: () => undefined });
    captured = captureOutput();

    await handler({}, context('aws-6'));

    captured.restore();
    expect(captured.lines.filter((l) => String(l.message ?? '').includes('No application metrics'))).toEqual([]);
    expect(emfMetrics(captured.lines)).toEqual([]);
  });
});
