// The per-stage configuration the stacks are built from: defaults, overrides from context, and refusals.
import { describe, expect, it } from 'vitest';
import { stageConfig } from '../../lib/config.js';

const context =
  (values: Record<string, unknown>) =>
  (key: string): unknown =>
    values[key];

/** What prod cannot be synthesised without. */
const PROD_REQUIRED = {
  account: '123456789012',
  alarmEmail: 'governance-ops@example.com',
  webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/governance/1',
};

describe('stage configuration', () => {
  it('refuses to synthesise prod without an account, an alarm subscriber, a web ACL and the ten-year audit lock', () => {
    expect(() => stageConfig(context({ stage: 'prod' }))).toThrow(
      /prod needs an account[\s\S]*prod needs an alarm subscriber[\s\S]*prod needs a WAF web ACL/,
    );
    for (const missing of Object.keys(PROD_REQUIRED)) {
      const { [missing as keyof typeof PROD_REQUIRED]: _, ...rest } = PROD_REQUIRED;
      expect(() => stageConfig(context({ stage: 'prod', stages: { prod: rest } }))).toThrow(/prod needs/);
    }
    const short = { prod: { ...PROD_REQUIRED, auditRetentionDays: 3649 } };
    expect(() => stageConfig(context({ stage: 'prod', stages: short }))).toThrow(
      /prod auditRetentionDays must be at least 3650 \(ten years\), not 3649/,
    );
    expect(stageConfig(context({ stage: 'prod', stages: { prod: PROD_REQUIRED } })).auditRetentionDays).toBe(3650);
  });

  it('leaves dev free of the prod guards: no account, no subscriber, no web ACL, a one-day lock', () => {
    expect(() => stageConfig(context({ stage: 'dev' }))).not.toThrow();
  });

  it('defaults to dev, with a one-day audit lock so that a dev archive can be torn down', () => {
    const config = stageConfig(context({}));

    expect(config).toMatchObject({ stage: 'dev', prefix: 'governance-dev', tableName: 'governance-dev' });
    expect(config.auditRetentionDays).toBe(1);
    expect(config.account).toBeUndefined();
  });

  it('keeps prod audit objects for ten years and its logs for a year', () => {
    const config = stageConfig(context({ stage: 'prod', stages: { prod: PROD_REQUIRED } }));

    expect(config).toMatchObject({ auditRetentionDays: 3650, logRetentionDays: 365, logLevel: 'INFO' });
    expect(config.extraCallbackUrls).toEqual([]);
  });

  it('applies the overrides of its own stage only, merging pipeline trust and throttling', () => {
    const stages = {
      prod: {
        ...PROD_REQUIRED,
        auditRetentionDays: 4018,
        throttle: { rateLimit: 500 },
        pipelineTrust: {
          repositories: [{ repository: 'acme/support-bot', refs: ['refs/heads/main'], systems: ['sys-1'] }],
        },
      },
      dev: { auditRetentionDays: 7 },
    };

    const config = stageConfig(context({ stage: 'prod', stages }));

    expect(config.auditRetentionDays).toBe(4018);
    expect(config.throttle).toEqual({ rateLimit: 500, burstLimit: 200 });
    expect(config.pipelineTrust).toMatchObject({
      issuer: 'https://token.actions.githubusercontent.com',
      audience: 'governance-control-plane',
      repositories: [{ repository: 'acme/support-bot' }],
    });
  });

  it('reads the overrides as JSON when they come from --context on the command line', () => {
    const config = stageConfig(context({ stage: 'dev', stages: JSON.stringify({ dev: { alarmEmail: 'ops@x.io' } }) }));

    expect(config.alarmEmail).toBe('ops@x.io');
  });

  it('takes the account from context or the CLI environment, never from a lookup', () => {
    expect(stageConfig(context({ account: '123456789012' })).account).toBe('123456789012');
    expect(stageConfig(context({}), { CDK_DEFAULT_ACCOUNT: '210987654321' }).account).toBe('210987654321');
  });

  it('makes the hosted sign-in prefix unique with the account id, unless one is configured', () => {
    expect(stageConfig(context({ account: '123456789012' })).cognitoDomainPrefix).toBe('governance-dev-123456789012');
    expect(stageConfig(context({})).cognitoDomainPrefix).toBe('governance-dev');
    const stages = { dev: { cognitoDomainPrefix: 'acme-governance' } };
    expect(stageConfig(context({ account: '123456789012', stages })).cognitoDomainPrefix).toBe('acme-governance');
  });

  it('refuses an unknown stage and names every invalid setting at once', () => {
    expect(() => stageConfig(context({ stage: 'staging' }))).toThrow(/one of dev, prod/);
    const bad = {
      dev: {
        logRetentionDays: 42,
        auditRetentionDays: 0,
        pipelineTrust: { repositories: [{ repository: 'not a repo', refs: ['main'], systems: [] }] },
        domain: { name: 'gov.example.com', certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/x' },
      },
    };

    expect(() => stageConfig(context({ stages: bad }))).toThrow(
      /logRetentionDays[\s\S]*auditRetentionDays[\s\S]*not owner\/name[\s\S]*refs\/[\s\S]*us-east-1/,
    );
  });

  it('allows the http eval executor no host unless configured, and refuses hosts, schedules and timeouts it cannot use', () => {
    const config = stageConfig(context({}));
    expect(config.evalAllowedHosts).toEqual([]);
    expect(config.approvalTimeoutDays).toBe(7);
    expect(config.monitoringSchedule).toMatch(/^rate\(|^cron\(/);
    const ok = { dev: { evalAllowedHosts: ['models.acme.internal', 'llm.acme.io:8443'] } };
    expect(stageConfig(context({ stages: ok })).evalAllowedHosts).toEqual(['models.acme.internal', 'llm.acme.io:8443']);
    const bad = {
      dev: { evalAllowedHosts: ['http://x.io/path'], monitoringSchedule: 'every day', approvalTimeoutDays: 400 },
    };
    expect(() => stageConfig(context({ stages: bad }))).toThrow(
      /evalAllowedHosts[\s\S]*monitoringSchedule[\s\S]*approvalTimeoutDays/,
    );
  });

  it("takes an API domain only with a certificate of the stage's region, under a name the dashboard does not use", () => {
    const apiDomain = {
      name: 'api.gov.example.com',
      certificateArn: 'arn:aws:acm:eu-central-1:123456789012:certificate/a',
    };
    const withApiDomain = (value: unknown, extra: Record<string, unknown> = {}) =>
      stageConfig(context({ stage: 'dev', stages: { dev: { apiDomain: value, ...extra } } }));

    expect(withApiDomain(apiDomain).apiDomain).toEqual(apiDomain);
    expect(() =>
      withApiDomain({ ...apiDomain, certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/a' }),
    ).toThrow(/apiDomain.certificateArn must be an ACM certificate in the stage's region \(eu-central-1\)/);
    expect(() => withApiDomain({ ...apiDomain, name: 'not a host' })).toThrow(/apiDomain.name "not a host"/);
    const dashboard = {
      name: 'API.gov.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/d',
    };
    expect(() => withApiDomain(apiDomain, { domain: dashboard })).toThrow(
      /apiDomain.name must differ from domain.name/,
    );
  });

  it('takes a web ACL the app creates instead of a named one in prod, never both, and refuses limits WAF refuses', () => {
    const { webAclArn, ...withoutArn } = PROD_REQUIRED;
    const created = stageConfig(context({ stage: 'prod', stages: { prod: { ...withoutArn, webAcl: {} } } }));
    expect(created.webAcl).toEqual({});
    expect(created.webAclArn).toBeUndefined();
    expect(() =>
      stageConfig(context({ stage: 'prod', stages: { prod: { ...PROD_REQUIRED, webAcl: { requestsPerIp: 500 } } } })),
    ).toThrow(/webAclArn and webAcl exclude each other/);
    // A rate-based statement takes 10 to 2,000,000,000 requests per window (AWS WAF API Reference,
    // RateBasedStatement: Limit); a regional ACL cannot serve CloudFront.
    const bad = { dev: { webAcl: { requestsPerIp: 9, requestsPerToken: 1.5 } } };
    expect(() => stageConfig(context({ stages: bad }))).toThrow(
      /webAcl\.requestsPerIp must be a whole number[\s\S]*webAcl\.requestsPerToken/,
    );
    const regional = { dev: { webAclArn: 'arn:aws:wafv2:eu-central-1:123456789012:regional/webacl/governance/1' } };
    expect(() => stageConfig(context({ stages: regional }))).toThrow(/scope CLOUDFRONT/);
    expect(webAclArn).toMatch(/^arn:aws:wafv2:us-east-1:/);
  });

  it('appends the retained-name suffix to the table and leaves every name alone without one', () => {
    expect(stageConfig(context({})).retainedNameSuffix).toBe('');
    const again = stageConfig(context({ stages: { dev: { retainedNameSuffix: '-2' } } }));
    expect(again).toMatchObject({ tableName: 'governance-dev-2', prefix: 'governance-dev' });
    const named = stageConfig(context({ stages: { dev: { retainedNameSuffix: '-2', tableName: 'kept' } } }));
    expect(named.tableName).toBe('kept');
    for (const suffix of ['2', '-', '-UPPER', '-toolongsuffix']) {
      expect(() => stageConfig(context({ stages: { dev: { retainedNameSuffix: suffix } } })), suffix).toThrow(
        /retainedNameSuffix must be a hyphen/,
      );
    }
  });
});
