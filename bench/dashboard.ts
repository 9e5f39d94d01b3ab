// The dashboard's registry page: initial JavaScript (gzip) and bytes transferred, and in headless Chromium
// against the local stack with 1,000 systems, the time to the first meaningful render (the registry's rows on
// screen) and to interactive (no long task after that render), median of 5 cold page loads; then the next page
// and a search, and the last run's long tasks and API requests (what the time went to).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildDashboardIfStale } from '../dashboard/build-if-stale.js';
import { startLocalStack } from '../local/stack.js';
import { contextFor, launchChromium } from '../test/browser/support.js';

/** The registry's page size (dashboard/src/pages/registry-query.ts REGISTRY_PAGE_SIZE). */
const REGISTRY_PAGE_SIZE = 50;

const DIST = fileURLToPath(new URL('../dashboard/dist/', import.meta.url));
const INITIAL_JS_TARGET_KB = 200;
const INTERACTIVE_TARGET_MS = 1000;

export interface BenchDashboardOptions {
  systems?: number;
  runs?: number;
}

/** The JS and CSS index.html loads before any route: its module script and modulepreloads. */
async function initialAssets(): Promise<{ js: string[]; css: string[] }> {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const js = [...html.matchAll(/<(?:script[^>]+src|link[^>]+rel="modulepreload"[^>]+href)="([^"]+\.js)"/g)].map(
    (m) => m[1] as string,
  );
  const css = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+\.css)"/g)].map((m) => m[1] as string);
  return { js: [...new Set(js)], css };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

export async function benchDashboard(options: BenchDashboardOptions = {}) {
  const count = options.systems ?? Number(process.env.BENCH_DASHBOARD_SYSTEMS ?? 1000);
  const runs = options.runs ?? Number(process.env.BENCH_DASHBOARD_RUNS ?? 5);
  buildDashboardIfStale((line) => process.stderr.write(`${line}\n`));

  const { js, css } = await initialAssets();
  let jsRaw = 0;
  let jsGzip = 0;
  for (const file of js) {
    const bytes = await readFile(join(DIST, file));
    jsRaw += bytes.length;
    jsGzip += gzipSync(bytes, { level: 9 }).length;
  }

  const dataDir = await mkdtemp(join(tmpdir(), 'gov-bench-dashboard-'));
  const stack = await startLocalStack({ port: 0, dataDir, inMemory: true, seed: false });
  const browser = await launchChromium();
  try {
    const admin = stack.tokens['ada.admin'];
    if (!admin) throw new Error('no admin token');
    const actor = { userId: 'ada.admin', name: 'Ada Admin', roles: admin.principal.roles };
    const started = performance.now();
    for (let i = 0; i < count; i += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - i) }, (_, k) =>
          stack.store.systems.createSystem(actor, {
            name: `Bench system ${String(i + k).padStart(4, '0')}`,
            description: '',
            ownerTeam: `team-${(i + k) % 20}`,
            owner: 'bench.owner',
            riskTier: (['low', 'medium', 'high', 'critical'] as const)[(i + k) % 4] ?? 'low',
            euAiActCategory: (['minimal', 'limited', 'high'] as const)[(i + k) % 3] ?? 'minimal',
            domain: 'bench',
            intendedPurpose: 'Benchmark the registry page.',
            dataSources: ['none'],
            humanOversight: 'None: a benchmark fixture.',
          }),
        ),
      );
    }
    const seedSeconds = (performance.now() - started) / 1000;

    const samples: {
      firstMeaningfulRenderMs: number;
      interactiveMs: number;
      transferredBytes: number;
      firstPageCompleteMs: number;
      nextPageMs: number;
      searchMs: number;
      longTasks: [number, number][];
      requests: [string, number, number, number][];
    }[] = [];
    for (let run = 0; run < runs; run++) {
      const context = await contextFor(browser, admin.token, 1280);
      // In-page code is plain JavaScript: this file is type-checked without the DOM library.
      await context.addInitScript({
        content: `
          window.__fmr = null;
          window.__longTaskEnd = 0;
          window.__longTasks = [];
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) {
              window.__longTaskEnd = Math.max(window.__longTaskEnd, e.startTime + e.duration);
              window.__longTasks.push([Math.round(e.startTime), Math.round(e.duration)]);
            }
          }).observe({ type: 'longtask', buffered: true });
          new MutationObserver((records, observer) => {
            if (document.querySelectorAll('table.dense tbody tr').length >= 25) {
              window.__fmr = performance.now();
              observer.disconnect();
            }
          }).observe(document, { childList: true, subtree: true });
        `,
      });
      const page = await context.newPage();
      await page.goto(`${stack.url}/`);
      await page.waitForFunction('window.__fmr !== null', undefined, { timeout: 60_000 });
      // The first page is complete: its counts are in (no "…" left in the table) and the pager knows the next page.
      await page.waitForFunction(
        `(() => {
          const rows = document.querySelectorAll('table.dense tbody tr');
          const next = [...document.querySelectorAll('nav.pager button')].find((b) => b.textContent === 'Next page');
          return rows.length === ${Math.min(count, REGISTRY_PAGE_SIZE)} && next && !next.disabled &&
            ![...document.querySelectorAll('table.dense td.num')].some((td) => td.textContent.startsWith('…'));
        })()`,
        undefined,
        { timeout: 120_000 },
      );
      const firstPageCompleteMs = (await page.evaluate('performance.now()')) as number;
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      const figures = (await page.evaluate(`(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource');
        return {
          firstMeaningfulRenderMs: window.__fmr,
          interactiveMs: Math.max(window.__fmr, window.__longTaskEnd),
          transferredBytes: (nav ? nav.transferSize : 0) + resources.reduce((n, r) => n + r.transferSize, 0),
          longTasks: window.__longTasks,
          requests: resources.map((r) => [new URL(r.name).pathname + new URL(r.name).search, Math.round(r.startTime), Math.round(r.responseEnd), r.transferSize]),
        };
      })()`)) as {
        firstMeaningfulRenderMs: number;
        interactiveMs: number;
        transferredBytes: number;
        longTasks: [number, number][];
        requests: [string, number, number, number][];
      };
      // Then, by keyboard: the next page (from the key press until its first row is on screen) ...
      const firstName = await page.locator('table.dense tbody tr:first-child td:first-child').textContent();
      await page.getByRole('button', { name: 'Next page' }).focus();
      const pressed = performance.now();
      await page.keyboard.press('Enter');
      await page.waitForFunction(
        `document.querySelector('table.dense tbody tr:first-child td:first-child')?.textContent !== ${JSON.stringify(firstName)} &&
          document.querySelector('p.count')?.textContent.startsWith('Systems ${REGISTRY_PAGE_SIZE + 1}–')`,
        undefined,
        { timeout: 60_000 },
      );
      const nextPageMs = performance.now() - pressed;
      // ... and a search the API answers over every system (the last one by name: the whole index is read).
      const last = `Bench system ${String(count - 1).padStart(4, '0')}`;
      const typed = performance.now();
      await page.getByLabel('Search').fill(last);
      await page.waitForFunction(
        `document.querySelector('p.count')?.textContent.startsWith('Systems 1–1 matching the filters')`,
        undefined,
        { timeout: 60_000 },
      );
      const searchMs = performance.now() - typed;
      samples.push({ ...figures, firstPageCompleteMs, nextPageMs, searchMs });
      await context.close();
    }
    const fmr = median(samples.map((s) => s.firstMeaningfulRenderMs));
    const tti = median(samples.map((s) => s.interactiveMs));
    return {
      initialJs: {
        files: js.length,
        rawBytes: jsRaw,
        gzipBytes: jsGzip,
        gzipKB: Math.round(jsGzip / 102.4) / 10,
        targetKB: INITIAL_JS_TARGET_KB,
        withinTarget: jsGzip <= INITIAL_JS_TARGET_KB * 1024,
      },
      initialCssFiles: css.length,
      registryPage: {
        systems: count,
        runs,
        seedSeconds: Math.round(seedSeconds * 10) / 10,
        // The local server does not compress; CloudFront serves the same files compressed.
        transferredBytesMedian: median(samples.map((s) => s.transferredBytes)),
        firstMeaningfulRenderMsMedian: Math.round(fmr),
        interactiveMsMedian: Math.round(tti),
        pageSize: REGISTRY_PAGE_SIZE,
        // Until the first page's rows have their counts (from /api/metrics/registry), about when polled.
        firstPageCompleteMsMedian: Math.round(median(samples.map((s) => s.firstPageCompleteMs))),
        // From the key press on "Next page" until the next page's rows are on screen (measured from Node).
        nextPageMsMedian: Math.round(median(samples.map((s) => s.nextPageMs))),
        // From typing the last system's name in the search box until the one match is listed (includes the
        // 250 ms pause the search box waits for, and the API reading the whole index page by page).
        searchMsMedian: Math.round(median(samples.map((s) => s.searchMs))),
        interactiveTargetMs: INTERACTIVE_TARGET_MS,
        withinTarget: tti <= INTERACTIVE_TARGET_MS,
        samples: samples.map((s) => ({
          firstMeaningfulRenderMs: Math.round(s.firstMeaningfulRenderMs),
          interactiveMs: Math.round(s.interactiveMs),
        })),
        // The last run's long tasks ([start, duration] ms) and API requests ([path, start, end, bytes]).
        lastRun: {
          longTasks: samples.at(-1)?.longTasks ?? [],
          apiRequests: (samples.at(-1)?.requests ?? []).filter(
            ([path]) => process.env.BENCH_ALL_REQUESTS || path.startsWith('/api/'),
          ),
        },
      },
    };
  } finally {
    await browser.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
