// The dashboard's app client may read the attributes that scope people, so that Cognito writes them into the ID token
// the dashboard sends (ADR 0015). Cognito's "Understanding the identity (ID) token"
// (docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html): the ID token
// holds the attributes the app client has read access to; without read access to custom:teams an owner's ID token
// would lose its teams as the access token does.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { addDashboardClient, Identity } from '../../lib/constructs/identity.js';

function dashboardClient(): Record<string, unknown> {
  const stack = new Stack(new App(), 'Identity');
  const identity = new Identity(stack, 'People', { prefix: 'governance-test', domainPrefix: 'governance-test' });
  addDashboardClient(stack, 'DashboardClient', {
    userPool: identity.userPool,
    prefix: 'governance-test',
    callbackUrls: ['http://localhost:5173/'],
  });
  const clients = Object.values(Template.fromStack(stack).findResources('AWS::Cognito::UserPoolClient'));
  expect(clients).toHaveLength(1);
  return (clients[0] as { Properties: Record<string, unknown> }).Properties;
}

describe("the dashboard's Cognito app client", () => {
  it('reads custom:teams, custom:systems, name and email, so the ID token carries them', () => {
    const client = dashboardClient();

    expect(client.ReadAttributes).toEqual(
      expect.arrayContaining(['custom:teams', 'custom:systems', 'email', 'email_verified', 'name']),
    );
    expect(client.AllowedOAuthScopes).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
  });

  it('cannot write custom:teams or custom:systems: people do not grant themselves a scope', () => {
    const client = dashboardClient();

    expect(client.WriteAttributes).not.toContain('custom:teams');
    expect(client.WriteAttributes).not.toContain('custom:systems');
  });
});
