// Every Lambda function of the control plane, with the defaults fixed once: bundled by local esbuild (minified ESM,
// source maps), nodejs22.x on arm64, X-Ray tracing, JSON logs into its own log group with a retention, its own role
// with no managed policy, and grants that name the actions it uses (bindTable) instead of CDK's broader grant*.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { GLOBAL_INDEXES } from '../../functions/store/table-definition.js';
import { acknowledge, acknowledgeMatching } from '../nag.js';
import { BUNDLING } from './bundling-settings.js';

/** The repository root: entries are named relative to it, and esbuild resolves node_modules from it. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const RUNTIME = Runtime.NODEJS_22_X;

/** The CloudWatch namespace of the governance metrics (functions/observability/metrics.ts; a test compares). */
export const METRICS_NAMESPACE = 'GovernanceControlPlane';

type TableAccess = 'read' | 'readwrite';

/** DynamoDB actions per access mode: the store queries and never scans, and transactions need ConditionCheckItem. */
const TABLE_ACTIONS: Record<TableAccess, string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
  readwrite: [
    'dynamodb:GetItem',
    'dynamodb:BatchGetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
  ],
};

/** KMS actions on the table's customer-managed key, named one by one (CDK's grants use kms:GenerateDataKey*). */
const TABLE_KEY_ACTIONS: Record<TableAccess, string[]> = {
  read: ['kms:Decrypt', 'kms:DescribeKey'],
  readwrite: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
};

const LOG_LEVELS = {
  DEBUG: ApplicationLogLevel.DEBUG,
  INFO: ApplicationLogLevel.INFO,
  WARN: ApplicationLogLevel.WARN,
  ERROR: ApplicationLogLevel.ERROR,
} as const;

export interface GovernedFunctionProps {
  /** The handler file, relative to the repository root: `functions/api/systems.ts`. */
  entry: string;
  description: string;
  /** Powertools service name, also the function's name suffix. */
  serviceName: string;
  logRetention: RetentionDays;
  logLevel: keyof typeof LOG_LEVELS;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  functionName?: string;
  /** For functions invoked asynchronously (EventBridge, schedules): where events that failed every retry go. */
  deadLetterQueue?: IQueue;
}

/**
 * What a function may do with the eval evidence bucket (functions/store/evidence-store.ts, `runs/` prefix): read;
 * read and keep the posted texts of submitted runs (`runs/<runId>/texts/`, ADR 0050); or read and write.
 */
export type EvidenceAccess = 'read' | 'read-keep-texts' | 'readwrite';

export class GovernedFunction extends Construct {
  /** The handler file it bundles, relative to the repository root (what test/infra/function-bundles.test.ts reads). */
  readonly entry: string;
  readonly lambda: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: GovernedFunctionProps) {
    super(scope, id);
    this.entry = props.entry;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Logs are operational telemetry; the audit evidence lives in the table and the Object Lock archive.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.serviceName}`,
    });
    // Instead of AWSLambdaBasicExecutionRole (logs:* on every group): write to this function's own group only.
    this.logGroup.grantWrite(this.role);

    this.lambda = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      ...(props.functionName ? { functionName: props.functionName } : {}),
      runtime: RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue, retryAttempts: 2 } : {}),
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: LOG_LEVELS[props.logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        // Powertools Logger and Metrics (functions/observability): the service of every log line and the service
        // dimension of every metric, in one namespace for the whole control plane.
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel,
        NODE_OPTIONS: BUNDLING.nodeOptions,
        ...props.environment,
      },
      bundling: {
        minify: BUNDLING.minify,
        format: OutputFormat.ESM,
        target: BUNDLING.target,
        sourceMap: BUNDLING.sourceMap,
        sourceMapMode: SourceMapMode.EXTERNAL,
        sourcesContent: BUNDLING.sourcesContent,
        mainFields: [...BUNDLING.mainFields],
        banner: BUNDLING.banner,
        externalModules: [...BUNDLING.externalModules],
        bundleAwsSDK: BUNDLING.bundleAwsSdk,
        forceDockerBundling: false,
      },
    });

    acknowledge(this.lambda, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is the runtime this code is built and tested for (ARCHITECTURE.md); nodejs24.x is adopted ' +
          'deliberately with a test run, not by a linter. 22.x is supported until April 2027.',
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: 'nodejs22.x is pinned on purpose, as for AwsSolutions-L1 above.',
      },
    ]);
    if (props.deadLetterQueue) {
      acknowledge(this.lambda, [
        {
          id: 'Serverless-LambdaAsyncFailureDestination',
          reason: 'Asynchronous failures go to the dead-letter queue (DeadLetterConfig) after two retries.',
        },
      ]);
    } else {
      acknowledge(this.lambda, [
        {
          id: 'Serverless-LambdaDLQ',
          reason:
            'Invoked synchronously (API Gateway, Step Functions): the caller receives the error, so there is no ' +
            'asynchronous event to dead-letter.',
        },
        {
          id: 'Serverless-LambdaAsyncFailureDestination',
          reason: 'Invoked synchronously only; failure destinations apply to asynchronous invocations.',
        },
      ]);
    }
    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so tracing needs ' +
          'Resource "*"; every other statement of this role names its resources.',
      },
    ]);
  }

  /** Grants exactly the table (and index, and key) actions `access` needs, on this table and its indexes only. */
  bindTable(table: ITable, access: TableAccess): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: access === 'read' ? 'ReadGovernanceTable' : 'ReadWriteGovernanceTable',
        actions: TABLE_ACTIONS[access],
        resources: [table.tableArn, ...GLOBAL_INDEXES.map((index) => `${table.tableArn}/index/${index.indexName}`)],
      }),
    );
    if (table.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'UseGovernanceTableKey',
          actions: TABLE_KEY_ACTIONS[access],
          resources: [table.encryptionKey.keyArn],
        }),
      );
    }
    this.lambda.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Grants the evidence bucket's object actions `access` needs under `runs/` (no delete: batches are written once
   * with If-None-Match and never replaced), and tells the function its name in EVIDENCE_BUCKET.
   */
  bindEvidence(bucket: IBucket, access: EvidenceAccess): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: access === 'readwrite' ? 'ReadWriteEvidence' : 'ReadEvidence',
        actions: access === 'readwrite' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
        resources: [bucket.arnForObjects('runs/*')],
      }),
    );
    if (access === 'read-keep-texts') {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'KeepPostedTexts',
          actions: ['s3:PutObject'],
          resources: [bucket.arnForObjects('runs/*/texts/*')],
        }),
      );
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ListEvidenceBatches',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': ['runs/*'] } },
      }),
    );
    this.lambda.addEnvironment('EVIDENCE_BUCKET', bucket.bucketName);
    acknowledgeMatching(
      this.role,
      /^AwsSolutions-IAM5\[Resource::.+\/runs\/\*(\/texts\/\*)?\]$/,
      'Evidence objects are keyed runs/<runId>/batches/<index>.jsonl (posted texts: runs/<runId>/texts/<name>.json) ' +
        'and created per run, so the grant names the runs/ prefix of the evidence bucket; no delete, no other ' +
        'prefix, no other bucket.',
    );
    return this;
  }
}
