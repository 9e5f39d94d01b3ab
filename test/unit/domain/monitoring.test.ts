import { describe, expect, it } from 'vitest';
import {
  compareDrift,
  judgeMonitoringRun,
  monitoringIncidentTitle,
  monitoringSeverity,
} from '../../../functions/domain/monitoring.js';
import { DEFAULT_POLICY, type DriftThreshold, type MonitoringPolicy } from '../../../functions/domain/policy.js';
import { METRIC_NAMES, type Metrics, type ThresholdVerdict } from '../../../functions/domain/types.js';

function metrics(values: Partial<Metrics>): Metrics {
  return { ...(Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as Metrics), ...values } as Metrics;
}

const accuracy: DriftThreshold = { metric: 'accuracy', direction: 'min', tolerance: 0.1, relative: false };
const latency: DriftThreshold = { metric: 'latencyP95Ms', direction: 'max', tolerance: 0.5, relative: true };
const policy = (overrides: Partial<MonitoringPolicy> = {}): MonitoringPolicy => ({
  ...DEFAULT_POLICY.monitoring,
  driftThresholds: [accuracy, latency],
  minCasesForDrift: 10,
  ...overrides,
});
const passedVerdict: ThresholdVerdict = {
  metric: 'accuracy',
  direction: 'min',
  threshold: 0.5,
  actual: 0.8,
  passed: true,
};

describe('drift against the approval-time run', () => {
  it('fails a min-metric that dropped by more than its tolerance and passes one that dropped by exactly it', () => {
    // Act
    const [dropped] = compareDrift(metrics({ accuracy: 0.9 }), metrics({ accuracy: 0.75 }), [accuracy]);
    const [edge] = compareDrift(metrics({ accuracy: 0.9 }), metrics({ accuracy: 0.8 }), [accuracy]);

    // Assess
    expect(dropped).toMatchObject({ passed: false, baseline: 0.9, actual: 0.75 });
    expect(dropped?.degradation).toBeCloseTo(0.15);
    expect(edge?.passed).toBe(true);
  });

  it('never fails a min-metric for rising, however far', () => {
    // Act
    const [rose] = compareDrift(metrics({ accuracy: 0.5 }), metrics({ accuracy: 1 }), [accuracy]);

    // Assess
    expect(rose).toMatchObject({ passed: true, degradation: -0.5 });
  });

  it('fails a max-metric that rose beyond a relative tolerance of its approval-time value, not one that fell', () => {
    // Act
    const [rose] = compareDrift(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 1600 }), [latency]);
    const [within] = compareDrift(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 1500 }), [latency]);
    const [fell] = compareDrift(metrics({ latencyP95Ms: 1000 }), metrics({ latencyP95Ms: 100 }), [latency]);

    // Assess
    expect(rose).toMatchObject({ passed: false, allowed: 500, degradation: 600 });
    expect(within?.passed).toBe(true);
    expect(fell?.passed).toBe(true);
  });

  it('passes a metric the approval-time run lacks and fails one the monitoring run lacks', () => {
    // Act
    const [noBaseline] = compareDrift(metrics({}), metrics({ accuracy: 0.1 }), [accuracy]);
    const [noData] = compareDrift(metrics({ accuracy: 0.9 }), metrics({}), [accuracy]);

    // Assess
    expect(noBaseline?.passed).toBe(true);
    expect(noData).toMatchObject({ passed: false, actual: null, degradation: null });
  });
});

describe('judging a monitoring run', () => {
  it('is clean when every threshold passed and nothing drifted', () => {
    // Act
    const verdict = judgeMonitoringRun({
      metrics: metrics({ accuracy: 0.88, latencyP95Ms: 900 }),
      cases: 20,
      thresholdVerdicts: [passedVerdict],
      baselineMetrics: metrics({ accuracy: 0.9, latencyP95Ms: 1000 }),
      policy: policy(),
    });

    // Assess
    expect(verdict).toMatchObject({ clean: true, causes: [], driftJudged: true });
  });

  it('names drift and a failed threshold as separate causes, each with its reasons', () => {
    // Act
    const verdict = judgeMonitoringRun({
      metrics: metrics({ accuracy: 0.4, latencyP95Ms: 1000 }),
      cases: 20,
      thresholdVerdicts: [{ ...passedVerdict, actual: 0.4, passed: false }],
      baselineMetrics: metrics({ accuracy: 0.9, latencyP95Ms: 1000 }),
      policy: policy(),
    });

    // Assess
    expect(verdict.causes).toEqual(['drift', 'threshold']);
    expect(verdict.reasons.drift).toEqual([
      'accuracy dropped by 0.5 against the approval-time run (0.9 → 0.4; allowed 0.1)',
    ]);
    expect(verdict.reasons.threshold).toEqual(['accuracy 0.4 below minimum 0.5']);
  });

  it('records but does not judge drift on fewer cases than the policy needs; thresholds still count', () => {
    // Act
    const verdict = judgeMonitoringRun({
      metrics: metrics({ accuracy: 0.5 }),
      cases: 9,
      thresholdVerdicts: [passedVerdict],
      baselineMetrics: metrics({ accuracy: 0.9 }),
      policy: policy(),
    });

    // Assess
    expect(verdict.driftJudged).toBe(false);
    expect(verdict.drift[0]?.passed).toBe(false);
    expect(verdict.clean).toBe(true);
  });

  it('judges no drift without an approval-time run', () => {
    // Act
    const verdict = judgeMonitoringRun({
      metrics: metrics({ accuracy: 0.1 }),
      cases: 50,
      thresholdVerdicts: [],
      baselineMetrics: null,
      policy: policy(),
    });

    // Assess
    expect(verdict).toMatchObject({ driftJudged: false, drift: [], clean: true });
  });
});

describe('the severity of a monitoring incident', () => {
  it('follows the risk tier under the default policy: only a critical system gets a blocking severity', () => {
    // Act
    const severities = (['low', 'medium', 'high', 'critical'] as const).map((tier) => monitoringSeverity(tier));

    // Assess
    expect(severities).toEqual(['low', 'medium', 'medium', 'high']);
  });

  it('takes the severity a policy sets', () => {
    // Act
    const severity = monitoringSeverity(
      'low',
      policy({ incidentSeverity: { ...DEFAULT_POLICY.monitoring.incidentSeverity, low: 'critical' } }),
    );

    // Assess
    expect(severity).toBe('critical');
  });
});

describe('the reasons and titles of a monitoring failure', () => {
  it('says how far a relative metric moved and what share of its approval-time value was allowed', () => {
    // Act
    const verdict = judgeMonitoringRun({
      metrics: metrics({ latencyP95Ms: 1600 }),
      cases: 20,
      thresholdVerdicts: [{ metric: 'timeoutRate', direction: 'max', threshold: 0.05, actual: null, passed: false }],
      baselineMetrics: metrics({ latencyP95Ms: 1000, accuracy: 0.9 }),
      policy: policy(),
    });

    // Assess
    expect(verdict.reasons.drift).toEqual([
      'accuracy has no data to compare with the approval-time run (0.9)',
      'latencyP95Ms rose by 600 against the approval-time run (1000 → 1600; allowed 500, 50 % of the approval-time value)',
    ]);
    expect(verdict.reasons.threshold).toEqual(['timeoutRate has no data (maximum 0.05)']);
  });

  it('titles the incident by cause and release', () => {
    // Assess
    expect(monitoringIncidentTitle('drift', 'Release 1')).toBe(
      'Monitoring: drift against the approval-time run on Release 1',
    );
    expect(monitoringIncidentTitle('threshold', 'Release 1')).toBe('Monitoring: thresholds failed on Release 1');
  });
});
