// What can be replaced at any time: one function per API resource module (and the request authoriser), the HTTP
// API with every route of the manifest, the dashboard's app client and hosting, and the operations wiring.
import { Aws, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { UserPool, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { evidenceBucketName, type StageConfig } from './config.js';
import { DashboardHosting } from './constructs/dashboard-hosting.js';
import { GovernanceApi } from './constructs/governance-api.js';
import { GovernedFunction } from './constructs/governed-function.js';
import { addDashboardClient } from './constructs/identity.js';
import { Operations } from './constructs/operations.js';
import { readSecretAtRunTime } from './constructs/run-time-secret.js';
import { acknowledge } from './nag.js';
import { readRouteManifest, routesByModule, tableAccessOf } from './route-manifest.js';
import type { WorkflowsStack } from './workflows-stack.js';

export interface StatelessStackProps extends StackProps {
  config: StageConfig;
  table: ITable;
  userPool: UserPool;
  userPoolDomain: UserPoolDomain;
  /** The state machines, archiver and alerts topic this stack's functions start, answer, read and notify. */
  workflows: WorkflowsStack;
  /** The distribution's web ACL: the stage's own (lib/edge-stack.ts) or the one `config.webAclArn` names. */
  webAclArn?: string;
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

/** Functions that never page through a list, so never seal a cursor: the authoriser, the $default route's, the documents. */
const LISTS_NOTHING = new Set(['authorizer', 'not-found', 'reference']);

export class StatelessStack extends Stack {
  /** The function of each API module, by module name, and the authoriser under `authorizer`. */
  readonly functions = new Map<string, GovernedFunction>();
  readonly api: GovernanceApi;
  readonly hosting: DashboardHosting;
  readonly operations: Operations;

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

    // CloudFront's origin-verification secret: the distribution sends it to the API in a header, and every API
    // function (not the authoriser: its cached Allow would let a direct call through) refuses a request without it.
    const originSecret = new Secret(this, 'OriginVerifySecret', {
      description: 'Sent by CloudFront to the API origin; the API refuses requests without it',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    acknowledge(originSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'CloudFront reads the value only when the distribution is deployed: rotation is a change of the secret ' +
          'followed by a deployment (docs/deploy.md, "The API edge"), not a Lambda rotation.',
      },
    ]);
    for (const [name, fn] of this.functions) {
      if (name !== 'authorizer') readSecretAtRunTime(fn, originSecret, 'ORIGIN_VERIFY_SECRET_ARN', 'ReadOriginSecret');
    }

    this.api = new GovernanceApi(this, 'Api', {
      prefix: config.prefix,
      routes,
      functions: this.functions,
      authorizer,
      notFound,
      throttle: config.throttle,
      logRetention,
      ...(config.apiDomain ? { apiDomain: config.apiDomain } : {}),
    });
    if (this.api.domain) {
      // Point a DNS record for apiDomain.name at this target (docs/deploy.md).
      new CfnOutput(this, 'ApiDomainTarget', { value: this.api.domain.regionalDomainName });
    }

    this.hosting = new DashboardHosting(this, 'Dashboard', {
      prefix: config.prefix,
      apiHost: this.api.host,
      originSecret,
      connectSources: [hostedSignIn, `https://cognito-idp.${region}.amazonaws.com`],
      accessLogRetentionDays: config.accessLogRetentionDays,
      logRetention,
      ...(config.domain ? { domain: config.domain } : {}),
      ...(props.webAclArn ? { webAclArn: props.webAclArn } : {}),
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
    // team's item key; every API function that lists must share it. They read it at run time (CURSOR_SECRET_ARN).
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
    for (const [module, fn] of this.functions) {
      for (const [name, value] of Object.entries(auth)) fn.lambda.addEnvironment(name, value);
      if (!LISTS_NOTHING.has(module)) readSecretAtRunTime(fn, cursorSecret, 'CURSOR_SECRET_ARN', 'ReadCursorSecret');
    }

    this.operations = new Operations(this, 'Operations', {
      prefix: config.prefix,
      api: this.api.api,
      functions: this.functions,
      table: props.table,
      topic: props.workflows.alarmTopic,
    });

    // The API's side of the workflows stack (lib/workflows-stack.ts, deployed before this one): the grants land in
    // these functions' role policies, so this stack depends on that one and never the other way round (ADR 0019).
    const { evalRun, releaseGate, auditArchiver } = props.workflows;
    // The stateful stack's evidence bucket, by its derived name (lib/config.ts evidenceBucketName).
    const evidenceBucket = Bucket.fromBucketName(this, 'EvidenceBucket', evidenceBucketName(config, Aws.ACCOUNT_ID));
    // GET /api/eval-runs/{id}/cases pages through the evidence bucket; a post keeps the texts its cases' model-graded
    // assertions judge there until the eval worker grades them (ADR 0050): the function itself calls no provider.
    (this.functions.get('eval-runs') as GovernedFunction).bindEvidence(evidenceBucket, 'read-keep-texts');
    // POST /api/release-candidates/{id}/run-evals starts one execution per run (functions/workflows/sfn-eval-runner.ts).
    const candidates = this.functions.get('candidates') as GovernedFunction;
    candidates.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', evalRun.stateMachine.stateMachineArn);
    evalRun.stateMachine.grantStartExecution(candidates.lambda);
    // POST /api/eval-runs/{id}/results starts the aggregation of a submitted run once its last case is posted.
    const evalRuns = this.functions.get('eval-runs') as GovernedFunction;
    evalRuns.lambda.addEnvironment('EVAL_STATE_MACHINE_ARN', evalRun.stateMachine.stateMachineArn);
    evalRun.stateMachine.grantStartExecution(evalRuns.lambda);

    // request-approval starts one release gate execution per round; the approvals function answers each waiting
    // task with SendTaskSuccess or SendTaskFailure after its decision commits.
    const approvals = this.functions.get('approvals') as GovernedFunction;
    for (const fn of [candidates, approvals]) {
      fn.lambda.addEnvironment('RELEASE_GATE_STATE_MACHINE_ARN', releaseGate.stateMachine.stateMachineArn);
    }
    releaseGate.stateMachine.grantStartExecution(candidates.lambda);
    // The start reads a closed attempt's status to restart a failed gate under a new name (gate-attempts.ts).
    releaseGate.grantReadAttempts(candidates.role);
    releaseGate.stateMachine.grantTaskResponse(approvals.lambda);

    // GET /api/audit-events/verify reports the archive's state beside the table's chain.
    auditArchiver.grantArchive(this.functions.get('audit') as GovernedFunction, { read: true });
    // ... and full=request asks the background job for a full verification (ADR 0013).
    auditArchiver.grantFullVerificationRequest(this.functions.get('audit') as GovernedFunction);
    // The EU AI Act report prints the same archive state in its record-keeping section.
    auditArchiver.grantArchive(this.functions.get('reports') as GovernedFunction, { read: true });
    // POST /api/policy-dry-runs starts the dry run job with an event on the default bus (ADR 0027).
    props.workflows.policyDryRuns.grantStart(this.functions.get('policy-dry-runs') as GovernedFunction);
    // POST /api/audit-exports starts the export job; GET /api/audit-exports/{id} signs its download links.
    props.workflows.auditExports.grantStartAndLinks(this.functions.get('audit') as GovernedFunction);
    // POST /api/provider-connections refuses an endpoint outside the egress allow-list the eval tasks call under.
    (this.functions.get('provider-connections') as GovernedFunction).lambda.addEnvironment(
      'EVAL_ALLOWED_HOSTS',
      config.evalAllowedHosts.join(','),
    );
    // POST /api/webhooks seals each new subscription's signing secret with the workflows stack's key (ADR 0018).
    props.workflows.events.grantSealWebhookSecrets(this.functions.get('webhooks') as GovernedFunction);

    new CfnOutput(this, 'DashboardUrl', { value: this.hosting.url });
    new CfnOutput(this, 'ApiUrl', { value: this.hosting.url, description: 'Call the API here (CloudFront) only' });
    new CfnOutput(this, 'DashboardClientId', { value: client.userPoolClientId });
    new CfnOutput(this, 'HostedSignInUrl', { value: hostedSignIn });
  }
}
