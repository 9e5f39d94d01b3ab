// What an operator watches: alarms on API 5xx, function errors and throttles of the API stack's functions, all
// notifying the operator alerts topic (lib/constructs/operator-alerts.ts, in the workflows stack, whose own alarms
// notify it too), and one CloudWatch dashboard.
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { GovernedFunction } from './governed-function.js';

export interface OperationsProps {
  prefix: string;
  api: HttpApi;
  functions: ReadonlyMap<string, GovernedFunction>;
  table: ITable;
  /** The operator alerts topic (lib/constructs/operator-alerts.ts, in the workflows stack). */
  topic: ITopic;
}

const FIVE_MINUTES = Duration.minutes(5);

export class Operations extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);

    this.topic = props.topic;
    const notify = new SnsAction(this.topic);

    const alarm = (name: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, name, {
        alarmName: `${props.prefix}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      created.addOkAction(notify);
      this.alarms.push(created);
      return created;
    };

    alarm(
      'api-5xx',
      props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      5,
      'The API answered 5 or more server errors in 5 minutes: read the function logs of the failing route.',
    );
    alarm(
      'api-latency-p99',
      props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p99' }),
      3000,
      'The API p99 latency reached 3 s over 5 minutes.',
    );
    for (const [name, fn] of props.functions) {
      alarm(
        `${name}-errors`,
        fn.lambda.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        `The ${name} function failed (an unhandled error, a timeout or out of memory).`,
      );
      alarm(
        `${name}-throttles`,
        fn.lambda.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        `The ${name} function was throttled: account concurrency is exhausted.`,
      );
    }

    const lambdaSum = (metricName: string) =>
      new MathExpression({
        expression: `SUM(SEARCH('{AWS/Lambda,FunctionName} MetricName="${metricName}" ${props.prefix}-', 'Sum', 300))`,
        label: metricName,
        period: FIVE_MINUTES,
      });
    const table = (metricName: string, statistic = 'Sum') =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: props.table.tableName },
        statistic,
        period: FIVE_MINUTES,
      });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.prefix });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# ${props.prefix}\nAPI, functions and table of the governance control plane. Alarms notify the operator topic.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API requests and errors',
        left: [
          props.api.metricCount({ period: FIVE_MINUTES, statistic: 'Sum' }),
          props.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum' }),
          props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'API latency',
        left: ['p50', 'p90', 'p99'].map((statistic) => props.api.metricLatency({ period: FIVE_MINUTES, statistic })),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Functions: invocations, errors, throttles',
        left: [lambdaSum('Invocations'), lambdaSum('Errors'), lambdaSum('Throttles')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Functions: p95 duration',
        left: [...props.functions].map(([name, fn]) =>
          fn.lambda.metricDuration({ period: FIVE_MINUTES, statistic: 'p95', label: name }),
        ),
        width: 12,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Table: consumed capacity',
        left: [table('ConsumedReadCapacityUnits'), table('ConsumedWriteCapacityUnits')],
        width: 12,
      }),
      new GraphWidget({
        title: 'Table: throttled requests and system errors',
        left: [table('ThrottledRequests'), table('SystemErrors'), table('TransactionConflict')],
        width: 12,
      }),
    );
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }));
  }
}
