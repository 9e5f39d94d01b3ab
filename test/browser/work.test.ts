// Work from the dashboard, in real Chromium against the seeded local stack: start an eval run after its cost
// estimate and follow it to its verdict, page through a dataset's cases, read a system's incidents with the rollback
// each caused, see people named before their ids, and keep a session alive with the refresh token grant (and be sent
// to sign in, with a message, when the refresh token is refused); the pages checked with axe-core, for layout shift
// at 1280 and 768 px, and captured.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateDevKeys, mintToken } from '../../local/dev-keys.js';
import { type DynamoDbLocalHandle, startDynamoDbLocal } from '../../local/dynamodb.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { devKeysDir } from '../../local/token.js';
import { cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

interface Candidate {
  id: string;
  name: string;
  systemId: string;
  status: string;
}

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');
/** Cases of the dataset this file registers: three pages of the dataset page's twenty. */
const CASES = 45;

describe('work from the dashboard, in Chromium', () => {
  let stack: LocalStack;
  let dynamo: DynamoDbLocalHandle;
  let browser: Browser;
  let dataDir: string;
  let candidates: Candidate[];
  let datasetId: string;
  const byName = (name: string) => {
    const found = candidates.find((c) => c.name.startsWith(`${name}:`) || c.name === name);
    if (!found) throw new Error(`no seeded candidate ${name}`);
    return found;
  };
  const identity = (user: string) => {
    const t = stack.tokens[user];
    if (!t) throw new Error(`no token for ${user}`);
    return t;
  };
  const apiAs = async <T>(user: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const response = await fetch(stack.url + path, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${identity(user).token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  /** A context signed in as the sign-in page leaves it (ID and refresh token), set once: a reload keeps what the app stored. */
  const contextWith = async (token: string, refreshToken: string | null, width = 1280): Promise<BrowserContext> => {
    const context = await browser.newContext({ viewport: { width, height: width >= 1000 ? 800 : 1024 } });
    await context.addInitScript({
      content: `
        if (!sessionStorage.getItem('gov.started')) {
          sessionStorage.setItem('gov.started', '1');
          sessionStorage.setItem('gov.token', ${JSON.stringify(token)});
          ${refreshToken ? `sessionStorage.setItem('gov.refresh', ${JSON.stringify(refreshToken)});` : ''}
        }
        window.__cls = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
        }).observe({ type: 'layout-shift', buffered: true });
      `,
    });
    return context;
  };
  const open = async (user: string, path: string, width = 1280): Promise<Page> => {
    const context = await contextWith(identity(user).token, identity(user).refreshToken, width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };
  /** Waits until the page has settled: its heading, no request in flight, nothing busy. */
  const settled = async (page: Page, heading: string | RegExp) => {
    await page.getByRole('heading', { name: heading }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-work-'));
    dynamo = await startDynamoDbLocal({ startTimeoutMs: 180_000 });
    stack = await startLocalStack({
      port: 0,
      dataDir,
      inMemory: true,
      seed: true,
      dynamoEndpoint: dynamo.endpoint,
      tableName: `work-${Date.now()}`,
    });
    browser = await launchChromium();
    candidates = (await apiAs<{ items: Candidate[] }>('ada.admin', '/api/release-candidates?limit=100')).items;
    // A dataset of three pages on the triage system, its cases numbered so that the order is visible.
    const triage = byName('Triage release 1').systemId;
    const dataset = await apiAs<{ id: string }>('omar.owner', '/api/eval-datasets', {
      method: 'POST',
      body: {
        systemId: triage,
        name: 'paged-tickets',
        kind: 'regression',
        description: 'Forty-five tickets to page through',
        defaultAssert: [{ type: 'is-json' }],
        cases: Array.from({ length: CASES }, (_, i) => ({
          caseId: `ticket-${String(i + 1).padStart(3, '0')}`,
          input: { ticket: `Ticket number ${i + 1}: my invoice is wrong`, channel: 'email' },
          expectedLabel: 'billing',
          tags: ['segment:smb'],
          ...(i === 0 ? { assert: [{ type: 'contains', value: 'billing', name: 'mentions_billing' }] } : {}),
        })),
      },
    });
    datasetId = dataset.id;
  }, 420_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('an owner sees the cost estimate first, starts an eval run, and follows it to its verdict and the run page', async () => {
    const candidate = byName('Policy answers release 2');
    const page = await open('omar.owner', `/candidates/${candidate.id}`);
    const section = page.getByRole('region', { name: 'Run evaluations' });
    await section.waitFor();
    const start = section.getByRole('button', { name: 'Start run' });
    await expect(start.isDisabled()).resolves.toBe(true); // no estimate yet
    await section.getByLabel('Maximum cost in USD (optional)').fill('5');
    await section.getByRole('button', { name: 'Estimate cost' }).click();
    const estimate = section.getByRole('status', { name: 'Cost estimate' });
    await estimate.waitFor();
    expect(await estimate.innerText()).toMatch(/\d+ cases × \d+ call/);
    expect(await estimate.innerText()).toContain('ceiling $5.00');
    // A changed ceiling needs a new estimate before a start.
    await section.getByLabel('Maximum cost in USD (optional)').fill('6');
    await expect(start.isDisabled()).resolves.toBe(true);
    await section.getByRole('button', { name: 'Estimate cost' }).click();
    await expect(estimate.innerText()).resolves.toContain('ceiling $6.00');
    await start.click();
    const run = page.getByRole('region', { name: 'Eval run started' });
    await run.getByRole('link', { name: 'Open the eval run' }).waitFor({ timeout: 90_000 });
    expect(await run.innerText()).toMatch(/(passed|failed|error)/);
    await run.getByRole('link', { name: 'Open the eval run' }).click();
    await page.waitForURL(/\/eval-runs\/run_/);
    await page.context().close();
  }, 180_000);

  it('a reviewer cannot start a run and is told why; an active release is not evaluated again', async () => {
    const reviewer = await open('tessa.technical', `/candidates/${byName('Policy answers release 2').id}`);
    const section = reviewer.getByRole('region', { name: 'Run evaluations' });
    await section.waitFor();
    expect(await section.innerText()).toContain("Eval runs are started by the system's owners and pipelines");
    await expect(section.getByRole('button', { name: 'Start run' }).count()).resolves.toBe(0);
    await reviewer.context().close();

    const owner = await open('omar.owner', `/candidates/${byName('Policy answers release 1').id}`);
    const active = owner.getByRole('region', { name: 'Run evaluations' });
    await active.waitFor();
    expect(await active.innerText()).toContain('is not evaluated again');
    await owner.context().close();
  });

  it('a dataset opens from the system page and its cases page by page: input, expected and assertions', async () => {
    const triage = byName('Triage release 1').systemId;
    const page = await open('tessa.technical', `/systems/${triage}`);
    await page.getByRole('link', { name: 'paged-tickets v1' }).click();
    await page.getByRole('heading', { name: /paged-tickets v1/ }).waitFor();
    const heading = page.getByRole('heading', { name: /^Cases / });
    await expect(heading.innerText()).resolves.toBe(`Cases 1–20 of ${CASES}`);
    const cases = page.getByRole('list', { name: 'Cases' }).locator(':scope > li');
    await expect(cases.count()).resolves.toBe(20);
    const first = await cases.first().innerText();
    expect(first).toContain('ticket-001');
    expect(first).toContain('Ticket number 1: my invoice is wrong');
    expect(first).toContain('label billing');
    expect(first).toMatch(/contains.*assert\.mentions_billing.*“billing”/s);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => heading.innerText(), { timeout: 10_000 }).toBe(`Cases 21–40 of ${CASES}`);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => heading.innerText(), { timeout: 10_000 }).toBe(`Cases 41–45 of ${CASES}`);
    expect(await cases.first().innerText()).toContain('ticket-041');
    await expect(page.getByRole('button', { name: 'Next page' }).isDisabled()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(() => heading.innerText(), { timeout: 10_000 }).toBe(`Cases 21–40 of ${CASES}`);
    await page.context().close();

    // From the candidate page too: its dataset names link to the dataset.
    const candidate = await open('tessa.technical', `/candidates/${byName('Triage release 4').id}`);
    await candidate.getByRole('link', { name: 'baseline-tickets v1' }).first().click();
    await candidate.getByRole('heading', { name: /baseline-tickets v1/ }).waitFor();
    await candidate.context().close();
  });

  it('the system page lists its incidents open and resolved, newest first, with the rollback each caused and who opened them', async () => {
    const triage = byName('Triage release 1');
    // An open incident after the seeded (resolved) one: it comes first.
    await apiAs('tessa.technical', '/api/incidents', {
      method: 'POST',
      body: {
        systemId: triage.systemId,
        candidateId: triage.id,
        title: 'Escalations slower this week',
        severity: 'low',
      },
    });
    const page = await open('omar.owner', `/systems/${triage.systemId}`);
    const table = page.getByRole('region', { name: 'Incidents, newest first' }).getByRole('table');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const newest = await rows.nth(0).innerText();
    expect(newest).toContain('Escalations slower this week');
    expect(newest).toMatch(/open/);
    expect(newest).toContain('Tessa Technical');
    const resolved = await rows.nth(1).innerText();
    expect(resolved).toContain('Billing disputes routed to the complaints queue');
    expect(resolved).toContain('resolved');
    // The rollback it caused, from the rolled-back release to the one reactivated, each a link to its page.
    await expect
      .poll(() => rows.nth(1).innerText())
      .toMatch(/Triage release 2: priority field, gpt-4o → Triage release 1: prompt v1 on gpt-4o-mini/);
    await rows
      .nth(1)
      .getByRole('link', { name: /Triage release 2/ })
      .last()
      .click();
    await page.waitForURL(`**/candidates/${byName('Triage release 2').id}`);
    await page.context().close();
  });

  it('people are named first, their ids second: the owner, an approval, the release history', async () => {
    const triage = byName('Triage release 1');
    const system = await open('aud.auditor', `/systems/${triage.systemId}`);
    await system.getByRole('heading', { name: /Consumer Support Triage/ }).waitFor();
    await expect.poll(async () => system.locator('.page-head').innerText()).toMatch(/owner Omar Owner omar\.owner/);
    await expect(system.getByRole('list', { name: 'What was active, and when' }).innerText()).resolves.toContain(
      'Omar Owner omar.owner',
    );
    await system.context().close();

    const candidate = await open('aud.auditor', `/candidates/${byName('Policy answers release 2').id}`);
    await candidate.getByRole('heading', { name: /Approvals/ }).waitFor();
    await expect(candidate.getByRole('cell', { name: /Tom Technical tom\.technical/ }).count()).resolves.toBe(1);
    await candidate.context().close();
  });

  it('a session is refreshed with the refresh token grant before its token expires, and the page goes on working', async () => {
    // A token of twenty seconds for Ada, as the sign-in would leave one near its end; the refresh token is hers.
    const keys = await loadOrCreateDevKeys(devKeysDir(dataDir));
    const short = await mintToken({ keys, userId: 'ada.admin', name: 'Ada Admin', roles: ['admin'], expiresIn: '20s' });
    const context = await contextWith(short, identity('ada.admin').refreshToken);
    const page = await context.newPage();
    const grants: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/local/oauth2/token')) grants.push(request.postData() ?? '');
    });
    await page.goto(`${stack.url}/incidents`);
    await page.getByRole('heading', { name: 'Incidents' }).waitFor();
    // Refreshed a quarter of its lifetime ahead of expiry, five seconds before: waits on the stored token changing.
    await page.waitForFunction(`sessionStorage.getItem('gov.token') !== ${JSON.stringify(short)}`, undefined, {
      timeout: 40_000,
    });
    expect(grants).toHaveLength(1);
    expect(Object.fromEntries(new URLSearchParams(grants[0]))).toMatchObject({
      grant_type: 'refresh_token',
      client_id: 'governance-control-plane',
      refresh_token: identity('ada.admin').refreshToken,
    });
    // Past the old token's expiry, the API still answers the page with the new one.
    const oldExpiry = (JSON.parse(Buffer.from(short.split('.')[1] ?? '', 'base64url').toString()) as { exp: number })
      .exp;
    await page.waitForFunction(`Date.now() > ${oldExpiry * 1000 + 1000}`, undefined, { timeout: 40_000, polling: 500 });
    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: /Audit/ }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await expect(page.getByText('Your session has ended').count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Sign out' }).count()).resolves.toBe(1);
    await context.close();
  }, 120_000);

  it('a refused refresh token sends the user to sign in, saying the session ended', async () => {
    const keys = await loadOrCreateDevKeys(devKeysDir(dataDir));
    const expired = await mintToken({
      keys,
      userId: 'ada.admin',
      name: 'Ada Admin',
      roles: ['admin'],
      expiresIn: '-1m',
    });
    const context = await contextWith(expired, 'a-refresh-token-the-endpoint-never-issued');
    const page = await context.newPage();
    await page.goto(`${stack.url}/incidents`);
    const alert = page.getByRole('alert').filter({ hasText: 'Your session has ended' });
    await alert.waitFor();
    await page.getByRole('heading', { name: 'Choose a development identity' }).waitFor();
    await expect(page.evaluate("sessionStorage.getItem('gov.refresh')")).resolves.toBeNull();
    await page.screenshot({ path: join(SCREENSHOTS, 'session-ended-1280.png') });
    await context.close();
  });

  it('the candidate (run evaluations), dataset and system pages: no serious axe finding, CLS under 0.1, captured at 1280 and 768 px', async () => {
    const pages: [string, string, string, string | RegExp][] = [
      [
        'candidate-run-evals',
        'omar.owner',
        `/candidates/${byName('Note tagger on gpt-4o-mini (provider executor)').id}`,
        'Run evaluations',
      ],
      ['dataset-cases', 'tessa.technical', `/datasets/${datasetId}`, /^Cases 1–20/],
      ['system-incidents', 'omar.owner', `/systems/${byName('Triage release 1').systemId}`, 'Incidents'],
    ];
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      for (const [name, user, path, heading] of pages) {
        const page = await open(user, path, width);
        await settled(page, heading);
        const cls = await cumulativeLayoutShift(page);
        if (cls >= 0.1) failures.push(`${name} at ${width}px: CLS ${cls.toFixed(3)}`);
        for (const v of await seriousAxeViolations(page)) {
          failures.push(
            `${name} at ${width}px: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
          );
        }
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${width}.png`), fullPage: width === 1280 });
        await page.context().close();
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
