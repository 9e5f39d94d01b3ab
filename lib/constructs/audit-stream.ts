// The table stream as the audit consumers read it: audit items only, bounded retries with bisection, per-record
// failure reports and a dead-letter queue for poison records. The audit archiver and the event publisher both
// subscribe through here, so the two readers cannot drift apart in what they see or how they retry.
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, type StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { acknowledge } from '../nag.js';
import type { GovernedFunction } from './governed-function.js';

export function subscribeToAuditStream(
  fn: GovernedFunction,
  table: ITable,
  deadLetters: IQueue,
  startingPosition: StartingPosition,
): void {
  fn.lambda.addEventSource(
    new DynamoEventSource(table, {
      startingPosition,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      bisectBatchOnError: true,
      retryAttempts: 5,
      maxRecordAge: Duration.days(1),
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: new SqsDlq(deadLetters),
      filters: [FilterCriteria.filter({ dynamodb: { NewImage: { itemType: { S: FilterRule.isEqual('audit') } } } })],
    }),
  );
  acknowledge(fn.role, [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams (granted by the stream event source) and X-Ray support no resource-level ' +
        'permissions; the stream read actions name the table stream.',
    },
  ]);
}
