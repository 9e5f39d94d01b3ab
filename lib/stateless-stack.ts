// What can be replaced at any time: one function per API resource module (and the request authoriser), the HTTP
// API with every route of the manifest, the dashboard's app client and hosting, and the operations wiring.
import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { UserPool, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { auditBucketName, evidenceBucketName, type StageConfig } from './config.js';
import { AuditArchiver } from './constructs/audit-archiver.js';
import { DashboardHosting } from './constructs/dashboard-hosting.js';
import { EvalStateMachine } from './constructs/eval-state-machine.js';
import { GovernanceApi } from './constructs/governance-api.js';
import { GovernanceEvents } from './constructs/governance-events.js';
import { GovernedFunction } from './constructs/governed-function.js';
import { addDashboardClient } from './constructs/identity.js';
import { DataMigrations } from './constructs/migrations.js';
import { Operations } from './constructs/operations.js';
import { ReleaseGateStateMachine } from './constructs/release-gate-state-machine.js';
import { ScheduledFunction } from './constructs/scheduled-function.js';
import { acknowledge } from './nag.js';
import { readRouteManifest, routesByModule, tableAccessOf } from './route-manifest.js';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  auditSigningKey: IKey;
  userPool: UserPool;
  userPoolDomain: UserPoolDomain;
}

/**
 * API modules that need more than the default 512 MB and 10 s (the eval-runs one for its results posts, below): the
 * EU AI Act report reads a system's whole history
 * and renders a PDF (bench/report.ts: a system of 50 releases and 1,000 audit events); 29 s stays under API
 * Gateway's 30 s integration limit.
 */
const API_FUNCTION_SIZING: Record<string, { memorySize: number; timeout: Duration }> = {
  reports: { memorySize: 1024, timeout: Duration.seconds(29) },
  // A results post of up to 5,000 cases: 51 sequential transactions and its cases' reads (bench/submitted-run.ts
  // measured 11-13 s a post on DynamoDB Local on 2 loaded cores; unmeasured in AWS, docs/deploy.md).
  'eval-runs': { memorySize: 1024, timeout: Duration.seconds(29) },
};

export class StatelessStack extends Stack {
  /** The function of each API module, by module name, and the authoriser under `authorizer`. */
  readonly functions = new Map<string, GovernedFunction>();
  readonly api: GovernanceApi;
  readonly hosting: DashboardHosting;
  readonly operations: Operations;
  readonly evalRun: EvalStateMachine;
  readonly releaseGate: ReleaseGateStateMachine;
  readonly monitoring: ScheduledFunction;
  readonly auditArchiver: AuditArchiver;
  readonly events: GovernanceEvents;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;
    const region = Stack.of(this).region;

    const hostedSignIn = props.userPoolDomain.baseUrl();
    const issuer = props.userPool.userPoolProviderUrl;

    // The app client must know the dashboard's URL and the functions the client id: the distribution comes first.
    const routes = readRouteManifest();
    const modules = routesByModule(routes);
    const authorizer = new GovernedFunction(this, 'Authorizer', {
      entry: 'functions/api/auth/authorizer.ts',
      description: 'Verifies bearer tokens of people (Cognito) and pipelines (CI OIDC) for the HTTP API',
      serviceName: 'authorizer',
      functionName: `${config.prefix}-authorizer`,
      logRetention,
      logLevel: config.logLevel,
      memorySize: 256,
      timeout: Duration.seconds(5),
    });
    this.functions.set('authorizer', authorizer);
    for (const [module, moduleRoutes] of modules) {
      const fn = new GovernedFunction(this, `Api-${module}`, {
        entry: `functions/api/${module}.ts`,
        description: `API: ${moduleRoutes.map((route) => `${route.method} ${route.path}`).join(', ')}`.slice(0, 256),
        serviceName: `api-${module}`,
        functionName: `${config.prefix}-api-${module}`,
        logRetention,
        logLevel: config.logLevel,
        ...(API_FUNCTION_SIZING[module] ?? {}),
      });
      fn.bindTable(props.table, tableAccessOf(moduleRoutes));
      this.functions.set(module, fn);
    }

    // API Gateway's $default route: what no route matches is answered 404, or 405 with Allow, as the local stack does.
    const notFound = new GovernedFunction(this, 'Api-not-found', {
      entry: 'functions/api/not-found.ts',
      description: 'API: the $default route (404 for an unknown path, 405 with Allow for a known path)',
      serviceName: 'api-not-found',
      functionName: `${config.prefix}-api-not-found`,
      logRetention,
      logLevel: config.logLevel,
      memorySize: 256,
      timeout: Duration.seconds(5),
    });
    this.functions.set('not-found', notFound);

    this.api = new GovernanceApi(this, 'Api', {
      prefix: config.prefix,
      routes,
      functions: this.functions,
      authorizer,
      notFound,
      throttle: config.throttle,
      logRetention,
    });

    this.hosting = new DashboardHosting(this, 'Dashboard', {
      prefix: config.prefix,
      apiHost: this.api.host,
      connectSources: [hostedSignIn, `https://cognito-idp.${region}.amazonaws.com`],
      accessLogRetentionDays: config.accessLogRetentionDays,
      logRetention,
      ...(config.domain ? { domain: config.domain } : {}),
      ...(config.webAclArn ? { webAclArn: config.webAclArn } : {}),
    });

    const client = addDashboardClient(this, 'DashboardClient', {
      userPool: props.userPool,
      prefix: config.prefix,
      // The dashboard's sign-in callback route (dashboard/src/routes.tsx), and its root for sign-out.
      callbackUrls: [`${this.hosting.url}/auth/callback`, `${this.hosting.url}/`, ...config.extraCallbackUrls],
    });
    // The dashboard's sign-in settings (dashboard/src/pkce.ts reads /config.json): Cognito hosted sign-in with PKCE.
    this.hosting.deployment.addSource(
      Source.jsonData('config.json', {
        auth: {
          kind: 'cognito',
          domain: hostedSignIn,
          clientId: client.userPoolClientId,
          redirectUri: `${this.hosting.url}/auth/callback`,
          scopes: ['openid', 'email', 'profile'],
        },
      }),
    );

    const auth: Record<string, string> = {
      AUTH_ISSUER: issuer,
      AUTH_AUDIENCE: client.userPoolClientId,
      AUTH_JWKS_URL: `${issuer}/.well-known/jwks.json`,
      AUTH_PIPELINE_ISSUER: config.pipelineTrust.issuer,
      AUTH_PIPELINE_AUDIENCE: config.pipelineTrust.audience,
      AUTH_PIPELINE_JWKS_URL: `${config.pipelineTrust.issuer}/.well-known/jwks`,
      AUTH_PIPELINE_TRUST: JSON.stringify(config.pipelineTrust.repositories),
    };
    // Seals list cursors (functions/store/pagination.ts) so a page filtered per object never exposes another
    // team's item key; every API function must share it. CloudFormation resolves it at deploy time.
    const cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'Key material that seals the API pagination cursors',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    acknowledge(cursorSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason: 'Cursor sealing key: rotating it only invalidates cursors in flight; it protects no stored data.',
      },
    ]);
    auth.CURSOR_SECRET = cursorSecret.secretValue.unsafeUnwrap();
    for (const fn of this.functions.values()) {
      for (const [name, value] of Object.entries(auth)) fn.lambda.addEnvironment(name, value);
    }

    this.operations = new Operations(this, 'Operations', {
      prefix: config.prefix,
      api: this.api.api,
      functions: this.functions,
      table: props.table,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    // The stateful stack's evidence bucket, by its derived name (lib/config.ts evidenceBucketName).
    const evidenceBucket = Bucket.fromBucketName(this, 'EvidenceBucket', evidenceBucketName(config, Aws.ACCOUNT_ID));
    // Eval runs: statemachines/eval-run.asl.json over the eval task functions, alarming on the operator topic.
    this.evalRun = new EvalStateMachine(this, 'EvalRun', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      logExecutionData: config.stage !== 'prod',
      alarmTopic: this.operations.topic,
      evidenceBucket,
      taskEnvironment: { EVAL_ALLOWED_HOSTS: config.evalAllowedHosts.join(',') },
    });
    // GET /api/eval-runs/{id}/cases pages through the evidence bucket.
    (this.functions.get('eval-runs') as GovernedFunction).bindEvidence(evidenceBucket, 'read');
    // POST /api/release-candidates/{id}/run-evals starts one execution per run (functions/workflows/sfn-eval-runner.ts).
    const candidates = this.functions.get('candidates') as GovernedFunction;
    candidates.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', this.evalRun.stateMachine.stateMachineArn);
    this.evalRun.stateMachine.grantStartExecution(candidates.lambda);
    // POST /api/eval-runs/{id}/results starts the aggregation of a submitted run once its last case is posted.
    const evalRuns = this.functions.get('eval-runs') as GovernedFunction;
    evalRuns.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', this.evalRun.stateMachine.stateMachineArn);
    this.evalRun.stateMachine.grantStartExecution(evalRuns.lambda);

    // Release gates: statemachines/release-gate.asl.json. request-approval starts one execution per round; the
    // approvals function answers each waiting task with SendTaskSuccess or SendTaskFailure after its decision commits.
    this.releaseGate = new ReleaseGateStateMachine(this, 'ReleaseGate', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      logExecutionData: config.stage !== 'prod',
      approvalTimeout: Duration.days(config.approvalTimeoutDays),
      alarmTopic: this.operations.topic,
    });
    const approvals = this.functions.get('approvals') as GovernedFunction;
    for (const fn of [candidates, approvals]) {
      fn.lambda.addEnvironment('RELEASE_GATE_STATE_MACHINE_ARN', this.releaseGate.stateMachine.stateMachineArn);
    }
    this.releaseGate.stateMachine.grantStartExecution(candidates.lambda);
    // The start reads a closed attempt's status to restart a failed gate under a new name (gate-attempts.ts).
    this.releaseGate.grantReadAttempts(candidates.role);
    this.releaseGate.stateMachine.grantTaskResponse(approvals.lambda);

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
      alarmTopic: this.operations.topic,
      errorMeaning:
        'A monitoring pass could not judge every active release: drift may go unnoticed; read the function logs.',
    });
    this.monitoring.fn.bindTable(props.table, 'readwrite');

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
      alarmTopic: this.operations.topic,
    });
    // GET /api/audit-events/verify reports the archive's state beside the table's chain.
    this.auditArchiver.grantArchive(this.functions.get('audit') as GovernedFunction, { read: true });
    // ... and full=request asks the background job for a full verification (ADR 0013).
    this.auditArchiver.grantFullVerificationRequest(this.functions.get('audit') as GovernedFunction);
    // The EU AI Act report prints the same archive state in its record-keeping section.
    this.auditArchiver.grantArchive(this.functions.get('reports') as GovernedFunction, { read: true });

    // Governance events (issue 7): stream -> publisher -> bus -> webhook queue and dispatcher, and e-mail notifications.
    this.events = new GovernanceEvents(this, 'Events', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
      webhookAllowedHosts: config.webhookAllowedHosts,
      notificationEmails: config.notificationEmails,
      alarmTopic: this.operations.topic,
    });
    // The table's data migrations, invoked once after a deploy that brings one (docs/runbooks/data-migrations.md).
    new DataMigrations(this, 'Migrations', {
      prefix: config.prefix,
      table: props.table,
      logRetention,
      logLevel: config.logLevel,
    });

    new CfnOutput(this, 'DashboardUrl', { value: this.hosting.url });
    new CfnOutput(this, 'ApiEndpoint', { value: this.api.api.apiEndpoint });
    new CfnOutput(this, 'DashboardClientId', { value: client.userPoolClientId });
    new CfnOutput(this, 'HostedSignInUrl', { value: hostedSignIn });
    new CfnOutput(this, 'AlertsTopicArn', { value: this.operations.topic.topicArn });
    new CfnOutput(this, 'GovernanceEventBusName', { value: this.events.bus.eventBusName });
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.events.notifications.topicArn });
  }
}
