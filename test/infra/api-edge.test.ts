// The API edge and the secrets of the API functions in the dev stage's template: CloudFront sends the origin secret
// as a deploy-time reference, the functions hold only the ARNs of their secrets and may read exactly those, and no
// output invites a call that bypasses CloudFront.
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../../functions/api/middleware/origin-verify.js';
import { devGovernanceApp } from '../support/dev-app.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Resources = Record<string, Resource>;

let stateless: Template;

beforeAll(() => {
  stateless = Template.fromStack(devGovernanceApp().stateless);
});

/** The logical id of the one secret whose description starts with `description`. */
function secretId(description: string): string {
  const ids = Object.entries(stateless.findResources('AWS::SecretsManager::Secret') as Resources)
    .filter(([, secret]) => String(secret.Properties.Description).startsWith(description))
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** Our functions by service name (POWERTOOLS_SERVICE_NAME), with their environment and role. */
function governedFunctions(): { service: string; env: Record<string, unknown>; role: string }[] {
  return Object.values(stateless.findResources('AWS::Lambda::Function') as Resources).flatMap((fn) => {
    const env = (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const service = env.POWERTOOLS_SERVICE_NAME;
    if (typeof service !== 'string') return [];
    return [{ service, env, role: (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string }];
  });
}

/** The Secrets Manager statements of every role's policies: role logical id -> statements. */
function secretStatements(): Map<string, Record<string, unknown>[]> {
  const byRole = new Map<string, Record<string, unknown>[]>();
  for (const policy of Object.values(stateless.findResources('AWS::IAM::Policy') as Resources)) {
    const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement;
    const secrets = statements.filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    for (const role of policy.Properties.Roles as { Ref: string }[]) {
      byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...secrets]);
    }
  }
  return byRole;
}

describe('the API edge', () => {
  // A secretsmanager dynamic reference may stand in any resource property and is resolved at deploy time, never
  // persisted by CloudFormation (AWS CloudFormation User Guide, "Get a secret or secret value from Secrets Manager").
  it('sends the origin secret to the API origin as a dynamic reference, under the header the functions check', () => {
    // Prepare
    const origin = secretId('Sent by CloudFront');
    const [distribution] = Object.values(stateless.findResources('AWS::CloudFront::Distribution') as Resources);
    const config = distribution?.Properties.DistributionConfig as { Origins: Record<string, unknown>[] } | undefined;
    const origins = config?.Origins ?? [];

    // Act
    const api = origins.find((o) => o.CustomOriginConfig !== undefined);

    // Assess
    expect(api?.OriginCustomHeaders).toEqual([
      {
        HeaderName: ORIGIN_VERIFY_HEADER,
        HeaderValue: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: origin }, ':SecretString:::}}']] },
      },
    ]);
  });

  it('gives every API function and the $default function the origin secret by ARN, and the authoriser nothing', () => {
    const origin = secretId('Sent by CloudFront');
    const functions = governedFunctions().filter((fn) => fn.service === 'authorizer' || fn.service.startsWith('api-'));

    for (const fn of functions) {
      if (fn.service === 'authorizer') expect(fn.env.ORIGIN_VERIFY_SECRET_ARN, fn.service).toBeUndefined();
      else expect(fn.env.ORIGIN_VERIFY_SECRET_ARN, fn.service).toEqual({ Ref: origin });
    }
    expect(functions.some((fn) => fn.service === 'api-not-found')).toBe(true);
  });

  it('gives the functions that list the cursor secret by ARN, and not the authoriser, the $default function or the documents', () => {
    const cursor = secretId('Key material that seals');
    const functions = governedFunctions().filter((fn) => fn.service === 'authorizer' || fn.service.startsWith('api-'));
    const without = ['authorizer', 'api-not-found', 'api-reference'];

    for (const fn of functions) {
      if (without.includes(fn.service)) expect(fn.env.CURSOR_SECRET_ARN, fn.service).toBeUndefined();
      else expect(fn.env.CURSOR_SECRET_ARN, fn.service).toEqual({ Ref: cursor });
    }
    expect(functions.filter((fn) => fn.env.CURSOR_SECRET_ARN !== undefined).length).toBeGreaterThan(10);
  });

  it("holds no secret's value, nor a reference that CloudFormation would resolve, in any function's environment", () => {
    for (const fn of Object.values(stateless.findResources('AWS::Lambda::Function') as Resources)) {
      const env = JSON.stringify(fn.Properties.Environment ?? {});

      expect(env).not.toContain('{{resolve:');
      expect(env).not.toContain('"CURSOR_SECRET"');
      expect(env).not.toMatch(/SecretString/);
    }
  });

  it('lets a function read only the secrets it is told of, GetSecretValue only, and the authoriser none', () => {
    // Prepare
    const secrets = [secretId('Sent by CloudFront'), secretId('Key material that seals')];
    const statements = secretStatements();

    for (const fn of governedFunctions()) {
      // Act
      const granted = (statements.get(fn.role) ?? []).map((s) => [s.Action, s.Resource]);
      const told = secrets.filter((id) =>
        [fn.env.ORIGIN_VERIFY_SECRET_ARN, fn.env.CURSOR_SECRET_ARN].some(
          (v) => JSON.stringify(v) === `{"Ref":"${id}"}`,
        ),
      );

      // Assess
      expect(granted, fn.service).toEqual(told.map((id) => ['secretsmanager:GetSecretValue', { Ref: id }]));
    }
    const authorizer = governedFunctions().find((fn) => fn.service === 'authorizer');
    expect(authorizer && (statements.get(authorizer.role) ?? [])).toEqual([]);
  });

  it("offers the CloudFront URL as the API's address and no output naming the execute-api endpoint", () => {
    const outputs = stateless.findOutputs('*') as Record<string, { Value: unknown }>;

    expect(Object.keys(outputs)).not.toContain('ApiEndpoint');
    expect(outputs.ApiUrl?.Value).toEqual(outputs.DashboardUrl?.Value);
    expect(JSON.stringify(outputs)).not.toContain('"ApiEndpoint"]');
  });
});
