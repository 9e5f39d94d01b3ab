// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Incident } from '../../../functions/domain/types';
import { approval, candidate, candidateContext, RC, RC_ACTIVE, SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, incidentsOf, page, patch, post, renderAt } from './harness';

const OWNER = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
const TESSA = fakeToken({ sub: 'tessa.technical', name: 'Tessa Technical', roles: ['reviewer:technical'] });
const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });

/** GET /api/metrics/registry: the rows of the systems named (ADR 0048). */
const OVERVIEW = {
  reportingDeadlines: [],
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
      get('/api/metrics/registry', OVERVIEW),
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
          ? {
              body: page(
                url.searchParams.get('q') === 'evidence'
                  ? [evidence]
                  : [{ ...system(), activeReleaseNames: { production: 'Triage release 1', staging: null } }, evidence],
              ),
            }
          : undefined,
      get('/api/metrics/registry', OVERVIEW),
    );
    renderAt('/', OWNER);
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(await screen.findByText('Systems 1–2')).toBeTruthy();
    const row = screen.getByRole('link', { name: 'Consumer Support Triage Assistant' }).closest('tr') as HTMLElement;
    await waitFor(() =>
      expect(within(row).getByTitle('1 failed evals, 1 awaiting approval, 0 blocking incidents').textContent).toBe('2'),
    );
    // The active release by name, its id in the title; a release whose name the list lacks shows its id's tail.
    expect(within(row).getByRole('link', { name: 'Triage release 1' }).getAttribute('href')).toBe(
      `/candidates/${RC_ACTIVE}`,
    );
    const other = screen.getByRole('link', { name: 'Evidence Extractor' }).closest('tr') as HTMLElement;
    expect(
      within(other)
        .getByRole('link', { name: /…CCCCCCCC/ })
        .getAttribute('title'),
    ).toBe(RC_ACTIVE);
    expect(screen.getByText(/Blockers/, { selector: 'p *' }).closest('p')?.textContent).toContain(
      'open incidents of a severity the policy blocks promotion on',
    );
    await userEvent.type(screen.getByLabelText('Search'), 'evidence');
    expect(await screen.findByText('Systems 1–1 matching the filters')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeNull();
    // The search is sent once typing pauses, not per keystroke, and the API filters over every system.
    expect(api.calls.filter((c) => c.path.startsWith('/api/systems')).map((c) => c.path)).toEqual([
      '/api/systems?limit=50',
      '/api/systems?limit=50&q=evidence',
    ]);
    // The counts are asked for the rows on screen, by id, never for the whole registry.
    expect(api.calls.filter((c) => c.path.startsWith('/api/metrics/registry')).map((c) => c.path)).toEqual([
      `/api/metrics/registry?systemIds=${SYS}%2C${evidence.id}`,
      `/api/metrics/registry?systemIds=${evidence.id}`,
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
      get('/api/metrics/registry', OVERVIEW),
    );
    renderAt('/', AUDITOR);
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(await screen.findByText('Systems 1–1, more on the next pages')).toBeTruthy();
    const previous = screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement;
    expect(previous.disabled).toBe(true);
    screen.getByRole('button', { name: 'Next page' }).focus();
    await userEvent.keyboard('{Enter}');
    expect(await screen.findByRole('link', { name: 'Zeta Router' })).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeNull();
    expect(screen.getByText('Systems 2–2')).toBeTruthy();
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('link', { name: 'Consumer Support Triage Assistant' })).toBeTruthy();
    expect(api.calls.filter((c) => c.path.startsWith('/api/systems')).map((c) => c.path)).toEqual([
      '/api/systems?limit=50',
      '/api/systems?limit=50&cursor=next-1',
    ]);
    // Each page's counts are asked for its own rows; back on the first page they answer from the cache.
    expect(api.calls.filter((c) => c.path.startsWith('/api/metrics/registry')).map((c) => c.path)).toEqual([
      `/api/metrics/registry?systemIds=${SYS}`,
      `/api/metrics/registry?systemIds=${second.id}`,
    ]);
  });

  it('does not offer registration to an auditor, and shows the problem document when the list fails', async () => {
    fakeApi(
      get(
        '/api/systems',
        { type: '/problems/internal', title: 'Internal Server Error', status: 500, detail: 'boom' },
        500,
      ),
      get('/api/metrics/registry', OVERVIEW),
    );
    renderAt('/', AUDITOR);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Internal Server Error (500)');
    expect(alert.textContent).toContain('boom');
    expect(screen.queryByRole('button', { name: 'Register a system' })).toBeNull();
  });

  it('validates the register form with the shared zod contract before sending anything', async () => {
    const api = fakeApi(get('/api/systems', page([])), get('/api/metrics/registry', OVERVIEW));
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
  const REASONS = [
    { code: 'INVALID_STATE', message: 'the candidate is eval_failed' },
    { code: 'EVAL_FAILED', message: 'the latest eval run failed: schemaValidRate 0.43 < 0.85' },
    { code: 'APPROVALS_INCOMPLETE', message: 'approvals missing: technical, product, risk' },
  ] as const;
  const ctxPath = `/api/release-candidates/${RC}/context`;
  const approved = () =>
    candidateContext({ candidate: { status: 'approved' }, gate: { status: 'approved', promotable: true } });

  it('shows every blocking reason with its code and words, the snapshot hash, and no promotion for a reviewer', async () => {
    fakeApi(get(ctxPath, candidateContext({ gate: { reasons: [...REASONS] } })));
    renderAt(`/candidates/${RC}`, TESSA);
    const reasons = await screen.findByRole('list', { name: 'Blocking reasons' });
    const items = within(reasons)
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(items).toEqual([
      'INVALID_STATE the candidate is eval_failedThe candidate is not in a promotable state',
      'EVAL_FAILED the latest eval run failed: schemaValidRate 0.43 < 0.85The latest eval run failed',
      'APPROVALS_INCOMPLETE approvals missing: technical, product, riskRequired approvals are missing',
    ]);
    expect(screen.getByText('Blocked by 3 reasons')).toBeTruthy();
    expect(screen.getByText('c'.repeat(64))).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Promote' })).toBeNull();
    expect(screen.getByText(/Promotion and rollback are for the system's owners/)).toBeTruthy();
  });

  it('names the prompt, the model and the datasets first, and puts every metric beside the active release with its delta and verdict', async () => {
    fakeApi(get(ctxPath, candidateContext()));
    renderAt(`/candidates/${RC}`, TESSA);
    expect((await screen.findByRole('link', { name: 'ticket-triage v3' })).getAttribute('href')).toBe(
      '/prompts/pv_01JDDDDDDDDDDDDDDDDDDDDDDD',
    );
    expect(screen.getAllByText('openai · gpt-4o (triage-model v1)').length).toBeGreaterThan(0);
    const table = screen.getByRole('table', { name: 'Metrics beside the active and last-known-good releases' });
    const accuracy = within(table).getByRole('row', { name: /Accuracy/ });
    expect(accuracy.textContent).toContain('≥ 0.8 (tolerance 0.02)');
    expect(accuracy.textContent).toContain('0.95 −0.04');
    expect(accuracy.textContent).toContain('regressed');
    expect(within(table).getByRole('row', { name: /p95 latency/ }).textContent).toContain('900 −260 better');
    // The active release was judged on another version of the dataset: marked, by name.
    expect(screen.getByRole('note').textContent).toMatch(
      /datasets differ.*not in this candidate: baseline-tickets v1.*only in this candidate: baseline-tickets v2/,
    );
    // The prompt and model config diffs against the active release.
    const diffs = document.getElementById('diffs') as HTMLElement;
    expect([...diffs.querySelectorAll('.diff-added')].map((l) => l.textContent)).toEqual([
      '+ Answer in JSON.',
      '+   "model": "gpt-4o",',
    ]);
  });

  it('asks the owner for a reason, names the replaced release in the confirm step, sends the reason, and shows the candidate active afterwards', async () => {
    let promoted = false;
    const api = fakeApi(
      (url, init) =>
        (init?.method ?? 'GET') === 'GET' && url.pathname === ctxPath
          ? {
              body: promoted
                ? candidateContext({
                    candidate: { status: 'active', activatedAt: '2026-11-05T10:00:00.000Z' },
                    gate: { status: 'active', activeCandidateId: RC, reasons: REASONS.slice(0, 1) },
                  })
                : approved(),
            }
          : undefined,
      (url, init) => {
        if (init?.method !== 'POST' || url.pathname !== `/api/release-candidates/${RC}/promote`) return undefined;
        promoted = true;
        return {
          body: {
            candidate: candidate({ status: 'active' }),
            promotion: {
              id: 'prm_01JHHHHHHHHHHHHHHHHHHHHHHH',
              at: '2026-11-05T10:00:00.000Z',
              reason: 'dispute fix approved by all three reviewers',
            },
          },
        };
      },
    );
    renderAt(`/candidates/${RC}`, OWNER);
    const promote = (await screen.findByRole('button', { name: 'Promote' })) as HTMLButtonElement;
    expect(promote.disabled).toBe(true);
    expect(screen.getByText('A promotion needs a reason.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText(/Promotion reason/), 'dispute fix approved by all three reviewers');
    await userEvent.click(promote);
    const question = screen.getByText(/replacing/).textContent;
    expect(question).toContain('Triage release 1: prompt v1');
    expect(question).toContain('dispute fix approved by all three reviewers');
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    expect((await screen.findByRole('status')).textContent).toContain('prm_01JHHHHHHHHHHHHHHHHHHHHHHH');
    expect(api.calls.find((c) => c.method === 'POST')?.body).toEqual({
      environment: 'production',
      expectedActiveCandidateId: RC_ACTIVE,
      reason: 'dispute fix approved by all three reviewers',
    });
    // After the refresh: active, with neither a blocked gate nor a Promote button above the answer.
    await waitFor(() => expect(screen.getAllByText(/The active release of production since/).length).toBe(1));
    expect(screen.queryByText(/Blocked by/)).toBeNull();
    expect(screen.queryByRole('button', { name: 'Promote' })).toBeNull();
    expect(screen.getByRole('status').textContent).toContain('dispute fix approved by all three reviewers');
  });

  it('says when, why and to what a rolled-back candidate was rolled back, and which incident', async () => {
    const ctx = candidateContext({ candidate: { status: 'rolled_back' } });
    ctx.rollback = {
      record: {
        id: 'rb_01JHHHHHHHHHHHHHHHHHHHHHHH',
        systemId: SYS,
        environment: 'production',
        fromCandidateId: RC,
        toCandidateId: RC_ACTIVE,
        reason: 'billing disputes misrouted',
        incidentId: 'inc_01JDDDDDDDDDDDDDDDDDDDDDDD',
        actor: 'omar.owner',
        at: '2026-11-06T09:10:00.000Z',
      },
      target: candidate({ id: RC_ACTIVE, name: 'Triage release 1: prompt v1', status: 'active' }),
      incident: {
        id: 'inc_01JDDDDDDDDDDDDDDDDDDDDDDD',
        systemId: SYS,
        candidateId: RC,
        title: 'Disputes misrouted',
        description: '',
        severity: 'high',
        status: 'resolved',
        resolution: 'rolled back',
        createdAt: '2026-11-06T09:00:00.000Z',
        createdBy: 'tessa.technical',
        updatedAt: '2026-11-06T09:30:00.000Z',
        resolvedAt: '2026-11-06T09:30:00.000Z',
        version: 2,
      },
    };
    fakeApi(get(ctxPath, ctx));
    renderAt(`/candidates/${RC}`, TESSA);
    const section = await screen.findByRole('region', { name: 'Rolled back' });
    expect(section.textContent).toContain('2026-11-06 09:10');
    expect(section.textContent).toContain('“billing disputes misrouted”');
    expect(within(section).getByRole('link', { name: 'Triage release 1: prompt v1' })).toBeTruthy();
    expect(within(section).getByRole('link', { name: 'Disputes misrouted' })).toBeTruthy();
  });

  it('shows a refused promotion as the problem document with its reasons', async () => {
    fakeApi(
      get(ctxPath, approved()),
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
    await userEvent.type(await screen.findByLabelText(/Promotion reason/), 'ship it');
    await userEvent.click(screen.getByRole('button', { name: 'Promote' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('ACTIVE_RELEASE_CHANGED');
    expect(alert.textContent).toContain('Conflict (409)');
  });

  it('shows a refused promotion whose reason code a later API version added, as it shows any other', async () => {
    fakeApi(
      get(ctxPath, approved()),
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
    await userEvent.type(await screen.findByLabelText(/Promotion reason/), 'ship it');
    await userEvent.click(screen.getByRole('button', { name: 'Promote' }));
    await userEvent.click(screen.getByRole('button', { name: 'Confirm promote' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('POLICY_WAIVER_EXPIRED');
    expect(alert.textContent).toContain('the waiver of rule 2 expired');
  });
});

describe('approval queue', () => {
  it("says why a reviewer cannot approve their own candidate and offers the decision on others'", async () => {
    const OWN = 'rc_01JOWNOWNOWNOWNOWNOWNOWNOW';
    const own = approval({ id: 'apr_01JOWNOWNOWNOWNOWNOWNOWNOW', candidateId: OWN });
    const other = approval();
    const api = fakeApi(
      get('/api/approvals', page([own, other])),
      get(
        `/api/release-candidates/${OWN}/context`,
        candidateContext({ candidate: { id: OWN, name: 'Tessa built this', createdBy: 'tessa.technical' } }),
      ),
      get(
        `/api/release-candidates/${RC}/context`,
        candidateContext({ candidate: { name: 'Owner built this', status: 'awaiting_approval' } }),
      ),
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

  it("carries the evidence on the card: the gate's verdict, key metrics against thresholds and the active release, links to the diffs, pending relaxations", async () => {
    const ctx = candidateContext({
      candidate: { status: 'awaiting_approval' },
      gate: {
        reasons: [
          { code: 'APPROVALS_INCOMPLETE', message: 'approvals missing: technical' },
          { code: 'BLOCKING_INCIDENT_OPEN', message: 'a high incident is open' },
        ],
        pendingRelaxations: [
          {
            id: 'rlx_01JHHHHHHHHHHHHHHHHHHHHHHH',
            kind: 'risk-tier',
            from: 'high',
            to: 'medium',
            requestedBy: { userId: 'omar.owner', name: 'Omar Owner' },
            expiresAt: '2026-11-20T10:00:00.000Z',
          },
        ],
      },
    });
    fakeApi(get('/api/approvals', page([approval()])), get(`/api/release-candidates/${RC}/context`, ctx));
    renderAt('/approvals', TESSA);
    const card = (await screen.findByRole('link', { name: ctx.candidate.name })).closest('li') as HTMLElement;
    expect(card.textContent).toContain('BLOCKING_INCIDENT_OPEN A blocking incident is open on the system');
    expect(card.textContent).toContain('replaces Triage release 1: prompt v1');
    const metrics = within(card).getByRole('table', { name: /Key metrics/ });
    // Only the metrics the candidate sets thresholds on.
    expect(within(metrics).getAllByRole('row').length).toBe(2);
    expect(within(metrics).getByRole('row', { name: /Accuracy/ }).textContent).toContain('regressed');
    expect(within(card).getByRole('link', { name: 'Prompt and model config diffs' }).getAttribute('href')).toBe(
      `/candidates/${RC}#diffs`,
    );
    expect(card.textContent).toMatch(/risk tier: high → medium, asked by Omar Owner/);
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
