// The serious-incident clock of the EU AI Act (Regulation (EU) 2024/1689, Art. 73). A provider of a high-risk AI
// system reports a serious incident to the market surveillance authority of the Member State where it occurred,
// "immediately" after establishing a causal link (or its reasonable likelihood), and in any event no later than a
// period counted from the moment the provider (or, where applicable, the deployer) became aware of it:
//
//   - death, 10 days (Art. 73(4)): the incident led, directly or indirectly, to a person's death (Art. 3(49)(a));
//   - health, 15 days (Art. 73(2)): serious harm to a person's health (Art. 3(49)(a));
//   - critical_infrastructure, 2 days (Art. 73(3)): a serious and irreversible disruption of the management or
//     operation of critical infrastructure (Art. 3(49)(b));
//   - fundamental_rights, 15 days (Art. 73(2)): an infringement of obligations under Union law intended to protect
//     fundamental rights (Art. 3(49)(c));
//   - property_or_environment, 15 days (Art. 73(2)): serious harm to property or the environment (Art. 3(49)(d));
//   - widespread_infringement, 2 days (Art. 73(3)): an infringement of Union law protecting individuals' interests
//     that harms their collective interests in at least two Member States besides the one where it originated (or
//     where the provider or deployer is established), or a concurrent common infringement by the same operator in at
//     least three Member States (Art. 3(61)).
//
// The deadline is the aware-at instant plus the period in whole days of 24 hours (UTC arithmetic, so month and
// year ends need no special case). That is the strict reading of "not later than N days after ... becomes aware":
// Regulation (EEC, Euratom) No 1182/71 would start counting at the next day and end with the last hour of the last
// day (moved to the next working day over weekends and holidays), which is never earlier in any EU time zone. The
// deadline is an outer limit; the Act asks for the report "immediately" once the link is established.
//
// An initial report that is incomplete may come first, followed by the complete one (Art. 73(5)): the initial report
// stops the clock (status `reported`); the final report closes it (`closed`).
import { ValidationError } from './errors.js';
import type {
  EuMemberState,
  Incident,
  ReportingStatus,
  SeriousIncident,
  SeriousIncidentCategory,
  Severity,
} from './types.js';

const DAY_MS = 86_400_000;
/** How far ahead of the server's clock a stated time may lie (callers' clocks drift). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Days from awareness to the latest reporting instant, per category (Art. 73(2) to (4)). */
export const REPORTING_PERIOD_DAYS: Readonly<Record<SeriousIncidentCategory, number>> = {
  death: 10,
  health: 15,
  critical_infrastructure: 2,
  fundamental_rights: 15,
  property_or_environment: 15,
  widespread_infringement: 2,
};

/** The article of Regulation (EU) 2024/1689 that sets each category's period, for messages and documents. */
export const REPORTING_PERIOD_ARTICLE: Readonly<Record<SeriousIncidentCategory, string>> = {
  death: 'Art. 73(4)',
  health: 'Art. 73(2)',
  critical_infrastructure: 'Art. 73(3)',
  fundamental_rights: 'Art. 73(2)',
  property_or_environment: 'Art. 73(2)',
  widespread_infringement: 'Art. 73(3)',
};

/** The latest instant (ISO 8601, UTC) the report of a serious incident of `category` may be sent. */
export function reportingDeadline(category: SeriousIncidentCategory, awareAt: string | Date): string {
  const start = typeof awareAt === 'string' ? Date.parse(awareAt) : awareAt.getTime();
  if (!Number.isFinite(start)) throw new ValidationError('awareAt is not a valid time', { field: 'awareAt' });
  return new Date(start + REPORTING_PERIOD_DAYS[category] * DAY_MS).toISOString();
}

type Clock = Pick<SeriousIncident, 'reportingDeadline' | 'initialReportAt' | 'finalReportAt'>;

/** Where the report stands at `now`: closed, reported (initial report sent), overdue, or due. */
export function reportingStatus(clock: Clock, now: Date): ReportingStatus {
  if (clock.finalReportAt) return 'closed';
  if (clock.initialReportAt) return 'reported';
  return now.getTime() > Date.parse(clock.reportingDeadline) ? 'overdue' : 'due';
}

/** Whether the clock still runs: no initial report has been sent. */
export function clockIsOpen(clock: Pick<SeriousIncident, 'initialReportAt'>): boolean {
  return clock.initialReportAt === null;
}

/** Whether the first report went out after the deadline (false while none was sent). */
export function reportedLate(clock: Clock): boolean {
  return clock.initialReportAt !== null && Date.parse(clock.initialReportAt) > Date.parse(clock.reportingDeadline);
}

/** What the store indexes of an open clock, so the overview lists deadlines without reading the incidents. */
export interface ReportingClockEntry {
  incidentId: string;
  systemId: string;
  title: string;
  severity: Severity;
  category: SeriousIncidentCategory;
  awareAt: string;
  reportingDeadline: string;
  memberState: EuMemberState | null;
  initialReportAt: string | null;
}

/** The clock entry of an incident, or undefined when it is no serious incident. */
export function reportingClockEntry(incident: Incident): ReportingClockEntry | undefined {
  const s = incident.seriousIncident;
  if (!s) return undefined;
  return {
    incidentId: incident.id,
    systemId: incident.systemId,
    title: incident.title,
    severity: incident.severity,
    category: s.category,
    awareAt: s.awareAt,
    reportingDeadline: s.reportingDeadline,
    memberState: s.memberState,
    initialReportAt: s.initialReportAt,
  };
}

/** What a request may state about the clock; the deadline is never among it. */
export interface SeriousIncidentInput {
  category?: SeriousIncidentCategory;
  awareAt?: string;
  memberState?: EuMemberState | null;
  initialReportAt?: string;
  finalReportAt?: string;
  correctiveAction?: string | null;
}

/**
 * Declares a serious incident (`current` undefined) or changes its clock: fields left undefined keep their value,
 * the deadline is computed again from the category and aware-at time, and the times must make sense at `now`
 * (none in the future, no report before awareness, no final report without or before the initial one).
 */
export function applySeriousIncident(
  current: SeriousIncident | undefined,
  input: SeriousIncidentInput,
  now: Date,
): SeriousIncident {
  const category = input.category ?? current?.category;
  const awareAt = input.awareAt !== undefined ? isoTime(input.awareAt, 'awareAt') : current?.awareAt;
  if (!category || !awareAt) {
    throw new ValidationError('a serious incident needs its category and the time the provider became aware of it', {
      field: `seriousIncident.${category ? 'awareAt' : 'category'}`,
    });
  }
  const next: SeriousIncident = {
    category,
    awareAt,
    reportingDeadline: reportingDeadline(category, awareAt),
    memberState: input.memberState !== undefined ? input.memberState : (current?.memberState ?? null),
    initialReportAt:
      input.initialReportAt !== undefined
        ? isoTime(input.initialReportAt, 'initialReportAt')
        : (current?.initialReportAt ?? null),
    finalReportAt:
      input.finalReportAt !== undefined
        ? isoTime(input.finalReportAt, 'finalReportAt')
        : (current?.finalReportAt ?? null),
    correctiveAction:
      input.correctiveAction !== undefined ? input.correctiveAction || null : (current?.correctiveAction ?? null),
  };
  const latest = now.getTime() + CLOCK_SKEW_MS;
  for (const field of ['awareAt', 'initialReportAt', 'finalReportAt'] as const) {
    const at = next[field];
    if (at !== null && Date.parse(at) > latest) refuse(field, `${field} lies in the future`);
  }
  if (next.initialReportAt !== null && next.initialReportAt < next.awareAt) {
    refuse('initialReportAt', 'the initial report cannot precede the time the provider became aware');
  }
  if (next.finalReportAt !== null) {
    if (next.initialReportAt === null) {
      refuse('finalReportAt', 'record the initial report first (give both the same time if the first was complete)');
    } else if (next.finalReportAt < next.initialReportAt) {
      refuse('finalReportAt', 'the final report cannot precede the initial report');
    }
  }
  return next;
}

function isoTime(value: string, field: string): string {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) refuse(field, `${field} is not a valid time`);
  return new Date(ms).toISOString();
}

function refuse(field: string, message: string): never {
  throw new ValidationError(message, { field: `seriousIncident.${field}` });
}
