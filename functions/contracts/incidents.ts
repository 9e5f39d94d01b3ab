import * as z from 'zod';
import { EVENT_TYPES, type GovernanceEventType } from '../domain/events.js';
import { idPattern, ORGANISATION_CHAIN_ID } from '../domain/id-format.js';
import { EU_MEMBER_STATES, INCIDENT_STATUSES, SERIOUS_INCIDENT_CATEGORIES, SEVERITIES } from '../domain/types.js';
import { idOf, pageQuery, requiredText, text } from './common.js';

const instant = z.iso.datetime({ offset: true });

/**
 * The EU AI Act Art. 73 clock of a serious incident, as a client states it. The reporting deadline is not among the
 * fields: the server computes it from the category and awareAt (a body naming it is refused).
 */
const seriousIncidentFields = {
  category: z.enum(SERIOUS_INCIDENT_CATEGORIES),
  awareAt: instant.describe('when the provider (or deployer) became aware of the serious incident'),
  memberState: z.enum(EU_MEMBER_STATES).nullable().describe('ISO 3166-1 alpha-2 code of the EU Member State'),
  initialReportAt: instant.describe('when the initial report was sent to the market surveillance authority'),
  finalReportAt: instant.describe('when the complete report was sent'),
  correctiveAction: text(4000).nullable(),
};

const seriousIncidentDeclaration = z
  .object(seriousIncidentFields)
  .partial()
  .required({ category: true, awareAt: true })
  .strict();

const seriousIncidentPatch = z.object(seriousIncidentFields).partial().strict();

export const createIncidentRequest = z
  .object({
    systemId: idOf('sys'),
    candidateId: idOf('rc').nullable().optional(),
    title: requiredText(200),
    description: text(8000).default(''),
    severity: z.enum(SEVERITIES),
    seriousIncident: seriousIncidentDeclaration.optional(),
  })
  .strict();

export const patchIncidentRequest = z
  .object({
    title: requiredText(200),
    description: text(8000),
    severity: z.enum(SEVERITIES),
    status: z.enum(['open', 'mitigating']),
    seriousIncident: seriousIncidentPatch,
    reason: requiredText(2000).describe(
      'why: recorded on the relaxation request when the patch lowers the severity of a blocking incident',
    ),
  })
  .partial()
  .strict();

export const resolveIncidentRequest = z.object({ resolution: requiredText(4000) }).strict();

export const listIncidentsQuery = pageQuery
  .extend({ systemId: idOf('sys').optional(), status: z.enum(INCIDENT_STATUSES).optional() })
  .strict();

/** An audit chain: a system's (its id) or the organisation's (`org`, ADR 0024). */
const auditChainId = z
  .union([
    z.string().regex(idPattern('sys'), `must be a sys_ id or ${ORGANISATION_CHAIN_ID} (the organisation chain)`),
    z.literal(ORGANISATION_CHAIN_ID),
  ])
  .describe(`a system's id, or ${ORGANISATION_CHAIN_ID} for the organisation chain (policy transitions)`);

/** The actions the audit timeline filters on: every event type of the catalogue (the dashboard's choices). */
export const AUDIT_ACTIONS: readonly GovernanceEventType[] = EVENT_TYPES;

/** What the audit timeline narrows to: the list route's filters, and the export's (ADR 0044). */
const auditFilterFields = {
  systemId: auditChainId.optional(),
  action: z
    .enum(EVENT_TYPES as [GovernanceEventType, ...GovernanceEventType[]])
    .optional()
    .describe('only events of this action (an event type of the catalogue, docs/events.md)'),
  actor: z.string().min(1).max(256).optional().describe("only events whose actor's userId is this"),
  entityId: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be an id: 1 to 128 of A-Z a-z 0-9 _ . : -')
    .optional()
    .describe('only events about this entity (a candidate, approval, incident ... id)'),
  from: instant.optional().describe('only events at or after this instant (ISO 8601)'),
  to: instant.optional().describe('only events at or before this instant (ISO 8601)'),
};

const fromNotAfterTo: [
  (q: { from?: string | undefined; to?: string | undefined }) => boolean,
  { path: string[]; message: string },
] = [
  (q) => q.from === undefined || q.to === undefined || Date.parse(q.from) <= Date.parse(q.to),
  { path: ['to'], message: 'must not be before from' },
];

export const listAuditQuery = pageQuery
  .extend({ ...auditFilterFields, order: z.enum(['asc', 'desc']).optional() })
  .strict()
  .refine(...fromNotAfterTo);

/** POST /api/audit-exports: the whole range the filters select (none: every chain), oldest first. */
export const startAuditExportRequest = z
  .object(auditFilterFields)
  .strict()
  .refine(...fromNotAfterTo);

export const verifyAuditQuery = z
  .object({
    systemId: auditChainId,
    /** `request` also starts a full verification of the whole archive in the background (admins and auditors). */
    full: z.enum(['request']).optional(),
  })
  .strict();
