// People sign in through a Cognito user pool: administrators create the accounts (no self sign-up), MFA is
// required, and Cognito groups are the roles verify-token.ts maps (`reviewer-technical` -> `reviewer:technical`).
// The dashboard's app client lives with the distribution (stateless stack), since its callback URL is the
// distribution's; the pool, its groups and its hosted sign-in domain are stateful.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  type IUserPool,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClient,
  type UserPoolDomain,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Cognito group per role; verify-token.ts maps `reviewer-<x>` to `reviewer:<x>`. */
export const ROLE_GROUPS = [
  { name: 'admin', description: 'Administers systems, users and policy' },
  { name: 'model_owner', description: 'Owns AI systems of the teams in custom:teams' },
  { name: 'reviewer-technical', description: 'Technical review of versions and candidates' },
  { name: 'reviewer-product', description: 'Product review of candidates' },
  { name: 'reviewer-risk', description: 'Risk review of high and critical candidates' },
  { name: 'reviewer-governance', description: 'Governance review of critical candidates' },
  { name: 'auditor', description: 'Reads every audit chain and the archive' },
  { name: 'pipeline', description: 'Service users acting for the systems in custom:systems' },
  {
    name: 'application',
    description: 'Production applications posting samples for the one system in custom:systems',
  },
] as const;

export interface IdentityProps {
  prefix: string;
  domainPrefix: string;
}

export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly domain: UserPoolDomain;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-people`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      customAttributes: {
        // Set by administrators only: the app client below cannot write them (no self-granted scope).
        teams: new StringAttribute({ minLen: 0, maxLen: 2048, mutable: true }),
        systems: new StringAttribute({ minLen: 0, maxLen: 2048, mutable: true }),
        // The person's GitHub login (at most 39 characters): a pipeline write whose CI token names it as `actor`
        // or `triggering_actor` makes the person an author, who may not approve what it built (ADR 0022).
        github_login: new StringAttribute({ minLen: 0, maxLen: 39, mutable: true }),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your governance control plane account',
        emailBody:
          'An administrator created your account. Sign in as {username} with the temporary password {####} and set up an authenticator app.',
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    ROLE_GROUPS.forEach((group, precedence) => {
      new UserPoolGroup(this, `Group-${group.name}`, {
        userPool: this.userPool,
        groupName: group.name,
        description: group.description,
        precedence,
      });
    });

    this.domain = this.userPool.addDomain('HostedSignIn', { cognitoDomain: { domainPrefix: props.domainPrefix } });
  }
}

export interface DashboardClientProps {
  userPool: IUserPool;
  prefix: string;
  callbackUrls: string[];
}

/**
 * The dashboard's public app client: authorization code with PKCE through the hosted sign-in (no client secret in a
 * browser), short-lived tokens, and read-only access to the attributes that carry authorisation.
 */
export function addDashboardClient(scope: Construct, id: string, props: DashboardClientProps): UserPoolClient {
  return new UserPoolClient(scope, id, {
    userPool: props.userPool,
    userPoolClientName: `${props.prefix}-dashboard`,
    generateSecret: false,
    authFlows: { userSrp: true },
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
      scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
      callbackUrls: props.callbackUrls,
      logoutUrls: props.callbackUrls,
    },
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: Duration.minutes(60),
    idTokenValidity: Duration.minutes(60),
    refreshTokenValidity: Duration.hours(12),
    readAttributes: new ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true, fullname: true })
      .withCustomAttributes('teams', 'systems', 'github_login'),
    // Users may not grant themselves teams or systems through UpdateUserAttributes, nor change the GitHub login that
    // separation of duties judges them by; the required email stays writable, as Cognito requires of required
    // attributes, and authorises nothing.
    writeAttributes: new ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
  });
}
