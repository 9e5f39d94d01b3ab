// The EU AI Act Art. 73 reporting clock of a serious incident, as the incidents and metrics pages show it: the state
// in words (due in, overdue by, reported, closed) beside a badge, so nothing depends on colour alone.
import {
  REPORTING_PERIOD_ARTICLE,
  REPORTING_PERIOD_DAYS,
  reportedLate,
  reportingStatus,
} from '../../functions/domain/incident-clock';
import type { ReportingStatus, SeriousIncident, SeriousIncidentCategory } from '../../functions/domain/types';
import { Badge, Time } from './ui';

/** What each category means (Regulation (EU) 2024/1689, Art. 3(49) and 3(61)). */
export const CATEGORY_LABELS: Record<SeriousIncidentCategory, string> = {
  death: 'Death of a person',
  health: 'Serious harm to a person’s health',
  critical_infrastructure: 'Serious, irreversible disruption of critical infrastructure',
  fundamental_rights: 'Infringement of Union law protecting fundamental rights',
  property_or_environment: 'Serious harm to property or the environment',
  widespread_infringement: 'Widespread infringement (at least two Member States beyond the origin)',
};

/** "Death of a person: 10 days (Art. 73(4))". */
export function categoryWithPeriod(category: SeriousIncidentCategory): string {
  return `${CATEGORY_LABELS[category]}: ${REPORTING_PERIOD_DAYS[category]} days (${REPORTING_PERIOD_ARTICLE[category]})`;
}

/** A duration in days and hours (minutes under an hour), e.g. "1 d 16 h", "45 min". */
function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return `${hours} h`;
  return `${minutes % 60} min`;
}

/** The state of a report in words, e.g. "Report due in 1 d 16 h", "Report overdue by 3 h". */
export function clockText(
  clock: Pick<SeriousIncident, 'reportingDeadline' | 'initialReportAt' | 'finalReportAt'>,
  now: Date,
): { status: ReportingStatus; text: string } {
  const status = reportingStatus(clock, now);
  const left = Date.parse(clock.reportingDeadline) - now.getTime();
  const late = reportedLate(clock) ? ', after the deadline' : '';
  const text = {
    due: `Report due in ${span(left)}`,
    overdue: `Report overdue by ${span(left)}`,
    reported: `Initial report sent${late}; final report outstanding`,
    closed: `Final report sent${late}`,
  }[status];
  return { status, text };
}

/** The clock of one serious incident: category, awareness, deadline and where the report stands. */
export function ReportingClockView({
  clock,
  title,
  now = new Date(),
}: {
  clock: SeriousIncident;
  title: string;
  now?: Date;
}) {
  const { status, text } = clockText(clock, now);
  return (
    <section className="clock" aria-label={`Art. 73 reporting clock: ${title}`}>
      <p>
        <strong>Serious incident</strong> · {categoryWithPeriod(clock.category)}
        {clock.memberState ? ` · Member State ${clock.memberState}` : ''}
      </p>
      <p>
        <Badge value={status} /> <strong>{text}.</strong> Deadline <Time at={clock.reportingDeadline} /> UTC (aware
        since <Time at={clock.awareAt} /> UTC)
        {clock.initialReportAt ? (
          <>
            {' '}
            · initial report <Time at={clock.initialReportAt} />
          </>
        ) : null}
        {clock.finalReportAt ? (
          <>
            {' '}
            · final report <Time at={clock.finalReportAt} />
          </>
        ) : null}
      </p>
      {clock.correctiveAction ? <p>Corrective action: {clock.correctiveAction}</p> : null}
    </section>
  );
}
