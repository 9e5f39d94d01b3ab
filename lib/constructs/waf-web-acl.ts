// The stage's own WAF web ACL for CloudFront (scope CLOUDFRONT, so its stack must be in us-east-1): a rate limit
// per client IP address, a rate limit per bearer token (a custom aggregation key on the Authorization header:
// requests without the header are left to the per-IP rule, as WAF omits a request that lacks a key), and AWS's
// common managed rules. A blocked request gets 429 with a problem document and Retry-After, like a throttled one.
import { CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** The rules of the web ACL by name, in the order WAF evaluates them; docs/deploy.md names them too. */
export const WEB_ACL_RULES = {
  perIp: 'rate-per-ip',
  perToken: 'rate-per-token',
  common: 'aws-common-rules',
} as const;

/** WAF's evaluation window of a rate-based rule, in seconds (60, 120, 300 or 600). */
const WINDOW_SECONDS = 300;

export interface ClientRateLimitsProps {
  prefix: string;
  /** Requests one IP address may send per window before it is blocked. */
  requestsPerIp: number;
  /** Requests one Authorization header value may send per window before it is blocked. */
  requestsPerToken: number;
}

const visibility = (metricName: string): CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

export class ClientRateLimitedWebAcl extends Construct {
  readonly webAcl: CfnWebACL;

  constructor(scope: Construct, id: string, props: ClientRateLimitsProps) {
    super(scope, id);
    const tooMany: CfnWebACL.RuleActionProperty = {
      block: {
        customResponse: {
          responseCode: 429,
          customResponseBodyKey: 'too-many-requests',
          responseHeaders: [{ name: 'retry-after', value: String(WINDOW_SECONDS) }],
        },
      },
    };

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      name: `${props.prefix}-edge`,
      description: `Rate limits per client and AWS common rules in front of the ${props.prefix} dashboard and API`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`${props.prefix}-edge`),
      customResponseBodies: {
        'too-many-requests': {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too Many Requests',
            status: 429,
            detail: `This client sent more requests than allowed in ${WINDOW_SECONDS / 60} minutes; retry later.`,
          }),
        },
      },
      rules: [
        {
          name: WEB_ACL_RULES.perIp,
          priority: 0,
          action: tooMany,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerIp,
              evaluationWindowSec: WINDOW_SECONDS,
              aggregateKeyType: 'IP',
            },
          },
          visibilityConfig: visibility(`${props.prefix}-${WEB_ACL_RULES.perIp}`),
        },
        {
          name: WEB_ACL_RULES.perToken,
          priority: 1,
          action: tooMany,
          statement: {
            rateBasedStatement: {
              limit: props.requestsPerToken,
              evaluationWindowSec: WINDOW_SECONDS,
              aggregateKeyType: 'CUSTOM_KEYS',
              customKeys: [{ header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } }],
            },
          },
          visibilityConfig: visibility(`${props.prefix}-${WEB_ACL_RULES.perToken}`),
        },
        {
          name: WEB_ACL_RULES.common,
          priority: 2,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: 'AWSManagedRulesCommonRuleSet',
              // The API takes bodies beyond the rule set's 8 KB (a results post of up to 5,000 cases) and bounds
              // them itself (413 problem documents): that one rule only counts.
              ruleActionOverrides: [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }],
            },
          },
          visibilityConfig: visibility(`${props.prefix}-${WEB_ACL_RULES.common}`),
        },
      ],
    });
  }
}
