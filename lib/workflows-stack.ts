// What runs behind the API and can be replaced at any time: the eval-run and release-gate state machines with
// their task functions, the monitoring schedule, the audit archiver with its digests and reconciler, the governance
// events, and the operator alerts topic that their alarms and the API stack's notify. It deploys after the
// stateful stack and before the API stack (`governance-<stage>-stateless`), which starts its executions, answers
// its task tokens and reads its archive (ADR 0019).
import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { auditBucketName, evidenceBucketName, exportBucketName, type StageConfig } from './config.js';
import { AuditArchiver } from './constructs/audit-archiver.js';
import { AuditExportJob } from './constructs/audit-export-job.js';
import { EVAL_TASK_FUNCTIONS, EvalStateMachine } from './constructs/eval-state-machine.js';
import { GovernanceEvents } from './constructs/governance-events.js';
import type { GovernedFunction } from './constructs/governed-function.js';
import { DataMigrations } from './constructs/migrations.js';
import { OperatorAlerts } from './constructs/operator-alerts.js';
import { PolicyDryRunJob } from './constructs/policy-dry-run-job.js';
import { ReleaseGateStateMachine } from './constructs/release-gate-state-machine.js';
import { ScheduledFunction } from './constructs/scheduled-function.js';
import { acknowledgeMatching } from './nag.js';

/** The eval tasks that call providers (and so read their secrets): the others get no grant. */
const PROVIDER_TASKS: ReadonlySet<string> = new Set(['prepare', 'executeBatch']);

/**
 * Lets `fn` call providers as the provider executor does (ADR 0030): read the secrets under `<prefix>/providers/`
 * (GetSecretValue only) and invoke the stage's allow-listed Bedrock models. Its egress allow-list is
 * EVAL_ALLOWED_HOSTS, set by the caller.
 */
function grantProviderRuntime(fn: GovernedFunction, config: StageConfig, who: string): void {
  fn.role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadProviderSecrets',
      actions: ['secretsmanager:GetSecretValue'],
      resources: [
        `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${config.prefix}/providers/*`,
      ],
    }),
  );
  acknowledgeMatching(
    fn.role,
    /^AwsSolutions-IAM5\[Resource::.+:secret:.+\/providers\/\*\]$/,
    'Provider API keys are named by admins per connection (secretRef), so the grant is the stage prefix ' +
      `<prefix>/providers/* and read only: no secret outside it can be read by the ${who}.`,
  );
  if (config.bedrockModelArns.length > 0) {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'InvokeAllowedBedrockModels',
        actions: ['bedrock:InvokeModel'],
        resources: [...config.bedrockModelArns],
      }),
    );
  }
}

export interface WorkflowsStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  auditSigningKey: IKey;
}

export class WorkflowsStack extends Stack {
  /** The operator alerts topic: every alarm of this stack and of the API stack notifies it. */
  readonly alarmTopic: ITopic;
  readonly evalRun: EvalStateMachine;
  readonly releaseGate: ReleaseGateStateMachine;
  readonly monitoring: ScheduledFunction;
  readonly refusalOutbox: ScheduledFunction;
  readonly auditArchiver: AuditArchiver;
  readonly events: GovernanceEvents;
  readonly policyDryRuns: PolicyDryRunJob;
  readonly auditExports: AuditExportJob;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;

    this.alarmTopic = new OperatorAlerts(this, 'Operations', {
      prefix: config.prefix,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    }).topic;

    // The stateful stack's evidence bucket, by its derived name (lib/config.ts evidenceBucketName).
    const evidenceBucket = Bucket.fromBucketName(this, 'EvidenceBucket', evidenceBucketName(config, Aws.ACCOUNT_ID));
    // Eval runs: statemachines/eval-run.asl.json over the eval task functions, alarming on the operator topic.
    this.evalRun = new EvalStateMachine(this, 'EvalRun', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      logExecutionData: config.stage !== 'prod',
      alarmTopic: this.alarmTopic,
      evidenceBucket,
      taskEnvironment: { EVAL_ALLOWED_HOSTS: config.evalAllowedHosts.join(',') },
    });
    // The provider executor (ADR 0030): provider API keys are read at run time from Secrets Manager, only secrets
    // under `<prefix>/providers/`, and Bedrock only on the stage's allow-list of model and inference-profile ARNs.
    // Only the steps that call providers hold the grant (ADR 0050): Prepare checks a provider run's secrets, and
    // ExecuteBatch calls models and judges (a submitted run's model-graded assertions are graded there); Aggregate
    // and RecordFailure call nothing.
    for (const task of EVAL_TASK_FUNCTIONS) {
      if (!PROVIDER_TASKS.has(task.task)) continue;
      grantProviderRuntime(this.evalRun.tasks.get(task.task) as GovernedFunction, config, 'eval task');
    }

    // Release gates: statemachines/release-gate.asl.json. request-approval starts one execution per round; the
    // approvals function answers each waiting task with SendTaskSuccess or SendTaskFailure after its decision commits.
    this.releaseGate = new ReleaseGateStateMachine(this, 'ReleaseGate', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      logExecutionData: config.stage !== 'prod',
      approvalTimeout: Duration.days(config.approvalTimeoutDays),
      alarmTopic: this.alarmTopic,
    });

    // Post-market monitoring: each active release's regression datasets on a schedule; drift opens incidents.
    this.monitoring = new ScheduledFunction(this, 'Monitoring', {
      prefix: config.prefix,
      name: 'monitor',
      entry: 'functions/workflows/monitor-task.ts',
      description: 'Runs the regression datasets of every active release and opens incidents on drift',
      expression: config.monitoringSchedule,
      logRetention,
      logLevel: config.logLevel,
      timeout: Duration.minutes(15),
      memorySize: 1024,
      alarmTopic: this.alarmTopic,
      errorMeaning:
        'A monitoring pass could not judge every active release: drift may go unnoticed; read the function logs.',
    });
    this.monitoring.fn.bindTable(props.table, 'readwrite');
    // The pass scores production samples itself (ADR 0042), llm-rubric by the release's pinned judges: it calls them
    // through its own provider runtime, with the eval tasks' grant and egress allow-list (ADR 0050).
    this.monitoring.fn.lambda.addEnvironment('EVAL_ALLOWED_HOSTS', config.evalAllowedHosts.join(','));
    grantProviderRuntime(this.monitoring.fn, config, 'monitoring pass');
    // Monitoring runs go through the eval state machine (ADR 0032): the pass starts one execution per release.
    this.monitoring.fn.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', this.evalRun.stateMachine.stateMachineArn);
    this.evalRun.stateMachine.grantStartExecution(this.monitoring.fn.lambda);
    // A monitoring run's continuation (the Aggregate step) starts the validation run of the rollback it asks for:
    // an execution of the same state machine, named from its fixed name so the definition does not depend on itself.
    const evalRunArn = `arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:stateMachine:${config.prefix}-eval-run`;
    for (const fn of this.evalRun.tasks.values()) {
      fn.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', evalRunArn);
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:StartExecution'], resources: [evalRunArn] }),
      );
    }

    // Refused promotions whose audit record could not be written at the refusal (ADR 0037): the outbox's drain.
    this.refusalOutbox = new ScheduledFunction(this, 'RefusalOutbox', {
      prefix: config.prefix,
      name: 'refusal-outbox',
      entry: 'functions/workflows/refusal-outbox-task.ts',
      description: 'Writes refused promotions that wait in the outbox to their audit chains',
      expression: 'rate(15 minutes)',
      logRetention,
      logLevel: config.logLevel,
      timeout: Duration.minutes(5),
      memorySize: 256,
      alarmTopic: this.alarmTopic,
      errorMeaning:
        'Refused promotions wait in the outbox: their audit records are not written yet; read the function logs.',
    });
    this.refusalOutbox.fn.bindTable(props.table, 'readwrite');

    // The audit archive's writers: the stream archiver, the signed digests and the reconciler (issue 5).
    this.auditArchiver = new AuditArchiver(this, 'AuditArchiver', {
      prefix: config.prefix,
      table: props.table,
      bucket: Bucket.fromBucketName(this, 'AuditBucket', auditBucketName(config, Aws.ACCOUNT_ID)),
      signingKey: props.auditSigningKey,
      logRetention,
      logLevel: config.logLevel,
      digestSchedule: config.auditDigestSchedule,
      reconcileSchedule: config.auditReconcileSchedule,
      alarmTopic: this.alarmTopic,
    });

    // Governance events (issue 7): stream -> publisher -> bus -> webhook queue and dispatcher, and e-mail notifications.
    this.events = new GovernanceEvents(this, 'Events', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      webhookAllowedHosts: config.webhookAllowedHosts,
      notificationEmails: config.notificationEmails,
      alarmTopic: this.alarmTopic,
    });

    // Policy dry runs (ADR 0027): POST /api/policy-dry-runs puts a request on the default bus; this rule starts the job.
    this.policyDryRuns = new PolicyDryRunJob(this, 'PolicyDryRuns', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      alarmTopic: this.alarmTopic,
    });

    // Audit exports (ADR 0044): POST /api/audit-exports puts a request on the default bus; this rule starts the job.
    this.auditExports = new AuditExportJob(this, 'AuditExports', {
      prefix: config.prefix,
      table: props.table,
      bucket: Bucket.fromBucketName(this, 'ExportBucket', exportBucketName(config, Aws.ACCOUNT_ID)),
      logRetention,
      logLevel: config.logLevel,
      alarmTopic: this.alarmTopic,
    });

    // The table's data migrations, invoked once after a deploy that brings one (docs/runbooks/data-migrations.md).
    new DataMigrations(this, 'Migrations', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
    });

    new CfnOutput(this, 'AlertsTopicArn', { value: this.alarmTopic.topicArn });
    new CfnOutput(this, 'GovernanceEventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.events.notifications.topicArn });
  }
}
