// The operator alerts topic: encrypted with its own key (CloudWatch cannot publish to a topic under the AWS-managed
// SNS key), optionally mailed to `alarmEmail` with a dead-letter queue for refused mails. It lives in the workflows
// stack, which deploys before the API stack: both stacks' alarms notify it (ADR 0019).
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { SourceBoundKey } from './source-bound-key.js';

export interface OperatorAlertsProps {
  prefix: string;
  alarmEmail?: string;
}

export class OperatorAlerts extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperatorAlertsProps) {
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
  }
}
