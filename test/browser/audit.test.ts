// The audit page in real Chromium against the seeded local stack (issue 18, item 6): an auditor exports the whole
// filtered range from the page (the job runs in the stack, the links are presigned for the S3 stand-in) and downloads
// it; a broken archive is an error alert with no verified badge beside it. The page is checked with axe-core (0
// serious or critical findings) and for layout shift (CLS < 0.1) at 1280 and 768 px.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

describe('the audit page in Chromium: export and a broken archive', () => {
  let stack: LocalStack;
  let browser: Browser;
  let dataDir: string;
  let systemId: string;
  const open = async (user: string, path: string, width = 1280): Promise<Page> => {
    const context = await contextFor(browser, stack.tokens[user]?.token ?? null, width);
    const page = await context.newPage();
    await page.goto(stack.url + path);
    return page;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-browser-audit-'));
    stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: true });
    browser = await launchChromium();
    systemId = (await stack.store.systems.listSystems({ limit: 1 })).items[0]?.id as string;
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("an auditor exports a system's whole chain from the page and downloads the CSV through its link", async () => {
    // Prepare
    const page = await open('aud.auditor', `/audit?systemId=${systemId}`);
    await page.getByRole('table', { name: /Audit events/ }).waitFor();

    // Act
    await page.getByRole('button', { name: 'Export the filtered range' }).click();
    const csvLink = page.getByRole('link', { name: 'Download CSV' });
    await csvLink.waitFor({ timeout: 30_000 });
    const href = (await csvLink.getAttribute('href')) as string;
    const downloaded = await page.request.get(href);
    const tampered = await page.request.get(href.replace(/X-Amz-Signature=[0-9a-f]/, 'X-Amz-Signature=z'));

    // Assess
    expect(downloaded.status()).toBe(200);
    const csv = await downloaded.text();
    expect(csv.startsWith('systemId,seq,at,action')).toBe(true);
    expect(csv).toContain(systemId);
    expect(tampered.status()).toBe(403);
    expect(await page.getByText(/Exported [\d,]+ events/).isVisible()).toBe(true);
    await page.context().close();
  });

  it('shows a broken archive as an error alert, never beside a verified badge; axe and CLS at 1280 and 768 px', async () => {
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      // Prepare: the verify route answers a sound table and a broken archive (a break the page must not soften)
      const context = await contextFor(browser, stack.tokens['aud.auditor']?.token ?? null, width);
      const page = await context.newPage();
      await page.route('**/api/audit-events/verify**', async (route) => {
        const answer = await (await route.fetch()).json();
        await route.fulfill({
          json: {
            ...answer,
            archive: {
              ...answer.archive,
              status: 'broken',
              brokenAt: {
                kind: 'event',
                systemId,
                seq: 2,
                reason: 'hash',
                message: 'event 2 does not hash to its hash',
              },
            },
          },
        });
      });

      // Act
      await page.goto(`${stack.url}/audit?systemId=${systemId}`);
      const alert = page.getByRole('alert').filter({ hasText: 'archive does not' });
      await alert.waitFor();
      await page.getByRole('table', { name: /Audit events/ }).waitFor();

      // Assess
      expect(await alert.textContent()).toContain('event 2 does not hash to its hash (seq 2)');
      expect(await page.getByText('Chain verified').count()).toBe(0);
      const cls = await cumulativeLayoutShift(page);
      if (cls >= 0.1) failures.push(`audit at ${width}px: CLS ${cls.toFixed(3)}`);
      for (const v of await seriousAxeViolations(page)) {
        failures.push(`audit at ${width}px: axe ${v.impact} ${v.id} (${v.help})`);
      }
      await context.close();
    }
    expect(failures).toEqual([]);
  });
});
