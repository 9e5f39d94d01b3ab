// @vitest-environment happy-dom
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyVersion } from '../policy';
import { approval, candidate, policyDocument, policyVersion, RC, SYS } from './fixtures';
import { fakeApi, fakeToken, get, page, patch, post, renderAt } from './harness';

const GRETA = fakeToken({ sub: 'greta.governance', name: 'Greta Governance', roles: ['reviewer:governance'] });
const GUS = fakeToken({ sub: 'gus.governance', name: 'Gus Governance', roles: ['reviewer:governance'] });
const RAHUL = fakeToken({ sub: 'rahul.risk', name: 'Rahul Risk', roles: ['reviewer:risk'] });
const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });

const tierRules = (over: Record<string, unknown> = {}) => ({
  approvers: {},
  requiredDatasetKinds: [],
  thresholdFloors: [],
  evalValidityHours: null,
  ...over,
});

/** Version 2 in force: production high needs two technical approvers, an adversarial dataset and accuracy 0.85. */
const STRICTER = policyDocument({
  version: 2,
  effectiveFrom: '2026-11-10T09:00:00.000Z',
  promotionRules: {
    production: {
      low: tierRules(),
      medium: tierRules(),
      high: tierRules({
        approvers: { technical: 2 },
        requiredDatasetKinds: ['adversarial'],
        thresholdFloors: [{ metric: 'accuracy', floor: 0.85 }],
        evalValidityHours: 720,
      }),
      critical: tierRules({
        approvers: { technical: 2 },
        requiredDatasetKinds: ['adversarial'],
        thresholdFloors: [{ metric: 'accuracy', floor: 0.85 }],
        evalValidityHours: 720,
      }),
    },
    staging: tierRules(),
  },
});

const V1 = policyVersion({ status: 'superseded', supersededAt: '2026-11-10T09:00:00.000Z' });
const V2 = policyVersion({
  version: 2,
  status: 'active',
  baseVersion: 1,
  document: STRICTER,
  documentHash: 'e'.repeat(64),
  reason: 'two technical approvers for high-risk systems',
  createdBy: { userId: 'greta.governance', name: 'Greta Governance' },
  createdAt: '2026-11-09T09:00:00.000Z',
  approvals: [
    { reviewerId: 'gus.governance', name: 'Gus Governance', at: '2026-11-09T10:00:00.000Z', reason: null },
    { reviewerId: 'ada.admin', name: 'Ada Admin', at: '2026-11-09T11:00:00.000Z', reason: null },
  ],
  activatedAt: '2026-11-10T09:00:00.000Z',
  activatedBy: { userId: 'ada.admin', name: 'Ada Admin' },
});

/** A submitted draft from version 2 that asks for a governance approver on high-risk systems. */
function draft(over: Partial<PolicyVersion> = {}): PolicyVersion {
  return policyVersion({
    version: 3,
    status: 'submitted',
    baseVersion: 2,
    document: {
      ...STRICTER,
      version: 3,
      effectiveFrom: null,
      tiers: { ...STRICTER.tiers, high: ['technical', 'product', 'risk', 'governance'] },
    },
    documentHash: 'f'.repeat(64),
    reason: 'a governance approver for high-risk systems',
    createdBy: { userId: 'greta.governance', name: 'Greta Governance' },
    createdAt: '2026-11-20T09:00:00.000Z',
    submittedAt: '2026-11-20T09:05:00.000Z',
    approvals: [],
    activatedAt: null,
    activatedBy: null,
    ...over,
  });
}

const listing = (...items: PolicyVersion[]) => ({
  active: items.find((v) => v.status === 'active'),
  items,
  nextCursor: null,
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

const rowOf = (table: HTMLElement, header: string) =>
  within(table).getByRole('rowheader', { name: header }).closest('tr') as HTMLElement;

describe('policy page', () => {
  it('shows the version in force in words per environment and tier, and the history of versions, read-only for an auditor', async () => {
    fakeApi(get('/api/policies', listing(V2, V1)));
    renderAt('/policy', AUDITOR);
    expect(await screen.findByRole('heading', { name: /Version 2 in force/ })).toBeTruthy();

    const promotion = screen.getByRole('table', { name: 'Promotion rules per environment and risk tier' });
    const cells = (header: string) =>
      within(rowOf(promotion, header))
        .getAllByRole('cell')
        .map((c) => c.textContent);
    expect(cells('production, high')).toEqual([
      'technical ×2, product, risk',
      'high, critical',
      'adversarial',
      'accuracy 0.85 or stricter',
      '720 h',
      'required',
    ]);
    expect(cells('production, low')).toEqual([
      'technical',
      'high, critical',
      'none',
      'none',
      'no limit',
      'not required',
    ]);
    expect(cells('staging, every tier')[0]).toBe('technical');

    const perTier = screen.getByRole('table', { name: 'Rules per risk tier' });
    expect(
      within(rowOf(perTier, 'critical'))
        .getAllByRole('cell')
        .map((c) => c.textContent),
    ).toEqual(['a failure blocks', 'every 30 days', 'high', 'open an incident and request a rollback']);
    expect(screen.getByText(/^2 governance reviewers who did not write the draft/)).toBeTruthy();

    const history = screen.getByRole('table', { name: 'Policy versions, newest first' });
    const rows = within(history).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getByRole('rowheader').textContent)).toEqual(['2', '1']);
    expect(rows[0]?.textContent).toContain('two technical approvers for high-risk systems');
    expect(rows[0]?.textContent).toContain('2 of 2');
    expect(within(rows[1] as HTMLElement).getByText('superseded')).toBeTruthy();

    expect(screen.getByText('No draft awaits a decision.')).toBeTruthy();
    expect(screen.queryByText('Propose a change')).toBeNull();
  });

  it('compares any two versions line by line, the rules only', async () => {
    fakeApi(get('/api/policies', listing(V2, V1)));
    renderAt('/policy', AUDITOR);
    const compare = (await screen.findByRole('heading', { name: 'Compare versions' })).closest(
      'section',
    ) as HTMLElement;
    // With no draft, the version in force against the one before it.
    expect((within(compare).getByLabelText('From') as HTMLSelectElement).value).toBe('1');
    expect((within(compare).getByLabelText('To') as HTMLSelectElement).value).toBe('2');
    const diff = within(compare)
      .getByText(/lines added/)
      .closest('figure') as HTMLElement;
    const added = [...diff.querySelectorAll('.diff-added')].map((l) => l.textContent?.trim());
    expect(added.some((line) => /^\+\s+"technical": 2$/.test(line ?? ''))).toBe(true);
    expect(added.some((line) => /^\+\s+"adversarial"$/.test(line ?? ''))).toBe(true);
    expect(diff.textContent).not.toContain('effectiveFrom');
    expect(diff.textContent).toMatch(/… \d+ unchanged lines/);

    await userEvent.selectOptions(within(compare).getByLabelText('From'), '2');
    expect(within(compare).getByText('The two documents hold the same rules.')).toBeTruthy();
  });

  it('offers no Approve to the author, keeps Activate disabled until the quorum is met, and lets another governance reviewer approve', async () => {
    let current = draft({
      approvals: [{ reviewerId: 'ada.admin', name: 'Ada Admin', at: '2026-11-20T10:00:00.000Z', reason: null }],
    });
    const api = fakeApi(
      (url, init) =>
        (init?.method ?? 'GET') === 'GET' && url.pathname === '/api/policies'
          ? { body: listing(current, V2, V1) }
          : undefined,
      (url, init) => {
        if (init?.method !== 'POST' || url.pathname !== '/api/policies/3/approve') return undefined;
        current = draft({
          approvals: [
            ...current.approvals,
            { reviewerId: 'gus.governance', name: 'Gus Governance', at: '2026-11-20T11:00:00.000Z', reason: null },
          ],
        });
        return { body: current };
      },
    );

    // The author: no Approve, and Activate says why it is disabled.
    renderAt('/policy', GRETA);
    const authorCard = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    expect(within(authorCard).getByText('Approvals: 1 of 2')).toBeTruthy();
    expect(within(authorCard).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(within(authorCard).getByRole('note').textContent).toContain('You wrote this draft');
    const activate = within(authorCard).getByRole('button', { name: 'Activate' }) as HTMLButtonElement;
    expect(activate.disabled).toBe(true);
    expect(within(authorCard).getByText(/needs 2 approvals .* it has 1\./)).toBeTruthy();
    cleanup();

    // Another governance reviewer approves; the quorum is met and Activate is enabled.
    renderAt('/policy', GUS);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    await userEvent.click(within(card).getByRole('button', { name: 'Approve' }));
    await userEvent.click(within(card).getByRole('button', { name: 'Confirm approve' }));
    expect(await within(card).findByText('Approvals: 2 of 2')).toBeTruthy();
    await waitFor(() =>
      expect((within(card).getByRole('button', { name: 'Activate' }) as HTMLButtonElement).disabled).toBe(false),
    );
    expect(within(card).queryByRole('button', { name: 'Approve' })).toBeNull();
    expect(within(card).getByRole('note').textContent).toContain('You approved this version');
    expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/policies/3/approve']);
  });

  it('activates a draft that has its quorum, after a confirm step, and shows the new version in force', async () => {
    let versions = [
      draft({
        approvals: [
          { reviewerId: 'ada.admin', name: 'Ada Admin', at: '2026-11-20T10:00:00.000Z', reason: null },
          { reviewerId: 'gus.governance', name: 'Gus Governance', at: '2026-11-20T11:00:00.000Z', reason: null },
        ],
      }),
      V2,
      V1,
    ];
    fakeApi(
      (url, init) =>
        (init?.method ?? 'GET') === 'GET' && url.pathname === '/api/policies'
          ? { body: listing(...versions) }
          : undefined,
      (url, init) => {
        if (init?.method !== 'POST' || url.pathname !== '/api/policies/3/activate') return undefined;
        const activated = {
          ...(versions[0] as PolicyVersion),
          status: 'active' as const,
          activatedAt: '2026-11-21T09:00:00.000Z',
        };
        versions = [activated, { ...V2, status: 'superseded' }, V1];
        return { body: activated };
      },
    );
    renderAt('/policy', GRETA);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    await userEvent.click(within(card).getByRole('button', { name: 'Activate' }));
    expect(within(card).getByRole('group', { name: /Version 2 is superseded/ })).toBeTruthy();
    await userEvent.click(within(card).getByRole('button', { name: 'Confirm activate' }));
    expect(await screen.findByRole('heading', { name: /Version 3 in force/ })).toBeTruthy();
    expect(screen.getByText('No draft awaits a decision.')).toBeTruthy();
  });

  it('shows a refused activation as the problem document with its code', async () => {
    const ready = draft({
      approvals: [
        { reviewerId: 'ada.admin', name: 'Ada Admin', at: '2026-11-20T10:00:00.000Z', reason: null },
        { reviewerId: 'gus.governance', name: 'Gus Governance', at: '2026-11-20T11:00:00.000Z', reason: null },
      ],
    });
    fakeApi(
      get('/api/policies', listing(ready, V2, V1)),
      post(
        '/api/policies/3/activate',
        {
          type: '/problems/conflict',
          title: 'Conflict',
          status: 409,
          code: 'POLICY_BASE_CHANGED',
          detail: 'version 4 was activated since this draft was written from version 2',
        },
        409,
      ),
    );
    renderAt('/policy', GUS);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    await userEvent.click(within(card).getByRole('button', { name: 'Activate' }));
    await userEvent.click(within(card).getByRole('button', { name: 'Confirm activate' }));
    const alert = await within(card).findByRole('alert');
    expect(alert.textContent).toContain('POLICY_BASE_CHANGED');
    expect(alert.textContent).toContain('Conflict (409)');
  });

  it('lets the author submit her draft, and offers her its withdrawal', async () => {
    const api = fakeApi(
      get('/api/policies', listing(draft({ status: 'draft', submittedAt: null }), V2, V1)),
      post('/api/policies/3/submit', draft()),
    );
    renderAt('/policy', GRETA);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    expect(within(card).getByRole('button', { name: 'Withdraw' })).toBeTruthy();
    expect(within(card).getByRole('note').textContent).toContain('You wrote this draft');
    await userEvent.click(within(card).getByRole('button', { name: 'Submit' }));
    await userEvent.click(within(card).getByRole('button', { name: 'Confirm submit' }));
    expect((await within(card).findByRole('status')).textContent).toBe('Submitted for approval.');
    expect(api.calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/policies/3/submit']);
  });

  it('lets the author edit her unsubmitted draft, sending the edited document and reason', async () => {
    const unsubmitted = draft({ status: 'draft', submittedAt: null });
    const api = fakeApi(
      get('/api/policies', listing(unsubmitted, V2, V1)),
      patch('/api/policies/3', { ...unsubmitted, reason: 'a governance approver for high and critical systems' }),
    );
    renderAt('/policy', GRETA);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    await userEvent.click(within(card).getByText('Edit the draft'));
    const form = within(card).getByRole('form', { name: 'Edit draft version 3' });
    const editor = within(form).getByLabelText(/^Policy document \(JSON\)/) as HTMLTextAreaElement;
    const edited = { ...(JSON.parse(editor.value) as Record<string, unknown>), stagingRoles: ['technical', 'product'] };
    await userEvent.clear(editor);
    await userEvent.click(editor);
    await userEvent.paste(JSON.stringify(edited));
    const reason = within(form).getByLabelText(/^Reason \(required\)/) as HTMLTextAreaElement;
    expect(reason.value).toBe('a governance approver for high-risk systems');
    await userEvent.type(reason, ' and staging');
    await userEvent.click(within(form).getByRole('button', { name: 'Save the draft' }));
    expect((await within(form).findByRole('status')).textContent).toMatch(/Saved draft version 3/);
    expect(api.calls.filter((c) => c.method === 'PATCH')).toEqual([
      {
        method: 'PATCH',
        path: '/api/policies/3',
        body: { document: edited, reason: 'a governance approver for high-risk systems and staging' },
      },
    ]);
  });

  it('proposes a change from the version in force with a reason, and shows the 400 problems beside the form', async () => {
    const api = fakeApi(
      get('/api/policies', listing(V2, V1)),
      post(
        '/api/policies',
        {
          type: '/problems/validation-error',
          title: 'Bad Request',
          status: 400,
          code: 'VALIDATION_FAILED',
          detail: 'invalid approval policy',
          problems: [
            'promotionRules.production.high.thresholdFloors[0].floor must be from 0 to 1 (accuracy)',
            'tiers.high has unknown values: legal',
          ],
        },
        400,
      ),
    );
    renderAt('/policy', GRETA);
    await userEvent.click(await screen.findByText('Propose a change'));
    const form = screen.getByRole('form', { name: 'Propose a policy change' });
    const editor = within(form).getByLabelText(/^Policy document \(JSON\)/) as HTMLTextAreaElement;
    // Prefilled with the version in force, without what activation sets.
    const prefilled = JSON.parse(editor.value) as Record<string, unknown>;
    expect(prefilled.promotionRules).toEqual(STRICTER.promotionRules);
    expect(prefilled).not.toHaveProperty('version');
    expect(prefilled).not.toHaveProperty('effectiveFrom');
    const create = within(form).getByRole('button', { name: 'Create the draft' }) as HTMLButtonElement;
    expect(create.disabled).toBe(true); // the reason is required

    // Not JSON: said at once, nothing sent.
    await userEvent.clear(editor);
    await userEvent.click(editor);
    await userEvent.paste('{ "tiers": ');
    await userEvent.type(within(form).getByLabelText(/^Reason \(required\)/), 'legal must approve high-risk systems');
    await userEvent.click(create);
    expect((await within(form).findByRole('alert')).textContent).toContain('The document is not JSON');
    expect(api.calls.some((c) => c.method === 'POST')).toBe(false);

    const proposed = { ...prefilled, tiers: { ...STRICTER.tiers, high: ['technical', 'product', 'risk', 'legal'] } };
    await userEvent.clear(editor);
    await userEvent.click(editor);
    await userEvent.paste(JSON.stringify(proposed));
    await userEvent.click(create);
    const problems = await within(form).findByRole('list', { name: 'Problems' });
    expect(
      within(problems)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual([
      'promotionRules.production.high.thresholdFloors[0].floor must be from 0 to 1 (accuracy)',
      'tiers.high has unknown values: legal',
    ]);
    expect(api.calls.filter((c) => c.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/api/policies',
        body: { document: proposed, reason: 'legal must approve high-risk systems' },
      },
    ]);
  });

  it("starts a dry run with the draft's document, shows its progress while it runs, and pages through what it would block", async () => {
    const running = {
      id: 'pdr_01JDRYRUN',
      status: 'running',
      startedAt: '2026-11-20T12:00:00.000Z',
      finishedAt: null,
      progress: { systemsDone: 1, systemsTotal: 3 },
      summary: null,
      items: [],
      nextCursor: null,
    };
    const blockedItem = (n: number) => ({
      systemId: SYS,
      systemName: `System ${n}`,
      riskTier: 'high',
      subject: 'candidate',
      candidateId: `rc_0${n}`,
      environment: 'production',
      reasons: [
        { code: 'APPROVALS_INCOMPLETE', message: 'approvals missing: governance' },
        { code: 'INVALID_STATE', message: 'the candidate is eval_failed' },
      ],
      newlyBlocked: ['APPROVALS_INCOMPLETE'],
    });
    let polls = 0;
    const api = fakeApi(
      get('/api/policies', listing(draft(), V2, V1)),
      post('/api/policy-dry-runs', running, 202),
      (url, init) => {
        if ((init?.method ?? 'GET') !== 'GET' || url.pathname !== '/api/policy-dry-runs/pdr_01JDRYRUN')
          return undefined;
        polls++;
        if (polls === 1) return { body: running };
        const done = {
          ...running,
          status: 'succeeded',
          finishedAt: '2026-11-20T12:00:05.000Z',
          progress: { systemsDone: 3, systemsTotal: 3 },
          summary: { candidatesChecked: 7, releasesChecked: 3, blocked: 2 },
        };
        return {
          body:
            url.searchParams.get('cursor') === 'page-2'
              ? { ...done, items: [blockedItem(2)], nextCursor: null }
              : { ...done, items: [blockedItem(1)], nextCursor: 'page-2' },
        };
      },
    );
    renderAt('/policy', GUS);
    const card = (await screen.findByRole('heading', { name: /^Version 3/ })).closest('li') as HTMLElement;
    await userEvent.click(within(card).getByRole('button', { name: 'Start a dry run' }));
    expect((await within(card).findByText(/1 of 3 systems read/)).textContent).toContain('running');
    expect(within(card).getByRole('progressbar')).toBeTruthy();

    const table = await within(card).findByRole('table', { name: 'What the draft would block' });
    expect(within(card).getByText(/7 candidates and 3 active releases checked, 2 would be blocked/)).toBeTruthy();
    expect(within(card).queryByRole('progressbar')).toBeNull();
    expect(within(table).getByRole('link', { name: 'System 1' })).toBeTruthy();
    const reasons = within(table)
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(reasons).toEqual([
      'APPROVALS_INCOMPLETEnew approvals missing: governance',
      'INVALID_STATE the candidate is eval_failed',
    ]);
    await userEvent.click(within(card).getByRole('button', { name: 'Next results' }));
    expect(await within(card).findByRole('link', { name: 'System 2' })).toBeTruthy();
    expect((within(card).getByRole('button', { name: 'Next results' }) as HTMLButtonElement).disabled).toBe(true);

    const start = api.calls.find((c) => c.method === 'POST');
    expect(start).toEqual({ method: 'POST', path: '/api/policy-dry-runs', body: { document: draft().document } });
  });
});

describe('relaxation requests in the approval queue', () => {
  const request = (over: Record<string, unknown> = {}) => ({
    id: 'rlx_01JTIER',
    kind: 'risk-tier',
    systemId: SYS,
    systemName: 'Consumer Support Triage Assistant',
    subject: { type: 'system', id: SYS },
    from: 'high',
    to: 'medium',
    reason: 'no longer routes refunds',
    requestedBy: { userId: 'omar.owner', name: 'Omar Owner' },
    requestedAt: '2026-11-20T09:00:00.000Z',
    expiresAt: '2026-11-27T09:00:00.000Z',
    status: 'open',
    deciderRole: 'risk',
    decidedBy: null,
    decidedAt: null,
    decisionReason: null,
    ...over,
  });
  const waiver = request({
    id: 'rlx_01JWAIVER',
    kind: 'waiver',
    subject: { type: 'candidate', id: RC },
    from: 'c'.repeat(64),
    to: 'MODEL_CARD_INCOMPLETE',
    deciderRole: 'governance',
  });

  it('lists the open requests with what they lower and who asked, and lets the deciding role approve with a reason', async () => {
    const api = fakeApi(
      get('/api/approvals', page([approval()])),
      get(`/api/release-candidates/${RC}`, candidate({ status: 'awaiting_approval' })),
      get('/api/relaxation-requests', page([request(), waiver])),
      post('/api/relaxation-requests/rlx_01JTIER/approve', {
        ...request(),
        status: 'approved',
        decidedBy: { userId: 'rahul.risk', name: 'Rahul Risk' },
      }),
    );
    renderAt('/approvals', RAHUL);
    const requests = await screen.findByRole('list', { name: 'Open relaxation requests' });
    const [tier, waived] = within(requests).getAllByRole('listitem') as [HTMLElement, HTMLElement];
    expect(within(tier).getByRole('heading').textContent).toMatch(
      /^Lower the risk tier: Consumer Support Triage Assistant\s*open$/,
    );
    expect(tier.textContent).toContain('from high to medium');
    expect(tier.textContent).toContain('asked by Omar Owner');
    expect(tier.textContent).toContain('no longer routes refunds');
    expect(within(tier).getByText('2026-11-27 09:00')).toBeTruthy();
    // A waiver is a governance reviewer's decision, bound to the candidate's snapshot.
    expect(waived.textContent).toContain('waive MODEL_CARD_INCOMPLETE for snapshot cccccccccccc…');
    expect(within(waived).getByRole('note').textContent).toBe('A governance reviewer decides this request.');
    expect(
      within(waived)
        .getByRole('link', { name: /candidate/ })
        .getAttribute('href'),
    ).toBe(`/candidates/${RC}`);

    const approve = within(tier).getByRole('button', { name: 'Approve' }) as HTMLButtonElement;
    expect(approve.disabled).toBe(true); // the reason is required
    await userEvent.type(within(tier).getByLabelText(/^Reason \(required\)/), 'refunds moved to another system');
    await userEvent.click(approve);
    expect((await within(tier).findByRole('status')).textContent).toMatch(/the request is\s*approved\s*by Rahul Risk/);
    expect(api.calls.filter((c) => c.method === 'POST')).toEqual([
      {
        method: 'POST',
        path: '/api/relaxation-requests/rlx_01JTIER/approve',
        body: { reason: 'refunds moved to another system' },
      },
    ]);
  });

  it("shows the server's refusal as its problem document, and offers the requester no decision", async () => {
    fakeApi(
      get('/api/approvals', page([])),
      get(
        '/api/relaxation-requests',
        page([request(), request({ id: 'rlx_01JOWN', requestedBy: { userId: 'rahul.risk', name: 'Rahul Risk' } })]),
      ),
      post(
        '/api/relaxation-requests/rlx_01JTIER/reject',
        {
          type: '/problems/forbidden',
          title: 'Forbidden',
          status: 403,
          code: 'FORBIDDEN',
          detail: 'rahul.risk is on the owning team of the system',
        },
        403,
      ),
    );
    renderAt('/approvals', RAHUL);
    const requests = await screen.findByRole('list', { name: 'Open relaxation requests' });
    const [other, own] = within(requests).getAllByRole('listitem') as [HTMLElement, HTMLElement];
    expect(within(own).getByRole('note').textContent).toContain('You asked for this relaxation');
    expect(within(own).queryByRole('button', { name: 'Approve' })).toBeNull();

    await userEvent.type(within(other).getByLabelText(/^Reason \(required\)/), 'still high risk');
    await userEvent.click(within(other).getByRole('button', { name: 'Reject' }));
    const alert = await within(other).findByRole('alert');
    expect(alert.textContent).toContain('Forbidden (403)');
    expect(alert.textContent).toContain('on the owning team');
  });
});
