// The table's data migrations in AWS (functions/store/migrations, run by functions/workflows/migrate-task.ts): one
// function that runs every migration needing only the table that the table has not recorded, invoked by the operator after a deploy that brings
// one (docs/deploy.md, docs/runbooks/data-migrations.md), synchronously, so the caller sees its answer or its error.
// Not a deployment trigger: a migration of a large table may outlast a deployment's wait, and a failed trigger would
// roll the code back while items are already in the new shape. Each migration is idempotent and resumable, so an
// invocation cut off by the timeout is finished by the next one.
import { CfnOutput, Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { GovernedFunction } from './governed-function.js';

export interface DataMigrationsProps {
  prefix: string;
  table: ITable;
  logRetention: RetentionDays;
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export class DataMigrations extends Construct {
  readonly fn: GovernedFunction;

  constructor(scope: Construct, id: string, props: DataMigrationsProps) {
    super(scope, id);
    this.fn = new GovernedFunction(this, 'Function', {
      entry: 'functions/workflows/migrate-task.ts',
      description: 'Runs the data migrations the governance table has not recorded (invoked after a deploy)',
      serviceName: 'migrations',
      functionName: `${props.prefix}-migrations`,
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      // Lambda's longest: migration 0001 rewrites every audit event once (about 25 updates in flight).
      timeout: Duration.minutes(15),
      memorySize: 1024,
    }).bindTable(props.table, 'readwrite');
    new CfnOutput(this, 'FunctionName', {
      value: this.fn.lambda.functionName,
      description: 'Invoke once after a deploy that brings a data migration (docs/runbooks/data-migrations.md)',
    });
  }
}
