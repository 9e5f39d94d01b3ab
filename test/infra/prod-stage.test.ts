// The prod stage with every optional setting used (account, custom domain, web ACL, alert mail, a trusted
// repository): the branches of the stacks that dev leaves out, and cdk-nag on them.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import cdkJson from '../../cdk.json' with { type: 'json' };
import { createGovernanceApp, type GovernanceApp } from '../../lib/app.js';
import { nagPacks } from '../../lib/nag.js';
import { statelessSide } from '../support/dev-app.js';

const PROD = {
  account: '123456789012',
  alarmEmail: 'governance-ops@example.com',
  domain: { name: 'governance.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc' },
  webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/governance/1',
  apiDomain: {
    name: 'api.governance.example.com',
    certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/api',
  },
  pipelineTrust: {
    repositories: [{ repository: 'acme/support-bot', refs: ['refs/heads/main'], systems: ['01HSYSTEM'] }],
  },
};

let built: GovernanceApp;
let stateful: Template;
let stateless: Template;

beforeAll(() => {
  built = createGovernanceApp({
    context: { ...cdkJson.context, stage: 'prod', stages: { prod: PROD }, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  stateful = Template.fromStack(built.stateful);
  // The workflows and API stacks as one (ADR 0019).
  stateless = statelessSide(built);
});

describe('the prod stage', () => {
  it('locks audit objects for ten years and protects the stateful stack from deletion', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
    });
    expect(built.stateful.terminationProtection).toBe(true);
    expect(built.stateless.terminationProtection).toBe(false);
  });

  it('serves the custom domain with its certificate, TLS 1.2 at least, behind the web ACL', () => {
    stateless.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Aliases: ['governance.example.com'],
        ViewerCertificate: {
          AcmCertificateArn: PROD.domain.certificateArn,
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        },
        WebACLId: PROD.webAclArn,
      },
    });
  });

  it('maps the API to its own domain, switches its execute-api endpoint off and has CloudFront call the domain', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', { DisableExecuteApiEndpoint: true });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: PROD.apiDomain.name,
      DomainNameConfigurations: [
        Match.objectLike({ CertificateArn: PROD.apiDomain.certificateArn, SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    stateless.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    stateless.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Origins: Match.arrayWith([
          Match.objectLike({
            DomainName: PROD.apiDomain.name,
            OriginCustomHeaders: [Match.objectLike({ HeaderName: 'x-origin-verify' })],
          }),
        ]),
      },
    });
    expect(Object.keys(Template.fromStack(built.stateless).findOutputs('ApiDomainTarget'))).toEqual([
      'ApiDomainTarget',
    ]);
  });

  it('calls back to the custom domain only, and signs in on an account-unique prefix', () => {
    stateless.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://governance.example.com/auth/callback', 'https://governance.example.com/'],
    });
    stateful.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'governance-prod-123456789012' });
  });

  it('mails alerts, keeping undeliverable ones in an encrypted dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: PROD.alarmEmail,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('UndeliveredAlerts'), 'Arn'] } },
    });
    stateless.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('gives the API functions the trusted repositories, and every function INFO logging', () => {
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables: Record<string, string> } };
    }[];
    const ours = functions.filter((fn) => fn.Properties.Environment?.Variables.POWERTOOLS_SERVICE_NAME);
    // Only the API functions and the authoriser verify tokens; workflow functions are invoked by AWS services.
    const api = ours.filter((fn) => {
      const service = fn.Properties.Environment?.Variables.POWERTOOLS_SERVICE_NAME ?? '';
      return service === 'authorizer' || service.startsWith('api-');
    });

    expect(api.length).toBeGreaterThan(0);
    expect(ours.length - api.length).toBeGreaterThanOrEqual(4);
    for (const fn of api) {
      const env = fn.Properties.Environment?.Variables ?? {};
      expect(JSON.parse(env.AUTH_PIPELINE_TRUST ?? '[]')).toEqual(PROD.pipelineTrust.repositories);
    }
    for (const fn of ours) expect(fn.Properties.Environment?.Variables.LOG_LEVEL).toBe('INFO');
  });

  it("logs no execution data of either workflow: task tokens and reviewers' comments stay out of the logs", () => {
    const machines = Object.values(stateless.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: { LoggingConfiguration: { IncludeExecutionData: boolean; Level: string } };
    }[];
    expect(machines).toHaveLength(2);
    for (const machine of machines) {
      expect(machine.Properties.LoggingConfiguration).toMatchObject({ IncludeExecutionData: false, Level: 'ALL' });
    }
  });

  it('alarms on failed, timed-out and aborted executions of both workflows, notifying the operator topic', () => {
    for (const workflow of ['eval-run', 'release-gate']) {
      for (const [suffix, metric] of [
        ['failed', 'ExecutionsFailed'],
        ['timed-out', 'ExecutionsTimedOut'],
        ['aborted', 'ExecutionsAborted'],
      ] as const) {
        stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `governance-prod-${workflow}-executions-${suffix}`,
          Namespace: 'AWS/States',
          MetricName: metric,
          Threshold: 1,
          AlarmActions: Match.anyValue(),
        });
      }
    }
  });

  it('leaves no cdk-nag finding unacknowledged with every option on', () => {
    const findings = nagPacks(built.app).flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
    );

    expect(findings).toEqual([]);
  });
});
