// `govern` in-process without an API: help, version, usage errors and local contract validation, which all end
// before any request is sent.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCaptured } from '../../../cli/in-process.js';
import { EXIT, VERSION } from '../../../cli/program.js';

let dir: string;
// Nothing listens here: a command that got as far as sending would fail with the network code, not the one asserted.
const env = { GOVERN_API_URL: 'http://127.0.0.1:9', GOVERN_TOKEN: 't', GOVERN_RETRIES: '0' };
const govern = (...argv: string[]) => runCaptured(argv, env, dir);
const SYSTEM = 'sys_01ARZ3NDEKTSV4RRFFQ69G5FAV';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'govern-unit-'));
  await writeFile(join(dir, 'not-json.json'), '{ name: ');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ name: 'primary', provider: 'openai' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('govern without an API', () => {
  it('prints help with the exit codes, and its version, with exit 0', async () => {
    const help = await govern('--help');
    expect(help.code).toBe(EXIT.ok);
    expect(help.stdout).toMatch(/Usage: govern/);
    expect(help.stdout).toMatch(/3 blocked/);
    expect(await govern('--version')).toMatchObject({ code: EXIT.ok, stdout: VERSION });
  });

  it('exits 2 on an unknown command, a missing argument or a missing required option', async () => {
    expect((await govern('deploy')).code).toBe(EXIT.usage);
    expect((await govern('gate')).code).toBe(EXIT.usage);
    const missing = await govern('prompt', 'create', '--file', 'x.json');
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toMatch(/--system/);
  });

  it('exits 2 naming the file when it cannot be read or is not JSON', async () => {
    const absent = await govern('prompt', 'create', '--system', SYSTEM, '--file', 'absent.json');
    expect(absent.code).toBe(EXIT.usage);
    expect(absent.stderr).toMatch(/cannot read absent.json: ENOENT/);
    const broken = await govern('prompt', 'create', '--system', SYSTEM, '--file', 'not-json.json');
    expect(broken.code).toBe(EXIT.usage);
    expect(broken.stderr).toMatch(/not-json.json is not valid JSON/);
  });

  it('exits 2 listing every field the contract refuses, before sending', async () => {
    const run = await govern('model-config', 'create', '--system', SYSTEM, '--file', 'config.json');
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toMatch(/config.json does not match the API contract/);
    for (const field of ['model', 'parameters', 'timeoutMs', 'lineage'])
      expect(run.stderr).toMatch(new RegExp(`^ {2}${field}: `, 'm'));
  });

  it('exits 2 on an id of the wrong kind and on a bad promote precondition', async () => {
    expect((await govern('gate', SYSTEM)).stderr).toMatch(/must be a rc_ id/);
    const promote = await govern('promote', 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAV', '--expected-active', 'yesterday');
    expect(promote.code).toBe(EXIT.usage);
    expect(promote.stderr).toMatch(/expectedActiveCandidateId/);
  });

  it('exits 4 without credentials and 2 for an API URL that is not one', async () => {
    const none = await runCaptured(
      ['gate', 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAV'],
      { GOVERN_API_URL: env.GOVERN_API_URL },
      dir,
    );
    expect(none.code).toBe(EXIT.auth);
    const bad = await runCaptured(['--api', 'not a url', 'gate', 'rc_01ARZ3NDEKTSV4RRFFQ69G5FAV'], env, dir);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toMatch(/is not a URL/);
  });
});
