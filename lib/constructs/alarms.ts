// The alarms most constructs raise: a function that fails at all within 5 minutes, a queue (a dead-letter queue)
// that holds any message, and a stream consumer that lags. All treat missing data as fine: no invocations and an
// empty queue are healthy.
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

const atLeastOnce = {
  threshold: 1,
  evaluationPeriods: 1,
  comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  treatMissingData: TreatMissingData.NOT_BREACHING,
} as const;

/** Alarms when `fn` reports any error (unhandled error, timeout, out of memory) in 5 minutes. */
export function functionErrorsAlarm(
  scope: Construct,
  id: string,
  fn: IFunction,
  alarmName: string,
  alarmDescription: string,
): Alarm {
  return new Alarm(scope, id, {
    alarmName,
    alarmDescription,
    metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    ...atLeastOnce,
  });
}

/** Alarms when `queue` holds any visible message (for a dead-letter queue: anything at all landed there). */
export function messagesVisibleAlarm(
  scope: Construct,
  id: string,
  queue: IQueue,
  alarmName: string,
  alarmDescription: string,
): Alarm {
  return new Alarm(scope, id, {
    alarmName,
    alarmDescription,
    metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
    ...atLeastOnce,
  });
}

/**
 * Alarms when a stream consumer `fn` lags the table by more than 5 minutes for 15 minutes: its records age toward
 * DynamoDB Streams' 24-hour limit, after which they are gone.
 */
export function iteratorAgeAlarm(
  scope: Construct,
  id: string,
  fn: IFunction,
  alarmName: string,
  alarmDescription: string,
): Alarm {
  return new Alarm(scope, id, {
    alarmName,
    alarmDescription,
    metric: fn.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
    threshold: 5 * 60 * 1000,
    evaluationPeriods: 3,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}

/** The governance metric a broken audit chain or archive raises (functions/observability/metrics.ts METRIC). */
const AUDIT_RECORD_BROKEN = 'AuditRecordBroken';

/**
 * Alarms when any of `services` (the full verification, the reconciler) reports a broken audit record: a chain or
 * archive that fails its check is an alarm, not a footnote (docs/runbooks/audit-record-broken.md). Hourly sums, as
 * the checks run at most that often; every run reports 0 or more, and no run is not a break.
 */
export function auditRecordBrokenAlarm(
  scope: Construct,
  id: string,
  namespace: string,
  services: readonly string[],
  alarmName: string,
  alarmDescription: string,
): Alarm {
  const usingMetrics = Object.fromEntries(
    services.map((service, i) => [
      `s${i}`,
      new Metric({
        namespace,
        metricName: AUDIT_RECORD_BROKEN,
        dimensionsMap: { service },
        statistic: 'Sum',
        period: Duration.hours(1),
      }),
    ]),
  );
  return new Alarm(scope, id, {
    alarmName,
    alarmDescription,
    metric: new MathExpression({
      expression: Object.keys(usingMetrics)
        .map((name) => `FILL(${name}, 0)`)
        .join(' + '),
      usingMetrics,
      label: 'broken audit records reported',
      period: Duration.hours(1),
    }),
    ...atLeastOnce,
  });
}
