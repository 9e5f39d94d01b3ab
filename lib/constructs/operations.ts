// What an operator watches: alarms on API 5xx, function errors and throttles (and, as they arrive, failed state
// machine executions), all notifying one encrypted SNS topic, and one CloudWatch dashboard.
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import type { GovernedFunction } from './governed-function.js';
import { SourceBoundKey } from './source-bound-key.js';

export interface OperationsProps {
  prefix: string;
  api: HttpApi;
  functions: ReadonlyMap<string, GovernedFunction>;
  table: ITable;
  alarmEmail?: string;
}

const FIVE_MINUTES = Duration.minutes(5);

export class Operations extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);

    // A customer-managed key, because CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key.
    // CloudWatch may use it for this account's alarms only (SourceBoundKey adds aws:SourceAccount and aws:SourceArn).
    const key = new SourceBoundKey(this, 'AlertsKey', {
      description: `Encrypts the ${props.prefix} operator alerts topic`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
      sources: {
        'cloudwatch.amazonaws.com': Stack.of(this).formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.topic = new Topic(this, 'Alerts', {
      topicName: `${props.prefix}-operator-alerts`,
      displayName: 'Governance control plane alerts',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) {
      // Alerts that the mail endpoint refuses are kept for two weeks instead of being lost.
      const undelivered = new Queue(this, 'UndeliveredAlerts', {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(undelivered, [
        { id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the alert e-mail subscription.' },
        {
          id: 'Serverless-SQSRedrivePolicy',
          reason: 'This queue is itself a dead-letter queue; there is nowhere further to redrive to.',
        },
      ]);
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail, { deadLetterQueue: undelivered }));
    }
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
