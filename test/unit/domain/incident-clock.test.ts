import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/domain/errors.js';
import {
  applySeriousIncident,
  REPORTING_PERIOD_DAYS,
  reportedLate,
  reportingDeadline,
  reportingStatus,
} from '../../../functions/domain/incident-clock.js';
import { reportingDeadlinesComingDue } from '../../../functions/domain/overview.js';
import type { SeriousIncident } from '../../../functions/domain/types.js';

describe('the reporting deadline of a serious incident (EU AI Act Art. 73)', () => {
  it.each([
    // category, aware at, deadline
    ['health', '2026-01-31T10:15:00.000Z', '2026-02-15T10:15:00.000Z'], // Art. 73(2): 15 days, over a month end
    ['fundamental_rights', '2026-12-20T23:30:00.000Z', '2027-01-04T23:30:00.000Z'], // over a year end
    ['property_or_environment', '2028-02-14T00:00:00.000Z', '2028-02-29T00:00:00.000Z'], // into a leap day
    ['death', '2026-04-25T08:00:00.000Z', '2026-05-05T08:00:00.000Z'], // Art. 73(4): 10 days, over a month end
    ['death', '2027-02-19T12:00:00.000Z', '2027-03-01T12:00:00.000Z'], // February of a common year
    ['critical_infrastructure', '2026-06-29T17:45:30.500Z', '2026-07-01T17:45:30.500Z'], // Art. 73(3): 2 days
    ['widespread_infringement', '2026-12-30T22:00:00.000Z', '2027-01-01T22:00:00.000Z'], // Art. 73(3): 2 days
    ['widespread_infringement', '2028-02-28T06:00:00.000Z', '2028-03-01T06:00:00.000Z'], // over the leap day
  ] as const)(
    'a %s incident of which the provider became aware at %s must be reported by %s',
    (category, awareAt, deadline) => {
      expect(reportingDeadline(category, awareAt)).toBe(deadline);
    },
  );

  it('counts whole days of 24 hours from the aware-at instant, also across a daylight-saving change', () => {
    // 2026-03-29 is the EU's spring change; UTC arithmetic is not affected by it.
    expect(reportingDeadline('critical_infrastructure', '2026-03-28T23:30:00+01:00')).toBe('2026-03-30T22:30:00.000Z');
  });

  it('gives every category its period: 10 days for a death, 2 for infrastructure or widespread, else 15', () => {
    expect(REPORTING_PERIOD_DAYS).toEqual({
      death: 10,
      health: 15,
      critical_infrastructure: 2,
      fundamental_rights: 15,
      property_or_environment: 15,
      widespread_infringement: 2,
    });
  });

  it('refuses an aware-at time that is not a time', () => {
    expect(() => reportingDeadline('health', 'yesterday')).toThrow(ValidationError);
  });
});

describe('the reporting status', () => {
  const clock = { reportingDeadline: '2026-02-15T10:15:00.000Z', initialReportAt: null, finalReportAt: null };

  it('is due up to and including the deadline instant, and overdue one millisecond after', () => {
    expect(reportingStatus(clock, new Date('2026-02-15T10:15:00.000Z'))).toBe('due');
    expect(reportingStatus(clock, new Date('2026-02-15T10:15:00.001Z'))).toBe('overdue');
  });

  it('is reported once the initial report was sent, even late, and closed once the final report was sent', () => {
    const late = { ...clock, initialReportAt: '2026-02-16T09:00:00.000Z' };
    expect(reportingStatus(late, new Date('2026-03-01T00:00:00.000Z'))).toBe('reported');
    expect(reportedLate(late)).toBe(true);
    expect(reportedLate({ ...clock, initialReportAt: '2026-02-15T10:15:00.000Z' })).toBe(false);
    expect(
      reportingStatus({ ...late, finalReportAt: '2026-02-20T09:00:00.000Z' }, new Date('2026-03-01T00:00:00.000Z')),
    ).toBe('closed');
  });
});

describe('declaring a serious incident and recording its reports', () => {
  const NOW = new Date('2026-02-10T12:00:00.000Z');

  it('computes the deadline from the category and the aware-at time, normalised to UTC', () => {
    const s = applySeriousIncident(
      undefined,
      { category: 'death', awareAt: '2026-02-09T09:00:00+02:00', memberState: 'DE' },
      NOW,
    );
    expect(s).toEqual({
      category: 'death',
      awareAt: '2026-02-09T07:00:00.000Z',
      reportingDeadline: '2026-02-19T07:00:00.000Z',
      memberState: 'DE',
      initialReportAt: null,
      finalReportAt: null,
      correctiveAction: null,
    });
  });

  it('recomputes the deadline when the category changes and keeps the fields a change leaves out', () => {
    const current: SeriousIncident = applySeriousIncident(
      undefined,
      { category: 'health', awareAt: '2026-02-09T07:00:00.000Z', memberState: 'FR', correctiveAction: 'retrain' },
      NOW,
    );
    const next = applySeriousIncident(current, { category: 'critical_infrastructure' }, NOW);
    expect(next).toMatchObject({
      reportingDeadline: '2026-02-11T07:00:00.000Z',
      memberState: 'FR',
      correctiveAction: 'retrain',
    });
  });

  it('needs the category and aware-at time to declare one', () => {
    expect(() => applySeriousIncident(undefined, { category: 'health' }, NOW)).toThrow(/category and the time/);
  });

  it.each([
    [{ awareAt: '2026-02-10T12:06:00.000Z' }, 'seriousIncident.awareAt'],
    [{ initialReportAt: '2026-02-09T06:59:59.000Z' }, 'seriousIncident.initialReportAt'],
    [{ finalReportAt: '2026-02-10T08:00:00.000Z' }, 'seriousIncident.finalReportAt'],
    [
      { initialReportAt: '2026-02-10T08:00:00.000Z', finalReportAt: '2026-02-10T07:59:00.000Z' },
      'seriousIncident.finalReportAt',
    ],
  ])('refuses times that cannot be true: %j', (change, field) => {
    const current = applySeriousIncident(undefined, { category: 'health', awareAt: '2026-02-09T07:00:00.000Z' }, NOW);
    try {
      applySeriousIncident(current, change, NOW);
      expect.unreachable('the change was accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).detail).toEqual({ field });
    }
  });

  it('accepts an initial and a final report sent at the same time (a complete first report)', () => {
    const s = applySeriousIncident(
      undefined,
      {
        category: 'health',
        awareAt: '2026-02-09T07:00:00.000Z',
        initialReportAt: '2026-02-10T08:00:00.000Z',
        finalReportAt: '2026-02-10T08:00:00.000Z',
      },
      NOW,
    );
    expect(reportingStatus(s, NOW)).toBe('closed');
  });
});

describe('reporting deadlines coming due, as the overview lists them', () => {
  const NOW = new Date('2026-03-01T00:00:00.000Z');
  const entry = (incidentId: string, reportingDeadline: string, initialReportAt: string | null = null) => ({
    incidentId,
    systemId: 'sys_a',
    title: incidentId,
    severity: 'high' as const,
    category: 'health' as const,
    awareAt: '2026-02-01T00:00:00.000Z',
    reportingDeadline,
    memberState: null,
    initialReportAt,
  });

  it('lists overdue and due-within-7-days clocks soonest first, with their status and system name', () => {
    const out = reportingDeadlinesComingDue(
      [
        entry('later', '2026-03-08T00:00:00.001Z'), // just outside the window
        entry('in-week', '2026-03-08T00:00:00.000Z'),
        entry('overdue', '2026-02-27T00:00:00.000Z'),
        entry('reported', '2026-02-20T00:00:00.000Z', '2026-02-19T00:00:00.000Z'),
        entry('tomorrow', '2026-03-02T00:00:00.000Z'),
      ],
      new Map([['sys_a', 'Evidence Extractor']]),
      NOW,
    );
    expect(out.map((d) => [d.incidentId, d.status])).toEqual([
      ['overdue', 'overdue'],
      ['tomorrow', 'due'],
      ['in-week', 'due'],
    ]);
    expect(out[0]).toMatchObject({ systemName: 'Evidence Extractor' });
    expect(out[0]).not.toHaveProperty('initialReportAt');
  });

  it('lists at most the limit', () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      entry(`i${String(i).padStart(2, '0')}`, '2026-03-02T00:00:00.000Z'),
    );
    expect(reportingDeadlinesComingDue(many, new Map(), NOW)).toHaveLength(50);
  });
});
