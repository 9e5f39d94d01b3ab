// The metrics page in real Chromium against the seeded local stack (issue 18, item 5; ADR 0043): a promotion the gate
// refuses is recorded, rolled up from the event bus and then visible on the metrics page by its reasons, with the
// filters kept in the URL. The page is checked with axe-core (0 serious or critical findings) and for layout shift
// (CLS < 0.1) at 1280 and 768 px.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

interface Candidate {
  id: string;
  name: string;
  systemId: string;
}

describe('the metrics page in Chromium: refused promotions and filters', () => {
  let stack: LocalStack;
  let browser: Browser;
  let dataDir: string;
  let refusedCodes: string[] = [];
  let systemId = '';
  const token = (user: string) => {
    const t = stack.tokens[user]?.token;
    if (!t) throw new Error(`no token for ${user}`);
    return t;
  };
  const open = async (user: string, path: string, width = 1280): Promise<Page> => {
    const context = await contextFor(browser, token(user), width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-browser-metrics-'));
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: true });
    browser = await launchChromium();
    await mkdir(SCREENSHOTS, { recursive: true });
    // The seeded blocked triage candidate: its owner's promotion is refused by the gate (409) and recorded.
    const listed = await fetch(`${stack.url}/api/release-candidates?limit=100`, {
      headers: { authorization: `Bearer ${token('ada.admin')}` },
    });
    const candidates = ((await listed.json()) as { items: Candidate[] }).items;
    const blocked = candidates.find((c) => c.name.startsWith('Triage release 3:'));
    if (!blocked) throw new Error('no seeded candidate Triage release 3');
    systemId = blocked.systemId;
    const context = await fetch(`${stack.url}/api/release-candidates/${blocked.id}/context`, {
      headers: { authorization: `Bearer ${token('omar.owner')}` },
    });
    const sides = ((await context.json()) as { sides: { role: string; candidate: { id: string } }[] }).sides;
    const active = sides.find((s) => s.role === 'active')?.candidate.id ?? null;
    const refused = await fetch(`${stack.url}/api/release-candidates/${blocked.id}/promote`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token('omar.owner')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ expectedActiveCandidateId: active, reason: 'promote from the metrics browser test' }),
    });
    expect(refused.status).toBe(409);
    refusedCodes = [...new Set(((await refused.json()) as { reasons: { code: string }[] }).reasons.map((r) => r.code))];
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a refused promotion is visible on the metrics page by its reasons after filtering to its system', async () => {
    // Prepare
    const page = await open('aud.auditor', '/metrics');
    await page.getByRole('heading', { name: 'Metrics overview' }).waitFor();

    // Act: filter to the system through the form, as a risk owner would
    await page.getByLabel('System id').fill(systemId);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(new RegExp(`systemId=${systemId}`));
    // The rollup is derived asynchronously from the bus: reload until the refusal is counted.
    const values = page.locator('[data-chart-values="Refused promotions by reason"]');
    for (let attempt = 0; attempt < 60; attempt++) {
      await values.waitFor();
      if (!(await values.innerText()).includes('none')) break;
      await page.reload();
    }

    // Assess
    const text = await values.innerText();
    for (const code of refusedCodes) expect(text).toContain(`${code}: 1`);
    await expect(page.getByText(/1 refused promotions/).count()).resolves.toBe(1);
    await page.context().close();
  });

  it('the filtered page: no serious or critical axe finding, CLS under 0.1, at 1280 and 768 px', async () => {
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      const page = await open('aud.auditor', `/metrics?systemId=${systemId}`, width);
      await page.locator('[data-chart-values="Refused promotions by reason"]').waitFor();
      await page.waitForLoadState('networkidle');
      await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
      const cls = await cumulativeLayoutShift(page);
      if (cls >= 0.1) failures.push(`metrics at ${width}px: CLS ${cls.toFixed(3)}`);
      for (const v of await seriousAxeViolations(page)) {
        failures.push(`metrics at ${width}px: axe ${v.impact} ${v.id} (${v.help})`);
      }
      await page.screenshot({ path: join(SCREENSHOTS, `metrics-refused-${width}.png`), fullPage: false });
      await page.context().close();
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
