// The CI example and the repository's workflows stay consistent with the scripts and files that exist (text checks:
// no YAML parser is a dependency), the example's steps fail where they fail (each run script is run by bash against
// a stand-in `govern`), and the example files of a team's repository match the API contracts.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createModelConfigRequest, createPromptRequest, threshold } from '../../../functions/contracts/index.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
const WORKFLOWS = readdirSync(join(ROOT, '.github/workflows')).map((file) => `.github/workflows/${file}`);
const SYSTEM = 'sys_01ARZ3NDEKTSV4RRFFQ69G5FAV';

describe('workflows', () => {
  it('are the three the project runs', () => {
    expect(WORKFLOWS.sort()).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/eval-regression.yml',
      '.github/workflows/security.yml',
    ]);
  });

  it.each([...WORKFLOWS, 'docs/ci/github-actions.yml'])('%s runs only npm scripts that exist', (file) => {
    const used = [...read(file).matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1] as string);
    for (const name of used) expect(Object.keys(scripts), `${file}: npm run ${name}`).toContain(name);
  });

  it.each([...WORKFLOWS, 'docs/ci/github-actions.yml'])('%s indents with spaces and names no stored secret', (file) => {
    const text = read(file);
    expect(text).not.toMatch(/\t/);
    expect(text).not.toMatch(/secrets\./);
    expect(text).toMatch(/^permissions:\n {2}contents: read$/m);
  });

  it('ci runs what .ci/run runs', () => {
    const ci = read('.github/workflows/ci.yml');
    const local = read('.ci/run');
    for (const step of [
      'npm ci',
      'npm run lint',
      'npm run typecheck',
      'npm test',
      'npm run synth',
      'npm run test:browser',
    ]) {
      expect(local).toContain(step);
      expect(ci).toContain(step);
    }
  });

  it('eval-regression gates a candidate of the seeded support-triage system with the CLI', () => {
    const text = read('.github/workflows/eval-regression.yml');
    expect(text).toContain('local/start.ts');
    expect(text).toContain('Consumer Support Triage Assistant');
    expect(text).toMatch(/govern evals run .* --wait/);
    expect(text).toMatch(/govern --json gate/);
    expect(existsSync(join(ROOT, 'local/start.ts'))).toBe(true);
  });

  it('security audits production dependencies and runs cdk-nag through synth', () => {
    const text = read('.github/workflows/security.yml');
    expect(text).toContain('npm audit --omit=dev');
    expect(text).toContain('npm run synth');
    expect(read('lib/nag.ts')).toContain('AwsSolutionsChecks');
  });
});

describe('the GitHub Actions example', () => {
  const text = read('docs/ci/github-actions.yml');

  it('authenticates with the OIDC token of the run', () => {
    expect(text).toMatch(/^ {2}id-token: write/m);
    expect(text).toMatch(/GOVERN_OIDC: github/);
    expect(text).not.toMatch(/GOVERN_TOKEN/);
  });

  it('registers, evaluates, gates and promotes', () => {
    for (const command of [
      'govern --quiet prompt create',
      'govern --quiet model-config create',
      'govern --quiet candidate create',
      'govern evals run',
      'govern gate',
      'govern promote',
    ]) {
      expect(text).toContain(command);
    }
  });
});

/** One step of a workflow as far as these tests read it: its name, id, `env` and `run` script. */
interface Step {
  name: string;
  id?: string;
  env: Record<string, string>;
  run?: string;
}

/**
 * The steps of a workflow, read from its text: a step is a `- key:` item, its keys one indent deeper; `run: |` takes
 * the lines indented below it (dedented), `env:` its `NAME: value` lines. Enough for the example's plain YAML.
 */
function stepsOf(text: string): Step[] {
  const lines = text.split('\n');
  const steps: Step[] = [];
  let step: Step | undefined;
  let keyIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const item = /^(\s*)- (\w[\w-]*):\s?(.*)$/.exec(line);
    const indent = line.length - line.trimStart().length;
    if (item && (step === undefined || indent <= keyIndent)) {
      step = { name: '', env: {} };
      steps.push(step);
      keyIndent = (item[1] as string).length + 2;
    } else if (!step || line.trim() === '' || indent !== keyIndent) {
      if (step && line.trim() !== '' && indent < keyIndent) step = undefined;
      continue;
    }
    const key = /^\s*(?:- )?(\w[\w-]*):\s?(.*)$/.exec(line);
    if (!key) continue;
    const [, name, value = ''] = key;
    const block: string[] = [];
    while (i + 1 < lines.length) {
      const next = lines[i + 1] as string;
      if (next.trim() !== '' && next.length - next.trimStart().length <= keyIndent) break;
      block.push(next);
      i++;
    }
    if (name === 'name') step.name = value.replace(/^"|"$/g, '');
    if (name === 'id') step.id = value;
    if (name === 'run') {
      const body = value === '|' ? block : [value];
      const margin = Math.min(...body.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
      step.run = body
        .map((l) => l.slice(margin))
        .join('\n')
        .trim();
    }
    if (name === 'env')
      for (const entry of block) {
        const pair = /^\s*(\w+):\s*(.*)$/.exec(entry);
        if (pair) step.env[pair[1] as string] = (pair[2] as string).replace(/\s+#.*$/, '');
      }
  }
  return steps;
}

const ID = (prefix: string) => `${prefix}_01ARZ3NDEKTSV4RRFFQ69G5FAV`;

describe('the steps of the GitHub Actions example', () => {
  const text = read('docs/ci/github-actions.yml');
  const steps = stepsOf(text);
  const scripts = steps.filter((s): s is Step & { run: string } => s.run !== undefined);
  const dir = mkdtempSync(join(tmpdir(), 'govern-workflow-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A stand-in `govern`: GOVERN_STUB=ok prints an id of the kind asked for; `silent` prints nothing, exit 0; a
  // number exits with it, printing nothing. Every call is logged.
  const bin = join(dir, 'bin');
  spawnSync('mkdir', ['-p', bin]);
  writeFileSync(
    join(bin, 'govern'),
    [
      '#!/usr/bin/env bash',
      'echo "govern $*" >> "$GOVERN_STUB_LOG"',
      'case "$GOVERN_STUB" in ok) ;; silent) exit 0 ;; *) exit "$GOVERN_STUB" ;; esac',
      `case "$*" in *"prompt create"*) echo ${ID('pv')} ;; *"model-config create"*) echo ${ID('mc')} ;;`,
      `  *"datasets list"*) echo ${ID('ds')} ;; *"candidate create"*) echo ${ID('rc')} ;; esac`,
    ].join('\n'),
  );
  chmodSync(join(bin, 'govern'), 0o755);

  /** Runs a step's script as the runner does with `shell: bash`, with `env` over a minimal environment. */
  function runStep(step: Step & { run: string }, stub: string, env: Record<string, string>) {
    const file = join(dir, 'step.sh');
    const output = join(dir, 'output');
    const log = join(dir, 'calls');
    writeFileSync(file, step.run);
    writeFileSync(output, '');
    writeFileSync(log, '');
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      env: {
        PATH: `${bin}:${process.env.PATH}`,
        GITHUB_OUTPUT: output,
        GITHUB_REPOSITORY: 'team/support-triage',
        GITHUB_SHA: 'a'.repeat(40),
        GITHUB_RUN_ID: '42',
        GOVERN_SYSTEM_ID: ID('sys'),
        GOVERN_STUB: stub,
        GOVERN_STUB_LOG: log,
        ...env,
      },
      encoding: 'utf8',
    });
    return { status: result.status, output: readFileSync(output, 'utf8'), calls: readFileSync(log, 'utf8') };
  }

  /** The env of a step with every output of another step filled in with a well-formed id, or with `''`. */
  const envOf = (step: Step, filled: boolean) =>
    Object.fromEntries(
      Object.entries(step.env).map(([name, value]) => {
        const output = /\$\{\{\s*(steps|needs)\./.test(value);
        const prefix = /PROMPT/.test(name) ? 'pv' : /MODEL_CONFIG/.test(name) ? 'mc' : 'rc';
        return [name, output ? (filled ? ID(prefix) : '') : value];
      }),
    );

  it('run every script under bash with set -euo pipefail, and pass ids through env, not into the script text', () => {
    // Act
    const lax = scripts.filter((s) => !s.run.startsWith('set -euo pipefail')).map((s) => s.name);
    const pasted = scripts.filter((s) => /\$\{\{\s*(steps|needs)\./.test(s.run)).map((s) => s.name);

    // Assess
    expect(text).toMatch(/^defaults:\n {2}run:\n {4}shell: bash\b/m);
    expect(scripts.length).toBeGreaterThanOrEqual(10);
    expect(lax).toEqual([]);
    expect(pasted).toEqual([]);
  });

  it('fail the step whose govern fails, with its exit code, before an id reaches the output', () => {
    // Prepare
    const writers = scripts.filter((s) => s.run.includes('$GITHUB_OUTPUT') && s.run.includes('govern'));

    // Act
    const outcomes = writers.map((step) => ({
      name: step.name,
      ok: runStep(step, 'ok', envOf(step, true)),
      refused: runStep(step, '7', envOf(step, true)),
      silent: runStep(step, 'silent', envOf(step, true)),
    }));

    // Assess
    expect(writers.map((s) => s.id)).toEqual(['prompt', 'config', 'candidate']);
    for (const { name, ok, refused, silent } of outcomes) {
      expect(ok.status, name).toBe(0);
      expect(ok.output, name).toMatch(/^id=(pv|mc|rc)_[0-9A-HJKMNP-TV-Z]{26}$/m);
      expect(refused.status, name).toBe(7);
      expect(refused.output, name).toBe('');
      expect(silent.status, name).not.toBe(0);
      expect(silent.output, name).toBe('');
    }
  });

  it('refuse to call govern with an empty id when the step that should have produced it did not', () => {
    // Prepare
    const consumers = scripts.filter((s) => Object.values(s.env).some((v) => /\$\{\{\s*(steps|needs)\./.test(v)));

    // Act
    const outcomes = consumers.map((step) => ({ name: step.name, run: runStep(step, 'ok', envOf(step, false)) }));

    // Assess
    expect(consumers.length).toBeGreaterThanOrEqual(6);
    for (const { name, run } of outcomes) {
      expect(run.status, name).not.toBe(0);
      expect(run.calls, name).toBe('');
    }
  });
});

describe('the example files of a team repository', () => {
  it('match the contracts of the API', () => {
    const prompt = JSON.parse(read('docs/ci/examples/prompt.json')) as object;
    const config = JSON.parse(read('docs/ci/examples/model-config.json')) as object;
    const profile = JSON.parse(read('docs/ci/examples/thresholds.json')) as { thresholds: unknown[] };
    expect(createPromptRequest.safeParse({ ...prompt, systemId: SYSTEM }).success).toBe(true);
    expect(createModelConfigRequest.safeParse({ ...config, systemId: SYSTEM }).success).toBe(true);
    expect(profile.thresholds.length).toBeGreaterThan(0);
    for (const t of profile.thresholds) expect(threshold.safeParse(t).success).toBe(true);
  });
});
