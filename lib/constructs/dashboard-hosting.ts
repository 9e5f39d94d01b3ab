// One CloudFront distribution on one domain: the dashboard from a private bucket (origin access control), and
// /api/* and /health/* passed to the HTTP API uncached with every viewer header but Host (so Authorization
// reaches the API), plus a secret origin-verification header without which the API answers nothing (so WAF and
// these headers cannot be bypassed by calling the API directly). Security headers on every response. The site is the dashboard build (`npm run synth` builds it
// first); a checkout that has not built it deploys a placeholder page instead.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SingletonFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type { CustomDomain } from '../config.js';
import { acknowledge, acknowledgeMatching } from '../nag.js';
import { PROJECT_ROOT } from './governed-function.js';

/** Paths CloudFront sends to the API instead of the bucket. */
const API_PATH_PATTERNS = ['/api/*', '/health/*'] as const;

/** The header the API functions check (functions/api/middleware/origin-verify.ts ORIGIN_VERIFY_HEADER). */
const ORIGIN_VERIFY_HEADER = 'x-origin-verify';

export interface DashboardHostingProps {
  prefix: string;
  /** The host of the HTTP API: its custom domain, or its execute-api host name. */
  apiHost: string;
  /**
   * The secret sent to the API in ORIGIN_VERIFY_HEADER. CloudFormation resolves it into the distribution at deploy
   * time (a dynamic reference): the template holds a reference, never the value.
   */
  originSecret: ISecret;
  /** Origins the dashboard calls besides its own (Cognito's hosted sign-in and token endpoints). */
  connectSources: string[];
  accessLogRetentionDays: number;
  logRetention: RetentionDays;
  domain?: CustomDomain;
  webAclArn?: string;
  /** The folder deployed to the bucket (default: the dashboard build, dashboard/dist, when it has been built). */
  siteSource?: string;
}

/** The dashboard build if `npm run build:dashboard` has produced one, else the placeholder page. */
function defaultSiteSource(): string {
  const built = join(PROJECT_ROOT, 'dashboard', 'dist');
  return existsSync(join(built, 'index.html')) ? built : join(PROJECT_ROOT, 'lib', 'placeholder');
}

// Rewrites a client-side route (no file extension) to the single page, for the default (bucket) behaviour only:
// distribution-wide error responses would also rewrite the API's 403/404 problem documents.
const SPA_ROUTING = `function handler(event) {
  var request = event.request;
  var last = request.uri.substring(request.uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

export class DashboardHosting extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly logs: Bucket;
  readonly url: string;
  /** Deploys the site; the stack adds config.json (the sign-in settings) to it once the app client exists. */
  readonly deployment: BucketDeployment;

  constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);

    this.logs = new Bucket(this, 'EdgeLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logs are delivered with an ACL, so this bucket keeps ACLs for its owner.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.logs, [
      {
        id: 'AwsSolutions-S1',
        reason:
          'This bucket receives the CloudFront and dashboard-bucket access logs; logging it to itself would loop.',
      },
    ]);

    this.bucket = new Bucket(this, 'Site', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.logs,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `${props.prefix}-security-headers`,
      comment: 'CSP, HSTS, frame and content-type options for the dashboard and the API',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(props.connectSources), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          preload: false,
          override: true,
        },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
        // The legacy XSS auditor is switched off, as current guidance says; the CSP does its job.
        xssProtection: { protection: false, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          {
            header: 'Permissions-Policy',
            value: 'camera=(), microphone=(), geolocation=(), payment=()',
            override: true,
          },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
        ],
      },
    });

    const spaRouting = new EdgeFunction(this, 'SpaRouting', {
      code: FunctionCode.fromInline(SPA_ROUTING),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Serves index.html for client-side routes',
    });

    const api: BehaviorOptions = {
      origin: new HttpOrigin(props.apiHost, {
        protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
        customHeaders: { [ORIGIN_VERIFY_HEADER]: props.originSecret.secretValue.unsafeUnwrap() },
      }),
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      // With caching disabled, this managed policy forwards Authorization along with every other viewer header.
      cachePolicy: CachePolicy.CACHING_DISABLED,
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
      compress: true,
    };

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${props.prefix} dashboard and API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        compress: true,
        functionAssociations: [{ function: spaRouting, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: Object.fromEntries(API_PATH_PATTERNS.map((pattern) => [pattern, api])),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      logIncludesCookies: false,
      ...(props.domain
        ? {
            domainNames: [props.domain.name],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      ...(props.webAclArn ? { webAclId: props.webAclArn } : {}),
    });
    this.url = `https://${props.domain?.name ?? this.distribution.distributionDomainName}`;

    acknowledge(this.distribution, [
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'No geo restriction: reviewers and pipelines work from many countries; every API call is authenticated ' +
          'and the dashboard bucket holds only static code.',
      },
      ...(props.webAclArn
        ? []
        : [
            {
              id: 'AwsSolutions-CFR2',
              reason:
                'No web ACL is configured for this stage (stages.<stage>.webAclArn): the API refuses unauthenticated ' +
                'calls at the authoriser and throttles per stage. Production should attach one (docs/deploy.md).',
            },
          ]),
      ...(props.domain
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose security ' +
                'policy cannot be raised; a configured domain gets TLSv1.2_2021.',
            },
          ]),
    ]);

    const deploymentLogs = new LogGroup(this, 'DeploymentLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role instead of CDK's default (AWSLambdaBasicExecutionRole, logs on every group).
    const deploymentRole = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the dashboard build into the site bucket and invalidates the distribution',
    });
    deploymentLogs.grantWrite(deploymentRole);
    const deployment = new BucketDeployment(this, 'SiteDeployment', {
      sources: [Source.asset(props.siteSource ?? defaultSiteSource())],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 512,
      logGroup: deploymentLogs,
      role: deploymentRole,
    });
    this.deployment = deployment;
    acknowledgeMatching(
      deploymentRole,
      /^AwsSolutions-IAM5\[(Action::s3:(GetBucket|GetObject|List|Abort|DeleteObject)\*|Resource::\*|Resource::.+\/\*)\]$/,
      "CDK's BucketDeployment grants itself s3:GetObject*, s3:GetBucket*, s3:List* on the CDK asset bucket and " +
        'object actions (s3:Abort*, s3:DeleteObject*) on <site bucket>/*, and cloudfront:CreateInvalidation on * ' +
        '(the invalidation API takes no distribution ARN in CDK). It runs only during deployments.',
    );
    acknowledge(deploymentHandler(deployment), [
      {
        id: 'AwsSolutions-L1',
        reason: "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, not by this project.",
      },
      {
        id: 'Serverless-LambdaLatestVersion',
        reason: "The runtime of CDK's BucketDeployment handler is chosen by aws-cdk-lib, not by this project.",
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'A CloudFormation custom resource handler: CloudFormation reports its failure and rolls back.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason:
          'A deployment-time custom resource handler owned by aws-cdk-lib; its logs are kept, tracing adds nothing.',
      },
    ]);
  }
}

/** The function behind a BucketDeployment: a singleton CDK creates at stack level, outside the deployment's scope. */
function deploymentHandler(deployment: BucketDeployment): IConstruct {
  const wrapper = deployment.node.findChild('CustomResourceHandler');
  const handler = Stack.of(deployment).node.children.find((child) =>
    child.node.id.startsWith('Custom::CDKBucketDeployment'),
  );
  if (!handler || !(wrapper instanceof SingletonFunction)) throw new Error('BucketDeployment has no handler function');
  return handler;
}

/** The dashboard's content security policy: its own origin, plus the sign-in endpoints it calls. */
function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${connectSources.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
