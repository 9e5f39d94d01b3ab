// The stage's own web ACL (lib/edge-stack.ts): in us-east-1 with scope CLOUDFRONT, as CloudFront requires ("AWS WAF
// web ACLs for CloudFront must be created in US East (N. Virginia)", docs.aws.amazon.com/waf/latest/developerguide/
// cloudfront-features.html), a rate-based rule per client IP and one per Authorization header value (a custom
// aggregation key; "requests that are missing any of the components specified in the aggregation keys are omitted",
// AWS WAF API Reference, RateBasedStatementCustomKey, hence the per-IP rule beside it), AWS's common rules, and the
// distribution attached to it. A stage that names an existing ACL gets no edge stack.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GovernanceApp } from '../../lib/app.js';
import { WEB_ACL_RULES } from '../../lib/constructs/waf-web-acl.js';
import { nagPacks } from '../../lib/nag.js';
import { devGovernanceApp, prodGovernanceApp } from '../support/dev-app.js';

let built: GovernanceApp;
let edge: Template;
let devApp: GovernanceApp;

beforeAll(() => {
  built = prodGovernanceApp();
  if (!built.edge) throw new Error('prod with webAcl has no edge stack');
  edge = Template.fromStack(built.edge);
  devApp = devGovernanceApp();
}, 240_000);

type Rule = { Name: string; Priority: number; Statement: Record<string, unknown>; Action?: unknown };
const rules = () =>
  (Object.values(edge.findResources('AWS::WAFv2::WebACL'))[0] as { Properties: { Rules: Rule[] } }).Properties.Rules;
const rule = (name: string) => rules().find((r) => r.Name === name) as Rule;

describe("the stage's own web ACL", () => {
  it('lives in us-east-1 with scope CLOUDFRONT, allowing what no rule blocks', () => {
    expect(built.edge?.region).toBe('us-east-1');
    edge.resourceCountIs('AWS::WAFv2::WebACL', 1);
    edge.hasResourceProperties('AWS::WAFv2::WebACL', {
      Name: 'governance-prod-edge',
      Scope: 'CLOUDFRONT',
      DefaultAction: { Allow: {} },
    });
  });

  it('blocks a client IP above its limit per 5 minutes with 429 and Retry-After', () => {
    expect(rule(WEB_ACL_RULES.perIp)).toMatchObject({
      Priority: 0,
      Statement: { RateBasedStatement: { AggregateKeyType: 'IP', Limit: 1500, EvaluationWindowSec: 300 } },
      Action: {
        Block: {
          CustomResponse: {
            ResponseCode: 429,
            ResponseHeaders: [{ Name: 'retry-after', Value: '300' }],
          },
        },
      },
    });
  });

  it('blocks one bearer token above its limit, whatever the IP addresses it comes from', () => {
    expect(rule(WEB_ACL_RULES.perToken)).toMatchObject({
      Priority: 1,
      Statement: {
        RateBasedStatement: {
          AggregateKeyType: 'CUSTOM_KEYS',
          Limit: 1000,
          CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
        },
      },
      Action: { Block: { CustomResponse: { ResponseCode: 429 } } },
    });
  });

  it("applies AWS's common rules, only counting the body size rule the API enforces itself", () => {
    expect(rule(WEB_ACL_RULES.common)).toMatchObject({
      Priority: 2,
      Statement: {
        ManagedRuleGroupStatement: {
          VendorName: 'AWS',
          Name: 'AWSManagedRulesCommonRuleSet',
          RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        },
      },
    });
    expect(rules().map((r) => r.Name)).toEqual(Object.values(WEB_ACL_RULES));
  });

  it('answers a blocked request with a problem document', () => {
    const acl = Object.values(edge.findResources('AWS::WAFv2::WebACL'))[0]?.Properties as {
      CustomResponseBodies: Record<string, { ContentType: string; Content: string }>;
    };
    const body = acl.CustomResponseBodies['too-many-requests'];
    expect(body?.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body?.Content ?? '{}')).toMatchObject({ type: 'about:blank', status: 429 });
  });

  it('is attached to the distribution through a reference to the edge stack in us-east-1', () => {
    Template.fromStack(built.stateless).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        WebACLId: {
          'Fn::GetStackOutput': Match.objectLike({ StackName: 'governance-prod-edge', Region: 'us-east-1' }),
        },
      }),
    });
    expect(built.stateless.dependencies).toContain(built.edge);
  });

  it('leaves no cdk-nag finding unacknowledged under the edge stack', () => {
    const path = built.edge?.node.path as string;
    const findings = nagPacks(built.app).flatMap((pack) =>
      pack
        .validateScope(built.app)
        .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
    );
    expect(findings.filter((f) => f.includes(path))).toEqual([]);
  });

  it('is not created for a stage that names no web ACL to create', () => {
    expect(devApp.edge).toBeUndefined();
  });
});
