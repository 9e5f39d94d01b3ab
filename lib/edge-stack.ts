// What CloudFront reads from us-east-1 only: the stage's own WAF web ACL (scope CLOUDFRONT), when the stage asks
// for one (`webAcl` in lib/config.ts) instead of naming an existing ACL (`webAclArn`). The API stack attaches it to
// the distribution through a weak cross-region reference, so this stack deploys first.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig, WebAclSettings } from './config.js';
import { ClientRateLimitedWebAcl } from './constructs/waf-web-acl.js';

/** CloudFront reads web ACLs (and certificates) in this region only. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  config: StageConfig;
  webAcl: WebAclSettings;
}

export class EdgeStack extends Stack {
  readonly webAclArn: string;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const acl = new ClientRateLimitedWebAcl(this, 'Edge', {
      prefix: props.config.prefix,
      requestsPerIp: props.webAcl.requestsPerIp ?? 2000,
      requestsPerToken: props.webAcl.requestsPerToken ?? 1000,
    });
    this.webAclArn = acl.webAcl.attrArn;
    new CfnOutput(this, 'WebAclArn', { value: this.webAclArn });
  }
}
