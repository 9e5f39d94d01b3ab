// The production samples page in real Chromium against the seeded local stack (ADR 0042): the seeded judged policy
// candidate is approved and promoted to staging, its application posts fifty samples through the API (redacted on
// the way in), a monitoring pass scores the window, and the page shows the scores beside the approval-time run's,
// the samples page by page with their redaction counts, and the settings with the API's refusal of a bad pattern.
// Checked with axe-core (0 serious or critical findings) and for layout shift (CLS < 0.1) at 1280 and 768 px.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMonitoringRun } from '../../functions/workflows/monitor.js';
import { scoreSampleWindowRun } from '../../functions/workflows/sample-monitoring.js';
import { type DynamoDbLocalHandle, startDynamoDbLocal } from '../../local/dynamodb.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');
/** The policy's default minimum of samples a window needs to be judged. */
const SAMPLES = 50;

interface Candidate {
  id: string;
  name: string;
  systemId: string;
}

describe('the production samples page in Chromium', () => {
  let stack: LocalStack;
  let dynamo: DynamoDbLocalHandle;
  let browser: Browser;
  let dataDir: string;
  let systemId = '';
  const token = (user: string) => {
    const t = stack.tokens[user]?.token;
    if (!t) throw new Error(`no token for ${user}`);
    return t;
  };
  const call = async <T>(tokenOf: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(stack.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${tokenOf}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const open = async (user: string, path: string, width = 1280): Promise<Page> => {
    const context = await contextFor(browser, token(user), width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };
  const settled = async (page: Page) => {
    await page.getByRole('heading', { name: 'Production samples' }).waitFor();
    await page.waitForLoadState('networkidle');
    await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-browser-samples-'));
    // Started here with a start-up bound a loaded machine meets (the stack's own default is 30 s).
    dynamo = await startDynamoDbLocal({ startTimeoutMs: 180_000 });
    stack = await startLocalStack({
      port: 0,
      dataDir,
      inMemory: true,
      seed: true,
      dynamoEndpoint: dynamo.endpoint,
      tableName: `samples-${Date.now()}`,
    });
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    // The seeded judged candidate (named label-free assertions: json, no-guarantee) becomes staging's active release.
    const candidates = (await call<{ items: Candidate[] }>(token('ada.admin'), '/api/release-candidates?limit=100'))
      .items;
    const judged = candidates.find((c) => c.name === 'Policy answers judged for legal advice');
    if (!judged) throw new Error('no seeded candidate Policy answers judged for legal advice');
    systemId = judged.systemId;
    const owner = token('omar.owner');
    const asked = await call<{ approvals: { id: string }[] }>(
      owner,
      `/api/release-candidates/${judged.id}/request-approval`,
      {},
    );
    for (const approval of asked.approvals)
      await call(token('tessa.technical'), `/api/approvals/${approval.id}/approve`, { comment: 'judged and clean' });
    const system = await call<{ activeReleases: { staging: string | null } }>(owner, `/api/systems/${systemId}`);
    await call(owner, `/api/release-candidates/${judged.id}/promote`, {
      environment: 'staging',
      expectedActiveCandidateId: system.activeReleases.staging,
      reason: 'staging release for the samples browser test',
    });
    // Its application posts a window's worth of samples; one in ten names an e-mail address, one promises.
    const application = await stack.mint({
      userId: 'policy.app',
      name: 'Policy answers app',
      roles: ['application'],
      teams: [],
      systems: [systemId],
    });
    const samples = Array.from({ length: SAMPLES }, (_, i) => ({
      input: { question: `Question ${i + 1} about the leave policy${i % 10 === 0 ? ' from ada@example.org' : ''}` },
      output: { summary: i === 7 ? 'We guarantee a refund.' : `Answer ${i + 1}: see section ${(i % 5) + 1}.` },
      latencyMs: 120 + i,
    }));
    for (let i = 0; i < SAMPLES; i += 25)
      await call(application, `/api/systems/${systemId}/samples`, {
        environment: 'staging',
        samples: samples.slice(i, i + 25),
      });
    // The monitoring pass's sample window for the release, recorded as the pass records it.
    const window = await scoreSampleWindowRun(stack.store, { systemId, releaseId: judged.id, services: {} });
    if (window?.status !== 'scored') throw new Error(`the window was not scored: ${JSON.stringify(window)}`);
    await recordMonitoringRun(stack.store, window.run, window.outcome, {
      startRun: () => undefined,
      judgePolicy: window.judgePolicy,
    });
  }, 420_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("an owner reads the pass's scores beside the approval-time run's, pages through the samples with their redaction counts, and sees the API refuse a bad pattern", async () => {
    // Prepare
    const page = await open('omar.owner', `/systems/${systemId}`);
    await page.getByRole('link', { name: 'Production samples' }).click();
    await settled(page);
    const scores = page.getByRole('region', { name: 'Sample scores of the staging release' });

    // Act
    const scoreRows = await scores.locator('tbody tr').allInnerTexts();
    const firstPage = await page.locator('table.samples tbody tr').count();
    const redacted = await page.locator('table.samples tbody tr').filter({ hasText: 'e-mail addresses: 1' }).count();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit settings' }).click();
    await page.getByRole('button', { name: 'Add a pattern' }).click();
    await page.getByLabel('Name of pattern 1').fill('anything');
    await page.getByLabel('Pattern 1', { exact: true }).fill('x*');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();

    // Assess
    expect(await scores.innerText()).toContain(`${SAMPLES} samples`);
    expect(scoreRows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual([
      'Assertion json 100 % 100 %',
      'Assertion no-guarantee 98 % 100 %',
    ]);
    expect(firstPage).toBe(20);
    expect(redacted).toBeGreaterThan(0);
    expect(await page.getByText('ada@example.org').count()).toBe(0);
    expect(await refusal.innerText()).toContain('redaction.patterns[0].pattern matches the empty string');
    await page.context().close();
  });

  it('a reviewer reads the scores and is told who reads the samples', async () => {
    // Act
    const page = await open('tessa.technical', `/systems/${systemId}/samples`);
    await settled(page);

    // Assess
    await page
      .getByRole('region', { name: 'Sample scores of the staging release' })
      .getByText('Assertion json')
      .waitFor();
    expect(await page.getByText(/read by admins and the owners of/).count()).toBe(1);
    expect(await page.locator('table.samples').count()).toBe(0);
    await page.context().close();
  });

  it('the page has no serious axe finding and CLS under 0.1 at 1280 and 768 px, and is captured', async () => {
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      const page = await open('omar.owner', `/systems/${systemId}/samples`, width);
      await settled(page);
      const cls = await cumulativeLayoutShift(page);
      if (cls >= 0.1) failures.push(`samples at ${width}px: CLS ${cls.toFixed(3)}`);
      for (const v of await seriousAxeViolations(page)) {
        failures.push(
          `samples at ${width}px: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
      }
      await page.screenshot({ path: join(SCREENSHOTS, `samples-${width}.png`), fullPage: width === 1280 });
      await page.context().close();
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
