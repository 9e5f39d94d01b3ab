// Governance metrics as CloudWatch embedded metric format (EMF) lines through Powertools Metrics: the function's log
// group turns them into metrics in one namespace, with the service as a dimension. Code that emits them takes the
// small GovernanceMeter port, so the store and the workflows do not depend on Powertools.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export type { Metrics } from '@aws-lambda-powertools/metrics';

/** The namespace when POWERTOOLS_METRICS_NAMESPACE is not set (the CDK construct sets it to this). */
export const METRICS_NAMESPACE = 'GovernanceControlPlane';

/** Metric names: one concept, one name (docs/runbooks/observability.md lists them with their dimensions). */
export const METRIC = {
  promotions: 'Promotions',
  promotionsRefused: 'PromotionsRefused',
  gateDecisions: 'GateDecisions',
  contentionRetries: 'ContentionRetries',
  archiveLag: 'ArchiveLag',
  evalCasesScored: 'EvalCasesScored',
  /** A check of the audit record found it broken (lib/constructs/alarms.ts alarms on it). */
  auditRecordBroken: 'AuditRecordBroken',
} as const;

/** What the control plane measures; each call is one data point. */
export interface GovernanceMeter {
  /** A candidate became the active release of an environment (kind promote or rollback). */
  promoted(environment: string, kind: 'promote' | 'rollback'): void;
  /** A promotion the gate refused: one data point per reason code. */
  promotionRefused(reasons: readonly string[]): void;
  /** A gate verdict was asked for: promotable or blocked. */
  gateDecided(promotable: boolean): void;
  /** A unit of work lost a race for the system's audit head and is retried. */
  contentionRetried(): void;
  /** How long after its event an audit event reached the archive, in milliseconds (the batch's oldest). */
  archiveLagged(milliseconds: number): void;
  /** Cases of an eval run scored (one batch). */
  evalCasesScored(cases: number): void;
}

export interface MetricsOptions {
  /** The service dimension when POWERTOOLS_SERVICE_NAME is not set. */
  service: string;
}

/** A Powertools Metrics buffer for one service, flushed once per invocation by the observe middleware. */
export function createMetrics(options: MetricsOptions): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || options.service,
  });
}

/**
 * The GovernanceMeter over a Metrics buffer. Metrics with a dimension of their own (environment, reason, outcome)
 * are single metrics, written at once, so their dimension does not spread to the buffer's other metrics.
 */
export function metricsMeter(metrics: Metrics): GovernanceMeter {
  const dimensioned = (name: string, dimensions: Record<string, string>, value = 1) => {
    const single = metrics.singleMetric();
    for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
    single.addMetric(name, MetricUnit.Count, value);
  };
  return {
    promoted: (environment, kind) => dimensioned(METRIC.promotions, { environment, kind }),
    promotionRefused: (reasons) => {
      for (const reason of new Set(reasons)) dimensioned(METRIC.promotionsRefused, { reason });
    },
    gateDecided: (promotable) => dimensioned(METRIC.gateDecisions, { outcome: promotable ? 'promotable' : 'blocked' }),
    contentionRetried: () => metrics.addMetric(METRIC.contentionRetries, MetricUnit.Count, 1),
    archiveLagged: (milliseconds) =>
      metrics.addMetric(METRIC.archiveLag, MetricUnit.Milliseconds, Math.max(0, Math.round(milliseconds))),
    evalCasesScored: (cases) => metrics.addMetric(METRIC.evalCasesScored, MetricUnit.Count, cases),
  };
}

/** Reports how many broken places a check of the audit record found (0 when it holds): the alarm's data point. */
export function reportAuditRecordBroken(metrics: Metrics, broken: number): void {
  metrics.addMetric(METRIC.auditRecordBroken, MetricUnit.Count, broken);
}
