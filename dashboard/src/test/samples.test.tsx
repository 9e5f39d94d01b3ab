// @vitest-environment happy-dom
// The production samples page (ADR 0042): the last monitoring pass's scores beside the approval-time run, the
// samples a page at a time with what redaction replaced in counts, and the settings, editable with the API's errors.
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redactionSummary, settingsBody } from '../samples';
import { candidate, evalRun, RC_ACTIVE, SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, type Handler, page, renderAt } from './harness';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

const owner = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
const reviewer = fakeToken({ sub: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'] });

const APPROVAL_RUN = 'run_01JAPPROVALAAAAAAAAAAAAAAA';
const SAMPLE_RUN = 'run_01JSAMPLESAAAAAAAAAAAAAAAA';

const settings = {
  redaction: { builtIn: ['email', 'card'], patterns: [{ name: 'account-id', pattern: 'ACC-[0-9]{6}' }] },
  retentionDays: 30,
};

function sample(n: number) {
  return {
    id: `smp_${n}`,
    systemId: SYS,
    releaseId: RC_ACTIVE,
    environment: 'production',
    at: '2026-12-01T10:00:00.000Z',
    receivedAt: '2026-12-01T10:00:01.000Z',
    input: { ticket: `ticket ${n} from [email]` },
    output: `answer ${n}`,
    latencyMs: 90,
    costUsd: null,
    metadata: {},
    redactions: n === 1 ? { email: 2, 'account-id': 1 } : {},
    expiresAt: '2026-12-31T10:00:00.000Z',
  };
}

/** GET /api/systems/{id}/samples: page 1 (with a cursor) or, asked with that cursor, page 2. */
const samplesPages: Handler = (url, init) => {
  if ((init?.method ?? 'GET') !== 'GET' || url.pathname !== `/api/systems/${SYS}/samples`) return undefined;
  return url.searchParams.get('cursor') === 'page-2'
    ? { body: { items: [sample(21)], nextCursor: null } }
    : { body: { items: [sample(1), sample(2)], nextCursor: 'page-2' } };
};

function common(...extra: Handler[]) {
  return fakeApi(
    ...extra,
    get(`/api/systems/${SYS}`, system()),
    get(
      '/api/release-candidates',
      page([candidate({ id: RC_ACTIVE, name: 'Triage release 2', status: 'active', latestEvalRunId: APPROVAL_RUN })]),
    ),
    get(
      '/api/eval-runs',
      page([
        evalRun({ id: 'run_gate', candidateId: RC_ACTIVE }),
        evalRun({
          id: SAMPLE_RUN,
          candidateId: RC_ACTIVE,
          purpose: 'monitoring',
          status: 'failed',
          metrics: { ...evalRun().metrics, 'assert.no-legal-advice': 0.4 } as never,
          failureReasons: ['sample smp_2: no-legal-advice failed'],
          sampleWindow: {
            from: '2026-11-30T10:00:00.000Z',
            to: '2026-12-01T10:00:00.000Z',
            samples: 5,
            assertions: ['no-legal-advice'],
          },
        }),
      ]),
    ),
    get(
      `/api/eval-runs/${APPROVAL_RUN}`,
      evalRun({ id: APPROVAL_RUN, metrics: { ...evalRun().metrics, 'assert.no-legal-advice': 1 } as never }),
    ),
    get('/api/audit-events', page([])),
    samplesPages,
    get(`/api/systems/${SYS}/sample-settings`, settings),
  );
}

describe('the production samples page', () => {
  it("shows the last pass's pass rate on samples beside the approval-time run's, linked to the run", async () => {
    // Prepare
    common();
    // Act
    renderAt(`/systems/${SYS}/samples`, owner);
    const scores = await screen.findByRole('region', { name: 'Sample scores of the production release' });
    await within(scores).findByText('100 %');
    // Assess
    expect(scores.textContent).toContain('Triage release 2');
    const row = within(scores).getByText('Assertion no-legal-advice').closest('tr');
    expect(row?.textContent).toContain('40 %');
    expect(row?.textContent).toContain('100 %');
    expect(within(scores).getByRole('link', { name: '5 samples' }).getAttribute('href')).toBe(
      `/eval-runs/${SAMPLE_RUN}`,
    );
    expect(scores.textContent).toContain('sample smp_2: no-legal-advice failed');
    expect(screen.getByText(/No active staging release/)).toBeTruthy();
  });

  it('lists the samples a page at a time, with what redaction replaced in counts', async () => {
    // Prepare
    const api = common();
    renderAt(`/systems/${SYS}/samples`, owner);
    const first = await screen.findByText('answer 1');
    // Act
    const redacted = first.closest('tr')?.textContent;
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await screen.findByText('answer 21');
    // Assess
    expect(redacted).toContain('account-id: 1, e-mail addresses: 2');
    expect(screen.queryByText('answer 1')).toBeNull();
    expect(api.calls.map((c) => c.path)).toContain(`/api/systems/${SYS}/samples?limit=20&cursor=page-2`);
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a reviewer the scores but neither samples nor settings, and says who reads them', async () => {
    // Prepare
    const api = common();
    // Act
    renderAt(`/systems/${SYS}/samples`, reviewer);
    await screen.findByRole('region', { name: 'Sample scores of the production release' });
    // Assess
    expect(screen.getByText(/read by admins and the owners of support-ai/)).toBeTruthy();
    expect(api.calls.some((c) => c.path.includes('/samples?') || c.path.includes('sample-settings'))).toBe(false);
  });

  it('saves edited settings with a PUT, and shows the API’s 400 naming the field when it refuses', async () => {
    // Prepare
    const refusal = {
      type: '/problems/validation-error',
      title: 'Bad Request',
      status: 400,
      detail: 'the request does not match the contract',
      errors: [{ path: 'redaction.patterns.0.pattern', message: 'may not run in linear time' }],
    };
    const api = common((url, init) =>
      init?.method === 'PUT' && url.pathname === `/api/systems/${SYS}/sample-settings`
        ? { status: 400, body: refusal }
        : undefined,
    );
    renderAt(`/systems/${SYS}/samples`, owner);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    // Act
    fireEvent.click(screen.getByLabelText('phone numbers'));
    fireEvent.change(screen.getByLabelText('Pattern 1'), { target: { value: '(a+)+$' } });
    fireEvent.change(screen.getByLabelText(/Days a sample is kept/), { target: { value: '14' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const alert = await screen.findByRole('alert');
    // Assess
    expect(alert.textContent).toContain('redaction.patterns.0.pattern');
    expect(alert.textContent).toContain('may not run in linear time');
    const put = api.calls.find((c) => c.method === 'PUT');
    expect(put?.body).toEqual({
      redaction: { builtIn: ['email', 'phone', 'card'], patterns: [{ name: 'account-id', pattern: '(a+)+$' }] },
      retentionDays: 14,
    });
    expect(screen.getByRole('form', { name: 'Sample settings' })).toBeTruthy();
  });

  it('says nothing changed and a risk reviewer decides when the PUT answers a relaxation request (202)', async () => {
    // Prepare
    const request = { id: 'rlx_01LOOSER', kind: 'sample-settings', status: 'open' };
    const api = common((url, init) =>
      init?.method === 'PUT' && url.pathname === `/api/systems/${SYS}/sample-settings`
        ? { status: 202, body: request }
        : undefined,
    );
    renderAt(`/systems/${SYS}/samples`, owner);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit settings' }));
    // Act
    fireEvent.change(screen.getByLabelText(/Days a sample is kept/), { target: { value: '90' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    const status = await screen.findByRole('status');
    // Assess
    expect(status.textContent).toContain('nothing changed yet');
    expect(status.textContent).toContain('rlx_01LOOSER');
    expect(api.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
    expect(screen.queryByRole('form', { name: 'Sample settings' })).toBeNull();
    expect(screen.getByText(/30 days, then deleted/)).toBeTruthy();
  });
});

describe('what the samples page derives', () => {
  it('says what redaction replaced in counts, sorted by rule, and "nothing" when it replaced nothing', () => {
    expect(redactionSummary({ phone: 1, email: 3, card: 0 })).toBe('e-mail addresses: 3, phone numbers: 1');
    expect(redactionSummary({})).toBe('nothing');
  });

  it('drops blank pattern rows and sends a retention that is not a number as typed, for the API to name', () => {
    // Act
    const body = settingsBody({
      builtIn: ['card', 'email'],
      patterns: [
        { name: ' ref ', pattern: 'REF-\\d+', ignoreCase: true },
        { name: '', pattern: '', ignoreCase: false },
      ],
      retentionDays: 'soon',
    });
    // Assess
    expect(body).toEqual({
      redaction: { builtIn: ['email', 'card'], patterns: [{ name: 'ref', pattern: 'REF-\\d+', ignoreCase: true }] },
      retentionDays: 'soon',
    });
  });
});
