// docs/ci/govern-pipeline.sh, run by bash with the bundled `govern` on PATH against the local stack and the seeded
// support-triage system: the first run registers, evaluates, is blocked and opens the approval round (exit 3); once
// reviewers approved, the same run again (same idempotency scope) replays every write and promotes (exit 0).
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../../cli/build.js';
import type { LocalStack } from '../../local/stack.js';
import { apiClient } from '../support/http.js';
import { startSeededStack } from '../support/seeded-stack.js';

type Json = Record<string, unknown> & { id: string; status: string };

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(REPO_ROOT, 'docs/ci/govern-pipeline.sh');
let stack: LocalStack;
let dataDir: string;
let binDir: string;
let systemId: string;
const as = (user: string) => apiClient(stack.url, stack.tokens[user]?.token);

function runScript(extra: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'bash',
      [SCRIPT],
      {
        cwd: REPO_ROOT,
        timeout: 120_000,
        env: {
          PATH: `${binDir}:${process.env.PATH ?? ''}`,
          GOVERN_API_URL: stack.url,
          GOVERN_TOKEN: stack.tokens['ci.pipeline']?.token ?? '',
          GOVERN_SYSTEM_ID: systemId,
          GOVERNANCE_DIR: 'docs/ci/examples',
          GOVERN_IDEMPOTENCY_SCOPE: 'example/triage:run-1',
          GOVERN_BACKOFF_MS: '20',
          ...extra,
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gov-ci-'));
  binDir = join(dataDir, 'bin');
  const built = buildCli(join(dataDir, 'govern.mjs'));
  stack = (
    await startSeededStack({
      dataDir,
      tableName: `e2e-ci-${Date.now()}`,
    })
  ).stack;
  const { file } = await built;
  await import('node:fs/promises').then((fs) => fs.mkdir(binDir));
  await writeFile(join(binDir, 'govern'), `#!/bin/sh\nexec "${process.execPath}" "${file}" "$@"\n`);
  await chmod(join(binDir, 'govern'), 0o755);
  const systems = await as('ada.admin').get<{ items: (Json & { name: string })[] }>('/api/systems?limit=100');
  const triage = systems.body.items.find((s) => s.name === 'Consumer Support Triage Assistant');
  expect(triage).toBeDefined();
  systemId = triage?.id ?? '';
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const versionsOf = async (kind: 'prompts' | 'model-configs') =>
  (await as('ada.admin').get<{ items: Json[] }>(`/api/${kind}?systemId=${systemId}&limit=100`)).body.items.map(
    (v) => v.id,
  );

describe('the CI example script on the seeded support-triage system', () => {
  let candidateId: string;
  let activeBefore: string | null;
  let counts: { prompts: number; configs: number };

  it('registers, evaluates and stops at the gate with the approval round open (exit 3)', async () => {
    const system = await as('ada.admin').get<{ activeReleases: Record<string, string | null> }>(
      `/api/systems/${systemId}`,
    );
    activeBefore = system.body.activeReleases.production ?? null;
    const promptsBefore = await versionsOf('prompts');

    const run = await runScript();
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/eval run run_\w+: passed \d+\/\d+ cases/);
    expect(run.stderr).toMatch(/^APPROVALS_INCOMPLETE: /m);
    expect(run.stderr).toMatch(/waits for the reviewers/);

    const prompts = await versionsOf('prompts');
    expect(prompts.length).toBe(promptsBefore.length + 1);
    counts = { prompts: prompts.length, configs: (await versionsOf('model-configs')).length };
    const candidates = await as('ada.admin').get<{ items: (Json & { name: string })[] }>(
      `/api/release-candidates?systemId=${systemId}&limit=5`,
    );
    const built = candidates.body.items.find((c) => c.name.startsWith('pipeline '));
    expect(built?.status).toBe('awaiting_approval');
    candidateId = built?.id ?? '';
  }, 150_000);

  it('promotes on the same run after the reviewers approved, duplicating nothing (exit 0)', async () => {
    const candidate = await as('ada.admin').get<
      Json & { promptVersionId: string; modelConfigId: string; approvalIds: string[] }
    >(`/api/release-candidates/${candidateId}`);
    for (const [kind, id] of [
      ['prompts', candidate.body.promptVersionId],
      ['model-configs', candidate.body.modelConfigId],
    ] as const) {
      expect((await as('tessa.technical').post(`/api/${kind}/${id}/approve`, { comment: 'ok' })).status).toBe(200);
    }
    const reviewer: Record<string, string> = {
      technical: 'tom.technical',
      product: 'priya.product',
      risk: 'rahul.risk',
      governance: 'greta.governance',
    };
    for (const approvalId of candidate.body.approvalIds) {
      const approval = await as('ada.admin').get<Json & { role: string }>(`/api/approvals/${approvalId}`);
      const decided = await as(reviewer[approval.body.role] ?? '').post(`/api/approvals/${approvalId}/approve`, {
        comment: 'approved for release',
      });
      expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    }

    const run = await runScript();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`promoted ${candidateId} to production`);
    expect(run.stderr).toMatch(/replayed: eval run run_/);
    expect(run.stdout).toContain(`${candidateId} may be promoted to production`);
    const system = await as('ada.admin').get<{ activeReleases: Record<string, string | null> }>(
      `/api/systems/${systemId}`,
    );
    expect(system.body.activeReleases.production).toBe(candidateId);
    expect(candidateId).not.toBe(activeBefore);
    expect((await versionsOf('prompts')).length).toBe(counts.prompts);
    expect((await versionsOf('model-configs')).length).toBe(counts.configs);
  }, 150_000);
});
