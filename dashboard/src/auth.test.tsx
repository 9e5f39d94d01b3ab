// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { can, principalFromToken, reviewerRoles } from './auth';
import { diffLines } from './diff';
import { fakeToken } from './test/harness';

describe('principalFromToken', () => {
  it('reads roles, teams and systems as the server does, including Cognito groups', () => {
    const p = principalFromToken(
      fakeToken({
        sub: 'u1',
        'cognito:username': 'rita',
        'cognito:groups': ['reviewer-risk', 'nonsense'],
        'custom:teams': 'a,b',
      }),
    );
    expect(p).toMatchObject({ userId: 'u1', name: 'rita', roles: ['reviewer:risk'], teams: ['a', 'b'], systems: [] });
  });

  it("names the person of an ID token without a name by their email, not by Cognito's opaque user name", () => {
    const p = principalFromToken(
      fakeToken({ sub: 'u1', token_use: 'id', 'cognito:username': '7d1f0c2e-opaque', email: 'rita@example.com' }),
    );
    expect(p?.name).toBe('rita@example.com');
  });

  it('refuses a token that is not a JWT or has no subject', () => {
    expect(principalFromToken('garbage')).toBeNull();
    expect(principalFromToken(fakeToken({ name: 'no sub' }))).toBeNull();
  });
});

describe('what the dashboard offers', () => {
  const owner = { userId: 'o', name: 'O', roles: ['model_owner' as const], teams: ['support-ai'], systems: [] };
  const pipeline = { userId: 'ci', name: 'CI', roles: ['pipeline' as const], teams: [], systems: ['sys_1'] };
  const reviewer = { userId: 'r', name: 'R', roles: ['reviewer:product' as const], teams: [], systems: [] };
  it('lets owners and pipelines operate only their systems, and reviewers decide only their role', () => {
    expect(can.operate(owner, { id: 'sys_1', ownerTeam: 'support-ai' })).toBe(true);
    expect(can.operate(owner, { id: 'sys_1', ownerTeam: 'claims-ai' })).toBe(false);
    expect(can.operate(pipeline, { id: 'sys_1', ownerTeam: 'x' })).toBe(true);
    expect(can.operate(pipeline, { id: 'sys_2', ownerTeam: 'x' })).toBe(false);
    expect(can.operate(reviewer, { id: 'sys_1', ownerTeam: 'x' })).toBe(false);
    expect(can.decide(reviewer, 'product')).toBe(true);
    expect(can.decide(reviewer, 'risk')).toBe(false);
    expect(reviewerRoles(reviewer)).toEqual(['product']);
  });
});

describe('diffLines', () => {
  it('marks removed and added lines around the common ones', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'added', text: 'x' },
      { kind: 'same', text: 'c' },
    ]);
  });
});
