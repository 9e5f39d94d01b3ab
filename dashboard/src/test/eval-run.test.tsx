// @vitest-environment happy-dom
import { cleanup, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { candidateContext, evalRun, RC } from './fixtures';
import { fakeApi, fakeToken, get, page, renderAt } from './harness';

const TESSA = fakeToken({ sub: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'] });
const RUN = 'run_01JHHHHHHHHHHHHHHHHHHHHHHH';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

const failingCase = {
  index: 0,
  caseId: 'case-7',
  tags: ['lang:de'],
  expectedLabel: 'billing',
  predictedLabel: 'account',
  output: { label: 'account' },
  correct: false,
  schemaValid: false,
  schemaReason: "the output must have required property 'confidence'",
  latencyMs: 1234.5678901234,
  costUsd: 0.000123456789,
  timedOut: true,
  fallbackUsed: true,
  fallbackSucceeded: true,
  error: null,
  assertions: [
    { type: 'is-json', name: 'json', pass: true, score: 1, reason: 'the output is JSON' },
    { type: 'contains', name: 'says-billing', pass: false, score: 0, reason: 'the output does not contain "billing"' },
  ],
  execution: {
    route: 'primary',
    attempts: 3,
    tokensIn: 10,
    tokensOut: 20,
    error: 'primary: timed out',
    calls: [
      {
        route: 'primary',
        connection: 'pc_1@1',
        provider: 'openai',
        model: 'gpt-4o-mini',
        fallback: false,
        status: null,
        latencyMs: 500,
        retryAfterMs: null,
        error: 'timed out',
      },
      {
        route: 'primary',
        connection: 'pc_1@1',
        provider: 'openai',
        model: 'gpt-4o',
        fallback: true,
        status: 200,
        latencyMs: 700,
        retryAfterMs: null,
        error: null,
      },
    ],
  },
};

describe('eval run page', () => {
  it('shows each assertion pass rate with its threshold and verdict, and per case why an assertion or the schema failed', async () => {
    // Prepare
    const run = evalRun({
      status: 'failed',
      metrics: {
        ...(evalRun().metrics as NonNullable<ReturnType<typeof evalRun>['metrics']>),
        latencyMeanMs: 812.3456789012345,
        costMeanUsd: 0.00012345678,
        'assert.json': 1,
        'assert.says-billing': 0.3333333333333333,
        'assert.pass_rate': 0.3333333333333333,
      },
      thresholdVerdicts: [
        { metric: 'accuracy', direction: 'min', threshold: 0.8, actual: 0.91, passed: true },
        { metric: 'assert.says-billing', direction: 'min', threshold: 0.9, actual: 0.3333333333333333, passed: false },
      ],
    });
    fakeApi(get(`/api/eval-runs/${RUN}`, run), get(`/api/eval-runs/${RUN}/cases`, page([failingCase])));
    // Act
    renderAt(`/eval-runs/${RUN}`, TESSA);
    const rates = await screen.findByRole('table', { name: 'Assertion pass rates' });
    // Assess
    expect(within(rates).getByRole('row', { name: /says-billing/ }).textContent).toBe('says-billing33.3 %≥ 90 %failed');
    expect(within(rates).getByRole('row', { name: /^json/ }).textContent).toBe('json100 %—no threshold');
    expect(within(rates).getByRole('row', { name: /All assertions/ }).textContent).toContain('33.3 %');
    // Display names and units instead of camelCase and 16 decimals.
    expect(screen.getByText('Mean latency').nextSibling?.textContent).toBe('812 ms');
    expect(screen.getByText('Mean cost per case').nextSibling?.textContent).toBe('$0.000123');
    expect(screen.queryByText('latencyMeanMs')).toBeNull();
    const row = within(await screen.findByRole('table', { name: /Cases 1 to 1/ })).getByRole('row', { name: /case-7/ });
    expect(row.textContent).toContain("invalidthe output must have required property 'confidence'");
    expect(row.textContent).toContain('1 of 2 passedsays-billing failed: the output does not contain "billing"');
    expect(row.textContent).toContain('primary · openai/gpt-4o');
    expect(
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toContain('3');
    expect(row.textContent).toContain('1,235 ms');
    expect(row.textContent).toContain('$0.000123');
    // Expanding the assertions shows each one's verdict, score and reason.
    await userEvent.click(within(row).getByText(/1 of 2 passed/));
    expect(within(row).getByText(/is-json\): passed, score 1 · the output is JSON/)).toBeTruthy();
  });
});

describe('judges', () => {
  it("names the candidate's pinned judge with its version, status and model, linked to its page", async () => {
    // Prepare
    fakeApi(get(`/api/release-candidates/${RC}/context`, candidateContext()));
    // Act
    renderAt(`/candidates/${RC}`, TESSA);
    const link = (await screen.findAllByRole('link', { name: 'no-legal-advice v2' }))[0];
    // Assess
    expect(link?.getAttribute('href')).toBe('/judge-configs/jc_01JGGGGGGGGGGGGGGGGGGGGGGG');
    expect(screen.getAllByText(/judged by openai · gpt-4o-mini \(judge-model v1\)/).length).toBeGreaterThan(0);
  });

  it('shows a judge config version: its rubric, output schema, model config and status', async () => {
    // Prepare
    const judge = candidateContext().sides[0]?.judgeConfigs[0];
    const model = candidateContext().sides[0]?.judgeModelConfigs[0];
    fakeApi(
      get(`/api/judge-configs/${judge?.id}`, judge),
      get(`/api/model-configs/${model?.id}`, model),
      get('/api/judge-configs', page([judge])),
      get('/api/release-candidates', page([])),
    );
    // Act
    renderAt(`/judge-configs/${judge?.id}`, TESSA);
    // Assess
    await screen.findByRole('heading', { name: /no-legal-advice v2/ });
    expect(screen.getByText(/^judge config ·/)).toBeTruthy();
    expect(screen.getAllByText('Grade {{output}} against {{rubric}}').length).toBeGreaterThan(0);
    expect(
      (await screen.findByRole('link', { name: 'openai · gpt-4o-mini (judge-model v1)' })).getAttribute('href'),
    ).toBe(`/model-configs/${model?.id}`);
    expect(screen.getAllByText(/"required": \[/).length).toBeGreaterThan(0);
  });
});
