// Chromium, axe-core and layout-shift measurement for the dashboard's browser tests.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** A context whose pages are signed in with `token` (sessionStorage, as the sign-in page leaves it). */
export async function contextFor(browser: Browser, token: string | null, width = 1280): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width, height: width >= 1000 ? 800 : 1024 } });
  // In-page code is plain JavaScript: this file is type-checked without the DOM library.
  await context.addInitScript({
    content: `
      ${token ? `sessionStorage.setItem('gov.token', ${JSON.stringify(token)});` : ''}
      window.__cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
    `,
  });
  return context;
}

/** Cumulative layout shift of the page so far (PerformanceObserver layout-shift, without input-driven shifts). */
export function cumulativeLayoutShift(page: Page): Promise<number> {
  return page.evaluate('window.__cls') as Promise<number>;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  const violations = (await page.evaluate(`axe.run(document).then((result) =>
    result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
