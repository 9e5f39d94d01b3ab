// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../functions/domain/types';
import { approval, candidate, RC, RC_ACTIVE, SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, incidentsOf, page, patch, post, renderAt } from './harness';

const OWNER = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
const TESSA = fakeToken({ sub: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'] });
const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });

const OVERVIEW = {
  totals: { systems: 1, candidates: 1, evalRuns: 0, openIncidents: 0, pendingApprovals: 0 },
  systemsByRiskTier: {},
  systemsByStatus: {},
  candidatesByStatus: {},
  evalRunsByStatus: {},
  incidentsBySeverity: {},
  systems: [
    {
      id: SYS,
      name: 'x',
      ownerTeam: 'support-ai',
      riskTier: 'high',
      status: 'active',
      activeReleases: { production: RC_ACTIVE, staging: null },
      openIncidents: 2,
      openBlockingIncidents: 0,
      candidates: 4,
      failedEvals: 1,
      awaitingApproval: 1,
    },
  ],
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('sign-in', () => {
  it('without a token, offers the local development identities and signs in with the chosen one', async () => {
    fakeApi(
      get('/config.json', { auth: { kind: 'local', identitiesUrl: '/local/identities' } }),
      get('/local/identities', {
        identities: [
          {
            principal: {
              userId: 'tessa.technical',
              name: 'Tessa Technical',
              roles: ['reviewer:technical'],
              teams: [],
              systems: [],
            },
            token: TESSA,
          },
        ],
      }),
      get('/api/systems', page([system()])),
      get('/api/metrics/overview', OVERVIEW),
    );
    renderAt('/', null);
    await userEvent.click(await screen.findByRole('button', { name: /Tessa Technical/ }));
    expect(await screen.findByRole('heading', { name: 'AI systems' })).toBeTruthy();
    expect(sessionStorage.getItem('gov.token')).toBe(TESSA);
  });
});

describe('systems registry', () => {
  it('lists systems with their active release and counts, searches through the API, and offers registration to owners', async () => {
    const evidence = system({ id: 'sys_01JZZZZZZZZZZZZZZZZZZZZZZZ', name: 'Evidence Extractor', riskTier: 'low' });
    const api = fakeApi(
      (url) =>
        url.pathname === '/api/systems'
          ? { body: page(url.searchParams.get('q') === 'evidence' ? [evidence] : [system(), evidence]) }
          : undefined,
      get('/api/metrics/overview', { ...OVERVIEW, totals: { ...OVERVIEW.totals, systems: 2 } }),
    );
    renderAt('/', OWNER);
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(await screen.findByText('Systems 1–2 of 2')).toBeTruthy();
    const row = screen.getByRole('link', { name: 'Consumer Support Triage Assistant' }).closest('tr') as HTMLElement;
    await waitFor(() => expect(within(row).getByTitle('1 failed evals, 1 awaiting approval').textContent).toBe('2'));
    expect(
      within(row)
        .getByRole('link', { name: /rc_01JCCCC/ })
        .getAttribute('href'),
    ).toBe(`/candidates/${RC_ACTIVE}`);
    await userEvent.type(screen.getByLabelText('Search'), 'evidence');
    expect(await screen.findByText('Systems 1–1 matching the filters')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeNull();
    // The search is sent once typing pauses, not per keystroke, and the API filters over every system.
    expect(api.calls.filter((c) => c.path.startsWith('/api/systems')).map((c) => c.path)).toEqual([
      '/api/systems?limit=50',
      '/api/systems?limit=50&q=evidence',
    ]);
    expect(screen.getByRole('button', { name: 'Register a system' })).toBeTruthy();
  });

  it('shows one page of systems at a time, with next and previous page buttons that follow the cursor', async () => {
    const second = system({ id: 'sys_01JYYYYYYYYYYYYYYYYYYYYYYY', name: 'Zeta Router' });
    const api = fakeApi(
      (url) =>
        url.pathname === '/api/systems'
          ? url.searchParams.get('cursor') === 'next-1'
            ? { body: page([second]) }
            : { body: { items: [system()], nextCursor: 'next-1' } }
          : undefined,
      get('/api/metrics/overview', { ...OVERVIEW, totals: { ...OVERVIEW.totals, systems: 2 } }),
    );
    renderAt('/', AUDITOR);
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(await screen.findByText('Systems 1–1 of 2')).toBeTruthy();
    const previous = screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement;
    expect(previous.disabled).toBe(true);
    screen.getByRole('button', { name: 'Next page' }).focus();
    await userEvent.keyboard('{Enter}');
    expect(await screen.findByRole('link', { name: 'Zeta Router' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeNull();
    expect(screen.getByText('Systems 2–2 of 2')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(api.calls.filter((c) => c.path.startsWith('/api/systems')).map((c) => c.path)).toEqual([
      '/api/systems?limit=50',
      '/api/systems?limit=50&cursor=next-1',
    ]);
  });

  it('does not offer registration to an auditor, and shows the problem document when the list fails', async () => {
    fakeApi(
      get(
        '/api/systems',
        { type: '/problems/internal', title: 'Internal Server Error', status: 500, detail: 'boom' },
        500,
      ),
      get('/api/metrics/overview', OVERVIEW),
    );
    renderAt('/', AUDITOR);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Internal Server Error (500)');
    expect(alert.textContent).toContain('boom');
    expect(screen.queryByRole('button', { name: 'Register a system' })).toBeNull();
  });

  it('validates the register form with the shared zod contract before sending anything', async () => {
    const api = fakeApi(get('/api/systems', page([])), get('/api/metrics/overview', OVERVIEW));
    renderAt('/', OWNER);
    await userEvent.click(await screen.findByRole('button', { name: 'Register a system' }));
    // The form is its own chunk, loaded on first opening.
    await userEvent.click(await screen.findByRole('button', { name: 'Register' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('name');
    expect(api.calls.filter((c) => c.method === 'POST')).toEqual([]);
  });
});

describe('release candidate', () => {
  const gate = (over: Record<string, unknown> = {}) => ({
    candidateId: RC,
    environment: 'production',
    status: 'eval_failed',
    activeCandidateId: RC_ACTIVE,
    requiredRoles: ['technical', 'product', 'risk'],
    promotable: false,
    reasons: [
      { code: 'INVALID_STATE', message: 'the candidate is eval_failed' },
      { code: 'EVAL_FAILED', message: 'the latest eval run failed: schemaValidRate 0.43 < 0.85' },
      { code: 'APPROVALS_INCOMPLETE', message: 'approvals missing: technical, product, risk' },
    ],
    ...over,
  });

  it('shows every blocking reason with its code, the snapshot hash, and no promotion for a reviewer', async () => {
    fakeApi(
      get(`/api/release-candidates/${RC}`, candidate()),
      get(`/api/release-candidates/${RC}/gate`, gate()),
      get(`/api/systems/${SYS}`, system()),
    );
    renderAt(`/candidates/${RC}`, TESSA);
    const reasons = await screen.findByRole('list', { name: 'Blocking reasons' });
    const items = within(reasons)
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(items).toEqual([
      'INVALID_STATE the candidate is eval_failed',
      'EVAL_FAILED the latest eval run failed: schemaValidRate 0.43 < 0.85',
      'APPROVALS_INCOMPLETE approvals missing: technical, product, risk',
    ]);
    expect(screen.getByText('c'.repeat(64))).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Promote' })).toBeNull();
    expect(screen.getByText(/Promotion and rollback are for the system's owners/)).toBeTruthy();
  });

  it('lets the owner promote after a confirm step, naming the release it replaces, and shows the API answer', async () => {
    const api = fakeApi(
      get(`/api/release-candidates/${RC}`, candidate({ status: 'approved' })),
      get(`/api/release-candidates/${RC}/gate`, gate({ status: 'approved', promotable: true, reasons: [] })),
      get(`/api/systems/${SYS}`, system()),
      post(`/api/release-candidates/${RC}/promote`, {
        candidate: candidate({ status: 'active' }),
        promotion: { id: 'prm_01JHHHHHHHHHHHHHHHHHHHHHHH', at: '2026-11-05T10:00:00.000Z' },
      }),
    );
    renderAt(`/candidates/${RC}`, OWNER);
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    expect(screen.getByText(/replacing/).textContent).toContain(RC_ACTIVE);
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    expect((await screen.findByRole('status')).textContent).toContain('prm_01JHHHHHHHHHHHHHHHHHHHHHHH');
    const promote = api.calls.find((c) => c.method === 'POST');
    expect(promote?.body).toMatchObject({ environment: 'production', expectedActiveCandidateId: RC_ACTIVE });
  });

  it('shows a refused promotion as the problem document with its reasons', async () => {
    fakeApi(
      get(`/api/release-candidates/${RC}`, candidate({ status: 'approved' })),
      get(`/api/release-candidates/${RC}/gate`, gate({ status: 'approved', promotable: true, reasons: [] })),
      get(`/api/systems/${SYS}`, system()),
      post(
        `/api/release-candidates/${RC}/promote`,
        {
          type: '/problems/active-release-changed',
          title: 'Conflict',
          status: 409,
          code: 'ACTIVE_RELEASE_CHANGED',
          detail: 'the active production release is rc_x, not rc_y as expected',
        },
        409,
      ),
    );
    renderAt(`/candidates/${RC}`, OWNER);
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('ACTIVE_RELEASE_CHANGED');
    expect(alert.textContent).toContain('Conflict (409)');
  });

  it('shows a refused promotion whose reason code a later API version added, as it shows any other', async () => {
    fakeApi(
      get(`/api/release-candidates/${RC}`, candidate({ status: 'approved' })),
      get(`/api/release-candidates/${RC}/gate`, gate({ status: 'approved', promotable: true, reasons: [] })),
      get(`/api/systems/${SYS}`, system()),
      post(
        `/api/release-candidates/${RC}/promote`,
        {
          type: '/problems/gate-blocked',
          title: 'Conflict',
          status: 409,
          detail: 'blocked: POLICY_WAIVER_EXPIRED',
          reasons: [{ code: 'POLICY_WAIVER_EXPIRED', message: 'the waiver of rule 2 expired' }],
        },
        409,
      ),
    );
    renderAt(`/candidates/${RC}`, OWNER);
    await userEvent.click(await screen.findByRole('button', { name: 'Promote' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('POLICY_WAIVER_EXPIRED');
    expect(alert.textContent).toContain('the waiver of rule 2 expired');
  });
});

describe('approval queue', () => {
  it("says why a reviewer cannot approve their own candidate and offers the decision on others'", async () => {
    const own = approval({ id: 'apr_01JOWNOWNOWNOWNOWNOWNOWNOW', candidateId: 'rc_01JOWNOWNOWNOWNOWNOWNOWNOW' });
    const other = approval();
    const api = fakeApi(
      get('/api/approvals', page([own, other])),
      get(
        '/api/release-candidates/rc_01JOWNOWNOWNOWNOWNOWNOWNOW',
        candidate({ id: 'rc_01JOWNOWNOWNOWNOWNOWNOWNOW', name: 'Tessa built this', createdBy: 'tessa.technical' }),
      ),
      get(`/api/release-candidates/${RC}`, candidate({ name: 'Owner built this', status: 'awaiting_approval' })),
      post(`/api/approvals/${other.id}/approve`, {
        approval: { ...other, status: 'approved', reviewerName: 'Tessa Technical' },
        candidate: candidate({ status: 'awaiting_approval' }),
      }),
    );
    renderAt('/approvals', TESSA);
    const ownCard = (await screen.findByRole('link', { name: 'Tessa built this' })).closest('li') as HTMLElement;
    expect(within(ownCard).getByRole('note').textContent).toContain('separation of duties');
    expect(within(ownCard).queryByRole('button', { name: 'Approve' })).toBeNull();

    const otherCard = screen.getByRole('link', { name: 'Owner built this' }).closest('li') as HTMLElement;
    const reject = within(otherCard).getByRole('button', { name: 'Reject' }) as HTMLButtonElement;
    expect(reject.disabled).toBe(true); // a rejection needs a comment
    await userEvent.click(within(otherCard).getByRole('button', { name: 'Approve' }));
    expect((await within(otherCard).findByRole('status')).textContent).toMatch(/Recorded: technical\s*approved/);
    expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual([
      `/api/approvals/${other.id}/approve`,
    ]);
  });
});

describe('incidents', () => {
  const INC = 'inc_01JDDDDDDDDDDDDDDDDDDDDDDD';
  const incident = (over: Partial<Incident> = {}): Incident => ({
    id: INC,
    systemId: SYS,
    candidateId: null,
    title: 'Wrong queue for refunds',
    description: 'Refund tickets land in billing.',
    severity: 'medium',
    status: 'open',
    resolution: null,
    createdAt: '2026-11-02T10:00:00.000Z',
    createdBy: 'omar.owner',
    updatedAt: '2026-11-02T10:00:00.000Z',
    resolvedAt: null,
    version: 1,
    ...over,
  });

  it('lets an owner edit an open incident after a confirm step that lists the changes, sending only those', async () => {
    const edited = incident({ title: 'Refunds routed to billing', severity: 'high', version: 2 });
    let current = incident();
    const api = fakeApi(
      get('/api/systems', page([system()])),
      incidentsOf(() => [current]),
      (url, init) => {
        const answer = patch(`/api/incidents/${INC}`, edited)(url, init);
        if (answer) current = edited;
        return answer;
      },
    );
    renderAt('/incidents', OWNER);
    const edit = await screen.findByRole('form', { name: `Edit incident ${INC}` });
    const save = within(edit).getByRole('button', { name: 'Save changes' }) as HTMLButtonElement;
    expect(save.disabled).toBe(true); // nothing changed yet

    const title = within(edit).getByLabelText('Title');
    await userEvent.clear(title);
    expect(save.disabled).toBe(true); // an empty title is not offered
    await userEvent.type(title, 'Refunds routed to billing');
    await userEvent.selectOptions(within(edit).getByLabelText('Severity'), 'high');
    await userEvent.click(save);
    const question = within(edit).getByRole('group');
    expect(question.textContent).toContain('Title: “Wrong queue for refunds” → “Refunds routed to billing”');
    expect(question.textContent).toContain('Severity: “medium” → “high”');
    expect(question.textContent).not.toContain('Description:');
    expect(api.calls.some((c) => c.method === 'PATCH')).toBe(false); // nothing sent before the confirmation

    await userEvent.click(within(edit).getByRole('button', { name: 'Confirm save changes' }));
    expect((await within(edit).findByRole('status')).textContent).toBe(
      'Saved (version 2): “Refunds routed to billing”, high, open.',
    );
    expect(api.calls.filter((c) => c.method === 'PATCH')).toEqual([
      {
        method: 'PATCH',
        path: `/api/incidents/${INC}`,
        body: { title: 'Refunds routed to billing', severity: 'high' },
      },
    ]);
    // The list shows the saved incident.
    expect(await screen.findByRole('heading', { name: /Refunds routed to billing/ })).toBeTruthy();
  });

  it('shows a refused edit as the problem document, and offers no edit to an auditor', async () => {
    fakeApi(
      get('/api/systems', page([system()])),
      incidentsOf([incident()]),
      patch(
        `/api/incidents/${INC}`,
        { type: '/problems/conflict', title: 'Conflict', status: 409, detail: 'the incident changed meanwhile' },
        409,
      ),
    );
    renderAt('/incidents', OWNER);
    const edit = await screen.findByRole('form', { name: `Edit incident ${INC}` });
    await userEvent.type(within(edit).getByLabelText('Description'), ' Since Monday.');
    await userEvent.click(within(edit).getByRole('button', { name: 'Save changes' }));
    await userEvent.click(within(edit).getByRole('button', { name: 'Confirm save changes' }));
    expect((await within(edit).findByText(/the incident changed meanwhile/)).textContent).toBeTruthy();
    cleanup();

    fakeApi(get('/api/systems', page([system()])), incidentsOf([incident()]));
    renderAt('/incidents', AUDITOR);
    expect(await screen.findByRole('heading', { name: /Wrong queue for refunds/ })).toBeTruthy();
    expect(screen.queryByRole('form', { name: `Edit incident ${INC}` })).toBeNull();
  });
});
