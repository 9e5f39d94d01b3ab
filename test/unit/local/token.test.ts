import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt, type JWK } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../functions/api/auth/verify-token.js';
import { PRINCIPAL_ROLES } from '../../../functions/domain/types.js';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../../local/dev-keys.js';
import { DEMO_IDENTITIES, demoIdentities, devKeysDir, runTokenCli } from '../../../local/token.js';

let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'token-cli-'));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function run(argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await runTokenCli(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
    cwd,
  });
  return { code, stdout, stderr: stderr.join('\n') };
}

async function verifierFor(dataDir: string) {
  const jwks = JSON.parse(await readFile(join(devKeysDir(dataDir), 'jwks.json'), 'utf8')) as { keys: JWK[] };
  return createTokenVerifier({ issuer: DEV_ISSUER, audience: DEV_AUDIENCE, jwks });
}

describe('the token CLI', () => {
  it('prints a token that the production verifier accepts for the requested identity', async () => {
    const { code, stdout } = await run([
      '--role',
      'model_owner',
      '--user',
      'sam',
      '--team',
      'support-ai',
      '--team',
      'docs-ai',
    ]);

    expect(code).toBe(0);
    const token = stdout.at(-1) ?? '';
    const principal = await (await verifierFor(join(cwd, '.data')))(`Bearer ${token}`);
    expect(principal).toEqual({
      userId: 'sam',
      name: 'sam',
      roles: ['model_owner'],
      teams: ['support-ai', 'docs-ai'],
      systems: [],
    });
  });

  it('uses the demo user of the role when no user is given', async () => {
    const { code, stdout } = await run(['--role', 'model_owner', '--data-dir', 'state']);

    expect(code).toBe(0);
    const principal = await (await verifierFor(join(cwd, 'state')))(`Bearer ${stdout.at(-1)}`);
    expect(principal).toMatchObject({
      userId: 'omar.owner',
      name: 'Omar Owner',
      teams: ['support-ai', 'claims-ai', 'risk-ai', 'docs-ai'],
    });
  });

  it("prints an ID-token-shaped token by default, with the owner's groups, teams, user name and email", async () => {
    const { code, stdout, stderr } = await run(['--role', 'model_owner', '--team', 'support-ai']);

    // Cognito's "Understanding the identity (ID) token" (docs.aws.amazon.com/cognito/latest/developerguide/
    // amazon-cognito-user-pools-using-the-id-token.html): the shape the hosted dashboard sends.
    expect(code).toBe(0);
    expect(decodeJwt(stdout.at(-1) ?? '')).toMatchObject({
      token_use: 'id',
      aud: DEV_AUDIENCE,
      sub: 'omar.owner',
      'cognito:username': 'omar.owner',
      'cognito:groups': ['model_owner'],
      'custom:teams': 'support-ai',
      'custom:github_login': 'omar-gh',
      name: 'Omar Owner',
      email: 'omar.owner@users.invalid',
    });
    expect(stderr).toContain('development ID token for omar.owner (Omar Owner); roles: model_owner; teams: support-ai');
    expect(stderr).toContain('GitHub login: omar-gh');
  });

  it('prints an access-token-shaped token with --access: groups and scope, no custom attributes', async () => {
    const { code, stdout, stderr } = await run(['--role', 'model_owner', '--access', '--system', 'sys_01']);

    // Cognito's "Understanding the access token" (docs.aws.amazon.com/cognito/latest/developerguide/
    // amazon-cognito-user-pools-using-the-access-token.html): client_id instead of aud, no user attributes.
    expect(code).toBe(0);
    const token = stdout.at(-1) ?? '';
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      token_use: 'access',
      client_id: DEV_AUDIENCE,
      username: 'omar.owner',
      'cognito:groups': ['model_owner'],
      scope: 'openid profile email',
    });
    for (const absent of ['aud', 'custom:teams', 'custom:systems', 'custom:github_login']) {
      expect(claims).not.toHaveProperty(absent);
    }
    expect(stderr).toContain('no teams, systems or GitHub login (an access token carries no custom attributes)');
    const principal = await (await verifierFor(join(cwd, '.data')))(`Bearer ${token}`);
    expect(principal).toEqual({
      userId: 'omar.owner',
      name: 'omar.owner',
      roles: ['model_owner'],
      teams: [],
      systems: [],
    });
  });

  it('takes the email of the ID token from --email', async () => {
    const { stdout } = await run(['--role', 'reviewer:risk', '--user', 'rita.risk', '--email', 'rita@example.com']);

    expect(decodeJwt(stdout.at(-1) ?? '')).toMatchObject({
      'cognito:groups': ['reviewer-risk'],
      email: 'rita@example.com',
    });
  });

  it('refuses an unknown role with exit code 2 and lists the valid roles', async () => {
    const { code, stdout, stderr } = await run(['--role', 'superuser', '--user', 'x']);

    expect(code).toBe(2);
    expect(stdout).toEqual([]);
    expect(stderr).toContain('unknown role "superuser"');
    for (const role of PRINCIPAL_ROLES) expect(stderr).toContain(role);
  });

  it('refuses a missing role and an unknown option with exit code 2', async () => {
    expect((await run(['--user', 'x'])).code).toBe(2);
    expect((await run(['--role', 'admin', '--colour', 'red'])).code).toBe(2);
    expect((await run(['--role', 'admin', '--expires-in', 'forever'])).code).toBe(2);
  });

  it('prints the token as the last line of stdout when run through tsx', async () => {
    const root = resolve(import.meta.dirname, '../../..');
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(root, 'local/token.ts'), '--role', 'auditor', '--data-dir', cwd],
      { cwd: root },
    );

    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stderr).toContain('aud.auditor');
    const principal = await (await verifierFor(cwd))(`Bearer ${lines.at(-1)}`);
    expect(principal.roles).toEqual(['auditor']);
  });
});

describe('the demo identities', () => {
  it('give every role a user, two technical and two governance reviewers and a pipeline scoped to the given systems', () => {
    const identities = demoIdentities(['sys-a', 'sys-b']);

    // An application is scoped to one system and minted for it (`--role application --system ...`): no demo user.
    for (const role of PRINCIPAL_ROLES.filter((r) => r !== 'application'))
      expect(identities.some((identity) => identity.roles.includes(role))).toBe(true);
    expect(identities.filter((identity) => identity.roles.includes('reviewer:technical'))).toHaveLength(2);
    expect(identities.filter((identity) => identity.roles.includes('reviewer:governance'))).toHaveLength(2);
    expect(identities.find((identity) => identity.roles.includes('pipeline'))?.systems).toEqual(['sys-a', 'sys-b']);
    expect(new Set(identities.map((identity) => identity.userId)).size).toBe(identities.length);
    expect(DEMO_IDENTITIES.find((identity) => identity.userId === 'ci.pipeline')?.systems).toEqual([]);
  });

  it('link every person to a GitHub login that differs from their user id, and to no one else', () => {
    const people = DEMO_IDENTITIES.filter((identity) => !identity.roles.includes('pipeline'));

    for (const person of people) {
      expect(person.githubLogin, person.userId).toMatch(/^[a-z]+-gh$/);
      expect(person.githubLogin).not.toBe(person.userId);
    }
    expect(new Set(people.map((person) => person.githubLogin)).size).toBe(people.length);
    expect(DEMO_IDENTITIES.find((identity) => identity.userId === 'ci.pipeline')).not.toHaveProperty('githubLogin');
  });
});

describe('an application token from the token script (ADR 0042)', () => {
  it('is minted for exactly one system as app.service, and refused with two systems or another role', async () => {
    // Prepare
    const cwd = await mkdtemp(join(tmpdir(), 'token-app-'));
    const run = async (argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runTokenCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), cwd });
      return { code, out, err: err.join('\n') };
    };

    // Act
    const minted = await run(['--role', 'application', '--system', 'sys_1']);
    const twoSystems = await run(['--role', 'application', '--system', 'sys_1', '--system', 'sys_2']);
    const withAdmin = await run(['--role', 'application', '--role', 'admin', '--system', 'sys_1']);

    // Assess
    expect(minted.code).toBe(0);
    const principal = await (await verifierFor(join(cwd, '.data')))(`Bearer ${minted.out.at(-1)}`);
    expect(principal).toMatchObject({ userId: 'app.service', roles: ['application'], systems: ['sys_1'] });
    expect(twoSystems.code).toBe(2);
    expect(withAdmin.code).toBe(2);
    expect(twoSystems.err).toContain('exactly one --system');
    await rm(cwd, { recursive: true, force: true });
  });
});
