// Per-stage configuration, read from CDK context: `stage` picks dev or prod, and `stages.<stage>` in cdk.json (or
// cdk.context.json, or `--context stages=...`) overrides the defaults below. Everything a deployment varies on is
// here, so that the stacks read one validated object and never the context directly.

const STAGES = ['dev', 'prod'] as const;
type Stage = (typeof STAGES)[number];

/** A GitHub repository whose workflows may call the API as a pipeline, and the systems it may act on. */
interface TrustedRepository {
  /** `owner/name`, as in the token's `repository` claim. */
  repository: string;
  /** GitHub's immutable repository id: a re-created repository of the same name is then not trusted. */
  repositoryId?: string;
  /** Git refs allowed to act (`refs/heads/main`); a trailing `*` matches a prefix (`refs/tags/v*`). */
  refs: string[];
  /** System ids the pipeline principal is scoped to (known after the system is registered). */
  systems: string[];
}

interface PipelineTrust {
  /** The CI's OIDC issuer: GitHub Actions, or a GitHub Enterprise issuer with its slug. */
  issuer: string;
  /** The `aud` the workflows request (`core.getIDToken(audience)`). */
  audience: string;
  repositories: TrustedRepository[];
}

export interface CustomDomain {
  /** The dashboard's host name, e.g. governance.example.com. */
  name: string;
  /** An ACM certificate in us-east-1 covering `name` (CloudFront only reads certificates there). */
  certificateArn: string;
}

/** A regional custom domain for the HTTP API, so that its default execute-api endpoint can be switched off. */
export interface ApiDomain {
  /** The API's host name, e.g. api.governance.example.com; CloudFront calls the API there. */
  name: string;
  /** An ACM certificate in the stage's region covering `name` (a regional API domain reads it there). */
  certificateArn: string;
}

/**
 * A web ACL that the app creates for the stage (lib/edge-stack.ts, in us-east-1 as CloudFront requires): rate-based
 * rules per client and AWS's common managed rules. Limits count requests in WAF's 5-minute window.
 */
export interface WebAclSettings {
  /** Requests one client IP address may send in 5 minutes before WAF blocks it (default 2,000). */
  requestsPerIp?: number;
  /** Requests one `Authorization` header value (one token) may send in 5 minutes (default 1,000). */
  requestsPerToken?: number;
}

export interface StageConfig {
  stage: Stage;
  /** Prefix of every physical name: `governance-dev`. */
  prefix: string;
  /** Account to deploy to; unset means whatever credentials `cdk deploy` runs with. */
  account?: string;
  region: string;
  tableName: string;
  /**
   * Appended to the physical names of the retained, named resources (the table unless `tableName` is set, the
   * audit and evidence buckets), so a stage can be re-created beside what an earlier, destroyed deployment left
   * (docs/deploy.md, re-creating a stage). Empty by default.
   */
  retainedNameSuffix: string;
  /** Days CloudWatch keeps function, API and authoriser logs. */
  logRetentionDays: number;
  /** Object Lock COMPLIANCE default retention of every audit archive object, in days. */
  auditRetentionDays: number;
  /** Days the S3 and CloudFront access logs are kept. */
  accessLogRetentionDays: number;
  tableDeletionProtection: boolean;
  /** Cognito hosted UI prefix: https://<prefix>.auth.<region>.amazoncognito.com (default governance-<stage>-<account>). */
  cognitoDomainPrefix: string;
  /** Extra OAuth callback URLs beside the dashboard's own, e.g. the Vite dev server. */
  extraCallbackUrls: string[];
  pipelineTrust: PipelineTrust;
  domain?: CustomDomain;
  /**
   * A custom domain for the HTTP API: with it the default execute-api endpoint is disabled and CloudFront calls the
   * API at this name (which still refuses requests without CloudFront's origin-verification header).
   */
  apiDomain?: ApiDomain;
  /**
   * An existing WAFv2 web ACL (scope CLOUDFRONT, in us-east-1) to attach to the distribution; it must hold rate-based
   * rules per client (docs/deploy.md). Exclusive with `webAcl`.
   */
  webAclArn?: string;
  /** Create the stage's own web ACL (lib/edge-stack.ts) and attach it. Exclusive with `webAclArn`. */
  webAcl?: WebAclSettings;
  /** Where operator alerts are mailed; unset means subscribe to the topic yourself. */
  alarmEmail?: string;
  throttle: { rateLimit: number; burstLimit: number };
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Hosts (`name` or `name:port`) the `http` eval executor may call: the teams' model endpoints. Empty means the
   * http executor refuses every endpoint, so the control plane cannot be turned against internal addresses.
   */
  evalAllowedHosts: string[];
  /**
   * Bedrock model and inference-profile ARNs the provider executor may call (bedrock:InvokeModel, which Converse
   * needs), granted to every function that evaluates; empty grants none, so a Bedrock route fails with AccessDenied.
   */
  bedrockModelArns: string[];
  /** EventBridge Scheduler expression of the monitoring (drift) runs over every active release. */
  monitoringSchedule: string;
  /** EventBridge Scheduler expression of the audit digest interval (a digest is written even when nothing arrived). */
  auditDigestSchedule: string;
  /** EventBridge Scheduler expression of the audit reconciler's passes. */
  auditReconcileSchedule: string;
  /** How long a release gate waits for reviewers' decisions before the approval request expires, in days. */
  approvalTimeoutDays: number;
  /**
   * Hosts (`name` or `name:port`) webhooks may be delivered to (https only). Empty means every delivery is refused,
   * so subscribers cannot turn the control plane against internal addresses.
   */
  webhookAllowedHosts: string[];
  /** E-mail addresses subscribed to approval-pending, rollback-request and incident notifications (SNS). */
  notificationEmails: string[];
}

const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

const DEFAULTS: Record<
  Stage,
  Omit<StageConfig, 'stage' | 'prefix' | 'tableName' | 'cognitoDomainPrefix' | 'retainedNameSuffix'>
> = {
  dev: {
    region: 'eu-central-1',
    logRetentionDays: 30,
    auditRetentionDays: 1,
    accessLogRetentionDays: 30,
    tableDeletionProtection: true,
    extraCallbackUrls: ['http://localhost:5173/'],
    pipelineTrust: { issuer: GITHUB_ACTIONS_ISSUER, audience: 'governance-control-plane', repositories: [] },
    throttle: { rateLimit: 20, burstLimit: 40 },
    logLevel: 'DEBUG',
    evalAllowedHosts: [],
    bedrockModelArns: [],
    monitoringSchedule: 'rate(1 day)',
    auditDigestSchedule: 'rate(15 minutes)',
    auditReconcileSchedule: 'rate(1 day)',
    approvalTimeoutDays: 7,
    webhookAllowedHosts: [],
    notificationEmails: [],
  },
  prod: {
    region: 'eu-central-1',
    logRetentionDays: 365,
    // Ten years: the EU AI Act keeps technical documentation of high-risk systems for ten years (Art. 18).
    auditRetentionDays: 3650,
    accessLogRetentionDays: 365,
    tableDeletionProtection: true,
    extraCallbackUrls: [],
    pipelineTrust: { issuer: GITHUB_ACTIONS_ISSUER, audience: 'governance-control-plane', repositories: [] },
    throttle: { rateLimit: 100, burstLimit: 200 },
    logLevel: 'INFO',
    evalAllowedHosts: [],
    bedrockModelArns: [],
    monitoringSchedule: 'cron(0 5 * * ? *)',
    auditDigestSchedule: 'rate(15 minutes)',
    auditReconcileSchedule: 'rate(6 hours)',
    approvalTimeoutDays: 7,
    webhookAllowedHosts: [],
    notificationEmails: [],
  },
};

/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

type ContextReader = (key: string) => unknown;

/**
 * The shortest Object Lock retention prod may synthesise: ten years, as the EU AI Act keeps the technical
 * documentation and logs of high-risk systems for ten years after they are placed on the market (Art. 18, Art. 19).
 */
const PROD_AUDIT_RETENTION_FLOOR_DAYS = 3650;

/** The validated configuration of the stage named by the `stage` context (default dev). */
export function stageConfig(context: ContextReader, env: Record<string, string | undefined> = {}): StageConfig {
  const stage = (context('stage') ?? 'dev') as string;
  if (!STAGES.includes(stage as Stage)) {
    throw new Error(`context stage must be one of ${STAGES.join(', ')}, not ${JSON.stringify(stage)}`);
  }
  const overrides = readOverrides(context('stages'), stage as Stage);
  const base = DEFAULTS[stage as Stage];
  const prefix = `governance-${stage}`;
  const config: StageConfig = {
    ...base,
    stage: stage as Stage,
    prefix,
    tableName: `${prefix}${overrides.retainedNameSuffix ?? ''}`,
    cognitoDomainPrefix: prefix,
    retainedNameSuffix: '',
    ...overrides,
    pipelineTrust: { ...base.pipelineTrust, ...(overrides.pipelineTrust ?? {}) },
    throttle: { ...base.throttle, ...(overrides.throttle ?? {}) },
  };
  const account = overrides.account ?? (context('account') as string | undefined) ?? env.CDK_DEFAULT_ACCOUNT;
  if (account) {
    config.account = account;
    // Hosted sign-in prefixes are unique per region across all accounts: the account id keeps ours free.
    if (overrides.cognitoDomainPrefix === undefined) config.cognitoDomainPrefix = `${prefix}-${account}`;
  }
  validate(config);
  return config;
}

function readOverrides(raw: unknown, stage: Stage): Partial<StageConfig> {
  const all = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  if (all === undefined || all === null) return {};
  if (typeof all !== 'object') throw new Error('context stages must be an object keyed by stage');
  const own = (all as Record<string, unknown>)[stage];
  if (own === undefined) return {};
  if (own === null || typeof own !== 'object') throw new Error(`context stages.${stage} must be an object`);
  return own as Partial<StageConfig>;
}

function validate(config: StageConfig): void {
  const problems: string[] = [];
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(config.region)) problems.push(`region ${config.region} is not a region name`);
  if (config.account !== undefined && !/^\d{12}$/.test(config.account)) problems.push('account must be 12 digits');
  for (const key of ['logRetentionDays', 'accessLogRetentionDays'] as const) {
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(config[key])) {
      problems.push(`${key} must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
    }
  }
  if (!Number.isInteger(config.auditRetentionDays) || config.auditRetentionDays < 1) {
    problems.push('auditRetentionDays must be a whole number of days, at least 1');
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(config.cognitoDomainPrefix)) {
    problems.push('cognitoDomainPrefix must be lower-case letters, digits and hyphens');
  }
  if (!/^https:\/\/\S+$/.test(config.pipelineTrust.issuer)) problems.push('pipelineTrust.issuer must be an https URL');
  if (config.pipelineTrust.audience.trim() === '') problems.push('pipelineTrust.audience must not be empty');
  for (const repo of config.pipelineTrust.repositories) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(repo.repository)) problems.push(`repository ${repo.repository} is not owner/name`);
    if (repo.repositoryId !== undefined && !/^\d+$/.test(repo.repositoryId)) {
      problems.push(`repositoryId of ${repo.repository} must be GitHub's numeric id, as a string`);
    }
    if (repo.refs.length === 0) problems.push(`repository ${repo.repository} names no refs`);
    for (const ref of repo.refs) {
      if (!ref.startsWith('refs/')) problems.push(`ref ${ref} of ${repo.repository} must start with refs/`);
    }
  }
  // Lambda allows 4 KB of environment per function; the trust list travels in AUTH_PIPELINE_TRUST.
  if (JSON.stringify(config.pipelineTrust.repositories).length > 2048) {
    problems.push('pipelineTrust.repositories exceeds 2 KB as JSON: too large for a Lambda environment variable');
  }
  if (config.retainedNameSuffix !== '' && !/^-[a-z0-9]{1,8}$/.test(config.retainedNameSuffix)) {
    problems.push('retainedNameSuffix must be a hyphen and 1 to 8 lower-case letters or digits, e.g. "-2"');
  }
  if (config.webAclArn !== undefined && config.webAcl !== undefined) {
    problems.push('webAclArn and webAcl exclude each other: name an existing web ACL or let the app create one');
  }
  if (
    config.webAclArn !== undefined &&
    !/^arn:aws:wafv2:us-east-1:\d{12}:global\/webacl\/\S+$/.test(config.webAclArn)
  ) {
    problems.push(
      'webAclArn must be a WAFv2 web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/...)',
    );
  }
  for (const key of ['requestsPerIp', 'requestsPerToken'] as const) {
    const limit = config.webAcl?.[key];
    // AWS WAF's rate-based statement takes 10 to 2,000,000,000 requests per evaluation window.
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 10 || limit > 2_000_000_000)) {
      problems.push(`webAcl.${key} must be a whole number from 10 to 2,000,000,000 (requests in 5 minutes)`);
    }
  }
  if (config.domain && !config.domain.certificateArn.startsWith('arn:aws:acm:us-east-1:')) {
    problems.push('domain.certificateArn must be an ACM certificate in us-east-1');
  }
  if (config.apiDomain) {
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(config.apiDomain.name)) {
      problems.push(`apiDomain.name ${JSON.stringify(config.apiDomain.name)} is not a host name`);
    }
    if (!config.apiDomain.certificateArn.startsWith(`arn:aws:acm:${config.region}:`)) {
      problems.push(`apiDomain.certificateArn must be an ACM certificate in the stage's region (${config.region})`);
    }
    if (config.domain && config.domain.name.toLowerCase() === config.apiDomain.name.toLowerCase()) {
      problems.push('apiDomain.name must differ from domain.name (the dashboard is served there by CloudFront)');
    }
  }
  for (const host of config.evalAllowedHosts) {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(host)) {
      problems.push(`evalAllowedHosts entry ${JSON.stringify(host)} must be a host name, optionally with :port`);
    }
  }
  for (const arn of config.bedrockModelArns) {
    if (
      !/^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:(\d{12})?:(foundation-model|inference-profile|application-inference-profile)\/\S+$/.test(
        arn,
      )
    ) {
      problems.push(`bedrockModelArns entry ${JSON.stringify(arn)} must be a Bedrock model or inference-profile ARN`);
    }
  }
  for (const host of config.webhookAllowedHosts) {
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i.test(host)) {
      problems.push(`webhookAllowedHosts entry ${JSON.stringify(host)} must be a host name, optionally with :port`);
    }
  }
  for (const email of config.notificationEmails) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) problems.push(`notificationEmails entry ${email} is not an address`);
  }
  for (const key of ['monitoringSchedule', 'auditDigestSchedule', 'auditReconcileSchedule'] as const) {
    if (!/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/.test(config[key])) {
      problems.push(`${key} must be an EventBridge Scheduler rate(...) or cron(...) expression`);
    }
  }
  if (
    !Number.isInteger(config.approvalTimeoutDays) ||
    config.approvalTimeoutDays < 1 ||
    config.approvalTimeoutDays > 365
  ) {
    problems.push(
      'approvalTimeoutDays must be a whole number of days from 1 to 365 (Standard workflows run up to a year)',
    );
  }
  if (config.throttle.rateLimit <= 0 || config.throttle.burstLimit <= 0) problems.push('throttle limits must be > 0');
  if (config.stage === 'prod') problems.push(...prodProblems(config));
  if (problems.length > 0) throw new Error(`invalid ${config.stage} configuration:\n- ${problems.join('\n- ')}`);
}

/**
 * What prod cannot be synthesised without: a pinned account (never whatever credentials run `cdk deploy`), someone
 * who receives the alarms, a WAF web ACL in front of the dashboard and API, and an audit retention at the floor.
 */
function prodProblems(config: StageConfig): string[] {
  const problems: string[] = [];
  if (config.account === undefined) {
    problems.push(
      'prod needs an account (stages.prod.account or --context account=...): it never deploys to ambient credentials',
    );
  }
  if (config.alarmEmail === undefined) {
    problems.push('prod needs an alarm subscriber (stages.prod.alarmEmail): alarms nobody receives protect nothing');
  }
  if (config.webAclArn === undefined && config.webAcl === undefined) {
    problems.push(
      'prod needs a WAF web ACL: stages.prod.webAcl (the app creates one with rate limits per client) or stages.prod.webAclArn (scope CLOUDFRONT in us-east-1)',
    );
  }
  if (config.auditRetentionDays < PROD_AUDIT_RETENTION_FLOOR_DAYS) {
    problems.push(
      `prod auditRetentionDays must be at least ${PROD_AUDIT_RETENTION_FLOOR_DAYS} (ten years), not ${config.auditRetentionDays}`,
    );
  }
  return problems;
}

/**
 * The eval evidence bucket's physical name. Derived, not exported from the stateful stack: the stateless stack
 * names it with its own AWS::AccountId, so its grants on `runs/*` stay plain ARNs (both stacks share the account
 * and region) instead of a cross-stack reference that cdk-nag can only see after synthesis.
 */
export function evidenceBucketName(
  config: Pick<StageConfig, 'prefix' | 'region' | 'retainedNameSuffix'>,
  accountId: string,
): string {
  return `${config.prefix}-evidence-${accountId}-${config.region}${config.retainedNameSuffix}`;
}

/** The audit archive bucket's physical name, derived for the same reason as the evidence bucket's. */
export function auditBucketName(
  config: Pick<StageConfig, 'prefix' | 'region' | 'retainedNameSuffix'>,
  accountId: string,
): string {
  return `${config.prefix}-audit-${accountId}-${config.region}${config.retainedNameSuffix}`;
}

/** The audit export bucket's physical name (ADR 0044), derived for the same reason as the evidence bucket's. */
export function exportBucketName(
  config: Pick<StageConfig, 'prefix' | 'region' | 'retainedNameSuffix'>,
  accountId: string,
): string {
  return `${config.prefix}-exports-${accountId}-${config.region}${config.retainedNameSuffix}`;
}
