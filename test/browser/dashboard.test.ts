// The reviewers' journey in real Chromium against the seeded local stack, and every page checked with axe-core
// (0 serious or critical findings), for layout shift (CLS < 0.1) and captured at 1280 and 768 px.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocalHandle, startDynamoDbLocal } from '../../local/dynamodb.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

interface Candidate {
  id: string;
  name: string;
  systemId: string;
  status: string;
  promptVersionId: string;
  modelConfigId: string;
  latestEvalRunId: string | null;
}

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

describe('the dashboard in Chromium', () => {
  let stack: LocalStack;
  let dynamo: DynamoDbLocalHandle;
  let browser: Browser;
  let dataDir: string;
  let candidates: Candidate[];
  const byName = (name: string) => {
    const found = candidates.find((c) => c.name.startsWith(`${name}:`));
    if (!found) throw new Error(`no seeded candidate ${name}`);
    return found;
  };
  const token = (user: string) => {
    const t = stack.tokens[user]?.token;
    if (!t) throw new Error(`no token for ${user}`);
    return t;
  };
  const open = async (user: string | null, path: string, width = 1280): Promise<Page> => {
    const context = await contextFor(browser, user === null ? null : token(user), width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-browser-'));
    // DynamoDB Local with time to start on a machine shared with other suites (the stack's own 30 s may not do).
    dynamo = await startDynamoDbLocal({ startTimeoutMs: 180_000 });
    stack = await startLocalStack({
      port: 0,
      dataDir,
      inMemory: true,
      seed: true,
      dynamoEndpoint: dynamo.endpoint,
      tableName: `dashboard-${Date.now()}`,
    });
    browser = await launchChromium();
    const response = await fetch(`${stack.url}/api/release-candidates?limit=100`, {
      headers: { authorization: `Bearer ${token('ada.admin')}` },
    });
    candidates = ((await response.json()) as { items: Candidate[] }).items;
    await mkdir(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('signs in as a development identity', async () => {
    const page = await open(null, '/');
    await page.getByRole('button', { name: /Tessa Technical/ }).click();
    await page.getByRole('heading', { name: 'AI systems' }).waitFor();
    // The heading renders before the first page of systems arrives: wait for the row, then check it is there once.
    const triage = page.getByRole('link', { name: 'Consumer Support Triage Assistant' });
    await triage.first().waitFor();
    await expect(triage.count()).resolves.toBe(1);
    await page.context().close();
  });

  it('a reviewer opens the blocked triage candidate and reads every blocking reason with its code', async () => {
    const blocked = byName('Triage release 3');
    const page = await open('tessa.technical', `/candidates/${blocked.id}`);
    const reasons = page.getByRole('list', { name: 'Blocking reasons' });
    await reasons.waitFor();
    const text = await reasons.innerText();
    for (const code of ['INVALID_STATE', 'EVAL_FAILED', 'APPROVALS_INCOMPLETE']) expect(text).toContain(code);
    // A reviewer is not offered promotion.
    await expect(page.getByRole('button', { name: 'Promote' }).count()).resolves.toBe(0);
    await page.context().close();
  });

  it('each required reviewer approves the awaiting candidate, the owner promotes it, an incident is opened and the release rolled back; the audit chain verifies', async () => {
    const awaiting = byName('Triage release 4');
    for (const [user, role] of [
      ['tessa.technical', 'technical'],
      ['priya.product', 'product'],
      ['rahul.risk', 'risk'],
    ] as const) {
      const page = await open(user, `/approvals?role=${role}`);
      const card = page.getByRole('listitem').filter({ hasText: 'Triage release 4:' });
      await card.getByRole('button', { name: 'Approve' }).click();
      await expect(card.getByRole('status').innerText()).resolves.toMatch(/Recorded: .*approved/);
      await page.context().close();
    }

    // The owner promotes, after a confirm step that names the release it replaces.
    const owner = await open('omar.owner', `/candidates/${awaiting.id}`);
    await owner.getByLabel('Promotion reason (required)').fill('every required reviewer approved the dispute fix');
    await owner.getByRole('button', { name: 'Promote', exact: true }).click();
    await owner.getByRole('button', { name: 'Confirm promote' }).click();
    await expect(owner.getByRole('status').filter({ hasText: 'Promoted' }).innerText()).resolves.toMatch(
      /Promoted: the candidate is\s*active/,
    );
    await owner.context().close();

    // A reviewer opens a high incident on the release.
    const reviewer = await open('tessa.technical', '/incidents');
    await reviewer.getByText('Open an incident').click();
    const form = reviewer.getByRole('form', { name: 'Open an incident' });
    await form.getByLabel('System').selectOption({ label: 'Consumer Support Triage Assistant' });
    await form.getByLabel('Release').selectOption(awaiting.id);
    await form.getByLabel('Title').fill('Refund tickets misrouted after release 4');
    await form.getByLabel('Severity').selectOption('high');
    await form.getByRole('button', { name: 'Open the incident' }).click();
    await expect(form.getByRole('status').innerText()).resolves.toMatch(/Opened inc_.*high, open/);
    await reviewer.context().close();

    // The owner rolls the release back, linked to the incident.
    const back = await open('omar.owner', `/candidates/${awaiting.id}`);
    await back.getByLabel('Reason (required)').fill('refund tickets misrouted');
    await back.getByLabel('Linked incident').selectOption({ label: 'high: Refund tickets misrouted after release 4' });
    await back.getByRole('button', { name: 'Roll back', exact: true }).click();
    await back.getByRole('button', { name: 'Confirm roll back' }).click();
    await expect(back.getByRole('status').filter({ hasText: 'Rolled back' }).innerText()).resolves.toMatch(
      /Rolled back to/,
    );
    await back.context().close();

    // The auditor reads it all on the system's timeline, with a verified chain.
    const auditor = await open('aud.auditor', `/audit?systemId=${awaiting.systemId}`);
    await auditor.getByText('Chain verified').waitFor();
    const table = auditor.getByRole('table', { name: /Audit events/ });
    const rows = await table.innerText();
    for (const action of ['release.rolled_back', 'incident.opened', 'release.promoted', 'approval.approved']) {
      expect(rows).toContain(action);
    }
    await auditor.context().close();
  });

  it('every page: no serious or critical axe finding, CLS under 0.1, screenshots at 1280 and 768 px', async () => {
    const triage = byName('Triage release 1');
    const pages: [string, string | null, string, string][] = [
      ['sign-in', null, '/sign-in', 'Choose a development identity'],
      ['registry', 'tessa.technical', '/', 'AI systems'],
      ['system', 'tessa.technical', `/systems/${triage.systemId}`, 'Release history'],
      ['candidate', 'omar.owner', `/candidates/${byName('Triage release 3').id}`, 'Promotion gate'],
      ['approvals', 'greta.governance', '/approvals', 'Approval queue'],
      ['incidents', 'tessa.technical', '/incidents', 'Incidents'],
      ['audit', 'aud.auditor', `/audit?systemId=${triage.systemId}`, 'Audit timeline'],
      ['prompt', 'tessa.technical', `/prompts/${triage.promptVersionId}`, 'Linked candidates'],
      ['model-config', 'tessa.technical', `/model-configs/${triage.modelConfigId}`, 'Linked candidates'],
      ['evaluations', 'tessa.technical', '/evaluations', 'Evaluations'],
      ['eval-run', 'tessa.technical', `/eval-runs/${triage.latestEvalRunId}`, 'Thresholds'],
      ['metrics', 'aud.auditor', '/metrics', 'Metrics overview'],
    ];
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      for (const [name, user, path, heading] of pages) {
        const page = await open(user, path, width);
        await page.getByRole('heading', { name: heading }).first().waitFor();
        await page.waitForLoadState('networkidle');
        await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
        await page.waitForTimeout(150);
        const cls = await cumulativeLayoutShift(page);
        if (cls >= 0.1) failures.push(`${name} at ${width}px: CLS ${cls.toFixed(3)}`);
        if (width === 1280) {
          for (const v of await seriousAxeViolations(page)) {
            failures.push(
              `${name}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
            );
          }
        }
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`) });
        await page.context().close();
      }
    }
    expect(failures).toEqual([]);
    // Twelve pages at two widths, each waiting for the network to settle: minutes on a loaded 2-core machine.
  }, 300_000);
});
