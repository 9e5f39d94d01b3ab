// @vitest-environment happy-dom
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReportingDeadline } from '../../../functions/domain/overview';
import type { Incident, SeriousIncident } from '../../../functions/domain/types';
import { ReportingDeadlines } from '../pages/metrics';
import { SYS, system } from './fixtures';
import { fakeApi, fakeToken, get, incidentsOf, page, patch, post, renderAt } from './harness';

const OWNER = fakeToken({ sub: 'omar.owner', name: 'Omar Owner', roles: ['model_owner'], teams: ['support-ai'] });
const AUDITOR = fakeToken({ sub: 'aud.auditor', name: 'Aud Auditor', roles: ['auditor'] });
const INC = 'inc_01JDDDDDDDDDDDDDDDDDDDDDDD';
const HOUR = 3_600_000;
const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();

function clock(over: Partial<SeriousIncident> = {}): SeriousIncident {
  return {
    category: 'widespread_infringement',
    awareAt: iso(-18 * HOUR),
    // Half a minute of slack, so that the whole minutes shown do not depend on how fast the test renders.
    reportingDeadline: iso(30 * HOUR + 30_000),
    memberState: 'DE',
    initialReportAt: null,
    finalReportAt: null,
    correctiveAction: null,
    ...over,
  };
}

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: INC,
    systemId: SYS,
    candidateId: null,
    title: 'Claims assessed without currency',
    description: '',
    severity: 'high',
    status: 'mitigating',
    resolution: null,
    createdAt: '2026-11-02T10:00:00.000Z',
    createdBy: 'omar.owner',
    updatedAt: '2026-11-02T10:00:00.000Z',
    resolvedAt: null,
    version: 3,
    ...over,
  };
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

describe('the serious-incident clock on the incidents page', () => {
  it('shows the deadline with its state in words beside the badge: due, overdue, reported', async () => {
    fakeApi(
      get('/api/systems', page([system()])),
      incidentsOf([
        incident({ seriousIncident: clock() }),
        incident({
          id: 'inc_01JEEEEEEEEEEEEEEEEEEEEEEE',
          title: 'Overdue one',
          seriousIncident: clock({ category: 'death', reportingDeadline: iso(-3 * HOUR - 30_000) }),
        }),
        incident({
          id: 'inc_01JFFFFFFFFFFFFFFFFFFFFFFF',
          title: 'Reported one',
          seriousIncident: clock({ reportingDeadline: iso(-HOUR), initialReportAt: iso(-2 * HOUR) }),
        }),
      ]),
    );
    renderAt('/incidents', AUDITOR);

    const clocks = await screen.findAllByRole('region', { name: /^Art\. 73 reporting clock/ });
    expect(clocks.map((c) => c.textContent)).toEqual([
      expect.stringMatching(/Widespread infringement.*2 days \(Art\. 73\(3\)\) · Member State DE/),
      expect.stringContaining('Death of a person: 10 days (Art. 73(4))'),
      expect.stringContaining('Widespread infringement'),
    ]);
    // The state is written out, not only coloured.
    expect(clocks[0]?.textContent).toContain('due Report due in 1 d 6 h.');
    expect(clocks[1]?.textContent).toContain('overdue Report overdue by 3 h.');
    expect(clocks[2]?.textContent).toContain('reported Initial report sent; final report outstanding.');
    expect(within(clocks[0] as HTMLElement).getByText('due').className).toContain('tone-warn');
    expect(within(clocks[1] as HTMLElement).getByText('overdue').className).toContain('tone-bad');
    // An auditor reads the clock but is offered no form to change it.
    expect(screen.queryByText('Record the Art. 73 reports')).toBeNull();
  });

  it('opens a serious incident with its category, aware-at time and Member State, and never sends a deadline', async () => {
    const created = incident({ status: 'open', seriousIncident: clock() });
    const api = fakeApi(get('/api/systems', page([system()])), incidentsOf([]), post('/api/incidents', created, 201));
    renderAt('/incidents', OWNER);
    await userEvent.click(await screen.findByText('Open an incident'));
    const form = screen.getByRole('form', { name: 'Open an incident' });
    await userEvent.selectOptions(within(form).getByLabelText('System'), SYS);
    await userEvent.type(within(form).getByLabelText('Title'), 'Claims assessed without currency');
    expect(within(form).queryByLabelText(/Category/)).toBeNull(); // only once it is declared serious
    await userEvent.click(within(form).getByLabelText(/Serious incident under the EU AI Act/));
    await userEvent.selectOptions(within(form).getByLabelText(/Category/), 'widespread_infringement');
    const aware = within(form).getByLabelText(/Aware since/);
    await userEvent.clear(aware);
    await userEvent.type(aware, '2026-11-20T15:30');
    await userEvent.selectOptions(within(form).getByLabelText('Member State'), 'DE');
    await userEvent.click(within(form).getByRole('button', { name: 'Open the incident' }));

    expect((await within(form).findByRole('status')).textContent).toContain(
      `report due by ${created.seriousIncident?.reportingDeadline}`,
    );
    const sent = api.calls.find((c) => c.method === 'POST')?.body as Record<string, unknown>;
    expect(sent.seriousIncident).toEqual({
      category: 'widespread_infringement',
      awareAt: new Date('2026-11-20T15:30').toISOString(),
      memberState: 'DE',
    });
  });

  it('records the initial report of an open clock, also on a resolved incident, and shows a refusal', async () => {
    const before = incident({ status: 'resolved', resolution: 'fixed', seriousIncident: clock() });
    const after = { ...before, version: 4, seriousIncident: clock({ initialReportAt: iso(-HOUR) }) };
    const api = fakeApi(
      get('/api/systems', page([system()])),
      incidentsOf([before]),
      patch(`/api/incidents/${INC}`, after),
    );
    renderAt('/incidents?status=resolved', OWNER);
    await userEvent.click(await screen.findByText('Record the Art. 73 reports'));
    const form = screen.getByRole('form', { name: `Reports of incident ${INC}` });
    await userEvent.type(within(form).getByLabelText(/Initial report sent at/), '2026-11-21T09:45');
    await userEvent.click(within(form).getByRole('button', { name: 'Save the reports' }));
    expect((await within(form).findByRole('status')).textContent).toContain('version 4');
    expect(api.calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([
      { seriousIncident: { initialReportAt: new Date('2026-11-21T09:45').toISOString() } },
    ]);
    cleanup();

    fakeApi(
      get('/api/systems', page([system()])),
      incidentsOf([before]),
      patch(
        `/api/incidents/${INC}`,
        {
          type: '/problems/validation-error',
          title: 'Bad Request',
          status: 400,
          detail: 'the initial report cannot precede the time the provider became aware',
        },
        400,
      ),
    );
    renderAt('/incidents?status=resolved', OWNER);
    await userEvent.click(await screen.findByText('Record the Art. 73 reports'));
    const again = screen.getByRole('form', { name: `Reports of incident ${INC}` });
    await userEvent.type(within(again).getByLabelText(/Initial report sent at/), '2020-01-01T00:00');
    await userEvent.click(within(again).getByRole('button', { name: 'Save the reports' }));
    expect((await within(again).findByRole('alert')).textContent).toContain('cannot precede');
  });
});

describe('the metrics overview', () => {
  it('lists the serious-incident reports coming due, soonest first, with their state in words', () => {
    const deadline = (over: Partial<ReportingDeadline>): ReportingDeadline => ({
      incidentId: INC,
      systemId: SYS,
      systemName: 'Evidence Extractor',
      title: 'Claims assessed without currency',
      severity: 'high',
      category: 'widespread_infringement',
      awareAt: iso(-50 * HOUR),
      reportingDeadline: iso(-2 * HOUR - 30_000),
      memberState: 'DE',
      status: 'overdue',
      ...over,
    });
    // The component of the metrics page (the page's charts need a canvas, which happy-dom lacks).
    render(
      <MemoryRouter>
        <ReportingDeadlines
          deadlines={[
            deadline({}),
            deadline({
              incidentId: 'inc_01JEEEEEEEEEEEEEEEEEEEEEEE',
              title: 'Patient harmed',
              category: 'health',
              reportingDeadline: iso(5 * 24 * HOUR + 30_000),
              memberState: null,
              status: 'due',
            }),
          ]}
        />
      </MemoryRouter>,
    );
    const table = screen.getByRole('table', { name: 'Reporting deadlines, soonest first' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => r.textContent);
    expect(rows).toEqual([
      expect.stringMatching(/overdue Report overdue by 2 h.*Claims assessed without currency.*Evidence Extractor.*DE$/),
      expect.stringMatching(/due Report due in 5 d.*Patient harmed.*Serious harm to a person’s health—$/),
    ]);
    expect(within(table).getAllByRole('link', { name: 'Evidence Extractor' })[0]?.getAttribute('href')).toBe(
      `/systems/${SYS}`,
    );
    cleanup();

    render(
      <MemoryRouter>
        <ReportingDeadlines deadlines={[]} />
      </MemoryRouter>,
    );
    expect(screen.getByText('No serious-incident report is overdue or due in the next 7 days.')).toBeTruthy();
  });
});
