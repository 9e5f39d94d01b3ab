// Observability of one Lambda entry (or of the local stack): built once per container in its composition root.
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type GovernanceMeter, type Metrics, metricsMeter } from './metrics.js';

export {
  eventBridgeCorrelationId,
  httpCorrelationId,
  recordsCorrelationId,
  workflowCorrelationId,
} from './correlation.js';
export { createLogger, infoLines, type Logger, type LogLine, warnLines } from './logger.js';
export { type GovernanceMeter, METRIC, METRICS_NAMESPACE, reportAuditRecordBroken } from './metrics.js';
export { observe, observed } from './middleware.js';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
  meter: GovernanceMeter;
}

/** The logger, the metrics buffer and the governance meter of one service. */
export function createObservability(service: string): Observability {
  const metrics = createMetrics({ service });
  return { logger: createLogger({ service }), metrics, meter: metricsMeter(metrics) };
}
