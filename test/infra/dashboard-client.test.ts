// The dashboard's app client may read the attributes that scope people, so that Cognito writes them into the ID token
// the dashboard sends (ADR 0015). Cognito's "Understanding the identity (ID) token"
// (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html): the ID token
// holds the attributes the app client has read access to; without read access to custom:teams an owner's ID token
// would lose its teams as the access token does.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDashboardClient, Identity } from '../../lib/constructs/identity.js';

let synthesised: Template | undefined;

/** The user pool and the dashboard's client, synthesised once for the file (nothing here changes it). */
function identityTemplate(): Template {
  if (synthesised) return synthesised;
  const stack = new Stack(new App(), 'Identity');
  const identity = new Identity(stack, 'People', { prefix: 'governance-test', domainPrefix: 'governance-test' });
  addDashboardClient(stack, 'DashboardClient', {
    userPool: identity.userPool,
    prefix: 'governance-test',
    callbackUrls: ['http://localhost:5173/'],
  });
  synthesised = Template.fromStack(stack);
  return synthesised;
}

function dashboardClient(): Record<string, unknown> {
  const clients = Object.values(identityTemplate().findResources('AWS::Cognito::UserPoolClient'));
  expect(clients).toHaveLength(1);
  return (clients[0] as { Properties: Record<string, unknown> }).Properties;
}

describe("the dashboard's Cognito app client", () => {
  // Synthesised in the hook (its timeout), not in the first case: on a loaded machine the first synth of the file
  // outlasted a case's 30 s.
  beforeAll(() => {
    identityTemplate();
  });

  it('reads custom:teams, custom:systems, custom:github_login, name and email, so the ID token carries them', () => {
    const client = dashboardClient();

    expect(client.ReadAttributes).toEqual(
      expect.arrayContaining([
        'custom:teams',
        'custom:systems',
        'custom:github_login',
        'email',
        'email_verified',
        'name',
      ]),
    );
    expect(client.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
  });

  it('cannot write custom:teams or custom:systems: people do not grant themselves a scope', () => {
    const client = dashboardClient();

    expect(client.WriteAttributes).not.toContain('custom:teams');
    expect(client.WriteAttributes).not.toContain('custom:systems');
  });

  it('cannot write custom:github_login: only an admin links a person to the CI identity their authorship is judged by', () => {
    const client = dashboardClient();

    expect(client.WriteAttributes).not.toContain('custom:github_login');
  });
});

describe("the user pool's GitHub login attribute", () => {
  it("is a mutable string of at most 39 characters, GitHub's longest login", () => {
    const pools = Object.values(identityTemplate().findResources('AWS::Cognito::UserPool'));
    const schema = (pools[0] as { Properties: { Schema: Record<string, unknown>[] } }).Properties.Schema;

    expect(schema.find((attribute) => attribute.Name === 'github_login')).toEqual({
      Name: 'github_login',
      AttributeDataType: 'String',
      Mutable: true,
      StringAttributeConstraints: { MinLength: '0', MaxLength: '39' },
    });
  });
});
