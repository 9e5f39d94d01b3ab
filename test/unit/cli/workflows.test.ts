// The CI example and the repository's workflows stay consistent with the scripts and files that exist (text checks:
// no YAML parser is a dependency), and the example files of a team's repository match the API contracts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
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
