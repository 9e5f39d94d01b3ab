// The eval-run page and judge visibility in real Chromium against a local stack seeded here through the API (not the
// demo seed): a dataset whose cases carry deterministic named assertions, a candidate pinning a judge config, and a
// simulated run hot enough to fail assertions and the output contract. The page shows each assertion's pass rate and
// a failing case's reason; axis labels do not overlap (bounding boxes measured); axe, layout shift and screenshots at
// 1280 and 768 px.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUBRIC_PROMPT } from '../../functions/domain/types.js';
import { type DynamoDbLocalHandle, startDynamoDbLocal } from '../../local/dynamodb.js';
import { type LocalStack, startLocalStack } from '../../local/stack.js';
import { cases, modelConfigInput, promptInput, systemInput } from '../support/fixtures.js';
import { apiClient, eventually } from '../support/http.js';
import { contextFor, cumulativeLayoutShift, launchChromium, seriousAxeViolations } from './support.js';

type Json = Record<string, unknown> & { id: string; status: string };

const SCREENSHOTS = join(import.meta.dirname, '../../docs/screenshots');

interface Box {
  text: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The shown axis labels of every bar chart on the page, with their boxes as Chromium laid them out. */
function axisLabels(page: Page): Promise<{ x: Box[]; y: Box[] }[]> {
  return page.evaluate(`[...document.querySelectorAll('figure.bar-chart svg')].map((svg) => {
    const boxes = (selector) => [...svg.querySelectorAll(selector)].map((t) => {
      const r = t.getBoundingClientRect();
      return { text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    });
    return { x: boxes('text.x-label'), y: boxes('text.y-label') };
  })`) as Promise<{ x: Box[]; y: Box[] }[]>;
}

/** Pairs of neighbouring labels that overlap along the axis (x labels side by side, y labels one above another). */
function overlaps(charts: { x: Box[]; y: Box[] }[]): string[] {
  const found: string[] = [];
  for (const chart of charts) {
    const xs = [...chart.x].sort((a, b) => a.left - b.left);
    for (let i = 1; i < xs.length; i++) {
      const [a, b] = [xs[i - 1] as Box, xs[i] as Box];
      if (b.left < a.right) found.push(`x: ${a.text} and ${b.text}`);
    }
    const ys = [...chart.y].sort((a, b) => a.top - b.top);
    for (let i = 1; i < ys.length; i++) {
      const [a, b] = [ys[i - 1] as Box, ys[i] as Box];
      if (b.top < a.bottom) found.push(`y: ${a.text} and ${b.text}`);
    }
  }
  return found;
}

describe('the eval-run page and judges, in Chromium', () => {
  let stack: LocalStack;
  let dynamo: DynamoDbLocalHandle;
  let browser: Browser;
  let dataDir: string;
  let runId: string;
  let candidateId: string;
  let judgeId: string;
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
  const settled = async (page: Page, heading: string | RegExp) => {
    await page.getByRole('heading', { name: heading }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.waitForFunction('document.querySelector(\'[aria-busy="true"]\') === null');
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gov-eval-page-'));
    dynamo = await startDynamoDbLocal({ startTimeoutMs: 180_000 });
    stack = await startLocalStack({
      port: 0,
      dataDir,
      inMemory: true,
      seed: false,
      dynamoEndpoint: dynamo.endpoint,
      tableName: `eval-page-${Date.now()}`,
    });
    browser = await launchChromium();

    // Seed through the API: a system whose hot, tight-timeout model config fails the contract and falls back.
    const owner = apiClient(stack.url, token('omar.owner'));
    const technical = apiClient(stack.url, token('tessa.technical'));
    const system = await owner.post<Json>('/api/systems', systemInput({ ownerTeam: 'support-ai' }));
    const systemId = system.body.id;
    const config = await owner.post<Json>(
      '/api/model-configs',
      modelConfigInput(systemId, {
        parameters: { temperature: 0.9, maxTokens: 256, topP: 1 },
        timeoutMs: 500,
        fallbackPolicy: { enabled: true, fallbackModel: 'gpt-4o-mini', maxRetries: 2 },
      }),
    );
    const prompt = await owner.post<Json>('/api/prompts', promptInput(systemId));
    const judge = await owner.post<Json>('/api/judge-configs', {
      systemId,
      name: 'no-legal-advice',
      modelConfigId: config.body.id,
      rubricPrompt: DEFAULT_RUBRIC_PROMPT,
    });
    judgeId = judge.body.id;
    for (const [kind, id] of [
      ['prompts', prompt.body.id],
      ['model-configs', config.body.id],
      ['judge-configs', judgeId],
    ]) {
      await owner.post(`/api/${kind}/${id}/submit`);
      await technical.post(`/api/${kind}/${id}/approve`, {});
    }
    const dataset = await owner.post<Json>('/api/eval-datasets', {
      systemId,
      name: 'asserted-tickets',
      kind: 'regression',
      defaultAssert: [{ type: 'is-json', name: 'json' }],
      cases: cases(60).map((c) => ({
        ...c,
        assert: [
          { type: 'contains', value: '"label":"billing"', name: 'says-billing' },
          { type: 'latency', threshold: 600, name: 'fast-enough' },
        ],
      })),
    });
    const candidate = await owner.post<Json>('/api/release-candidates', {
      systemId,
      name: 'Asserted release 1',
      promptVersionId: prompt.body.id,
      modelConfigId: config.body.id,
      judgeConfigIds: [judgeId],
      datasetIds: [dataset.body.id],
      thresholds: [
        { metric: 'accuracy', direction: 'min', value: 0 },
        { metric: 'assert.says-billing', direction: 'min', value: 0.9 },
      ],
    });
    candidateId = candidate.body.id;
    await owner.post(`/api/release-candidates/${candidateId}/submit`);
    const queued = await owner.post<Json>(`/api/release-candidates/${candidateId}/run-evals`, {
      executor: 'simulated',
    });
    if (queued.status !== 202) throw new Error(`run-evals answered ${queued.status}: ${JSON.stringify(queued.body)}`);
    runId = queued.body.id;
    await eventually(async () => {
      // A reset connection on a loaded machine (a keep-alive socket the server closed) is asked again, not a failure.
      const answer = await owner.get<Json>(`/api/eval-runs/${runId}`).catch(() => null);
      return answer && ['passed', 'failed', 'error'].includes(answer.body.status) ? answer.body : undefined;
    }, 120_000);
  }, 420_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("shows each assertion's pass rate with its threshold and verdict, and why a case failed one", async () => {
    // Act
    const page = await open('tessa.technical', `/eval-runs/${runId}`);
    const rates = page.getByRole('table', { name: 'Assertion pass rates' });
    await rates.waitFor();
    // Assess: the thresholded assertion with its rate in percent and its verdict; the others without threshold.
    const saysBilling = await rates.getByRole('row', { name: /says-billing/ }).innerText();
    expect(saysBilling).toMatch(/\d+(\.\d)? %\s+≥ 90 %\s+failed/);
    expect(await rates.getByRole('row', { name: /fast-enough/ }).innerText()).toMatch(
      /\d+(\.\d)? %\s+—\s+no threshold/,
    );
    await rates.getByRole('row', { name: /All assertions/ }).waitFor();
    // A case that failed says-billing says why, in its row.
    const cases = page.getByRole('region', { name: 'Cases' });
    const failing = cases.getByText(/^says-billing failed: /).first();
    await failing.waitFor();
    expect(await failing.innerText()).toMatch(/says-billing failed: .+/);
    // Route and attempts per case; no camelCase metric names.
    expect(await cases.innerText()).toContain('simulated:gpt-4o-mini');
    expect(await page.getByText('latencyP95Ms').count()).toBe(0);
    await page.getByText('p95 latency').first().waitFor();
    // A schema failure says why, on one of the first pages.
    let reason = 0;
    for (let i = 0; i < 3 && reason === 0; i++) {
      reason = await cases.locator('td .reason').filter({ hasNotText: 'failed:' }).count();
      if (reason === 0) await page.getByRole('button', { name: 'Next page' }).click();
      await page.waitForLoadState('networkidle');
    }
    expect(reason).toBeGreaterThan(0);
    await page.context().close();
  });

  it('draws the per-case charts with axis labels that do not overlap, at 1280 and 768 px', async () => {
    for (const width of [1280, 768]) {
      // Act
      const page = await open('tessa.technical', `/eval-runs/${runId}`, width);
      await settled(page, /Eval run/);
      await page.locator('figure.bar-chart text.x-label').first().waitFor();
      const charts = await axisLabels(page);
      // Assess: two charts, each with several x labels shown and none overlapping its neighbour.
      expect(charts).toHaveLength(2);
      for (const chart of charts) expect(chart.x.length).toBeGreaterThan(2);
      expect(overlaps(charts)).toEqual([]);
      await page.context().close();
    }
  });

  it('the candidate page names the pinned judge, and the judge config page shows its rubric and model', async () => {
    // Act
    const page = await open('tessa.technical', `/candidates/${candidateId}`);
    const link = page.getByRole('link', { name: 'no-legal-advice v1' }).first();
    await link.waitFor();
    await link.click();
    // Assess
    await page.waitForURL(`**/judge-configs/${judgeId}`);
    await page.getByRole('heading', { name: /no-legal-advice v1/ }).waitFor();
    await page.getByText('Rubric prompt').waitFor();
    await page.getByRole('link', { name: /openai · gpt-4o-mini \(primary v1\)/ }).waitFor();
    await page.context().close();
  });

  it('the eval-run, candidate and judge pages: no serious axe finding, CLS under 0.1, captured at 1280 and 768 px', async () => {
    const pages: [string, string, string | RegExp][] = [
      ['eval-run-assertions', `/eval-runs/${runId}`, /Eval run/],
      ['candidate-judges', `/candidates/${candidateId}`, 'Asserted release 1'],
      ['judge-config', `/judge-configs/${judgeId}`, /no-legal-advice v1/],
    ];
    const failures: string[] = [];
    for (const width of [1280, 768]) {
      for (const [name, path, heading] of pages) {
        const page = await open('tessa.technical', path, width);
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
