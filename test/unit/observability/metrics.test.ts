import { afterEach, describe, expect, it } from 'vitest';
import { createObservability, METRIC, METRICS_NAMESPACE } from '../../../functions/observability/index.js';
import { type Captured, captureOutput, emfMetrics } from './output-capture.js';

let captured: Captured | undefined;
afterEach(() => captured?.restore());

/** The dimension sets of an EMF line, as its values. */
const dimensionsOf = (line: Record<string, unknown>) => {
  const aws = line._aws as { CloudWatchMetrics: { Dimensions: string[][]; Namespace: string }[] };
  return Object.fromEntries((aws.CloudWatchMetrics[0]?.Dimensions[0] ?? []).map((d) => [d, line[d]]));
};

describe('the governance meter', () => {
  it('writes a promotion as EMF in the governance namespace with its environment and kind', () => {
    const { meter } = createObservability('api-candidates');
    captured = captureOutput();

    meter.promoted('production', 'promote');

    captured.restore();
    const [promotion] = emfMetrics(captured.lines).filter((m) => m.name === METRIC.promotions);
    expect(promotion?.value).toBe(1);
    expect(promotion?.line._aws).toMatchObject({ CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE }] });
    expect(dimensionsOf(promotion?.line ?? {})).toEqual({
      service: 'api-candidates',
      environment: 'production',
      kind: 'promote',
    });
  });

  it('counts a refused promotion once per distinct reason code, each with the reason as dimension', () => {
    const { meter } = createObservability('api-candidates');
    captured = captureOutput();

    meter.promotionRefused(['EVAL_MISSING', 'APPROVALS_INCOMPLETE', 'EVAL_MISSING']);

    captured.restore();
    const refused = emfMetrics(captured.lines).filter((m) => m.name === METRIC.promotionsRefused);
    expect(refused.map((m) => m.line.reason)).toEqual(['EVAL_MISSING', 'APPROVALS_INCOMPLETE']);
    expect(refused.every((m) => m.value === 1)).toBe(true);
  });

  it('writes a gate decision with its outcome', () => {
    const { meter } = createObservability('api-candidates');
    captured = captureOutput();

    meter.gateDecided(false);
    meter.gateDecided(true);

    captured.restore();
    const decisions = emfMetrics(captured.lines).filter((m) => m.name === METRIC.gateDecisions);
    expect(decisions.map((m) => m.line.outcome)).toEqual(['blocked', 'promotable']);
  });

  it('buffers contention retries, archive lag and cases scored until the invocation flushes them', () => {
    const { meter, metrics } = createObservability('audit-archiver');
    captured = captureOutput();

    meter.contentionRetried();
    meter.contentionRetried();
    meter.archiveLagged(1234.4);
    meter.evalCasesScored(25);
    const beforeFlush = emfMetrics(captured.lines).length;
    metrics.publishStoredMetrics();

    captured.restore();
    expect(beforeFlush).toBe(0);
    const byName = Object.fromEntries(emfMetrics(captured.lines).map((m) => [m.name, m.value]));
    expect(byName).toEqual({
      [METRIC.contentionRetries]: [1, 1],
      [METRIC.archiveLag]: 1234,
      [METRIC.evalCasesScored]: 25,
    });
  });

  it('never reports a negative archive lag (clock skew between the table and the archiver)', () => {
    const { meter, metrics } = createObservability('audit-archiver');
    captured = captureOutput();

    meter.archiveLagged(-50);
    metrics.publishStoredMetrics();

    captured.restore();
    expect(emfMetrics(captured.lines).find((m) => m.name === METRIC.archiveLag)?.value).toBe(0);
  });
});
