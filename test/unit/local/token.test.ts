import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
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
  it('give every role a user, two technical reviewers and a pipeline scoped to the given systems', () => {
    const identities = demoIdentities(['sys-a', 'sys-b']);

    for (const role of PRINCIPAL_ROLES) expect(identities.some((identity) => identity.roles.includes(role))).toBe(true);
    expect(identities.filter((identity) => identity.roles.includes('reviewer:technical'))).toHaveLength(2);
    expect(identities.find((identity) => identity.roles.includes('pipeline'))?.systems).toEqual(['sys-a', 'sys-b']);
    expect(new Set(identities.map((identity) => identity.userId)).size).toBe(identities.length);
    expect(DEMO_IDENTITIES.find((identity) => identity.userId === 'ci.pipeline')?.systems).toEqual([]);
  });
});
