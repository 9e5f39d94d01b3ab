// The HTTP API: one route per manifest entry, integrated with its module's function. Every route but the health
// checks goes through the Lambda request authoriser (ADR 0003); the `$default` route answers what no route matches
// (ADR 0011); the default stage throttles and writes JSON access logs. CloudFront is its only intended caller: the
// functions refuse requests without CloudFront's origin-verification header, and with an `apiDomain` the default
// execute-api endpoint is switched off as well (docs/deploy.md, "The API edge").
import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ApiDomain } from '../config.js';
import { acknowledge } from '../nag.js';
import type { ManifestRoute } from '../route-manifest.js';
import type { GovernedFunction } from './governed-function.js';

export interface GovernanceApiProps {
  prefix: string;
  routes: readonly ManifestRoute[];
  /** The function of each module named by the routes. */
  functions: ReadonlyMap<string, GovernedFunction>;
  authorizer: GovernedFunction;
  /** The function of the `$default` route (functions/api/not-found.ts): 404 and 405 problems. */
  notFound: GovernedFunction;
  throttle: { rateLimit: number; burstLimit: number };
  logRetention: RetentionDays;
  /** A regional custom domain: the API is mapped there and its default execute-api endpoint disabled. */
  apiDomain?: ApiDomain;
}

/** API Gateway's access log line, as JSON (one object per request). */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userId: '$context.authorizer.userId',
};

/** A construct id for a route: `GET /api/systems/{id}` -> `GET-api-systems-id`. */
function routeId(route: Pick<ManifestRoute, 'method' | 'path'>): string {
  return `${route.method}${route.path.replace(/[{}]/g, '').replace(/\//g, '-')}`;
}

export class GovernanceApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly routes: HttpRoute[] = [];
  /** The `$default` route to the not-found function. */
  readonly defaultRoute: HttpRoute;
  /** The host CloudFront calls: the custom domain when there is one, else the execute-api host name. */
  readonly host: string;
  /** The custom domain's regional target, for the DNS record of `apiDomain.name`. */
  readonly domain?: DomainName;

  constructor(scope: Construct, id: string, props: GovernanceApiProps) {
    super(scope, id);

    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${props.prefix}-api`,
      description: 'Governance control plane API (called through CloudFront only)',
      createDefaultStage: false,
      // With a custom domain, nothing but that domain reaches the API (API Gateway refuses the default endpoint).
      disableExecuteApiEndpoint: props.apiDomain !== undefined,
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    acknowledge(this.stage, [
      {
        id: 'Serverless-APIGWXrayEnabled',
        reason: 'HTTP APIs do not support X-Ray tracing; the functions behind them trace with X-Ray.',
      },
    ]);

    const authorizer = new HttpLambdaAuthorizer('Bearer', props.authorizer.lambda, {
      authorizerName: 'bearer-token',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      // A verified token is cached for its hash of the header: a revoked token stays usable at most this long,
      // and the handlers verify it again (expiry included) in any case.
      resultsCacheTtl: Duration.minutes(5),
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const route of props.routes) {
      const fn = props.functions.get(route.module);
      if (!fn) throw new Error(`no function for module ${route.module} (route ${route.method} ${route.path})`);
      let integration = integrations.get(route.module);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${route.module}-integration`, fn.lambda);
        integrations.set(route.module, integration);
      }
      const httpRoute = new HttpRoute(this, routeId(route), {
        httpApi: this.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration,
        ...(route.public ? {} : { authorizer }),
      });
      if (route.public) {
        acknowledge(httpRoute, [
          {
            id: 'AwsSolutions-APIG4',
            reason: route.path.startsWith('/health/')
              ? `${route.method} ${route.path} is a health check: load balancers and uptime probes call it without credentials, and it returns no data.`
              : `${route.method} ${route.path} publishes a document generated from code (the API reference or a JSON Schema): it reads no registry data.`,
          },
        ]);
      }
      this.routes.push(httpRoute);
    }

    // What no route matches: a problem+json 404, or 405 with Allow, from the same router as every other request.
    const fallback = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: new HttpLambdaIntegration('not-found-integration', props.notFound.lambda),
    });
    acknowledge(fallback, [
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'The $default route only answers that a route does not exist (404) or takes other methods (405); it reads no data, and the routes are published in the API reference.',
      },
    ]);
    this.defaultRoute = fallback;

    if (props.apiDomain) {
      this.domain = new DomainName(this, 'Domain', {
        domainName: props.apiDomain.name,
        certificate: Certificate.fromCertificateArn(this, 'Certificate', props.apiDomain.certificateArn),
        securityPolicy: SecurityPolicy.TLS_1_2,
      });
      new ApiMapping(this, 'Mapping', { api: this.api, domainName: this.domain, stage: this.stage });
      this.host = props.apiDomain.name;
    } else {
      this.host = Fn.select(2, Fn.split('/', this.api.apiEndpoint));
    }
  }
}
